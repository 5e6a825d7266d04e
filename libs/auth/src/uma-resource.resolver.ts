import { Injectable } from '@nestjs/common';
import type { CurrentGrant } from '@app/grant-record';

/** What the UMA guard needs to know about a protected entity. */
export interface ProtectedResource<T = unknown> {
  readonly ownerId: string;
  /** Its Keycloak resource id; `undefined` until it is registered. */
  readonly resourceId: string | undefined;
  /** The entity as the resolver loaded it, for the handler to use without loading it again. */
  readonly entity: T;
  /**
   * What the caller holds on the resource now, read in the same query as the entity
   * (`loadWithCurrentGrant`, the only way to get one).
   */
  readonly grant: CurrentGrant;
}

/** Finds the protected entity a route parameter names. */
export interface UmaResourceResolver {
  /** Whether `id` is well-formed; a malformed id is a 400, not a 404. */
  isValidId(id: string): boolean;
  /**
   * The entity and what `rptHolder` holds on it now. `undefined`: the caller's token is not an
   * RPT, so only ownership decides, and no grant is read (the grant covers nothing).
   */
  resolve(id: string, rptHolder: string | undefined): Promise<ProtectedResource | undefined>;
  /**
   * Keycloak no longer knows the entity's resource (deleted behind the service's back): register
   * it again. Called on the challenge path, so it must be cheap and safe to call often.
   */
  resourceMissing(id: string): Promise<void>;
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

  has(kind: string): boolean {
    return this.resolvers.has(kind);
  }
}
