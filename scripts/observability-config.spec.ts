import { readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parser } from '@prometheus-io/lezer-promql';
import { describe, expect, it } from 'vitest';
import { parse as parseYaml } from 'yaml';
import { registry } from '@app/observability';

/**
 * The compose stack's Prometheus and Grafana configuration (docker/prometheus, docker/grafana)
 * against what the services export: a renamed metric or label fails here, not as an empty panel
 * or an alert that can never fire.
 */
const ROOT = resolve(fileURLToPath(new URL('.', import.meta.url)), '..');

function text(path: string): string {
  return readFileSync(join(ROOT, path), 'utf8');
}

function yaml<T>(path: string): T {
  return parseYaml(text(path), { merge: true }) as T;
}

/**
 * Gauges the services register with `scrapedGauge` when they boot, so the registry does not hold
 * them before: the database pool (`@app/platform`), the UMA outbox (`@app/uma-resources`) and the
 * permission service's clean-ups of revocations and notification email outbox.
 */
const GAUGES_REGISTERED_AT_BOOT: Record<string, readonly string[]> = {
  photoz_db_pool_connections: ['state'],
  photoz_grant_cleanups: ['status'],
  photoz_grant_cleanup_oldest_age_seconds: [],
  photoz_notification_email_outbox: ['status'],
  photoz_notification_email_oldest_age_seconds: [],
  photoz_uma_outbox_events: ['status'],
  photoz_uma_outbox_oldest_age_seconds: [],
};

/** Labels Prometheus adds to every series it scrapes, and the series it writes itself. */
const TARGET_LABELS = ['job', 'instance'];
const PROMETHEUS_SERIES: Record<string, readonly string[]> = { up: [] };

/** Every series name the services expose, with its labels (a histogram's as Prometheus sees them). */
async function exportedSeries(): Promise<Map<string, readonly string[]>> {
  const series = new Map<string, readonly string[]>();
  for (const { name, type } of await registry.getMetricsAsJSON()) {
    const labels = (registry.getSingleMetric(name) as { labelNames?: string[] } | undefined)
      ?.labelNames;
    if (String(type) === 'histogram') {
      series.set(`${name}_bucket`, [...(labels ?? []), 'le']);
      series.set(`${name}_sum`, labels ?? []);
      series.set(`${name}_count`, labels ?? []);
    } else {
      series.set(name, labels ?? []);
    }
  }
  for (const [name, labels] of Object.entries({
    ...GAUGES_REGISTERED_AT_BOOT,
    ...PROMETHEUS_SERIES,
  })) {
    series.set(name, labels);
  }
  return series;
}

/** What a PromQL expression refers to; Grafana's variables stand in as values Prometheus takes. */
function analyse(expression: string): {
  errors: string[];
  metrics: string[];
  labels: string[];
} {
  const query = expression.replaceAll(/\$__\w+/g, '5m').replaceAll(/\$\w+/g, '.*');
  const errors: string[] = [];
  const metrics: string[] = [];
  const labels: string[] = [];
  parser.parse(query).iterate({
    enter(node) {
      const value = query.slice(node.from, node.to);
      if (node.type.isError) {
        errors.push(`${expression}: syntax error at ${node.from}`);
      } else if (node.name === 'Identifier' && node.node.parent?.name === 'VectorSelector') {
        metrics.push(value);
      } else if (node.name === 'LabelName') {
        labels.push(value);
      }
    },
  });
  return { errors, metrics, labels };
}

interface GrafanaPanel {
  readonly type: string;
  readonly title: string;
  readonly datasource?: { readonly uid?: string };
  readonly targets?: { readonly expr?: string; readonly datasource?: { readonly uid?: string } }[];
}

interface AlertRules {
  readonly groups: {
    readonly rules: {
      readonly alert: string;
      readonly expr: string;
      readonly annotations?: Record<string, string>;
    }[];
  }[];
}

const dashboard = JSON.parse(text('docker/grafana/dashboards/photoz.json')) as {
  readonly uid: string;
  readonly panels: GrafanaPanel[];
};
const graphs = dashboard.panels.filter((panel) => panel.type !== 'row');
const alerts = yaml<AlertRules>('docker/prometheus/alerts.yml').groups.flatMap(
  (group) => group.rules,
);

const QUERIES = {
  'the dashboard': graphs.flatMap((panel) =>
    (panel.targets ?? []).map((target) => ({ where: panel.title, expr: target.expr ?? '' })),
  ),
  'the alert rules': alerts.map((rule) => ({ where: rule.alert, expr: rule.expr })),
};

describe('the Grafana dashboard (docker/grafana/dashboards/photoz.json)', () => {
  it('has panels, each with at least one query', () => {
    expect(graphs.length).toBeGreaterThan(10);
    expect(graphs.filter((panel) => (panel.targets ?? []).length === 0)).toEqual([]);
  });

  it('queries the provisioned Prometheus data source', () => {
    const { datasources } = yaml<{ datasources: { uid: string; url: string }[] }>(
      'docker/grafana/provisioning/datasources/prometheus.yml',
    );
    expect(datasources).toEqual([
      expect.objectContaining({ uid: 'prometheus', url: 'http://prometheus:9090' }),
    ]);
    const uids = new Set(
      graphs.flatMap((panel) => [
        panel.datasource?.uid,
        ...(panel.targets ?? []).map((target) => target.datasource?.uid),
      ]),
    );
    expect([...uids]).toEqual(['prometheus']);
  });

  it('is where the dashboard provider reads, as the compose file mounts it', () => {
    const { providers } = yaml<{ providers: { options: { path: string } }[] }>(
      'docker/grafana/provisioning/dashboards/dashboards.yml',
    );
    const compose = yaml<{ services: Record<string, { volumes?: string[] }> }>(
      'docker/docker-compose.yml',
    );
    expect(providers.map((provider) => provider.options.path)).toEqual(['/etc/grafana/dashboards']);
    expect(compose.services['grafana']?.volumes).toContain(
      './grafana/dashboards:/etc/grafana/dashboards:ro',
    );
  });
});

describe.each(Object.entries(QUERIES))('the queries of %s', (_, queries) => {
  it('are PromQL', () => {
    expect(queries.length).toBeGreaterThan(0);
    expect(queries.flatMap(({ expr }) => analyse(expr).errors)).toEqual([]);
  });

  it('name only metrics the services export', async () => {
    const series = await exportedSeries();
    const unknown = queries.flatMap(({ where, expr }) =>
      analyse(expr)
        .metrics.filter((metric) => !series.has(metric))
        .map((metric) => `${where}: ${metric}`),
    );
    expect(unknown).toEqual([]);
  });

  it("name only labels of the metrics they query (or Prometheus's job and instance)", async () => {
    const series = await exportedSeries();
    const unknown = queries.flatMap(({ where, expr }) => {
      const { metrics, labels } = analyse(expr);
      const known = new Set([
        ...TARGET_LABELS,
        ...metrics.flatMap((metric) => series.get(metric) ?? []),
      ]);
      return labels.filter((label) => !known.has(label)).map((label) => `${where}: ${label}`);
    });
    expect(unknown).toEqual([]);
  });
});

describe('Prometheus (docker/prometheus)', () => {
  const config = yaml<{
    rule_files: string[];
    scrape_configs: { job_name: string; static_configs: { targets: string[] }[] }[];
  }>('docker/prometheus/prometheus.yml');
  const compose = yaml<{
    services: Record<
      string,
      { environment?: Record<string, string>; ports?: string[]; volumes?: string[] }
    >;
  }>('docker/docker-compose.yml');

  it("scrapes each service's management port, under the service's name", () => {
    expect(
      config.scrape_configs.map((job) => [
        job.job_name,
        job.static_configs.flatMap((target) => target.targets),
      ]),
    ).toEqual([
      ['album-service', ['album-service:9101']],
      ['permission-service', ['permission-service:9102']],
    ]);
  });

  it('finds the management ports where the compose file opens them, never on the host', () => {
    for (const [service, port] of [
      ['album-service', '9101'],
      ['permission-service', '9102'],
    ] as const) {
      const { environment, ports } = compose.services[service] ?? {};
      expect(environment).toMatchObject({ METRICS_HOST: '0.0.0.0', METRICS_PORT: port });
      expect((ports ?? []).filter((mapping) => mapping.includes(port))).toEqual([]);
    }
  });

  it('loads the alert rules', () => {
    expect(config.rule_files).toEqual(['alerts.yml']);
    expect(compose.services['prometheus']?.volumes).toContain('./prometheus:/etc/prometheus:ro');
  });

  it('points each alert at an entry of the runbook in docs/operations.md', () => {
    const operations = text('docs/operations.md');
    const runbook = operations.slice(operations.indexOf('## Runbook')).toLowerCase();
    const missing = alerts
      .map(
        (rule) =>
          /^docs\/operations\.md, Runbook: (.+)$/.exec(rule.annotations?.['runbook'] ?? '')?.[1],
      )
      .filter((entry) => entry === undefined || !runbook.includes(`**${entry.toLowerCase()}.**`));
    expect(missing).toEqual([]);
  });
});
