import type { Principal } from './principal.ts';

interface Entry {
  readonly principal: Principal;
  /** Until when the entry may answer: the token's `exp`, in ms. */
  readonly expiresAtMs: number;
  /** The key that verified the token. */
  readonly kid: string;
}

/**
 * Tokens whose signature and claims were verified, with the principal they gave, so that a client
 * sending the same token again is not verified again (a signature check is most of what a guarded
 * request costs). It remembers an identity, never an access decision: what an RPT still grants is
 * read on every request (`CurrentGrantRepository`), so a revocation is not delayed by it.
 *
 * Bounded in time and size: an entry answers only until its token's `exp` (the full verification
 * then decides, with its clock tolerance), only while the realm still publishes the key that
 * verified it (a key removed from the realm stops every token it signed at once), and at most
 * `maxEntries` are kept (the oldest go first). Only verified tokens are ever stored, so a client
 * cannot fill it with garbage; keys are the tokens themselves, which the service holds anyway.
 */
export class VerifiedTokenCache {
  readonly #entries = new Map<string, Entry>();

  constructor(
    private readonly maxEntries: number,
    private readonly now: () => number = Date.now,
  ) {}

  /** The principal of `token` if it was verified, has not expired and its key is still trusted. */
  get(token: string, keyIsTrusted: (kid: string) => boolean): Principal | undefined {
    const entry = this.#entries.get(token);
    if (entry === undefined) {
      return undefined;
    }
    if (this.now() >= entry.expiresAtMs || !keyIsTrusted(entry.kid)) {
      this.#entries.delete(token);
      return undefined;
    }
    return entry.principal;
  }

  /** Remembers a token that was just verified with the key `kid`. */
  set(token: string, principal: Principal, kid: string): void {
    if (this.maxEntries === 0) {
      return;
    }
    const expiresAtMs = principal.expiresAt * 1000;
    if (this.now() >= expiresAtMs) {
      return;
    }
    this.#entries.delete(token);
    while (this.#entries.size >= this.maxEntries) {
      const oldest = this.#entries.keys().next();
      if (oldest.done === true) {
        break;
      }
      this.#entries.delete(oldest.value);
    }
    this.#entries.set(token, { principal, expiresAtMs, kid });
  }

  get size(): number {
    return this.#entries.size;
  }
}
