import type { Exemplar as OtlpExemplar, HistogramDataPoint, KeyValue, Metric, NumberDataPoint, Resource, SummaryDataPoint } from '@rollpoint/proto';
import { ATTR_SERVER_ADDRESS, ATTR_SERVER_PORT, ATTR_SERVICE_INSTANCE_ID, ATTR_SERVICE_NAME, ATTR_URL_SCHEME } from '@opentelemetry/semantic-conventions';
import { isIP } from 'node:net';
import Long from 'long';
import type { Exemplar, Labels, MetricFamily, Sample } from './exposition.js';
import type { StartTimes } from './start-times.js';

// A scrape's metric families as OTLP metrics, mapped as the Collector's prometheus receiver maps
// them: counter -> monotonic cumulative Sum (named as its samples, so foo_total keeps its suffix),
// gauge and unknown (untyped) -> Gauge, histogram -> cumulative Histogram (Prometheus's cumulative
// `le` buckets as per-bucket counts), summary -> Summary, info and stateset -> non-monotonic Sum.
// Labels become data point attributes; job and instance are the resource. gaugehistogram has no
// mapping there either and is left out.

/** OTLP's AGGREGATION_TEMPORALITY_CUMULATIVE. */
const CUMULATIVE = 2;

export interface Target {
  job: string;
  /** host:port, as configured. */
  instance: string;
  scheme: string;
  /** The static config's labels, on every point of the target. */
  labels: Labels;
}

const str = (key: string, value: string): KeyValue => ({ key, value: { stringValue: value } });

/** Whether a host names this machine only (loopback, 0.0.0.0, localhost): the Collector leaves those out of server.address. */
const isDiscernibleHost = (host: string): boolean =>
  isIP(host) ? !/^(127\.|0\.0\.0\.0$)/.test(host) && host !== '::1' && host !== '::' : host !== 'localhost';

/** The resource of a target's metrics, with the Collector's attributes. */
export function targetResource(target: Target): Resource {
  const colon = target.instance.lastIndexOf(':');
  const host = target.instance.slice(0, colon).replace(/^\[|\]$/g, '');
  return {
    attributes: [
      str(ATTR_SERVICE_NAME, target.job),
      ...(isDiscernibleHost(host) ? [str(ATTR_SERVER_ADDRESS, host)] : []),
      str(ATTR_SERVICE_INSTANCE_ID, target.instance),
      str(ATTR_SERVER_PORT, target.instance.slice(colon + 1)),
      str(ATTR_URL_SCHEME, target.scheme),
    ],
  };
}

export function nanosFromMs(ms: number): Long {
  const whole = Math.floor(ms);
  return Long.fromNumber(whole).multiply(1_000_000).add(Math.round((ms - whole) * 1_000_000));
}

export interface ConversionContext {
  /** When the scrape began (Unix ms): the time of points that carry none. */
  scrapeTimeMs: number;
  honorTimestamps: boolean;
  target: Target;
  starts: StartTimes;
}

/** Data point attributes: the sample's labels (a clash with job, instance or a target label is kept as exported_<name>, as Prometheus does), then the target's. */
function attributesOf(labels: Labels, target: Target, drop?: string): KeyValue[] {
  const taken = new Set(['job', 'instance', ...target.labels.map(([name]) => name)]);
  const attributes: KeyValue[] = [];
  for (const [name, value] of labels) {
    if (name !== drop && value !== '') attributes.push(str(taken.has(name) ? `exported_${name}` : name, value));
  }
  for (const [name, value] of target.labels) if (value !== '') attributes.push(str(name, value));
  return attributes;
}

/** Identifies a label set, ignoring order and the bucket or quantile label. */
const labelKey = (labels: Labels, drop?: string): string =>
  JSON.stringify(labels.filter(([name, value]) => name !== drop && value !== '').sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));

function exemplarOf(exemplar: Exemplar): OtlpExemplar {
  const out: OtlpExemplar = { asDouble: exemplar.value, filteredAttributes: [] };
  if (exemplar.timestampMs !== undefined) out.timeUnixNano = nanosFromMs(exemplar.timestampMs);
  for (const [name, value] of exemplar.labels) {
    const id = name.toLowerCase();
    if (id === 'trace_id' && /^[0-9a-fA-F]{32}$/.test(value)) out.traceId = Buffer.from(value, 'hex');
    else if (id === 'span_id' && /^[0-9a-fA-F]{16}$/.test(value)) out.spanId = Buffer.from(value, 'hex');
    else out.filteredAttributes!.push(str(name, value));
  }
  return out;
}

/** The samples of a family by label set (without `drop`), in the order the target wrote them. */
function groupSamples(samples: readonly Sample[], drop?: string): Sample[][] {
  const groups = new Map<string, Sample[]>();
  for (const sample of samples) {
    const key = labelKey(sample.labels, drop);
    const group = groups.get(key);
    if (group) group.push(sample);
    else groups.set(key, [sample]);
  }
  return [...groups.values()];
}

class FamilyConverter {
  constructor(private readonly context: ConversionContext) {}

  timeMsOf(sample: Sample): number {
    return this.context.honorTimestamps && sample.timestampMs !== undefined ? sample.timestampMs : this.context.scrapeTimeMs;
  }

  /** The start of a cumulative point: the target's `_created`, else the receiver's own reckoning. */
  start(metric: string, labels: Labels, timeNanos: Long, totals: readonly number[], created: Sample | undefined, drop?: string): Long {
    const key = `${metric}\n${labelKey(labels, drop)}`;
    if (created === undefined) return this.context.starts.startOf(key, timeNanos, totals);
    const start = nanosFromMs(created.value * 1000);
    this.context.starts.given(key, start, totals);
    return start;
  }

  numberPoint(sample: Sample, cumulativeAs?: string, created?: Sample): NumberDataPoint {
    const timeUnixNano = nanosFromMs(this.timeMsOf(sample));
    const point: NumberDataPoint = { attributes: attributesOf(sample.labels, this.context.target), timeUnixNano, asDouble: sample.value };
    if (cumulativeAs !== undefined) point.startTimeUnixNano = this.start(cumulativeAs, sample.labels, timeUnixNano, [sample.value], created);
    if (sample.exemplar) point.exemplars = [exemplarOf(sample.exemplar)];
    return point;
  }

  /** Counters, infos and statesets: one cumulative Sum per sample name (foo_total), `_created` giving starts. */
  sums(family: MetricFamily, monotonic: boolean): Metric[] {
    const created = new Map(family.samples.filter((s) => s.name === `${family.name}_created`).map((s) => [labelKey(s.labels), s]));
    const byName = new Map<string, NumberDataPoint[]>();
    for (const sample of family.samples) {
      if (sample.name === `${family.name}_created`) continue;
      // The Collector names infos and statesets after the family, counters after their samples.
      const name = family.type === 'counter' ? sample.name : family.name;
      const points = byName.get(name) ?? [];
      points.push(this.numberPoint(sample, name, created.get(labelKey(sample.labels))));
      byName.set(name, points);
    }
    return [...byName].map(([name, dataPoints]) => ({
      ...describe(family, name),
      sum: { dataPoints, aggregationTemporality: CUMULATIVE, isMonotonic: monotonic },
    }));
  }

  gauge(family: MetricFamily): Metric {
    return { ...describe(family, family.name), gauge: { dataPoints: family.samples.map((s) => this.numberPoint(s)) } };
  }

  /**
   * A histogram's or summary's label sets, each with its `_count` and `_sum`, its buckets or
   * quantiles (`by` their label, in order) and what its point has beside them. A label set without
   * `_count` is incomplete and left out, as the Collector does.
   */
  private aggregates(family: MetricFamily, by: 'le' | 'quantile') {
    return groupSamples(family.samples, by).flatMap((group) => {
      const part = (suffix: string) => group.find((s) => s.name === `${family.name}${suffix}`);
      const count = part('_count');
      if (!count) return [];
      const sum = part('_sum');
      const timeUnixNano = nanosFromMs(this.timeMsOf(count));
      const bounds = group
        .filter((s) => s.name === family.name || s.name === `${family.name}_bucket`)
        .map((sample) => ({ bound: boundOf(sample, by), sample }))
        .filter((b) => !Number.isNaN(b.bound))
        .sort((a, b) => a.bound - b.bound);
      const point = {
        attributes: attributesOf(count.labels, this.context.target),
        startTimeUnixNano: this.start(family.name, count.labels, timeUnixNano, [count.value, sum?.value ?? 0], part('_created')),
        timeUnixNano,
        count: Long.fromNumber(count.value, true),
      };
      return [{ point, sum, bounds }];
    });
  }

  histogram(family: MetricFamily): Metric {
    const dataPoints = this.aggregates(family, 'le')
      // A histogram without its +Inf bucket is incomplete, as for the Collector.
      .filter(({ bounds }) => bounds.at(-1)?.bound === Infinity)
      .map(({ point, sum, bounds }): HistogramDataPoint => ({
        ...point,
        ...(sum ? { sum: sum.value } : {}),
        explicitBounds: bounds.slice(0, -1).map((b) => b.bound),
        bucketCounts: bounds.map((b, i) => Long.fromNumber(Math.max(0, b.sample.value - (i > 0 ? bounds[i - 1]!.sample.value : 0)), true)),
        exemplars: bounds.flatMap((b) => (b.sample.exemplar ? [exemplarOf(b.sample.exemplar)] : [])),
      }));
    return { ...describe(family, family.name), histogram: { dataPoints, aggregationTemporality: CUMULATIVE } };
  }

  summary(family: MetricFamily): Metric {
    const dataPoints = this.aggregates(family, 'quantile').map(
      ({ point, sum, bounds }): SummaryDataPoint => ({ ...point, sum: sum?.value ?? 0, quantileValues: bounds.map((b) => ({ quantile: b.bound, value: b.sample.value })) }),
    );
    return { ...describe(family, family.name), summary: { dataPoints } };
  }
}

/** A bucket's `le` or a quantile's `quantile` label as a number; NaN when missing or not one. */
function boundOf(sample: Sample, label: 'le' | 'quantile'): number {
  const value = sample.labels.find(([name]) => name === label)?.[1];
  return value === undefined || value === '' ? NaN : value === '+Inf' ? Infinity : Number(value);
}

const describe = (family: MetricFamily, name: string): Metric => ({ name, description: family.help, unit: family.unit });

const pointsOf = (metric: Metric): number =>
  (metric.gauge?.dataPoints ?? metric.sum?.dataPoints ?? metric.histogram?.dataPoints ?? metric.summary?.dataPoints ?? []).length;

/** A scrape's families as OTLP metrics (metrics left without points are left out). */
export function familiesToMetrics(families: readonly MetricFamily[], context: ConversionContext): Metric[] {
  const convert = new FamilyConverter(context);
  const metrics = families.flatMap((family): Metric[] => {
    switch (family.type) {
      case 'counter':
        return convert.sums(family, true);
      case 'info':
      case 'stateset':
        return convert.sums(family, false);
      case 'histogram':
        return [convert.histogram(family)];
      case 'summary':
        return [convert.summary(family)];
      case 'gaugehistogram':
        return [];
      case 'gauge':
      case 'unknown':
        return [convert.gauge(family)];
    }
  });
  return metrics.filter((metric) => pointsOf(metric) > 0);
}

/** Each sample's series (name and labels), as Prometheus counts them for scrape_series_added. */
export const seriesOf = (families: readonly MetricFamily[]): Set<string> =>
  new Set(families.flatMap((family) => family.samples.map((sample) => `${sample.name}${labelKey(sample.labels)}`)));

export const countPoints = (metrics: readonly Metric[]): number => metrics.reduce((n, metric) => n + pointsOf(metric), 0);

export interface ScrapeHealth {
  up: boolean;
  durationSeconds: number;
  samplesScraped: number;
  seriesAdded: number;
}

/** The gauges Prometheus and the Collector add to every scrape: up, scrape_duration_seconds, scrape_samples_*, scrape_series_added. */
export function scrapeHealthMetrics(health: ScrapeHealth, context: Pick<ConversionContext, 'scrapeTimeMs' | 'target'>): Metric[] {
  const timeUnixNano = nanosFromMs(context.scrapeTimeMs);
  const attributes = attributesOf([], context.target);
  const gauge = (name: string, description: string, value: number, unit = ''): Metric => ({
    name,
    description,
    unit,
    gauge: { dataPoints: [{ attributes, timeUnixNano, asDouble: value }] },
  });
  return [
    gauge('up', 'The scraping was successful', health.up ? 1 : 0),
    gauge('scrape_duration_seconds', 'Duration of the scrape', health.durationSeconds, 'seconds'),
    gauge('scrape_samples_scraped', 'The number of samples the target exposed', health.samplesScraped),
    gauge('scrape_samples_post_metric_relabeling', 'The number of samples remaining after metric relabeling was applied', health.samplesScraped),
    gauge('scrape_series_added', 'The approximate number of new series in this scrape', health.seriesAdded),
  ];
}
