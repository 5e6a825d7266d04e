import { type Clock, isExpired } from './clock.ts';
import { expiresAtMs, jwtPayload, rptPermissions, type TokenPermission } from './jwt.ts';

/** An RPT the client holds, with what it lists. */
export interface HeldRpt {
  readonly token: string;
  readonly expiresAt: number | undefined;
  /** resource id → the scopes the RPT lists for it */
  readonly permissions: ReadonlyMap<string, readonly string[]>;
}

/** How many challenged URLs the store remembers; the least recently used are forgotten first. */
export const DEFAULT_MAX_URLS = 1000;

/**
 * The RPTs a client holds: one per resource (upgrades make one RPT hold several), the resource
 * each challenged URL (origin and path) belongs to, and the newest RPT, to upgrade. An expired RPT
 * is dropped when it is looked up or when a new one arrives; an RPT is never handed out for a URL
 * that no challenge tied to one of its resources.
 */
export class RptStore {
  readonly #clock: Clock;
  readonly #maxUrls: number;
  /** origin + path of a URL that was challenged → the resource the challenge named */
  readonly #resourceByUrl = new Map<string, string>();
  /** resource id → the RPT that holds it */
  readonly #rptByResource = new Map<string, HeldRpt>();
  #latest: HeldRpt | undefined;

  constructor(clock: Clock, maxUrls = DEFAULT_MAX_URLS) {
    this.#clock = clock;
    this.#maxUrls = maxUrls;
  }

  /** The unexpired RPT held for the resource the URL belongs to, if any. */
  forUrl(url: URL): HeldRpt | undefined {
    const key = urlKey(url);
    const resourceId = this.#resourceByUrl.get(key);
    if (resourceId === undefined) {
      return undefined;
    }
    this.#touch(key, resourceId);
    return this.#unexpired(resourceId);
  }

  /** Ties the URL to the resource a challenge for it named. */
  remember(url: URL, resourceId: string): void {
    this.#touch(urlKey(url), resourceId);
    for (const oldest of this.#resourceByUrl.keys()) {
      if (this.#resourceByUrl.size <= this.#maxUrls) {
        break;
      }
      this.#resourceByUrl.delete(oldest);
    }
  }

  /** An unexpired RPT that lists the resource with every wanted scope. */
  covering(wanted: TokenPermission): HeldRpt | undefined {
    const rpt = this.#unexpired(wanted.rsid);
    const scopes = rpt?.permissions.get(wanted.rsid) ?? [];
    return wanted.scopes.every((scope) => scopes.includes(scope)) ? rpt : undefined;
  }

  /** The newest RPT, unless it expired: the one a new exchange should upgrade. */
  latest(): HeldRpt | undefined {
    const rpt = this.#latest;
    return rpt === undefined || isExpired(this.#clock, rpt.expiresAt) ? undefined : rpt;
  }

  /**
   * Holds a new RPT for every resource it lists (in place of the RPTs held for them) and drops the
   * expired ones. Returns it with the resources no RPT held before.
   */
  hold(token: string): { rpt: HeldRpt; newResources: string[] } {
    const payload = jwtPayload(token);
    const permissions = new Map<string, readonly string[]>();
    for (const permission of rptPermissions(payload)) {
      permissions.set(permission.rsid, [
        ...(permissions.get(permission.rsid) ?? []),
        ...permission.scopes,
      ]);
    }
    const rpt: HeldRpt = { token, expiresAt: expiresAtMs(payload), permissions };
    for (const held of new Set(this.#rptByResource.values())) {
      if (isExpired(this.#clock, held.expiresAt)) {
        this.drop(held);
      }
    }
    const newResources = [...permissions.keys()].filter((id) => !this.#rptByResource.has(id));
    for (const resourceId of permissions.keys()) {
      this.#rptByResource.set(resourceId, rpt);
    }
    this.#latest = rpt;
    return { rpt, newResources };
  }

  /** Forgets an RPT (expired, or refused) for every resource it held. */
  drop(rpt: HeldRpt): void {
    for (const [resourceId, held] of this.#rptByResource) {
      if (held === rpt) {
        this.#rptByResource.delete(resourceId);
      }
    }
    if (this.#latest === rpt) {
      this.#latest = undefined;
    }
  }

  /** The resources an unexpired RPT is held for, with their scopes. */
  permissions(): Map<string, readonly string[]> {
    const held = new Map<string, readonly string[]>();
    for (const [resourceId, rpt] of this.#rptByResource) {
      if (!isExpired(this.#clock, rpt.expiresAt)) {
        held.set(resourceId, rpt.permissions.get(resourceId) ?? []);
      }
    }
    return held;
  }

  /** The unexpired RPT held for a resource. */
  tokenFor(resourceId: string): string | undefined {
    const rpt = this.#rptByResource.get(resourceId);
    return rpt === undefined || isExpired(this.#clock, rpt.expiresAt) ? undefined : rpt.token;
  }

  /** How many challenged URLs are remembered. */
  get urlCount(): number {
    return this.#resourceByUrl.size;
  }

  clear(): void {
    this.#resourceByUrl.clear();
    this.#rptByResource.clear();
    this.#latest = undefined;
  }

  /** The RPT held for the resource; an expired one is dropped. */
  #unexpired(resourceId: string): HeldRpt | undefined {
    const rpt = this.#rptByResource.get(resourceId);
    if (rpt !== undefined && isExpired(this.#clock, rpt.expiresAt)) {
      this.drop(rpt);
      return undefined;
    }
    return rpt;
  }

  /** Sets the URL's entry as the most recently used. */
  #touch(key: string, resourceId: string): void {
    this.#resourceByUrl.delete(key);
    this.#resourceByUrl.set(key, resourceId);
  }
}

function urlKey(url: URL): string {
  return `${url.origin}${url.pathname}`;
}
