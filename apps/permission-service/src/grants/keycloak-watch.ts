import {
  type BeforeApplicationShutdown,
  Inject,
  Injectable,
  type OnApplicationBootstrap,
} from '@nestjs/common';
import {
  type AdminEvent,
  AdminEventsClient,
  AuthorizationAdminClient,
  KEYCLOAK_OPTIONS,
  KeycloakError,
  type KeycloakOptions,
} from '@app/keycloak';
import { log } from '@app/observability';
import { PendingRequestImport } from '../permission-requests/pending-request.import.ts';
import { GrantReconciler } from './grant-reconciler.ts';
import {
  changeOf,
  type KeycloakChange,
  NARROWING_OPERATIONS,
  NARROWING_RESOURCE_TYPES,
} from './keycloak-change.ts';
import { type EventCursor, KeycloakWatchRepository } from './keycloak-watch.repository.ts';

export const KEYCLOAK_WATCH_OPTIONS = Symbol('KEYCLOAK_WATCH_OPTIONS');

export interface KeycloakWatchOptions {
  /** How often the admin events are read: the bound on honouring a narrowing made there. */
  readonly intervalMs: number;
  /** How often every shared resource is reconciled: the bound for narrowings no event announces. */
  readonly reconcileIntervalMs: number;
  /**
   * How often Keycloak's pending tickets are imported into the pending requests the lists read:
   * the bound on listing a request made at Keycloak directly, or dropping one answered there.
   */
  readonly requestImportIntervalMs: number;
}

/** Admin events read per request. */
const PAGE = 100;
/** How often an instance checks whether a full reconciliation is due, unless woken. */
const FULL_CHECK_MS = 30_000;
const WARN_EVERY_MS = 30_000;

const watchLog = log.child({ component: 'keycloak-watch' });

/** The cursor after `events` (read from `cursor.time` on, oldest first). */
export function advance(cursor: EventCursor, events: readonly AdminEvent[]): EventCursor {
  const last = events.reduce((time, event) => Math.max(time, event.time), cursor.time);
  const at = events.filter((event) => event.time === last).map((event) => event.id);
  return { time: last, ids: [...new Set([...(last === cursor.time ? cursor.ids : []), ...at])] };
}

/**
 * Honours narrowings made in Keycloak itself. Every `intervalMs` one instance (whichever holds the
 * cursor's row lock) reads the realm's admin events since the last read, the admin console's and
 * the protection API's changes of resources, permissions, policies, users and clients, and
 * reconciles just the resources and users they name (GrantReconciler). The cost of a read follows
 * the changes since the last one, not the number of grants. Every `reconcileIntervalMs`, and at
 * once after a change no single resource names, one instance reconciles every shared resource:
 * the backstop for what no event announces (a ticket deleted through the protection API by
 * another holder of the resource server's secret, events lost or expired). Every
 * `requestImportIntervalMs` one instance imports Keycloak's pending tickets into the pending
 * requests the lists read (`PendingRequestImport`).
 */
@Injectable()
export class KeycloakWatch implements OnApplicationBootstrap, BeforeApplicationShutdown {
  private running = false;
  private loops: Promise<void>[] = [];
  private readonly wakes = new Set<() => void>();
  private wakeFull: (() => void) | undefined;
  private lastWarned = 0;

  constructor(
    @Inject(KEYCLOAK_WATCH_OPTIONS) private readonly options: KeycloakWatchOptions,
    @Inject(KEYCLOAK_OPTIONS) private readonly keycloak: KeycloakOptions,
    private readonly events: AdminEventsClient,
    private readonly admin: AuthorizationAdminClient,
    private readonly watch: KeycloakWatchRepository,
    private readonly reconciler: GrantReconciler,
    private readonly requests: PendingRequestImport,
  ) {}

  onApplicationBootstrap(): void {
    this.running = true;
    this.loops = [
      this.every(
        () => this.options.intervalMs,
        () => this.readEvents(),
      ),
      this.every(
        () => FULL_CHECK_MS,
        () => this.reconcileAllIfDue(),
        (wake) => (this.wakeFull = wake),
      ),
      this.every(
        () => this.options.requestImportIntervalMs,
        () => this.importRequestsIfDue(),
      ),
    ];
  }

  /** Stops once the running read or pass is done: before the database pool it uses closes. */
  async beforeApplicationShutdown(): Promise<void> {
    this.running = false;
    this.wakes.forEach((wake) => wake());
    await Promise.all(this.loops);
  }

  /**
   * Reads the admin events since the last read and reconciles what they name; `false` when another
   * instance is reading them.
   */
  async readEvents(): Promise<boolean> {
    return this.watch.withEventCursor(async (cursor) => {
      let position = cursor;
      for (;;) {
        const page = await this.events.since({
          from: position.time,
          resourceTypes: NARROWING_RESOURCE_TYPES,
          operationTypes: NARROWING_OPERATIONS,
          max: PAGE,
        });
        const fresh = page.filter((event) => !position.ids.includes(event.id));
        if (fresh.length > 0) {
          await this.apply(changeOf(fresh, this.keycloak.clientUuid ?? ''));
        }
        position = advance(position, page);
        if (page.length < PAGE) {
          return position;
        }
        if (fresh.length === 0) {
          // A whole page in one millisecond, all read already: the rest of it is left to the
          // full reconciliation.
          await this.requestFullReconcile();
          return { time: position.time + 1, ids: [] };
        }
      }
    });
  }

  /** Runs a full reconciliation when one is due and no other instance has claimed it. */
  async reconcileAllIfDue(): Promise<void> {
    if (!(await this.watch.claimFullReconcile(this.options.reconcileIntervalMs))) {
      return;
    }
    const started = Date.now();
    const { resources, failed } = await this.reconciler.reconcileAll();
    watchLog.info(
      { event: 'grants.reconciled', resources, failed, durationMs: Date.now() - started },
      'every shared resource reconciled with Keycloak',
    );
  }

  /** Imports Keycloak's pending tickets when an import is due and no other instance claimed it. */
  async importRequestsIfDue(): Promise<void> {
    if (!(await this.watch.claimRequestImport(this.options.requestImportIntervalMs))) {
      return;
    }
    const started = Date.now();
    const imported = await this.requests.importAll();
    if (imported.written > 0 || imported.deleted > 0) {
      watchLog.info(
        { event: 'requests.imported', ...imported, durationMs: Date.now() - started },
        "Keycloak's pending tickets imported",
      );
    }
  }

  private async apply(change: KeycloakChange): Promise<void> {
    if (change.everything) {
      // A partner's client policy may be gone: read them again.
      this.admin.forgetPartnerPolicies();
      await this.requestFullReconcile();
    }
    const work = [
      ...[...change.resources].map((id) => () => this.reconciler.reconcileResource(id)),
      ...[...change.subjects].map((id) => () => this.reconciler.reconcileSubject(id)),
    ];
    for (const reconcile of work) {
      try {
        await reconcile();
      } catch (error) {
        // One resource that fails must not hold back the events after it: the next full
        // reconciliation, due at once, covers it.
        this.warn('reconciling after an admin event failed', error);
        await this.requestFullReconcile();
      }
    }
  }

  private async requestFullReconcile(): Promise<void> {
    await this.watch.requestFullReconcile();
    this.wakeFull?.();
  }

  /** Runs `work` now and then every `intervalMs()` until shutdown; a failure is logged. */
  private async every(
    intervalMs: () => number,
    work: () => Promise<unknown>,
    onWake: (wake: () => void) => void = () => undefined,
  ): Promise<void> {
    while (this.running) {
      try {
        await work();
      } catch (error) {
        this.warn('watching Keycloak for revocations failed; trying again', error);
      }
      if (!this.running) {
        return;
      }
      await new Promise<void>((resolve) => {
        const wake = () => {
          clearTimeout(timer);
          this.wakes.delete(wake);
          resolve();
        };
        const timer = setTimeout(wake, intervalMs());
        this.wakes.add(wake);
        onWake(wake);
      });
    }
  }

  private warn(message: string, error: unknown): void {
    if (Date.now() - this.lastWarned < WARN_EVERY_MS) {
      return;
    }
    this.lastWarned = Date.now();
    if (error instanceof KeycloakError && error.status === 403) {
      watchLog.error(
        { error: error.message },
        "album-api's service account may not read the realm's admin events (realm-management " +
          'view-events): narrowings made in the admin console wait for the full reconciliation',
      );
      return;
    }
    watchLog.warn({ error: error instanceof Error ? error.message : String(error) }, message);
  }
}
