import { UndecodableError } from '@rollpoint/runtime';
import type { InsertColumn } from '../store/store.js';
import { AttributeList } from './wire/attributes.js';
import { ExportTally, type EncodedExport } from './wire/encoded-export.js';
import { walkExport, type ResourceContext, type ScopeContext } from './wire/export-walker.js';
import { checkUtf8, FIXED64, LENGTH_DELIMITED, ProtobufReader, VARINT } from './wire/protobuf-reader.js';
import { RowBinaryWriter } from './wire/row-binary-writer.js';

// Metrics as the Collector's ClickHouse exporter stores them: a row per data point, in the table of
// its kind, with the exporter's values — an integer point's value as Float64, a missing sum, min or
// max as 0, exemplars' ids as hex (all zeros when absent, as it writes them).

/** The columns every metrics table's rows begin with (types as RowBinary carries them, as for LOG_COLUMNS). */
const POINT_COLUMNS: readonly InsertColumn[] = [
  { name: 'ResourceAttributes', type: 'Map(String, String)' },
  { name: 'ResourceSchemaUrl', type: 'String' },
  { name: 'ScopeName', type: 'String' },
  { name: 'ScopeVersion', type: 'String' },
  { name: 'ScopeAttributes', type: 'Map(String, String)' },
  { name: 'ScopeDroppedAttrCount', type: 'UInt32' },
  { name: 'ScopeSchemaUrl', type: 'String' },
  { name: 'ServiceName', type: 'String' },
  { name: 'MetricName', type: 'String' },
  { name: 'MetricDescription', type: 'String' },
  { name: 'MetricUnit', type: 'String' },
  { name: 'Attributes', type: 'Map(String, String)' },
  { name: 'StartTimeUnix', type: 'DateTime64(9)' },
  { name: 'TimeUnix', type: 'DateTime64(9)' },
];

const EXEMPLAR_COLUMNS: readonly InsertColumn[] = [
  { name: 'Exemplars.FilteredAttributes', type: 'Array(Map(String, String))' },
  { name: 'Exemplars.TimeUnix', type: 'Array(DateTime64(9))' },
  { name: 'Exemplars.Value', type: 'Array(Float64)' },
  { name: 'Exemplars.SpanId', type: 'Array(String)' },
  { name: 'Exemplars.TraceId', type: 'Array(String)' },
];

const column = (name: string, type: string): InsertColumn => ({ name, type });
const COUNT_SUM = [column('Count', 'UInt64'), column('Sum', 'Float64')];
const HISTOGRAM_TAIL = [...EXEMPLAR_COLUMNS, column('Flags', 'UInt32'), column('Min', 'Float64'), column('Max', 'Float64'), column('AggregationTemporality', 'Int32')];

/** The columns each metrics table's rows are inserted with, in RowBinary order. */
export const METRIC_COLUMNS = {
  otel_metrics_gauge: [...POINT_COLUMNS, column('Value', 'Float64'), column('Flags', 'UInt32'), ...EXEMPLAR_COLUMNS],
  otel_metrics_sum: [...POINT_COLUMNS, column('Value', 'Float64'), column('Flags', 'UInt32'), ...EXEMPLAR_COLUMNS, column('AggregationTemporality', 'Int32'), column('IsMonotonic', 'Bool')],
  otel_metrics_histogram: [...POINT_COLUMNS, ...COUNT_SUM, column('BucketCounts', 'Array(UInt64)'), column('ExplicitBounds', 'Array(Float64)'), ...HISTOGRAM_TAIL],
  otel_metrics_exponential_histogram: [
    ...POINT_COLUMNS,
    ...COUNT_SUM,
    column('Scale', 'Int32'),
    column('ZeroCount', 'UInt64'),
    column('PositiveOffset', 'Int32'),
    column('PositiveBucketCounts', 'Array(UInt64)'),
    column('NegativeOffset', 'Int32'),
    column('NegativeBucketCounts', 'Array(UInt64)'),
    ...HISTOGRAM_TAIL,
  ],
  otel_metrics_summary: [...POINT_COLUMNS, ...COUNT_SUM, column('ValueAtQuantiles.Quantile', 'Array(Float64)'), column('ValueAtQuantiles.Value', 'Array(Float64)'), column('Flags', 'UInt32')],
} as const satisfies Record<string, readonly InsertColumn[]>;

export type MetricTable = keyof typeof METRIC_COLUMNS;

// Metric's fields (metrics.proto): its data is one of five kinds, each a message of data points
// (field 1) with, for some, the aggregation temporality (2) and monotonicity (3).
const NAME = 1;
const DESCRIPTION = 2;
const UNIT = 3;
const KIND_TABLES: Record<number, MetricTable> = {
  5: 'otel_metrics_gauge',
  7: 'otel_metrics_sum',
  9: 'otel_metrics_histogram',
  10: 'otel_metrics_exponential_histogram',
  11: 'otel_metrics_summary',
};
const DATA_POINTS = 1;
const AGGREGATION_TEMPORALITY = 2;
const IS_MONOTONIC = 3;

// The data points' fields. Every kind has start_time_unix_nano 2 and time_unix_nano 3.
const START_TIME = 2;
const TIME = 3;
/** The field numbers of what the kinds of data point share; a kind without one has none. */
interface PointFields {
  attributes: number;
  flags: number;
  exemplars?: number;
  count?: number;
  sum?: number;
  min?: number;
  max?: number;
}
const NUMBER = { attributes: 7, asDouble: 4, asInt: 6, exemplars: 5, flags: 8 };
const HISTOGRAM = { attributes: 9, count: 4, sum: 5, bucketCounts: 6, explicitBounds: 7, exemplars: 8, flags: 10, min: 11, max: 12 };
const EXPONENTIAL = { attributes: 1, count: 4, sum: 5, scale: 6, zeroCount: 7, positive: 8, negative: 9, flags: 10, exemplars: 11, min: 12, max: 13 };
const SUMMARY = { attributes: 7, count: 4, sum: 5, quantileValues: 6, flags: 8 };
const BUCKETS_OFFSET = 1;
const BUCKETS_COUNTS = 2;
const QUANTILE = 1;
const QUANTILE_VALUE = 2;
const EXEMPLAR = { filteredAttributes: 7, time: 2, asDouble: 3, asInt: 6, spanId: 4, traceId: 5 };

const TWO_TO_32 = 4294967296;
const ZERO_SPAN_ID = '0'.repeat(16);
const ZERO_TRACE_ID = '0'.repeat(32);

const metricReader = new ProtobufReader();
const dataReader = new ProtobufReader();
const pointReader = new ProtobufReader();
const partReader = new ProtobufReader();
const packedReader = new ProtobufReader();
const pointAttributes = new AttributeList();
const exemplarAttributes = new AttributeList();
const scratch = new RowBinaryWriter(4096);
const TABLES = Object.keys(METRIC_COLUMNS) as MetricTable[];
const outs = Object.fromEntries(TABLES.map((table) => [table, new RowBinaryWriter(256 * 1024)])) as Record<MetricTable, RowBinaryWriter>;
const counts = Object.fromEntries(TABLES.map((table) => [table, 0])) as Record<MetricTable, number>;
// A point's Array columns, one writer each: every repeated field is read once.
const exemplarColumns = [new RowBinaryWriter(1024), new RowBinaryWriter(1024), new RowBinaryWriter(1024), new RowBinaryWriter(1024), new RowBinaryWriter(1024)] as const;
const firstArray = new RowBinaryWriter(1024);
const secondArray = new RowBinaryWriter(1024);

/** The parts of the data point being read that the kinds share. */
const point = {
  startLow: 0,
  startHigh: 0,
  timeLow: 0,
  timeHigh: 0,
  flags: 0,
  exemplars: 0,
  countLow: 0,
  countHigh: 0,
  sum: 0,
  min: 0,
  max: 0,
  problem: undefined as string | undefined,
};

/**
 * One row per data point, each in the table of its metric's kind, in one pass over the Export's
 * bytes. A point's event time is its time_unix_nano, else `receivedAtNanos` (as for a log record
 * without one: a point stamped 1970 would be dropped by TTL at once). Points with a malformed
 * exemplar id are left out and reported.
 */
export function encodeMetrics(bytes: Uint8Array, receivedAtNanos: bigint): EncodedExport {
  const tally = new ExportTally('metric data points');
  const receivedLow = Number(receivedAtNanos & 0xffffffffn);
  const receivedHigh = Number(receivedAtNanos >> 32n);
  let resourceColumns: Buffer = Buffer.alloc(0);
  let serviceColumn: Buffer = resourceColumns;
  let scopeColumns: Buffer = resourceColumns;
  let metricColumns: Buffer = resourceColumns;
  for (const table of TABLES) {
    outs[table].reset();
    counts[table] = 0;
  }
  walkExport(bytes, {
    resource(resource: ResourceContext, service: Buffer) {
      serviceColumn = service;
      scratch.reset();
      resource.attributes.write(scratch);
      scratch.stringBytes(bytes, resource.schemaUrlStart, resource.schemaUrlStop);
      resourceColumns = scratch.copy();
    },
    scope(_resource: ResourceContext, scope: ScopeContext) {
      scratch.reset();
      scratch.raw(resourceColumns);
      scratch.stringBytes(bytes, scope.nameStart, scope.nameStop);
      scratch.stringBytes(bytes, scope.versionStart, scope.versionStop);
      scope.attributes.write(scratch);
      scratch.u32(scope.droppedAttributesCount);
      scratch.stringBytes(bytes, scope.schemaUrlStart, scope.schemaUrlStop);
      scratch.raw(serviceColumn);
      scopeColumns = scratch.copy();
    },
    record(bytes: Uint8Array, start: number, stop: number) {
      const reader = metricReader.reset(bytes, start, stop);
      scratch.reset();
      scratch.raw(scopeColumns);
      let nameStart = start;
      let nameStop = start;
      let descriptionStart = start;
      let descriptionStop = start;
      let unitStart = start;
      let unitStop = start;
      let kind = 0;
      let dataStart = start;
      let dataStop = start;
      while (reader.next()) {
        if (reader.wireType !== LENGTH_DELIMITED) reader.skip();
        else if (reader.field === NAME) {
          nameStart = reader.start;
          nameStop = reader.stop;
        } else if (reader.field === DESCRIPTION) {
          descriptionStart = reader.start;
          descriptionStop = reader.stop;
        } else if (reader.field === UNIT) {
          unitStart = reader.start;
          unitStop = reader.stop;
        } else if (KIND_TABLES[reader.field] !== undefined) {
          // Of several oneof members the last one counts.
          kind = reader.field;
          dataStart = reader.start;
          dataStop = reader.stop;
        }
      }
      for (const [from, to] of [[nameStart, nameStop], [descriptionStart, descriptionStop], [unitStart, unitStop]] as const) {
        checkUtf8(bytes, from, to);
        scratch.stringBytes(bytes, from, to);
      }
      const table = KIND_TABLES[kind];
      if (table === undefined) return;
      metricColumns = scratch.copy();
      writeDataPoints(bytes, dataStart, dataStop, table);
    },
  });
  return tally.finish(TABLES.map((table) => ({ table, rows: outs[table].finish(), count: counts[table] })));

  /** The data points of one metric's data message, each a row of `table`. */
  function writeDataPoints(bytes: Uint8Array, start: number, stop: number, table: MetricTable): void {
    const reader = dataReader.reset(bytes, start, stop);
    let temporality = 0;
    let monotonic = 0;
    while (reader.next()) {
      if (reader.field === AGGREGATION_TEMPORALITY && reader.wireType === VARINT) temporality = reader.int32();
      else if (reader.field === IS_MONOTONIC && reader.wireType === VARINT) monotonic = reader.varint32() === 0 ? 0 : 1;
      else reader.skip();
    }
    reader.reset(bytes, start, stop);
    while (reader.next()) {
      if (reader.field !== DATA_POINTS || reader.wireType !== LENGTH_DELIMITED) {
        reader.skip();
        continue;
      }
      const out = outs[table];
      if (table === 'otel_metrics_gauge' || table === 'otel_metrics_sum') writeNumberPoint(out, bytes, reader.start, reader.stop);
      else if (table === 'otel_metrics_histogram') writeHistogramPoint(out, bytes, reader.start, reader.stop, temporality);
      else if (table === 'otel_metrics_exponential_histogram') writeExponentialPoint(out, bytes, reader.start, reader.stop, temporality);
      else writeSummaryPoint(out, bytes, reader.start, reader.stop);
      // A point with a problem was read but not written.
      if (point.problem !== undefined) {
        tally.reject(point.problem);
        continue;
      }
      if (table === 'otel_metrics_sum') {
        out.u32(temporality);
        out.u8(monotonic);
      }
      counts[table]++;
    }
  }

  /** Starts a point's row: the columns of its metric, its attributes and times. */
  function writeLead(out: RowBinaryWriter): void {
    out.raw(metricColumns);
    pointAttributes.write(out);
    tally.time(out, point.startLow, point.startHigh);
    const stamped = point.timeLow !== 0 || point.timeHigh !== 0;
    tally.rowTime(out, stamped ? point.timeLow : receivedLow, stamped ? point.timeHigh : receivedHigh);
  }

  /** A reader of the point in bytes[start, stop), whose shared parts are reset. */
  function startPoint(bytes: Uint8Array, start: number, stop: number): ProtobufReader {
    point.startLow = point.startHigh = point.timeLow = point.timeHigh = point.flags = point.exemplars = 0;
    point.countLow = point.countHigh = point.sum = point.min = point.max = 0;
    point.problem = undefined;
    pointAttributes.reset(bytes);
    for (const writer of exemplarColumns) writer.reset();
    firstArray.reset();
    secondArray.reset();
    return pointReader.reset(bytes, start, stop);
  }

  /** Reads a field the kinds share (times, attributes, exemplars, flags, count, sum, min, max); false for another. */
  function readShared(reader: ProtobufReader, bytes: Uint8Array, fields: PointFields): boolean {
    const { field, wireType } = reader;
    if (wireType === FIXED64 && (field === START_TIME || field === TIME || field === fields.count)) {
      reader.fixed64();
      if (field === START_TIME) {
        point.startLow = reader.low;
        point.startHigh = reader.high;
      } else if (field === TIME) {
        point.timeLow = reader.low;
        point.timeHigh = reader.high;
      } else {
        point.countLow = reader.low;
        point.countHigh = reader.high;
      }
    } else if (wireType === LENGTH_DELIMITED && field === fields.attributes) pointAttributes.add(reader.start, reader.stop);
    else if (wireType === LENGTH_DELIMITED && field === fields.exemplars) readExemplar(bytes, reader.start, reader.stop);
    else if (wireType === VARINT && field === fields.flags) point.flags = reader.varint32();
    else if (field === fields.sum) point.sum = readDouble(reader, point.sum);
    else if (field === fields.min) point.min = readDouble(reader, point.min);
    else if (field === fields.max) point.max = readDouble(reader, point.max);
    else return false;
    return true;
  }

  function writeExemplars(out: RowBinaryWriter): void {
    for (const writer of exemplarColumns) out.array(point.exemplars, writer);
  }

  function writeCountSum(out: RowBinaryWriter): void {
    out.u64(point.countLow, point.countHigh);
    out.f64(point.sum);
  }

  function writeNumberPoint(out: RowBinaryWriter, bytes: Uint8Array, start: number, stop: number): void {
    const reader = startPoint(bytes, start, stop);
    let value = 0;
    while (reader.next()) {
      if (!readShared(reader, bytes, NUMBER)) value = readValue(reader, NUMBER.asDouble, NUMBER.asInt, value);
    }
    if (point.problem !== undefined) return;
    writeLead(out);
    out.f64(value);
    out.u32(point.flags);
    writeExemplars(out);
  }

  function writeHistogramPoint(out: RowBinaryWriter, bytes: Uint8Array, start: number, stop: number, temporality: number): void {
    const reader = startPoint(bytes, start, stop);
    let buckets = 0;
    let bounds = 0;
    while (reader.next()) {
      if (readShared(reader, bytes, HISTOGRAM)) continue;
      if (reader.field === HISTOGRAM.bucketCounts) buckets += readFixed64s(reader, firstArray);
      else if (reader.field === HISTOGRAM.explicitBounds) bounds += readFixed64s(reader, secondArray);
      else reader.skip();
    }
    if (point.problem !== undefined) return;
    writeLead(out);
    writeCountSum(out);
    out.array(buckets, firstArray);
    out.array(bounds, secondArray);
    writeHistogramTail(out, temporality);
  }

  function writeExponentialPoint(out: RowBinaryWriter, bytes: Uint8Array, start: number, stop: number, temporality: number): void {
    const reader = startPoint(bytes, start, stop);
    let zeroLow = 0;
    let zeroHigh = 0;
    let scale = 0;
    let positiveStart = start;
    let positiveStop = start;
    let negativeStart = start;
    let negativeStop = start;
    while (reader.next()) {
      if (readShared(reader, bytes, EXPONENTIAL)) continue;
      const { field, wireType } = reader;
      if (field === EXPONENTIAL.zeroCount && wireType === FIXED64) {
        reader.fixed64();
        zeroLow = reader.low;
        zeroHigh = reader.high;
      } else if (field === EXPONENTIAL.scale && wireType === VARINT) scale = zigzag(reader.varint32());
      else if (field === EXPONENTIAL.positive && wireType === LENGTH_DELIMITED) {
        positiveStart = reader.start;
        positiveStop = reader.stop;
      } else if (field === EXPONENTIAL.negative && wireType === LENGTH_DELIMITED) {
        negativeStart = reader.start;
        negativeStop = reader.stop;
      } else reader.skip();
    }
    if (point.problem !== undefined) return;
    writeLead(out);
    writeCountSum(out);
    out.u32(scale);
    out.u64(zeroLow, zeroHigh);
    writeBuckets(out, bytes, positiveStart, positiveStop);
    writeBuckets(out, bytes, negativeStart, negativeStop);
    writeHistogramTail(out, temporality);
  }

  function writeSummaryPoint(out: RowBinaryWriter, bytes: Uint8Array, start: number, stop: number): void {
    const reader = startPoint(bytes, start, stop);
    let quantiles = 0;
    while (reader.next()) {
      if (readShared(reader, bytes, SUMMARY)) continue;
      if (reader.field === SUMMARY.quantileValues && reader.wireType === LENGTH_DELIMITED) {
        readQuantile(bytes, reader.start, reader.stop);
        quantiles++;
      } else reader.skip();
    }
    writeLead(out);
    writeCountSum(out);
    out.array(quantiles, firstArray);
    out.array(quantiles, secondArray);
    out.u32(point.flags);
  }

  function writeHistogramTail(out: RowBinaryWriter, temporality: number): void {
    writeExemplars(out);
    out.u32(point.flags);
    out.f64(point.min);
    out.f64(point.max);
    out.u32(temporality);
  }

  /** One exemplar into the Exemplars columns; notes a malformed id as the point's problem. */
  function readExemplar(bytes: Uint8Array, start: number, stop: number): void {
    const reader = partReader.reset(bytes, start, stop);
    exemplarAttributes.reset(bytes);
    let timeLow = 0;
    let timeHigh = 0;
    let value = 0;
    let spanIdStart = start;
    let spanIdStop = start;
    let traceIdStart = start;
    let traceIdStop = start;
    while (reader.next()) {
      const { field, wireType } = reader;
      if (field === EXEMPLAR.filteredAttributes && wireType === LENGTH_DELIMITED) exemplarAttributes.add(reader.start, reader.stop);
      else if (field === EXEMPLAR.time && wireType === FIXED64) {
        reader.fixed64();
        timeLow = reader.low;
        timeHigh = reader.high;
      } else if (field === EXEMPLAR.spanId && wireType === LENGTH_DELIMITED) {
        spanIdStart = reader.start;
        spanIdStop = reader.stop;
      } else if (field === EXEMPLAR.traceId && wireType === LENGTH_DELIMITED) {
        traceIdStart = reader.start;
        traceIdStop = reader.stop;
      } else value = readValue(reader, EXEMPLAR.asDouble, EXEMPLAR.asInt, value);
    }
    point.problem ??= idLengthProblem(spanIdStart, spanIdStop, 'exemplar span_id', 8) ?? idLengthProblem(traceIdStart, traceIdStop, 'exemplar trace_id', 16);
    const [attributes, times, values, spanIds, traceIds] = exemplarColumns;
    exemplarAttributes.write(attributes);
    tally.time(times, timeLow, timeHigh);
    values.f64(value);
    writeId(spanIds, bytes, spanIdStart, spanIdStop, ZERO_SPAN_ID);
    writeId(traceIds, bytes, traceIdStart, traceIdStop, ZERO_TRACE_ID);
    point.exemplars++;
  }
}

/** An exemplar id is empty or of its size (pdata's rule; all zeros is allowed). */
const idLengthProblem = (start: number, stop: number, field: string, size: number): string | undefined =>
  stop === start || stop - start === size ? undefined : `${field} must be ${size} bytes, got ${stop - start}`;

function writeId(out: RowBinaryWriter, bytes: Uint8Array, start: number, stop: number, zeros: string): void {
  if (stop === start) out.string(zeros);
  else out.hex(bytes, start, stop);
}

/** A oneof value of double `asDouble` or sfixed64 `asInt` as Float64 (the last one read counts); `value` for another field, which is skipped. */
function readValue(reader: ProtobufReader, asDouble: number, asInt: number, value: number): number {
  if (reader.wireType !== FIXED64 || (reader.field !== asDouble && reader.field !== asInt)) {
    reader.skip();
    return value;
  }
  const at = reader.fixed64();
  // (high as signed) * 2^32 is exact, so the sum is rounded once, as Go's float64(int64) rounds.
  return reader.field === asDouble ? reader.double(at) : (reader.high | 0) * TWO_TO_32 + reader.low;
}

/** A double field's value; `value` (and the field skipped) when it is not a fixed64. */
function readDouble(reader: ProtobufReader, value: number): number {
  if (reader.wireType !== FIXED64) {
    reader.skip();
    return value;
  }
  return reader.double(reader.fixed64());
}

/** The elements of a repeated fixed64 or double field, packed or not, copied to `out` (same bytes in RowBinary); how many. */
function readFixed64s(reader: ProtobufReader, out: RowBinaryWriter): number {
  if (reader.wireType === FIXED64) {
    const at = reader.fixed64();
    out.raw(reader.bytes, at, at + 8);
    return 1;
  }
  if (reader.wireType !== LENGTH_DELIMITED) {
    reader.skip();
    return 0;
  }
  const length = reader.stop - reader.start;
  if (length % 8 !== 0) throw new UndecodableError(`a packed fixed64 field of ${length} bytes`);
  out.raw(reader.bytes, reader.start, reader.stop);
  return length / 8;
}

/** A quantile and its value into the ValueAtQuantiles columns. */
function readQuantile(bytes: Uint8Array, start: number, stop: number): void {
  const reader = partReader.reset(bytes, start, stop);
  let quantile = 0;
  let value = 0;
  while (reader.next()) {
    if (reader.field === QUANTILE) quantile = readDouble(reader, quantile);
    else if (reader.field === QUANTILE_VALUE) value = readDouble(reader, value);
    else reader.skip();
  }
  firstArray.f64(quantile);
  secondArray.f64(value);
}

/** An exponential histogram's Buckets message as its Offset and BucketCounts columns. */
function writeBuckets(out: RowBinaryWriter, bytes: Uint8Array, start: number, stop: number): void {
  const reader = partReader.reset(bytes, start, stop);
  firstArray.reset();
  let offset = 0;
  let buckets = 0;
  while (reader.next()) {
    if (reader.field === BUCKETS_OFFSET && reader.wireType === VARINT) offset = zigzag(reader.varint32());
    else if (reader.field === BUCKETS_COUNTS && reader.wireType === VARINT) {
      reader.varint64();
      firstArray.u64(reader.low, reader.high);
      buckets++;
    } else if (reader.field === BUCKETS_COUNTS && reader.wireType === LENGTH_DELIMITED) {
      const packed = packedReader.reset(bytes, reader.start, reader.stop);
      while (packed.pos < packed.end) {
        packed.varint64();
        firstArray.u64(packed.low, packed.high);
        buckets++;
      }
    } else reader.skip();
  }
  out.u32(offset);
  out.array(buckets, firstArray);
}

/** A sint32's value from its zigzag varint. */
const zigzag = (n: number): number => (n >>> 1) ^ -(n & 1);
