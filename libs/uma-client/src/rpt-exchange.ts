import { AuthorizationServerError } from './authorization-server-error.ts';
import type { Configuration } from './configuration.ts';
import type { HeldRpt, RptStore } from './rpt-store.ts';
import type { RequestingParty } from './token-endpoint.ts';
import { refusedBearerToken, umaTicketGrant } from './uma-grant.ts';

export type ExchangeOutcome =
  | { readonly kind: 'rpt'; readonly rpt: HeldRpt; readonly newResources: readonly string[] }
  | { readonly kind: 'access-requested' }
  | { readonly kind: 'no-access' };

export interface RptExchangeOptions {
  readonly configuration: () => Promise<Configuration>;
  readonly rpts: RptStore;
  /** The party to ask as; `renew`: the bearer token it presented last was refused. */
  readonly party: (renew: boolean) => Promise<RequestingParty>;
  /** Whether a refused bearer token is asked for once more (a person's, renewed by their app). */
  readonly renewsBearer: boolean;
}

/**
 * Trades tickets for RPTs and keeps them in the store. Exchanges run one at a time, each upgrading
 * the newest RPT (Keycloak's `rpt`), so concurrent challenges end in one RPT that holds them all. A
 * person's refused access token is renewed once; an RPT the server refuses to upgrade is dropped
 * and the ticket traded alone.
 */
export class RptExchange {
  readonly #options: RptExchangeOptions;
  #queue: Promise<unknown> = Promise.resolve();

  constructor(options: RptExchangeOptions) {
    this.#options = options;
  }

  exchange(ticket: string, requestAccess: boolean): Promise<ExchangeOutcome> {
    const task = (): Promise<ExchangeOutcome> => this.#exchange(ticket, requestAccess);
    const run = this.#queue.then(task, task);
    this.#queue = run.catch(() => undefined);
    return run;
  }

  async #exchange(ticket: string, requestAccess: boolean): Promise<ExchangeOutcome> {
    const { rpts, party, renewsBearer } = this.#options;
    const configuration = await this.#options.configuration();
    let upgrade = rpts.latest();
    let renewed = false;
    for (;;) {
      const asking = await party(renewed);
      try {
        const outcome = await umaTicketGrant(configuration, asking, {
          ticket,
          submitRequest: requestAccess,
          ...(upgrade === undefined ? {} : { rpt: upgrade.token }),
        });
        return outcome.kind === 'rpt' ? { kind: 'rpt', ...rpts.hold(outcome.rpt) } : outcome;
      } catch (error) {
        if (!(error instanceof AuthorizationServerError)) {
          throw error;
        }
        if (renewsBearer && !renewed && refusedBearerToken(error)) {
          renewed = true;
          continue;
        }
        if (error.status === 400 && upgrade !== undefined) {
          // The server refused the RPT to upgrade (e.g. expired): ask for a new one.
          rpts.drop(upgrade);
          upgrade = undefined;
          continue;
        }
        throw error;
      }
    }
  }
}
