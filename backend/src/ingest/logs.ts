import { idProblem, severityProblem } from '@rollpoint/proto';
import type { InsertColumn } from '../store/store.js';
import { AttributeList, writeAnyValue } from './wire/attributes.js';
import { ExportTally, type EncodedExport } from './wire/encoded-export.js';
import { walkExport, type ResourceContext, type ScopeContext } from './wire/export-walker.js';
import { checkUtf8, FIXED32, FIXED64, LENGTH_DELIMITED, ProtobufReader, VARINT } from './wire/protobuf-reader.js';
import { RowBinaryWriter } from './wire/row-binary-writer.js';

/**
 * The columns an otel_logs row is inserted with, in RowBinary order, with their types as RowBinary
 * carries them (LowCardinality as plain String): the Collector exporter's (TimestampTime is its
 * DEFAULT).
 */
export const LOG_COLUMNS: readonly InsertColumn[] = [
  { name: 'Timestamp', type: 'DateTime64(9)' },
  { name: 'TraceId', type: 'String' },
  { name: 'SpanId', type: 'String' },
  { name: 'TraceFlags', type: 'UInt8' },
  { name: 'SeverityText', type: 'String' },
  { name: 'SeverityNumber', type: 'UInt8' },
  { name: 'ServiceName', type: 'String' },
  { name: 'Body', type: 'String' },
  { name: 'ResourceSchemaUrl', type: 'String' },
  { name: 'ResourceAttributes', type: 'Map(String, String)' },
  { name: 'ScopeSchemaUrl', type: 'String' },
  { name: 'ScopeName', type: 'String' },
  { name: 'ScopeVersion', type: 'String' },
  { name: 'ScopeAttributes', type: 'Map(String, String)' },
  { name: 'LogAttributes', type: 'Map(String, String)' },
  { name: 'EventName', type: 'String' },
];

// LogRecord's fields (logs.proto).
const TIME = 1;
const SEVERITY_NUMBER = 2;
const SEVERITY_TEXT = 3;
const BODY = 5;
const ATTRIBUTES = 6;
const FLAGS = 8;
const TRACE_ID = 9;
const SPAN_ID = 10;
const OBSERVED_TIME = 11;
const EVENT_NAME = 12;

const TRACE_FLAGS_MASK = 0xff;

const recordReader = new ProtobufReader();
const recordAttributes = new AttributeList();
const out = new RowBinaryWriter(1024 * 1024);
const scratch = new RowBinaryWriter(4096);

/**
 * One otel_logs row per log record, in one pass over the Export's bytes. Timestamp is the event
 * time, else the observed time (as the Collector's exporter does), else `receivedAtNanos`: a record
 * stamped 1970 would be dropped by TTL at once and would never line up with its windows. Records
 * with a malformed trace or span id or severity are left out and reported.
 */
export function encodeLogs(bytes: Uint8Array, receivedAtNanos: bigint): EncodedExport {
  const tally = new ExportTally('log records');
  const receivedLow = Number(receivedAtNanos & 0xffffffffn);
  const receivedHigh = Number(receivedAtNanos >> 32n);
  const none: Buffer = Buffer.alloc(0);
  let serviceColumn = none;
  let resourceColumns = none;
  let scopeColumns = none;
  out.reset();
  walkExport(bytes, {
    resource(resource: ResourceContext, service: Buffer) {
      serviceColumn = service;
      scratch.reset();
      scratch.stringBytes(bytes, resource.schemaUrlStart, resource.schemaUrlStop);
      resource.attributes.write(scratch);
      resourceColumns = scratch.copy();
    },
    scope(_resource: ResourceContext, scope: ScopeContext) {
      scratch.reset();
      scratch.raw(resourceColumns);
      scratch.stringBytes(bytes, scope.schemaUrlStart, scope.schemaUrlStop);
      scratch.stringBytes(bytes, scope.nameStart, scope.nameStop);
      scratch.stringBytes(bytes, scope.versionStart, scope.versionStop);
      scope.attributes.write(scratch);
      scopeColumns = scratch.copy();
    },
    record(bytes: Uint8Array, start: number, stop: number) {
      const reader = recordReader.reset(bytes, start, stop);
      recordAttributes.reset(bytes);
      let timeLow = 0;
      let timeHigh = 0;
      let observedLow = 0;
      let observedHigh = 0;
      let severityNumber = 0;
      let flags = 0;
      let severityTextStart = start;
      let severityTextStop = start;
      let bodyStart = start;
      let bodyStop = start;
      let traceIdStart = start;
      let traceIdStop = start;
      let spanIdStart = start;
      let spanIdStop = start;
      let eventNameStart = start;
      let eventNameStop = start;
      while (reader.next()) {
        const { field, wireType } = reader;
        if (wireType === LENGTH_DELIMITED) {
          if (field === BODY) {
            bodyStart = reader.start;
            bodyStop = reader.stop;
          } else if (field === ATTRIBUTES) recordAttributes.add(reader.start, reader.stop);
          else if (field === SEVERITY_TEXT) {
            severityTextStart = reader.start;
            severityTextStop = reader.stop;
          } else if (field === TRACE_ID) {
            traceIdStart = reader.start;
            traceIdStop = reader.stop;
          } else if (field === SPAN_ID) {
            spanIdStart = reader.start;
            spanIdStop = reader.stop;
          } else if (field === EVENT_NAME) {
            eventNameStart = reader.start;
            eventNameStop = reader.stop;
          }
        } else if (wireType === FIXED64 && (field === TIME || field === OBSERVED_TIME)) {
          reader.fixed64();
          if (field === TIME) {
            timeLow = reader.low;
            timeHigh = reader.high;
          }
          else {
            observedLow = reader.low;
            observedHigh = reader.high;
          }
        } else if (wireType === VARINT && field === SEVERITY_NUMBER) severityNumber = reader.int32();
        else if (wireType === FIXED32 && field === FLAGS) flags = reader.fixed32();
        else reader.skip();
      }
      checkUtf8(bytes, severityTextStart, severityTextStop);
      checkUtf8(bytes, eventNameStart, eventNameStop);
      const problem =
        severityProblem(severityNumber) ??
        idProblem(bytes, traceIdStart, traceIdStop, 'trace_id', 16, true) ??
        idProblem(bytes, spanIdStart, spanIdStop, 'span_id', 8, true);
      if (problem !== undefined) {
        tally.reject(problem);
        return;
      }
      if (timeLow === 0 && timeHigh === 0) {
        const observed = observedLow !== 0 || observedHigh !== 0;
        timeLow = observed ? observedLow : receivedLow;
        timeHigh = observed ? observedHigh : receivedHigh;
      }
      tally.rowTime(out, timeLow, timeHigh);
      out.hexId(bytes, traceIdStart, traceIdStop);
      out.hexId(bytes, spanIdStart, spanIdStop);
      out.u8(flags & TRACE_FLAGS_MASK);
      out.stringBytes(bytes, severityTextStart, severityTextStop);
      out.u8(severityNumber);
      out.raw(serviceColumn);
      writeAnyValue(out, bytes, bodyStart, bodyStop);
      out.raw(scopeColumns);
      recordAttributes.write(out);
      out.stringBytes(bytes, eventNameStart, eventNameStop);
    },
  });
  return tally.finish([{ table: 'otel_logs', rows: out.finish(), count: tally.count }]);
}
