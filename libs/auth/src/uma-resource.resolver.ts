import { Injectable } from '@nestjs/common';

/** What the UMA guard needs to know about a protected entity. */
export interface ProtectedResource<T = unknown> {
  readonly ownerId: string;
  /** Its Keycloak resource id; `undefined` until it is registered. */
  readonly resourceId: string | undefined;
  /** The entity as the resolver loaded it, for the handler to use without loading it again. */
  readonly entity: T;
  /**
   * When the caller's access to the resource was last revoked (`uma_access.rpt_revocations`), read
   * in the same query as the entity (`selectRevokedAt`); `undefined` when never.
   */
  readonly revokedAt: Date | undefined;
}

/** Finds the protected entity a route parameter names. */
export interface UmaResourceResolver {
  /** Whether `id` is well-formed; a malformed id is a 400, not a 404. */
  isValidId(id: string): boolean;
  /** The entity and, for `subject`, when its access was last revoked. */
  resolve(id: string, subject: string): Promise<ProtectedResource | undefined>;
}

/** Resolvers by resource kind (e.g. `album`), registered by the modules that own the entities. */
@Injectable()
export class UmaResourceResolvers {
  private readonly resolvers = new Map<string, UmaResourceResolver>();

  register(kind: string, resolver: UmaResourceResolver): void {
    this.resolvers.set(kind, resolver);
  }

  get(kind: string): UmaResourceResolver {
    const resolver = this.resolvers.get(kind);
    if (resolver === undefined) {
      throw new Error(`No UMA resource resolver registered for ${kind}`);
    }
    return resolver;
  }
}
