import {
  type BeforeApplicationShutdown,
  Inject,
  Injectable,
  type OnApplicationBootstrap,
} from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import type { DataSource, EntityManager } from 'typeorm';
import { log } from '@app/observability';
import { AlbumDirectory } from '../albums/album-directory.ts';
import { PermissionFlows } from '../audit/permission-flows.ts';
import { GrantDirectory } from '../grants/grant-directory.ts';
import type { Party } from '../grants/grant-entry.ts';
import { KeycloakGrants } from '../grants/keycloak-grants.ts';
import { PartyDirectory } from '../grants/party-directory.ts';
import { type LapsedRequest, PendingRequestRepository } from './pending-request.repository.ts';
import { REQUEST_CONDITIONS, type RequestConditions } from './request-conditions.ts';
import { RecentRequestRepository } from './recent-request.repository.ts';
import { PollingLoop } from '../common/polling-loop.ts';

/**
 * Lapsed requests expired per transaction of a sweep: their rows stay locked until it commits, and
 * a requester asking again about one of them waits for that.
 */
const BATCH = 10;
/** Batches per sweep at most: the rest waits for the next one. */
const MAX_BATCHES = 100;
const WARN_EVERY_MS = 30_000;
/** The sweep's advisory lock: one instance sweeps at a time. */
const SWEEP_LOCK = 'permission-service:request-expiry';

/** Who the audit names as having let a request lapse: no person did. */
export const EXPIRY_ACTOR = { subject: 'system', username: 'system' } as const;

const expiryLog = log.child({ component: 'request-expiry' });

/** A request expired: its tickets deleted and its row gone, to be audited once committed. */
interface Expired {
  readonly resourceId: string;
  readonly party: Party;
  readonly scopes: readonly string[];
}

/**
 * Lets pending requests lapse: a request the owner leaves unanswered for the configured time
 * (`PERMISSION_REQUEST_TTL_SECONDS`) is hidden from the lists at once (they compare its time), and
 * the sweep, every `PERMISSION_REQUEST_SWEEP_INTERVAL_MS` on one instance at a time (a PostgreSQL
 * advisory lock), deletes its still-pending Keycloak tickets (never a granted one) and then the
 * request, audited as `request-expired`. A request whose tickets could not be deleted stays, lapsed
 * and hidden, and is tried again by the next sweep; the import of Keycloak's tickets keeps its
 * time, so it never comes back as a new request. A request path meeting its own lapsed request
 * expires it first ({@link expireIfLapsed}), under the same row lock as the sweep, so that asking
 * again makes a new request rather than reviving the old one.
 */
@Injectable()
export class RequestExpiry implements OnApplicationBootstrap, BeforeApplicationShutdown {
  private readonly loop = new PollingLoop((error) =>
    this.warn('sweeping lapsed requests failed; trying again', error),
  );
  private lastWarned = 0;

  constructor(
    @Inject(REQUEST_CONDITIONS) private readonly conditions: RequestConditions,
    @InjectDataSource() private readonly dataSource: DataSource,
    private readonly pending: PendingRequestRepository,
    private readonly directory: GrantDirectory,
    private readonly keycloak: KeycloakGrants,
    private readonly parties: PartyDirectory,
    private readonly albums: AlbumDirectory,
    private readonly recentRequests: RecentRequestRepository,
    private readonly flows: PermissionFlows,
  ) {}

  onApplicationBootstrap(): void {
    // A sweep goes on while it finds lapsed requests (up to MAX_BATCHES): the next one waits.
    this.loop.start(async () => {
      await this.sweep();
      return false;
    }, this.conditions.sweepIntervalMs);
  }

  /** Stops once the running sweep is done: before the database pool it uses closes. */
  async beforeApplicationShutdown(): Promise<void> {
    await this.loop.stop();
  }

  /**
   * One sweep: expires lapsed requests, batch by batch, until none is left, one fails, or
   * {@link MAX_BATCHES} were done; `undefined` when another instance is sweeping.
   */
  async sweep(): Promise<{ expired: number; failed: number } | undefined> {
    let expired = 0;
    for (let batch = 0; batch < MAX_BATCHES; batch += 1) {
      const done = await this.sweepBatch();
      if (done === undefined) {
        return batch === 0 ? undefined : { expired, failed: 0 };
      }
      expired += done.expired.length;
      if (done.failed > 0 || done.locked < BATCH) {
        return { expired, failed: done.failed };
      }
    }
    return { expired, failed: 0 };
  }

  /**
   * Expires the party's request on the resource if it lapsed (waiting for a sweep that holds it);
   * whether it did. A failure to delete its tickets is thrown: the caller's request fails, as any
   * change Keycloak refuses, and the request stays lapsed.
   */
  async expireIfLapsed(resourceId: string, requesterId: string): Promise<boolean> {
    const expired = await this.dataSource.transaction(async (manager) => {
      const lapsed = await this.pending.lockLapsedOne(
        manager,
        this.conditions.ttlSeconds,
        resourceId,
        requesterId,
      );
      return lapsed === undefined ? undefined : this.expire(manager, lapsed);
    });
    if (expired === undefined) {
      return false;
    }
    await this.recordExpired([expired]);
    return true;
  }

  private async sweepBatch(): Promise<
    { expired: Expired[]; failed: number; locked: number } | undefined
  > {
    const done = await this.dataSource.transaction(async (manager) => {
      const [lock] = (await manager.query(
        'SELECT pg_try_advisory_xact_lock(hashtextextended($1, 0)) AS locked',
        [SWEEP_LOCK],
      )) as { locked: boolean }[];
      if (lock?.locked !== true) {
        return undefined;
      }
      const lapsed = await this.pending.lockLapsed(manager, this.conditions.ttlSeconds, BATCH);
      const expired: Expired[] = [];
      for (const request of lapsed) {
        try {
          expired.push(await this.expire(manager, request));
        } catch (error) {
          // Keycloak failed: the request stays lapsed, tried after the others next time; the rest
          // of this sweep would most likely fail alike.
          await this.pending.expiryFailed(manager, request);
          this.warn('deleting the tickets of a lapsed request failed; trying again later', error);
          return { expired, failed: 1, locked: lapsed.length };
        }
      }
      return { expired, failed: 0, locked: lapsed.length };
    });
    if (done !== undefined) {
      await this.recordExpired(done.expired);
    }
    return done;
  }

  /** Deletes the lapsed request's pending tickets, then the request, in `manager`'s transaction. */
  private async expire(manager: EntityManager, request: LapsedRequest): Promise<Expired> {
    const party = request.party ?? (await this.parties.partyById(request.requesterId));
    const entry = await this.directory.entry(request.resourceId, party);
    // Only what is still pending: a ticket granted meanwhile is a grant, not this request's.
    await this.keycloak.deleteTickets(entry?.pending ?? []);
    await this.pending.forgetLapsed(manager, request);
    return { resourceId: request.resourceId, party, scopes: request.scopes };
  }

  /** Audits expired requests, and forgets their repeated answers, once their rows are gone. */
  private async recordExpired(expired: readonly Expired[]): Promise<void> {
    if (expired.length === 0) {
      return;
    }
    const albums = await this.albums.byResourceIds(expired.map((request) => request.resourceId));
    for (const request of expired) {
      const album = albums.get(request.resourceId);
      // An album deleted meanwhile has no audit trail left to add to.
      if (album !== undefined) {
        await this.recentRequests.forget({
          albumId: album.albumId,
          requesterId: request.party.subject,
        });
        await this.flows.record('request-expired', {
          albumId: album.albumId,
          actor: EXPIRY_ACTOR,
          subject: request.party,
          scopes: request.scopes,
        });
      }
    }
    expiryLog.info({ event: 'requests.expired', count: expired.length }, 'pending requests lapsed');
  }

  private warn(message: string, error: unknown): void {
    if (Date.now() - this.lastWarned < WARN_EVERY_MS) {
      return;
    }
    this.lastWarned = Date.now();
    expiryLog.warn({ error: error instanceof Error ? error.message : String(error) }, message);
  }
}
