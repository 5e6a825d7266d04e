/** The subset of an OpenAPI 3 schema object the fuzzer reads. */
export interface Schema {
  readonly $ref?: string;
  readonly type?: string;
  readonly format?: string;
  readonly enum?: readonly unknown[];
  readonly properties?: Readonly<Record<string, Schema>>;
  readonly required?: readonly string[];
  readonly items?: Schema;
  readonly minLength?: number;
  readonly maxLength?: number;
  readonly minimum?: number;
  readonly maximum?: number;
}

interface Operation {
  readonly parameters?: readonly { name: string; in: string; schema?: Schema }[];
  readonly requestBody?: { content?: Readonly<Record<string, { schema?: Schema }>> };
}

interface OpenApiDocument {
  readonly paths: Readonly<Record<string, Readonly<Record<string, Operation>>>>;
  readonly components?: { schemas?: Readonly<Record<string, Schema>> };
}

/** One documented operation of a running service, as the fuzzer needs it. */
export interface FuzzRoute {
  readonly service: string;
  readonly base: string;
  readonly method: string;
  /** The OpenAPI path template, e.g. `/albums/{id}/photos/{photoId}`. */
  readonly template: string;
  readonly pathParams: readonly string[];
  readonly queryParams: readonly { name: string; schema: Schema }[];
  /** The JSON body schema, with `$ref`s resolved, when the operation takes JSON. */
  readonly jsonBody: Schema | undefined;
  readonly multipart: boolean;
}

const METHODS = new Set(['get', 'put', 'post', 'delete', 'patch', 'head', 'options']);

function resolve(document: OpenApiDocument, schema: Schema | undefined, depth = 0): Schema {
  if (schema === undefined || depth > 8) {
    return {};
  }
  if (schema.$ref !== undefined) {
    const name = schema.$ref.replace('#/components/schemas/', '');
    return resolve(document, document.components?.schemas?.[name], depth + 1);
  }
  return {
    ...schema,
    ...(schema.properties === undefined
      ? {}
      : {
          properties: Object.fromEntries(
            Object.entries(schema.properties).map(([key, value]) => [
              key,
              resolve(document, value, depth + 1),
            ]),
          ),
        }),
    ...(schema.items === undefined ? {} : { items: resolve(document, schema.items, depth + 1) }),
  };
}

/**
 * Every operation in a running service's OpenAPI document (`GET /docs-json`). Path parameters come
 * from the template itself: some routes (those answering from the resolved resource) do not
 * declare theirs.
 */
export async function documentedRoutes(service: string, base: string): Promise<FuzzRoute[]> {
  const response = await fetch(`${base}/docs-json`);
  if (!response.ok) {
    throw new Error(`${service}: GET /docs-json answered ${response.status}`);
  }
  const document = (await response.json()) as OpenApiDocument;
  const routes: FuzzRoute[] = [];
  for (const [template, operations] of Object.entries(document.paths)) {
    for (const [method, operation] of Object.entries(operations)) {
      if (!METHODS.has(method)) {
        continue;
      }
      const content = operation.requestBody?.content ?? {};
      const json = Object.entries(content).find(([type]) => type.includes('json'));
      routes.push({
        service,
        base,
        method: method.toUpperCase(),
        template,
        pathParams: [...template.matchAll(/\{([^}]+)\}/g)].map((match) => match[1] ?? ''),
        queryParams: (operation.parameters ?? [])
          .filter((parameter) => parameter.in === 'query')
          .map((parameter) => ({
            name: parameter.name,
            schema: resolve(document, parameter.schema),
          })),
        jsonBody: json === undefined ? undefined : resolve(document, json[1].schema),
        multipart: Object.keys(content).some((type) => type.startsWith('multipart/')),
      });
    }
  }
  return routes;
}

export function routeName(route: FuzzRoute): string {
  return `${route.service} ${route.method} ${route.template}`;
}
