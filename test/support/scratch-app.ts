/**
 * A scratch Nest 12 application outside the monorepo that uses the published packages the way
 * their READMEs say (test/packages.e2e-spec.ts): notes owned by users, each registered as a
 * Keycloak resource through @photoz/nest-uma-resources, read behind `@Scopes('album:view')` of
 * @photoz/nest-uma, shared and unshared by their owner (Keycloak and the grant record in the
 * order the README gives). Its shape is the Nest 12 starter's (`nest new`: CommonJS, `nodenext`
 * resolution, TypeScript 6), on Fastify. The sources are kept here as text, so that the
 * application depends on nothing of the monorepo but the tarballs it installs.
 */

/** The tarballs by package name, installed by file path. */
export type Tarballs = Readonly<Record<string, string>>;

/** The application's package.json: what a Nest 12 team has, and the tarballs. */
export function scratchPackageJson(tarballs: Tarballs): string {
  const packages = Object.fromEntries(
    Object.entries(tarballs).map(([name, file]) => [name, `file:${file}`]),
  );
  return `${JSON.stringify(
    {
      name: 'photoz-packages-scratch-app',
      version: '0.0.0',
      private: true,
      license: 'UNLICENSED',
      scripts: { build: 'tsc -p tsconfig.json', start: 'node dist/main.js' },
      dependencies: {
        '@nestjs/common': '^12.0.0',
        '@nestjs/core': '^12.0.0',
        '@nestjs/platform-fastify': '^12.0.0',
        '@nestjs/typeorm': '^12.0.0',
        pg: '^8.16.0',
        'reflect-metadata': '^0.2.2',
        rxjs: '^7.8.1',
        typeorm: '^1.1.1',
        ...packages,
      },
      devDependencies: { '@types/node': '^24.0.0', typescript: '^6.0.2' },
    },
    null,
    2,
  )}\n`;
}

/** The Nest 12 starter's compiler options (`strict` on), sources in src/. */
export const SCRATCH_TSCONFIG = `${JSON.stringify(
  {
    compilerOptions: {
      module: 'nodenext',
      moduleResolution: 'nodenext',
      resolvePackageJsonExports: true,
      esModuleInterop: true,
      isolatedModules: true,
      declaration: true,
      removeComments: true,
      emitDecoratorMetadata: true,
      experimentalDecorators: true,
      allowSyntheticDefaultImports: true,
      target: 'ES2023',
      types: ['node'],
      sourceMap: true,
      outDir: './dist',
      rootDir: './src',
      skipLibCheck: true,
      strict: true,
      strictPropertyInitialization: false,
    },
    include: ['src'],
  },
  null,
  2,
)}\n`;

/** The application's sources, by path. */
export const SCRATCH_SOURCES: Readonly<Record<string, string>> = {
  'src/main.ts': `
import 'reflect-metadata';
import { type ArgumentsHost, Catch, type ExceptionFilter } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { FastifyAdapter, type NestFastifyApplication } from '@nestjs/platform-fastify';
import { KeycloakUnavailableError } from '@photoz/keycloak';
import { ProblemDetailsFilter } from '@photoz/nest-common';
import { authorizationServerUnavailable } from '@photoz/nest-uma';
import { AppModule } from './app.module';

/** Keycloak unreachable: 503 with Retry-After rather than a 500. */
@Catch(KeycloakUnavailableError)
class KeycloakUnavailableFilter implements ExceptionFilter {
  private readonly problems = new ProblemDetailsFilter();

  catch(_error: KeycloakUnavailableError, host: ArgumentsHost): void {
    this.problems.catch(
      authorizationServerUnavailable('The authorization server cannot be reached; repeat the request.'),
      host,
    );
  }
}

function env(name: string): string {
  const value = process.env[name];
  if (value === undefined || value === '') {
    throw new Error(name + ' is required');
  }
  return value;
}

async function bootstrap(): Promise<void> {
  const app = await NestFactory.create<NestFastifyApplication>(
    AppModule.forRoot({
      databaseUrl: env('DATABASE_URL'),
      keycloakUrl: env('KEYCLOAK_URL'),
      realm: env('KEYCLOAK_REALM'),
      clientId: env('KEYCLOAK_CLIENT_ID'),
      clientSecret: env('KEYCLOAK_CLIENT_SECRET'),
      clientUuid: env('KEYCLOAK_CLIENT_UUID'),
      deployment: env('UMA_DEPLOYMENT'),
    }),
    new FastifyAdapter(),
    { logger: ['error', 'warn'] },
  );
  app.useGlobalFilters(new ProblemDetailsFilter());
  app.useGlobalFilters(new KeycloakUnavailableFilter());
  app.enableShutdownHooks();
  await app.listen({ port: Number(process.env['PORT'] ?? 0), host: '127.0.0.1' });
  console.log('listening on ' + (await app.getUrl()));
}

bootstrap().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
`,
  'src/app.module.ts': `
import { type DynamicModule, Module } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import { KeycloakModule } from '@photoz/keycloak';
import { AuthModule } from '@photoz/nest-uma';
import {
  AddGrantExpiry1764200000000,
  CreateUmaAccess1763700000000,
  GrantRecordRepository,
} from '@photoz/nest-uma/grant-record';
import { UmaResourcesModule } from '@photoz/nest-uma-resources';
import { NoteResource } from './note.resource';
import { NotesController } from './notes.controller';
import { CreateNotes1800000000000, NoteEntity } from './notes';

export interface AppConfig {
  readonly databaseUrl: string;
  readonly keycloakUrl: string;
  readonly realm: string;
  readonly clientId: string;
  readonly clientSecret: string;
  readonly clientUuid: string;
  readonly deployment: string;
}

@Module({})
export class AppModule {
  static forRoot(config: AppConfig): DynamicModule {
    const issuer = config.keycloakUrl + '/realms/' + config.realm;
    return {
      module: AppModule,
      imports: [
        TypeOrmModule.forRoot({
          type: 'postgres',
          url: config.databaseUrl,
          entities: [NoteEntity],
          migrations: [CreateUmaAccess1763700000000, AddGrantExpiry1764200000000, CreateNotes1800000000000],
          migrationsRun: true,
        }),
        KeycloakModule.forRoot({
          url: config.keycloakUrl,
          realm: config.realm,
          issuer,
          clientId: config.clientId,
          clientSecret: config.clientSecret,
          clientUuid: config.clientUuid,
          timeoutMs: 5_000,
        }),
        AuthModule.forRoot({
          issuer,
          audience: config.clientId,
          realm: config.realm,
          clockToleranceSeconds: 5,
          jwksRefreshMinIntervalMs: 10_000,
          jwksRefreshIntervalMs: 300_000,
          verifiedTokenCacheSize: 10_000,
          accessTokenMaxLifespanSeconds: 300,
          endedSessionsReloadIntervalMs: 10_000,
          backchannelLogoutClients: ['photoz-cli'],
        }),
        UmaResourcesModule.forRoot({
          deployment: config.deployment,
          relay: { pollIntervalMs: 200 },
        }),
      ],
      controllers: [NotesController],
      providers: [NoteResource, GrantRecordRepository],
    };
  }
}
`,
  'src/notes.ts': `
import { Column, Entity, type MigrationInterface, PrimaryColumn, type QueryRunner } from 'typeorm';

/** The entity kind, as the outbox, the links and '@UmaResource' name it. */
export const NOTE = 'note';

@Entity('notes')
export class NoteEntity {
  @PrimaryColumn('uuid') id: string;
  @Column('text') title: string;
  @Column({ name: 'owner_id', type: 'varchar', length: 64 }) ownerId: string;
}

/** The notes, and the outbox and links of @photoz/nest-uma-resources, as its README gives them. */
export class CreateNotes1800000000000 implements MigrationInterface {
  name = 'CreateNotes1800000000000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(
      'CREATE TABLE notes (id uuid PRIMARY KEY, title text NOT NULL, owner_id varchar(64) NOT NULL)',
    );
    await queryRunner.query(
      "CREATE TABLE uma_outbox (" +
        ' id bigserial PRIMARY KEY,' +
        ' entity_type varchar(64) NOT NULL,' +
        ' entity_id varchar(128) NOT NULL,' +
        " operation varchar(16) NOT NULL CHECK (operation IN ('upsert', 'delete'))," +
        ' resource jsonb NOT NULL,' +
        " status varchar(16) NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'parked'))," +
        ' attempts integer NOT NULL DEFAULT 0,' +
        ' next_attempt_at timestamptz NOT NULL DEFAULT now(),' +
        ' last_error text,' +
        ' created_at timestamptz NOT NULL DEFAULT now())',
    );
    await queryRunner.query(
      "CREATE INDEX uma_outbox_due ON uma_outbox (next_attempt_at, id) WHERE status = 'pending'",
    );
    await queryRunner.query(
      'CREATE INDEX uma_outbox_entity ON uma_outbox (entity_type, entity_id, id)',
    );
    await queryRunner.query(
      'CREATE TABLE uma_resource_links (' +
        ' entity_type varchar(64) NOT NULL,' +
        ' entity_id varchar(128) NOT NULL,' +
        ' resource_id varchar(64) NOT NULL,' +
        ' registered_at timestamptz NOT NULL DEFAULT now(),' +
        ' PRIMARY KEY (entity_type, entity_id))',
    );
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query('DROP TABLE uma_resource_links');
    await queryRunner.query('DROP TABLE uma_outbox');
    await queryRunner.query('DROP TABLE notes');
  }
}
`,
  'src/note.resource.ts': `
import { Injectable, type OnModuleInit } from '@nestjs/common';
import { isUuid, type PreparedStatement } from '@photoz/nest-common';
import type { ProtectedResource } from '@photoz/nest-uma';
import { CurrentGrantRepository } from '@photoz/nest-uma/grant-record';
import {
  type EntityResourceDescription,
  UmaOutboxWriter,
  type UmaResourceType,
  UmaResourceTypes,
} from '@photoz/nest-uma-resources';
import { DataSource, type EntityManager } from 'typeorm';
import { NOTE, NoteEntity } from './notes';

export interface NoteRow {
  readonly id: string;
  readonly title: string;
  readonly owner_id: string;
  readonly resource_id: string | null;
}

/** A note with its Keycloak resource id, NULL until the relay has registered it. */
const READ: PreparedStatement = {
  name: 'note-read',
  text:
    'SELECT note.id, note.title, note.owner_id, link.resource_id FROM notes note' +
    ' LEFT JOIN uma_resource_links link' +
    " ON link.entity_type = 'note' AND link.entity_id = note.id::text" +
    ' WHERE note.id = $1',
};

/**
 * The note as a kind of Keycloak resource: each note is a resource of type urn:scratch:note owned
 * by its owner, with the realm's album:view scope; the '@Scopes' guard finds notes through it.
 */
@Injectable()
export class NoteResource implements UmaResourceType<NoteEntity>, OnModuleInit {
  readonly entityType = NOTE;
  readonly resourceType = 'urn:scratch:note';
  readonly scopes = ['album:view'];

  constructor(
    private readonly types: UmaResourceTypes,
    private readonly grants: CurrentGrantRepository,
    private readonly outbox: UmaOutboxWriter,
    private readonly dataSource: DataSource,
  ) {}

  onModuleInit(): void {
    this.types.register(this);
  }

  id(note: NoteEntity): string {
    return note.id;
  }

  describe(note: NoteEntity): EntityResourceDescription {
    return {
      name: 'scratch-note-' + note.id,
      displayName: note.title,
      ownerId: note.ownerId,
      uris: ['/notes/' + note.id],
    };
  }

  loadAll(): Promise<NoteEntity[]> {
    return this.dataSource.getRepository(NoteEntity).find();
  }

  async load(manager: EntityManager, id: string): Promise<NoteEntity | undefined> {
    return (await manager.findOneBy(NoteEntity, { id })) ?? undefined;
  }

  isValidId(id: string): boolean {
    return isUuid(id);
  }

  async resolve(id: string, rptHolder: string | undefined): Promise<ProtectedResource<NoteRow> | undefined> {
    const [found] = await this.grants.loadWithCurrentGrant<NoteRow>(READ, [id], rptHolder);
    return found === undefined
      ? undefined
      : {
          ownerId: found.row.owner_id,
          resourceId: found.row.resource_id ?? undefined,
          entity: found.row,
          grant: found.grant,
        };
  }

  resourceMissing(id: string): Promise<void> {
    return this.outbox.requestRepair(NOTE, id);
  }
}
`,
  'src/notes.controller.ts': `
import { randomUUID } from 'node:crypto';
import { Body, Controller, Delete, Get, HttpCode, Param, Post, Put } from '@nestjs/common';
import { ProblemException, Public } from '@photoz/nest-common';
import { ProtectionApiClient } from '@photoz/keycloak';
import {
  CurrentPrincipal,
  type Principal,
  type ProtectedResource,
  ResolvedResource,
  Scopes,
  UmaResource,
} from '@photoz/nest-uma';
import { GrantRecordRepository } from '@photoz/nest-uma/grant-record';
import { UmaOutboxWriter } from '@photoz/nest-uma-resources';
import { DataSource } from 'typeorm';
import type { NoteRow } from './note.resource';
import { NOTE, NoteEntity } from './notes';

const VIEW = 'album:view';

@Controller()
export class NotesController {
  constructor(
    private readonly outbox: UmaOutboxWriter,
    private readonly protection: ProtectionApiClient,
    private readonly grants: GrantRecordRepository,
    private readonly dataSource: DataSource,
  ) {}

  @Public()
  @Get('health')
  health(): { status: string } {
    return { status: 'ok' };
  }

  /** A new note of the caller's; its Keycloak resource follows through the outbox. */
  @Post('notes')
  async create(
    @CurrentPrincipal() principal: Principal,
    @Body() body: { title?: string },
  ): Promise<{ id: string }> {
    const note = new NoteEntity();
    note.id = randomUUID();
    note.title = body.title ?? 'untitled';
    note.ownerId = principal.subject;
    await this.dataSource.transaction(async (manager) => {
      await manager.insert(NoteEntity, note);
      await this.outbox.upsert(manager, NOTE, note);
    });
    return { id: note.id };
  }

  @Get('notes/:id')
  @UmaResource(NOTE, { param: 'id' })
  @Scopes(VIEW)
  read(
    @ResolvedResource() note: ProtectedResource<NoteRow>,
    @CurrentPrincipal() principal: Principal,
  ): Record<string, unknown> {
    return {
      id: note.entity.id,
      title: note.entity.title,
      ownerId: note.ownerId,
      resourceId: note.resourceId ?? null,
      via: principal.permissions === undefined ? 'access-token' : 'rpt',
    };
  }

  /** The owner shares the note: Keycloak first, then the grant record. */
  @Put('notes/:id/shares/:username')
  @HttpCode(204)
  @UmaResource(NOTE, { param: 'id' })
  @Scopes(VIEW)
  async share(
    @ResolvedResource() note: ProtectedResource<NoteRow>,
    @CurrentPrincipal() principal: Principal,
    @Param('username') username: string,
  ): Promise<void> {
    const resourceId = this.ownedResource(note, principal);
    const ticket = await this.protection.grant(resourceId, username, VIEW);
    await this.grants.exclusive(resourceId, ticket.requesterId, (grant) => grant.widen([VIEW]));
  }

  /** The owner takes the share back: the grant record first, then Keycloak. */
  @Delete('notes/:id/shares/:username')
  @HttpCode(204)
  @UmaResource(NOTE, { param: 'id' })
  @Scopes(VIEW)
  async unshare(
    @ResolvedResource() note: ProtectedResource<NoteRow>,
    @CurrentPrincipal() principal: Principal,
    @Param('username') username: string,
  ): Promise<void> {
    const resourceId = this.ownedResource(note, principal);
    const tickets = await this.protection.findTickets({ resourceId, requester: username });
    for (const requester of new Set(tickets.map((ticket) => ticket.requesterId))) {
      await this.grants.exclusive(resourceId, requester, async (grant) => {
        await grant.narrow([]);
        for (const ticket of tickets.filter((t) => t.requesterId === requester)) {
          await this.protection.deleteTicket(ticket.id);
        }
      });
    }
  }

  private ownedResource(note: ProtectedResource<NoteRow>, principal: Principal): string {
    if (principal.permissions !== undefined || principal.subject !== note.ownerId) {
      throw new ProblemException({ status: 403, code: 'forbidden', detail: 'Only the owner shares a note.' });
    }
    if (note.resourceId === undefined) {
      throw new ProblemException({ status: 409, code: 'not-registered', detail: 'Not registered yet.' });
    }
    return note.resourceId;
  }
}
`,
};
