/**
 * A strict reader of the Prometheus text exposition format (version 0.0.4), for asserting what a
 * service serves on `/metrics`: every line is a `# HELP`, a `# TYPE`, another comment, or a sample
 * `name{label="value",...} value [timestamp]`; label values are escaped (`\\`, `\"`, `\n`); every
 * sample belongs to a family with a `TYPE` declared before it, and a family's samples come together;
 * a histogram's buckets are cumulative and its `+Inf` bucket equals its `_count`.
 */

export type MetricType = 'counter' | 'gauge' | 'histogram' | 'summary' | 'untyped';

export interface Sample {
  readonly name: string;
  readonly labels: Readonly<Record<string, string>>;
  readonly value: number;
  readonly timestamp: number | undefined;
}

export interface MetricFamily {
  readonly name: string;
  readonly type: MetricType;
  readonly help: string | undefined;
  readonly samples: Sample[];
}

export interface Exposition {
  readonly families: ReadonlyMap<string, MetricFamily>;
  /** Each violation, with its line number; an exposition is valid when there are none. */
  readonly errors: readonly string[];
}

const METRIC_NAME = /^[a-zA-Z_:][a-zA-Z0-9_:]*$/;
const LABEL_NAME = /^[a-zA-Z_][a-zA-Z0-9_]*$/;
const TYPES: readonly string[] = ['counter', 'gauge', 'histogram', 'summary', 'untyped'];
/**
 * Values as Prometheus reads them (Go's ParseFloat): decimals, exponents, and `NaN`, `±Inf`,
 * `±Infinity` in any case (prom-client writes `Nan`).
 */
const FLOAT = /^(?:[+-]?(?:(?:\d+\.?\d*|\.\d+)(?:e[+-]?\d+)?|inf(?:inity)?)|nan)$/i;
const TIMESTAMP = /^-?\d+$/;

function parseFloatStrict(text: string): number | undefined {
  if (!FLOAT.test(text)) {
    return undefined;
  }
  const bare = text.replace(/^[+-]/, '').toLowerCase();
  if (bare === 'nan') {
    return Number.NaN;
  }
  if (bare === 'inf' || bare === 'infinity') {
    return text.startsWith('-') ? Number.NEGATIVE_INFINITY : Number.POSITIVE_INFINITY;
  }
  return Number(text);
}

/** Unescapes a HELP docstring: only `\\` and `\n` are escapes there. */
function unescapeHelp(text: string): string | undefined {
  let out = '';
  for (let index = 0; index < text.length; index += 1) {
    const char = text[index];
    if (char !== '\\') {
      out += char;
      continue;
    }
    const next = text[index + 1];
    if (next === '\\') {
      out += '\\';
    } else if (next === 'n') {
      out += '\n';
    } else {
      return undefined;
    }
    index += 1;
  }
  return out;
}

interface ParsedSample {
  readonly name: string;
  readonly labels: Record<string, string>;
  readonly rest: string;
}

/** `name{labels}` and what follows it, or why it is not one. */
function parseSampleHead(line: string): ParsedSample | string {
  const nameMatch = /^[a-zA-Z_:][a-zA-Z0-9_:]*/.exec(line);
  if (nameMatch === null) {
    return 'sample does not start with a metric name';
  }
  const name = nameMatch[0];
  let index = name.length;
  const labels: Record<string, string> = {};
  if (line[index] === '{') {
    index += 1;
    for (;;) {
      if (line[index] === '}') {
        index += 1;
        break;
      }
      const labelMatch = /^[a-zA-Z_][a-zA-Z0-9_]*/.exec(line.slice(index));
      if (labelMatch === null) {
        return `bad label name at column ${index + 1}`;
      }
      const label = labelMatch[0];
      index += label.length;
      if (line[index] !== '=' || line[index + 1] !== '"') {
        return `label ${label} is not followed by ="`;
      }
      index += 2;
      let value = '';
      for (;;) {
        const char = line[index];
        if (char === undefined) {
          return `unterminated value of label ${label}`;
        }
        if (char === '"') {
          index += 1;
          break;
        }
        if (char === '\\') {
          const next = line[index + 1];
          if (next === '\\') {
            value += '\\';
          } else if (next === '"') {
            value += '"';
          } else if (next === 'n') {
            value += '\n';
          } else {
            return `bad escape in the value of label ${label}`;
          }
          index += 2;
          continue;
        }
        value += char;
        index += 1;
      }
      if (Object.hasOwn(labels, label)) {
        return `label ${label} appears twice`;
      }
      if (!LABEL_NAME.test(label) || label.startsWith('__')) {
        return `reserved or bad label name ${label}`;
      }
      labels[label] = value;
      if (line[index] === ',') {
        index += 1;
      } else if (line[index] !== '}') {
        return `expected , or } after label ${label}`;
      }
    }
  }
  if (line[index] !== ' ' && line[index] !== '\t') {
    return 'no whitespace between the metric and its value';
  }
  return { name, labels, rest: line.slice(index).trim() };
}

/** The family a sample name belongs to, given the declared families. */
function familyOf(name: string, families: ReadonlyMap<string, MetricFamily>): string | undefined {
  if (families.has(name)) {
    return name;
  }
  for (const suffix of ['_bucket', '_sum', '_count']) {
    if (name.endsWith(suffix)) {
      const base = name.slice(0, -suffix.length);
      const family = families.get(base);
      if (
        family !== undefined &&
        (family.type === 'histogram' || (family.type === 'summary' && suffix !== '_bucket'))
      ) {
        return base;
      }
    }
  }
  return undefined;
}

function labelKey(labels: Readonly<Record<string, string>>, without?: string): string {
  return JSON.stringify(
    Object.entries(labels)
      .filter(([key]) => key !== without)
      .sort(([a], [b]) => a.localeCompare(b)),
  );
}

/** A histogram's rules: `le` on every bucket, cumulative counts, `+Inf` present and equal to `_count`. */
function checkHistogram(family: MetricFamily, errors: string[]): void {
  interface Series {
    buckets: { le: number; value: number }[];
    count?: number;
    sum?: number;
  }
  const series = new Map<string, Series>();
  const seriesOf = (key: string): Series => {
    const existing = series.get(key);
    if (existing !== undefined) {
      return existing;
    }
    const created: Series = { buckets: [] };
    series.set(key, created);
    return created;
  };
  for (const sample of family.samples) {
    if (sample.name === `${family.name}_bucket`) {
      const le = sample.labels['le'];
      const bound = le === undefined ? undefined : parseFloatStrict(le);
      if (bound === undefined || Number.isNaN(bound)) {
        errors.push(`${family.name}: bucket without a numeric le label`);
        continue;
      }
      seriesOf(labelKey(sample.labels, 'le')).buckets.push({ le: bound, value: sample.value });
    } else if (sample.name === `${family.name}_count`) {
      seriesOf(labelKey(sample.labels)).count = sample.value;
    } else if (sample.name === `${family.name}_sum`) {
      seriesOf(labelKey(sample.labels)).sum = sample.value;
    } else {
      errors.push(`${family.name}: histogram sample ${sample.name} is not _bucket, _sum or _count`);
    }
  }
  for (const [key, { buckets, count, sum }] of series) {
    const where = `${family.name}${key}`;
    const sorted = [...buckets].sort((a, b) => a.le - b.le);
    for (let index = 1; index < sorted.length; index += 1) {
      const previous = sorted[index - 1];
      const current = sorted[index];
      if (previous !== undefined && current !== undefined && current.le === previous.le) {
        errors.push(`${where}: bucket le=${current.le} appears twice`);
      }
      if (previous !== undefined && current !== undefined && current.value < previous.value) {
        errors.push(`${where}: buckets are not cumulative at le=${current.le}`);
      }
    }
    const inf = sorted.at(-1);
    if (inf === undefined || inf.le !== Number.POSITIVE_INFINITY) {
      errors.push(`${where}: no +Inf bucket`);
    } else if (count === undefined) {
      errors.push(`${where}: no _count`);
    } else if (inf.value !== count) {
      errors.push(`${where}: +Inf bucket ${inf.value} differs from _count ${count}`);
    }
    if (sum === undefined) {
      errors.push(`${where}: no _sum`);
    }
  }
}

/** Parses an exposition; `errors` lists every violation of the format (none for a valid one). */
export function parsePrometheusText(text: string): Exposition {
  const families = new Map<string, MetricFamily>();
  const errors: string[] = [];
  const helps = new Map<string, string>();
  const seen = new Set<string>();
  const sampleKeys = new Set<string>();
  /** Families whose samples have ended (another family's sample came after them). */
  const closed = new Set<string>();
  let current: string | undefined;

  if (text !== '' && !text.endsWith('\n')) {
    errors.push('the exposition does not end with a line feed');
  }
  const lines = text.split('\n');
  if (lines.at(-1) === '') {
    lines.pop();
  }
  for (const [index, line] of lines.entries()) {
    const at = `line ${index + 1}`;
    if (line.trim() === '') {
      continue;
    }
    if (line.startsWith('#')) {
      const directive = /^#\s+(HELP|TYPE)\s+(\S+)(?:\s(.*))?$/.exec(line);
      if (directive === null) {
        continue; // a plain comment
      }
      const [, kind, name = '', rest = ''] = directive;
      if (!METRIC_NAME.test(name)) {
        errors.push(`${at}: bad metric name ${name} in ${kind}`);
        continue;
      }
      if (kind === 'HELP') {
        if (helps.has(name)) {
          errors.push(`${at}: second HELP for ${name}`);
        }
        const help = unescapeHelp(rest);
        if (help === undefined) {
          errors.push(`${at}: bad escape in the HELP of ${name}`);
        }
        helps.set(name, help ?? rest);
        const family = families.get(name);
        if (family !== undefined) {
          families.set(name, { ...family, help: help ?? rest });
        }
        continue;
      }
      const type = rest.trim();
      if (!TYPES.includes(type)) {
        errors.push(`${at}: unknown type ${type} for ${name}`);
        continue;
      }
      if (families.has(name)) {
        errors.push(`${at}: second TYPE for ${name}`);
        continue;
      }
      if (seen.has(name)) {
        errors.push(`${at}: TYPE for ${name} after its samples`);
      }
      families.set(name, { name, type: type as MetricType, help: helps.get(name), samples: [] });
      continue;
    }
    const head = parseSampleHead(line);
    if (typeof head === 'string') {
      errors.push(`${at}: ${head}`);
      continue;
    }
    const [valueText = '', timestampText, ...extra] = head.rest.split(/\s+/);
    const value = parseFloatStrict(valueText);
    if (value === undefined) {
      errors.push(`${at}: bad value ${valueText} of ${head.name}`);
      continue;
    }
    if (extra.length > 0 || (timestampText !== undefined && !TIMESTAMP.test(timestampText))) {
      errors.push(`${at}: bad timestamp or trailing text after the value of ${head.name}`);
      continue;
    }
    seen.add(head.name);
    const familyName = familyOf(head.name, families);
    if (familyName === undefined) {
      errors.push(`${at}: sample ${head.name} has no TYPE`);
      continue;
    }
    if (familyName !== current) {
      if (current !== undefined) {
        closed.add(current);
      }
      if (closed.has(familyName)) {
        errors.push(`${at}: samples of ${familyName} are not together`);
      }
      current = familyName;
    }
    const family = families.get(familyName);
    if (family === undefined) {
      continue;
    }
    if (
      family.type === 'histogram' &&
      head.name === `${familyName}_bucket` &&
      !('le' in head.labels)
    ) {
      errors.push(`${at}: histogram bucket of ${familyName} without le`);
    }
    const key = `${head.name}${labelKey(head.labels)}`;
    if (sampleKeys.has(key)) {
      errors.push(`${at}: duplicate sample ${key}`);
    }
    sampleKeys.add(key);
    if (family.type === 'counter' && (value < 0 || Number.isNaN(value))) {
      errors.push(`${at}: counter ${head.name} is ${value}`);
    }
    family.samples.push({
      name: head.name,
      labels: head.labels,
      value,
      timestamp: timestampText === undefined ? undefined : Number(timestampText),
    });
  }
  for (const family of families.values()) {
    if (family.type === 'histogram') {
      checkHistogram(family, errors);
    }
  }
  return { families, errors };
}

/**
 * The sum of the samples named `name` whose labels include `labels` (0 when there is none, as for
 * a counter whose label set was never incremented).
 */
export function sampleValue(
  exposition: Exposition,
  name: string,
  labels: Readonly<Record<string, string>> = {},
): number {
  const familyName = familyOf(name, exposition.families);
  const family = familyName === undefined ? undefined : exposition.families.get(familyName);
  return (family?.samples ?? [])
    .filter(
      (sample) =>
        sample.name === name &&
        Object.entries(labels).every(([key, value]) => sample.labels[key] === value),
    )
    .reduce((sum, sample) => sum + sample.value, 0);
}

/** The samples named `name`, with their labels. */
export function samplesNamed(exposition: Exposition, name: string): Sample[] {
  const familyName = familyOf(name, exposition.families);
  const family = familyName === undefined ? undefined : exposition.families.get(familyName);
  return (family?.samples ?? []).filter((sample) => sample.name === name);
}
