import type { INestApplication, Type } from '@nestjs/common';
import { ModulesContainer, Reflector } from '@nestjs/core';
import { DocumentBuilder, getSchemaPath, type OpenAPIObject, SwaggerModule } from '@nestjs/swagger';
import { IS_PUBLIC_KEY } from '../http/public.decorator.ts';
import {
  BEARER_CHALLENGE,
  DEFAULT_PROBLEMS,
  JSON_BODY_PROBLEMS,
  type ProblemSpec,
  problemSpecsOf,
  RATE_LIMITED,
} from './api-problems.ts';
import {
  FieldErrorDto,
  ProblemDetailsDto,
  RateLimitedProblemDto,
  UmaTicketProblemDto,
} from './problem-details.dto.ts';
import { problemType, statusTitle } from './problem-details.ts';

/** The content type of every error body. */
export const PROBLEM_CONTENT_TYPE = 'application/problem+json';

/** The name of the bearer-token security scheme in both documents. */
export const BEARER_SCHEME = 'bearer';

export interface OpenApiInfo {
  readonly title: string;
  readonly description: string;
}

interface RouteDoc {
  readonly isPublic: boolean;
  readonly problems: readonly ProblemSpec[];
}

type Operation = OpenAPIObject['paths'][string]['get'] & object;
type Responses = Operation['responses'];

const METHODS = ['get', 'put', 'post', 'delete', 'patch', 'head', 'options'] as const;

const operationId = (controller: string, method: string) => `${controller}_${method}`;

/** Every route handler of the application, by operation id, with what the document needs. */
function routeDocs(app: INestApplication): Map<string, RouteDoc> {
  const reflector = new Reflector();
  const routes = new Map<string, RouteDoc>();
  for (const module of app.get(ModulesContainer, { strict: false }).values()) {
    for (const wrapper of module.controllers.values()) {
      const controller = wrapper.metatype as Type<unknown> | null;
      if (typeof controller !== 'function') {
        continue;
      }
      const prototype = controller.prototype as object;
      for (const key of Object.getOwnPropertyNames(prototype)) {
        const handler = Object.getOwnPropertyDescriptor(prototype, key)?.value as unknown;
        if (key === 'constructor' || typeof handler !== 'function') {
          continue;
        }
        routes.set(operationId(controller.name, key), {
          isPublic:
            reflector.getAllAndOverride<boolean | undefined>(IS_PUBLIC_KEY, [
              handler,
              controller,
            ]) === true,
          problems: problemSpecsOf(controller, handler),
        });
      }
    }
  }
  return routes;
}

function unique<T>(values: readonly T[]): T[] {
  return [...new Set(values)];
}

/** One `application/problem+json` response from every spec of a status. */
function problemResponse(specs: readonly ProblemSpec[]): Responses[string] {
  const status = specs[0]?.status ?? 500;
  const codeList = (spec: ProblemSpec) =>
    spec.codes.map((code) => `\`${code ?? 'about:blank'}\``).join(', ');
  const lines = unique(specs.map((spec) => `- ${codeList(spec)}: ${spec.description}`));
  const headers = new Map<string, string[]>();
  for (const spec of specs) {
    for (const [name, description] of Object.entries(spec.headers ?? {})) {
      headers.set(name, unique([...(headers.get(name) ?? []), description]));
    }
  }
  const bodies = unique(specs.flatMap((spec) => (spec.body === undefined ? [] : [spec.body])));
  const problemRef = { $ref: getSchemaPath(ProblemDetailsDto) };
  const schema =
    bodies.length === 0
      ? problemRef
      : { anyOf: [...bodies.map((body) => ({ $ref: getSchemaPath(body) })), problemRef] };
  return {
    description: `${statusTitle(status)}, problem \`type\` by cause:\n${lines.join('\n')}`,
    ...(headers.size === 0
      ? {}
      : {
          headers: Object.fromEntries(
            [...headers].map(([name, descriptions]) => [
              name,
              { description: descriptions.join('; or '), schema: { type: 'string' } },
            ]),
          ),
        }),
    content: { [PROBLEM_CONTENT_TYPE]: { schema } },
    'x-problem-types': unique(
      specs.flatMap((spec) => spec.codes.map((code) => problemType(code ?? undefined))),
    ),
  } as Responses[string];
}

/** Adds the problems, the security requirement and the undeclared path parameters of a route. */
function completeOperation(template: string, operation: Operation, route: RouteDoc): void {
  const specs: ProblemSpec[] = [];
  if (!route.isPublic) {
    operation.security = [{ [BEARER_SCHEME]: [] }];
    specs.push(BEARER_CHALLENGE);
    specs.push(RATE_LIMITED);
  }
  const pathParams = [...template.matchAll(/\{([^}]+)\}/g)].map((match) => match[1] ?? '');
  if (pathParams.length > 0) {
    specs.push(DEFAULT_PROBLEMS[414] as ProblemSpec);
  }
  const declared = new Set(
    (operation.parameters ?? []).flatMap((parameter) =>
      'in' in parameter && parameter.in === 'path' ? [parameter.name] : [],
    ),
  );
  const missing = pathParams.filter((name) => !declared.has(name));
  if (missing.length > 0) {
    operation.parameters = [
      ...missing.map((name) => ({
        name,
        in: 'path' as const,
        required: true,
        schema: { type: 'string' as const },
      })),
      ...(operation.parameters ?? []),
    ];
  }
  const body = operation.requestBody;
  if (body !== undefined && 'content' in body && 'application/json' in body.content) {
    specs.push(...JSON_BODY_PROBLEMS);
  }
  specs.push(...route.problems);
  const byStatus = new Map<number, ProblemSpec[]>();
  for (const spec of specs) {
    byStatus.set(spec.status, [...(byStatus.get(spec.status) ?? []), spec]);
  }
  const responses: Responses = { ...operation.responses };
  for (const [status, group] of [...byStatus].sort(([a], [b]) => a - b)) {
    if (responses[String(status)] !== undefined) {
      throw new Error(
        `${operation.operationId}: ${status} is declared with @ApiResponse; declare problems with @ApiProblems`,
      );
    }
    responses[String(status)] = problemResponse(group);
  }
  operation.responses = responses;
}

/**
 * The OpenAPI document of a Nest application: what the routes' decorators say, and every problem
 * each route can answer (`@ApiProblems`, plus the bearer challenge and the rate limit's `429` on
 * every route that is not `@Public()`, the body problems of JSON routes and `414` where the path has parameters). It reads
 * only the routes' metadata, so an application created with `preview: true` (no database, no
 * Keycloak) gives the same document as a running one.
 */
export function createOpenApiDocument(app: INestApplication, info: OpenApiInfo): OpenAPIObject {
  const routes = routeDocs(app);
  const bodies = unique(
    [...routes.values()].flatMap((route) =>
      route.problems.flatMap((spec) => (spec.body === undefined ? [] : [spec.body])),
    ),
  );
  const document = SwaggerModule.createDocument(
    app,
    new DocumentBuilder()
      .setTitle(info.title)
      .setDescription(info.description)
      .setVersion('1.0')
      .addBearerAuth(
        {
          type: 'http',
          scheme: 'bearer',
          bearerFormat: 'JWT',
          description:
            'A Keycloak access token with `album-api` in `aud`; on `@Scopes` routes also an RPT',
        },
        BEARER_SCHEME,
      )
      .build(),
    {
      operationIdFactory: operationId,
      extraModels: unique([
        ProblemDetailsDto,
        FieldErrorDto,
        UmaTicketProblemDto,
        RateLimitedProblemDto,
        ...bodies,
      ]),
    },
  );
  for (const [template, item] of Object.entries(document.paths)) {
    for (const method of METHODS) {
      const operation = item[method];
      if (operation === undefined) {
        continue;
      }
      const route = routes.get(operation.operationId ?? '');
      if (route === undefined) {
        throw new Error(`${method.toUpperCase()} ${template}: no handler for its operation id`);
      }
      completeOperation(template, operation, route);
    }
  }
  return document;
}
