import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from 'prom-client';

/**
 * The process's Prometheus metrics, served at `/metrics` on the management port
 * ({@link ManagementServer}). One registry per process: a service is one process in production
 * (the end-to-end tests run several in one and see their sums).
 */
export const registry = new Registry();
collectDefaultMetrics({ register: registry, eventLoopMonitoringPrecision: 20 });

const SECONDS = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];

export const metrics = {
  httpRequestDuration: new Histogram({
    name: 'http_request_duration_seconds',
    help: 'HTTP requests by method, route pattern and status',
    labelNames: ['method', 'route', 'status'] as const,
    buckets: SECONDS,
    registers: [registry],
  }),
  accessDecisions: new Counter({
    name: 'photoz_access_decisions_total',
    help: '@Scopes access decisions: owner, rpt (allowed), challenge, rpt_revoked (an RPT listing a scope its holder no longer holds), not_shareable_yet, not_found',
    labelNames: ['outcome'] as const,
    registers: [registry],
  }),
  tokenRefusals: new Counter({
    name: 'photoz_token_refusals_total',
    help: 'Bearer tokens refused, by reason (missing, token expired, signature invalid, ...)',
    labelNames: ['reason'] as const,
    registers: [registry],
  }),
  keycloakRequests: new Counter({
    name: 'photoz_keycloak_requests_total',
    help: 'Calls to Keycloak by operation and status (unreachable: 0)',
    labelNames: ['operation', 'status'] as const,
    registers: [registry],
  }),
  keycloakDuration: new Histogram({
    name: 'photoz_keycloak_request_duration_seconds',
    help: 'Latency of calls to Keycloak by operation',
    labelNames: ['operation'] as const,
    buckets: SECONDS,
    registers: [registry],
  }),
  patRefreshes: new Counter({
    name: 'photoz_keycloak_pat_refreshes_total',
    help: 'Protection API tokens (PAT) obtained, by result',
    labelNames: ['result'] as const,
    registers: [registry],
  }),
  jwksRefreshes: new Counter({
    name: 'photoz_jwks_refreshes_total',
    help: "Reads of the realm's JWKS, by result",
    labelNames: ['result'] as const,
    registers: [registry],
  }),
  relayDeliveries: new Counter({
    name: 'photoz_uma_relay_deliveries_total',
    help: 'Outbox events handled by the relay, by operation and result (delivered, retried, parked)',
    labelNames: ['operation', 'result'] as const,
    registers: [registry],
  }),
  reconcileFindings: new Counter({
    name: 'photoz_uma_reconcile_findings_total',
    help: 'Differences reconciliation found, by kind (missing, drifted, orphaned)',
    labelNames: ['kind'] as const,
    registers: [registry],
  }),
  reconcileRuns: new Counter({
    name: 'photoz_uma_reconcile_runs_total',
    help: 'Reconciliation runs, by result',
    labelNames: ['result'] as const,
    registers: [registry],
  }),
  grantCleanups: new Counter({
    name: 'photoz_grant_cleanups_total',
    help: "Clean-ups of Keycloak's side of revocations, by result: recorded (a revocation in force whose Keycloak step failed), done, retried, parked",
    labelNames: ['result'] as const,
    registers: [registry],
  }),
  permissionFlows: new Counter({
    name: 'photoz_permission_flows_total',
    help: 'Owner-approval flows that succeeded: request, approve, deny, withdraw, share (a share set), redeem (an invitation link redeemed), revoke (a share removed or narrowed)',
    labelNames: ['action'] as const,
    registers: [registry],
  }),
  notifications: new Counter({
    name: 'photoz_notifications_total',
    help: 'Notifications written (committed with the change they tell of), by kind',
    labelNames: ['kind'] as const,
    registers: [registry],
  }),
  notificationEmails: new Counter({
    name: 'photoz_notification_emails_total',
    help: 'Attempts of the notification email relay, by result: sent, skipped (the person turned email off, or has no verified address), retried, parked',
    labelNames: ['result'] as const,
    registers: [registry],
  }),
  notificationStreams: new Gauge({
    name: 'photoz_notification_streams',
    help: 'Notification streams (GET /notifications/stream) open on this instance',
    registers: [registry],
  }),
  notificationStreamsRefused: new Counter({
    name: 'photoz_notification_streams_refused_total',
    help: 'Notification streams refused with 429, by bound: user or instance',
    labelNames: ['bound'] as const,
    registers: [registry],
  }),
};

/**
 * A gauge read when Prometheus scrapes (outbox backlog, pool use): `read` is called on every
 * scrape and its values are set before the answer is written.
 */
export function scrapedGauge<L extends string>(options: {
  name: string;
  help: string;
  labelNames: readonly L[];
  read: () => Promise<readonly { labels: Partial<Record<L, string>>; value: number }[]>;
}): Gauge<L> {
  const existing = registry.getSingleMetric(options.name);
  if (existing !== undefined) {
    registry.removeSingleMetric(options.name);
  }
  return new Gauge<L>({
    name: options.name,
    help: options.help,
    labelNames: options.labelNames,
    registers: [registry],
    async collect() {
      this.reset();
      for (const { labels, value } of await options.read().catch(() => [])) {
        this.set(labels, value);
      }
    },
  });
}
