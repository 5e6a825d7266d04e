import { Counter, Gauge, Histogram, Registry } from 'prom-client';
import { describe, expect, it } from 'vitest';
import { parsePrometheusText, sampleValue, samplesNamed } from './prometheus.ts';

const VALID = `# HELP requests_total Requests, with a \\\\ and a \\n in the help
# TYPE requests_total counter
requests_total{route="/albums/:id",status="200"} 3
requests_total{route="/a\\"b\\\\c\\nd",status="500",} 1 1700000000000
# a comment
# TYPE temperature gauge
temperature -1.5e3
temperature{room="x"} NaN
temperature{room="y"} Nan
temperature{room="z"} -Inf
# TYPE latency_seconds histogram
latency_seconds_bucket{le="0.1"} 1
latency_seconds_bucket{le="1"} 2
latency_seconds_bucket{le="+Inf"} 3
latency_seconds_sum 4.2
latency_seconds_count 3
`;

describe(parsePrometheusText.name, () => {
  it('reads HELP, TYPE, samples, escaped label values, NaN and timestamps', () => {
    const parsed = parsePrometheusText(VALID);
    expect(parsed.errors).toEqual([]);
    expect(parsed.families.get('requests_total')).toMatchObject({
      type: 'counter',
      help: 'Requests, with a \\ and a \n in the help',
    });
    expect(samplesNamed(parsed, 'requests_total')[1]).toEqual({
      name: 'requests_total',
      labels: { route: '/a"b\\c\nd', status: '500' },
      value: 1,
      timestamp: 1_700_000_000_000,
    });
    expect(sampleValue(parsed, 'requests_total')).toBe(4);
    expect(sampleValue(parsed, 'requests_total', { status: '200' })).toBe(3);
    expect(sampleValue(parsed, 'requests_total', { status: '404' })).toBe(0);
    expect(sampleValue(parsed, 'temperature', { room: 'x' })).toBeNaN();
    expect(sampleValue(parsed, 'temperature', { room: 'y' })).toBeNaN();
    expect(sampleValue(parsed, 'temperature', { room: 'z' })).toBe(Number.NEGATIVE_INFINITY);
    expect(sampleValue(parsed, 'latency_seconds_count')).toBe(3);
  });

  it.each([
    ['a sample without TYPE', 'orphan 1\n', 'has no TYPE'],
    ['an unknown type', '# TYPE x counters\n', 'unknown type'],
    ['a second TYPE', '# TYPE x gauge\n# TYPE x gauge\n', 'second TYPE'],
    ['a TYPE after the samples', '# TYPE y gauge\ny 1\nx 1\n# TYPE x gauge\n', 'after its samples'],
    ['a bad value', '# TYPE x gauge\nx one\n', 'bad value'],
    ['a signed NaN', '# TYPE x gauge\nx -NaN\n', 'bad value'],
    ['a hexadecimal value', '# TYPE x gauge\nx 0x1A\n', 'bad value'],
    ['an unquoted label value', '# TYPE x gauge\nx{a=b} 1\n', 'not followed by ="'],
    ['an unknown escape', '# TYPE x gauge\nx{a="\\t"} 1\n', 'bad escape'],
    ['an unterminated label value', '# TYPE x gauge\nx{a="b} 1\n', 'unterminated'],
    ['a label twice', '# TYPE x gauge\nx{a="1",a="2"} 1\n', 'appears twice'],
    ['a duplicate sample', '# TYPE x gauge\nx{a="1"} 1\nx{a="1"} 2\n', 'duplicate sample'],
    ['no space before the value', '# TYPE x gauge\nx{a="1"}1\n', 'no whitespace'],
    ['trailing text', '# TYPE x gauge\nx 1 2 3\n', 'trailing text'],
    ['a negative counter', '# TYPE x_total counter\nx_total -1\n', 'counter x_total is -1'],
    ['a missing final line feed', '# TYPE x gauge\nx 1', 'line feed'],
    [
      'a family split in two',
      '# TYPE x gauge\n# TYPE y gauge\nx 1\ny 1\nx{a="1"} 1\n',
      'not together',
    ],
    [
      'buckets that are not cumulative',
      '# TYPE h histogram\nh_bucket{le="1"} 2\nh_bucket{le="+Inf"} 1\nh_sum 1\nh_count 1\n',
      'not cumulative',
    ],
    [
      'no +Inf bucket',
      '# TYPE h histogram\nh_bucket{le="1"} 1\nh_sum 1\nh_count 1\n',
      'no +Inf bucket',
    ],
    [
      '+Inf differing from _count',
      '# TYPE h histogram\nh_bucket{le="+Inf"} 2\nh_sum 1\nh_count 3\n',
      'differs from _count',
    ],
    ['a bucket without le', '# TYPE h histogram\nh_bucket 1\nh_sum 1\nh_count 1\n', 'without le'],
  ])('reports %s', (_case, text, error) => {
    const { errors } = parsePrometheusText(text);
    expect(errors.join('\n')).toContain(error);
  });

  it("reads prom-client's own exposition without an error", async () => {
    const registry = new Registry();
    const counter = new Counter({
      name: 'odd_total',
      help: 'Help with \\ and\nnewline',
      labelNames: ['value'],
      registers: [registry],
    });
    counter.inc({ value: 'quote " backslash \\ newline \n end' });
    const gauge = new Gauge({
      name: 'empty_gauge',
      help: 'no samples',
      labelNames: ['a'],
      registers: [registry],
    });
    const histogram = new Histogram({
      name: 'took_seconds',
      help: 'durations',
      labelNames: ['route'],
      buckets: [0.1, 1],
      registers: [registry],
    });
    histogram.observe({ route: '/a' }, 0.05);
    histogram.observe({ route: '/a' }, 5);
    histogram.observe({ route: '/b' }, 0.5);

    const parsed = parsePrometheusText(await registry.metrics());
    expect(parsed.errors).toEqual([]);
    expect(registry.getSingleMetric('empty_gauge')).toBe(gauge);
    expect(parsed.families.get('empty_gauge')).toMatchObject({ type: 'gauge', samples: [] });
    expect(samplesNamed(parsed, 'odd_total')[0]?.labels).toEqual({
      value: 'quote " backslash \\ newline \n end',
    });
    expect(sampleValue(parsed, 'took_seconds_bucket', { route: '/a', le: '+Inf' })).toBe(2);
    expect(sampleValue(parsed, 'took_seconds_count', { route: '/b' })).toBe(1);
  });
});
