import type { KeyValue, Metric, NumberDataPoint } from '@rollpoint/proto';
import Long from 'long';

// One host metric as the Collector's hostmetrics receiver defines it (its metadata.yaml): name,
// unit, Gauge or Sum (always cumulative here, monotonic or not) and int or double values.

/** The times of one collection: the points' time, and their start (the host's boot). */
export interface ScrapeTimes {
  startNanos: Long;
  nowNanos: Long;
}

/** One value with its data point attributes (e.g. { cpu: 'cpu0', state: 'user' }). */
export interface Point {
  value: number;
  attributes: Readonly<Record<string, string>>;
}

/** One device's points by direction: byDirection('sda', { read: 1, write: 2 }). */
export const byDirection = (device: string, values: Readonly<Record<string, number>>): Point[] =>
  Object.entries(values).map(([direction, value]) => ({ value, attributes: { device, direction } }));

export interface MetricSpec {
  name: string;
  description: string;
  unit: string;
  /** A Gauge, or a cumulative Sum (monotonic or not). */
  kind: 'gauge' | 'sum' | 'monotonic_sum';
  valueType: 'int' | 'double';
}

/** AGGREGATION_TEMPORALITY_CUMULATIVE in the OTLP metrics proto. */
const CUMULATIVE = 2;

const toAttributes = (attributes: Point['attributes']): KeyValue[] =>
  Object.entries(attributes).map(([key, value]) => ({ key, value: { stringValue: value } }));

/** The OTLP Metric of `spec` holding `points`. */
export function buildMetric(spec: MetricSpec, points: readonly Point[], times: ScrapeTimes): Metric {
  const dataPoints: NumberDataPoint[] = points.map((point) => ({
    attributes: toAttributes(point.attributes),
    startTimeUnixNano: times.startNanos,
    timeUnixNano: times.nowNanos,
    ...(spec.valueType === 'int' ? { asInt: Long.fromNumber(Math.round(point.value)) } : { asDouble: point.value }),
  }));
  const metric: Metric = { name: spec.name, description: spec.description, unit: spec.unit };
  if (spec.kind === 'gauge') metric.gauge = { dataPoints };
  else metric.sum = { dataPoints, aggregationTemporality: CUMULATIVE, isMonotonic: spec.kind === 'monotonic_sum' };
  return metric;
}
