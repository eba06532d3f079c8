import { idProblem } from '@rollpoint/proto';
import type { InsertColumn } from '../store/store.js';
import { AttributeList } from './wire/attributes.js';
import { ExportTally, type EncodedExport } from './wire/encoded-export.js';
import { walkExport, type ResourceContext, type ScopeContext } from './wire/export-walker.js';
import { checkUtf8, FIXED64, LENGTH_DELIMITED, ProtobufReader, VARINT } from './wire/protobuf-reader.js';
import { RowBinaryWriter } from './wire/row-binary-writer.js';

/** The columns an otel_traces row is inserted with, in RowBinary order (types as for LOG_COLUMNS). */
export const SPAN_COLUMNS: readonly InsertColumn[] = [
  { name: 'Timestamp', type: 'DateTime64(9)' },
  { name: 'TraceId', type: 'String' },
  { name: 'SpanId', type: 'String' },
  { name: 'ParentSpanId', type: 'String' },
  { name: 'TraceState', type: 'String' },
  { name: 'SpanName', type: 'String' },
  { name: 'SpanKind', type: 'String' },
  { name: 'ServiceName', type: 'String' },
  { name: 'ResourceAttributes', type: 'Map(String, String)' },
  { name: 'ScopeName', type: 'String' },
  { name: 'ScopeVersion', type: 'String' },
  { name: 'SpanAttributes', type: 'Map(String, String)' },
  { name: 'Duration', type: 'UInt64' },
  { name: 'StatusCode', type: 'String' },
  { name: 'StatusMessage', type: 'String' },
  { name: 'Events.Timestamp', type: 'Array(DateTime64(9))' },
  { name: 'Events.Name', type: 'Array(String)' },
  { name: 'Events.Attributes', type: 'Array(Map(String, String))' },
  { name: 'Links.TraceId', type: 'Array(String)' },
  { name: 'Links.SpanId', type: 'Array(String)' },
  { name: 'Links.TraceState', type: 'Array(String)' },
  { name: 'Links.Attributes', type: 'Array(Map(String, String))' },
];

// Span's fields (trace.proto), and those of its events, links and status.
const TRACE_ID = 1;
const SPAN_ID = 2;
const TRACE_STATE = 3;
const PARENT_SPAN_ID = 4;
const NAME = 5;
const KIND = 6;
const START_TIME = 7;
const END_TIME = 8;
const ATTRIBUTES = 9;
const EVENTS = 11;
const LINKS = 13;
const STATUS = 15;
const EVENT_TIME = 1;
const EVENT_NAME = 2;
const EVENT_ATTRIBUTES = 3;
const LINK_TRACE_ID = 1;
const LINK_SPAN_ID = 2;
const LINK_TRACE_STATE = 3;
const LINK_ATTRIBUTES = 4;
const STATUS_MESSAGE = 2;
const STATUS_CODE = 3;

/** A String column's bytes for each of `names`. */
function stringColumns(names: readonly string[]): Buffer[] {
  return names.map((name) => {
    const writer = new RowBinaryWriter(32);
    writer.string(name);
    return writer.finish();
  });
}

// The names the Collector's exporter writes for SpanKind and StatusCode (pdata's String()).
const SPAN_KINDS = stringColumns(['Unspecified', 'Internal', 'Server', 'Client', 'Producer', 'Consumer']);
const STATUS_CODES = stringColumns(['Unset', 'Ok', 'Error']);

const spanReader = new ProtobufReader();
const partReader = new ProtobufReader();
const spanAttributes = new AttributeList();
const partAttributes = new AttributeList();
const out = new RowBinaryWriter(1024 * 1024);
const scratch = new RowBinaryWriter(4096);
// The Events and Links columns, one writer per column: each event or link is read once.
const eventTimes = new RowBinaryWriter(1024);
const eventNames = new RowBinaryWriter(1024);
const eventAttributes = new RowBinaryWriter(4096);
const linkTraceIds = new RowBinaryWriter(1024);
const linkSpanIds = new RowBinaryWriter(1024);
const linkTraceStates = new RowBinaryWriter(1024);
const linkAttributes = new RowBinaryWriter(4096);
const EVENT_COLUMNS = [eventTimes, eventNames, eventAttributes];
const LINK_COLUMNS = [linkTraceIds, linkSpanIds, linkTraceStates, linkAttributes];

/** One otel_traces row per span, in one pass over the Export's bytes; spans with malformed ids are left out and reported. */
export function encodeTraces(bytes: Uint8Array): EncodedExport {
  const tally = new ExportTally('spans');
  const none: Buffer = Buffer.alloc(0);
  let serviceColumn = none;
  let resourceAttributes = none;
  let scopeColumns = none;
  out.reset();
  walkExport(bytes, {
    resource(resource: ResourceContext, service: Buffer) {
      serviceColumn = service;
      scratch.reset();
      resource.attributes.write(scratch);
      resourceAttributes = scratch.copy();
    },
    scope(_resource: ResourceContext, scope: ScopeContext) {
      scratch.reset();
      scratch.raw(resourceAttributes);
      scratch.stringBytes(bytes, scope.nameStart, scope.nameStop);
      scratch.stringBytes(bytes, scope.versionStart, scope.versionStop);
      scopeColumns = scratch.copy();
    },
    record(bytes: Uint8Array, start: number, stop: number) {
      const reader = spanReader.reset(bytes, start, stop);
      spanAttributes.reset(bytes);
      for (const column of EVENT_COLUMNS) column.reset();
      for (const column of LINK_COLUMNS) column.reset();
      let traceIdStart = start;
      let traceIdStop = start;
      let spanIdStart = start;
      let spanIdStop = start;
      let parentStart = start;
      let parentStop = start;
      let traceStateStart = start;
      let traceStateStop = start;
      let nameStart = start;
      let nameStop = start;
      let statusStart = start;
      let statusStop = start;
      let kind = 0;
      let startLow = 0;
      let startHigh = 0;
      let endLow = 0;
      let endHigh = 0;
      let events = 0;
      let links = 0;
      let problem: string | undefined;
      while (reader.next()) {
        const { field, wireType } = reader;
        if (wireType === LENGTH_DELIMITED) {
          if (field === ATTRIBUTES) spanAttributes.add(reader.start, reader.stop);
          else if (field === TRACE_ID) {
            traceIdStart = reader.start;
            traceIdStop = reader.stop;
          } else if (field === SPAN_ID) {
            spanIdStart = reader.start;
            spanIdStop = reader.stop;
          } else if (field === PARENT_SPAN_ID) {
            parentStart = reader.start;
            parentStop = reader.stop;
          } else if (field === TRACE_STATE) {
            traceStateStart = reader.start;
            traceStateStop = reader.stop;
          } else if (field === NAME) {
            nameStart = reader.start;
            nameStop = reader.stop;
          } else if (field === STATUS) {
            statusStart = reader.start;
            statusStop = reader.stop;
          } else if (field === EVENTS) {
            readEvent(bytes, reader.start, reader.stop);
            events++;
          } else if (field === LINKS) {
            problem ??= readLink(bytes, reader.start, reader.stop);
            links++;
          }
        } else if (wireType === FIXED64 && (field === START_TIME || field === END_TIME)) {
          reader.fixed64();
          if (field === START_TIME) {
            startLow = reader.low;
            startHigh = reader.high;
          } else {
            endLow = reader.low;
            endHigh = reader.high;
          }
        } else if (wireType === VARINT && field === KIND) kind = reader.int32();
        else reader.skip();
      }
      checkUtf8(bytes, traceStateStart, traceStateStop);
      checkUtf8(bytes, nameStart, nameStop);
      problem =
        idProblem(bytes, traceIdStart, traceIdStop, 'trace_id', 16, false) ??
        idProblem(bytes, spanIdStart, spanIdStop, 'span_id', 8, false) ??
        idProblem(bytes, parentStart, parentStop, 'parent_span_id', 8, true) ??
        problem;
      if (problem !== undefined) {
        tally.reject(problem);
        return;
      }
      tally.rowTime(out, startLow, startHigh);
      out.hexId(bytes, traceIdStart, traceIdStop);
      out.hexId(bytes, spanIdStart, spanIdStop);
      out.hexId(bytes, parentStart, parentStop);
      out.stringBytes(bytes, traceStateStart, traceStateStop);
      out.stringBytes(bytes, nameStart, nameStop);
      out.raw(SPAN_KINDS[kind] ?? SPAN_KINDS[0]!);
      out.raw(serviceColumn);
      out.raw(scopeColumns);
      spanAttributes.write(out);
      writeDuration(startLow, startHigh, endLow, endHigh);
      writeStatus(bytes, statusStart, statusStop);
      for (const column of EVENT_COLUMNS) out.array(events, column);
      for (const column of LINK_COLUMNS) out.array(links, column);
    },
  });
  return tally.finish([{ table: 'otel_traces', rows: out.finish(), count: tally.count }]);

  function readEvent(bytes: Uint8Array, start: number, stop: number): void {
    const reader = partReader.reset(bytes, start, stop);
    partAttributes.reset(bytes);
    let low = 0;
    let high = 0;
    let nameStart = start;
    let nameStop = start;
    while (reader.next()) {
      if (reader.field === EVENT_TIME && reader.wireType === FIXED64) {
        reader.fixed64();
        low = reader.low;
        high = reader.high;
      } else if (reader.field === EVENT_NAME && reader.wireType === LENGTH_DELIMITED) {
        nameStart = reader.start;
        nameStop = reader.stop;
      } else if (reader.field === EVENT_ATTRIBUTES && reader.wireType === LENGTH_DELIMITED) partAttributes.add(reader.start, reader.stop);
      else reader.skip();
    }
    checkUtf8(bytes, nameStart, nameStop);
    tally.time(eventTimes, low, high);
    eventNames.stringBytes(bytes, nameStart, nameStop);
    partAttributes.write(eventAttributes);
  }
}

/** Reads a link into the Links columns; says what is wrong with its ids, if anything. */
function readLink(bytes: Uint8Array, start: number, stop: number): string | undefined {
  const reader = partReader.reset(bytes, start, stop);
  partAttributes.reset(bytes);
  let traceIdStart = start;
  let traceIdStop = start;
  let spanIdStart = start;
  let spanIdStop = start;
  let stateStart = start;
  let stateStop = start;
  while (reader.next()) {
    if (reader.wireType !== LENGTH_DELIMITED) reader.skip();
    else if (reader.field === LINK_TRACE_ID) {
      traceIdStart = reader.start;
      traceIdStop = reader.stop;
    } else if (reader.field === LINK_SPAN_ID) {
      spanIdStart = reader.start;
      spanIdStop = reader.stop;
    } else if (reader.field === LINK_TRACE_STATE) {
      stateStart = reader.start;
      stateStop = reader.stop;
    } else if (reader.field === LINK_ATTRIBUTES) partAttributes.add(reader.start, reader.stop);
  }
  checkUtf8(bytes, stateStart, stateStop);
  linkTraceIds.hexId(bytes, traceIdStart, traceIdStop);
  linkSpanIds.hexId(bytes, spanIdStart, spanIdStop);
  linkTraceStates.stringBytes(bytes, stateStart, stateStop);
  partAttributes.write(linkAttributes);
  return idProblem(bytes, traceIdStart, traceIdStop, 'link trace_id', 16, false) ?? idProblem(bytes, spanIdStart, spanIdStop, 'link span_id', 8, false);
}

const TWO_TO_32 = 4294967296;

/** Duration: end - start in nanoseconds as UInt64; 0 when the span ends before it starts. */
function writeDuration(startLow: number, startHigh: number, endLow: number, endHigh: number): void {
  if (endHigh < startHigh || (endHigh === startHigh && endLow < startLow)) {
    out.u64(0, 0);
    return;
  }
  let low = endLow - startLow;
  let high = endHigh - startHigh;
  if (low < 0) {
    low += TWO_TO_32;
    high -= 1;
  }
  out.u64(low, high);
}

/** StatusCode and StatusMessage from the Status message in bytes[start, stop). */
function writeStatus(bytes: Uint8Array, start: number, stop: number): void {
  const reader = partReader.reset(bytes, start, stop);
  let code = 0;
  let messageStart = start;
  let messageStop = start;
  while (reader.next()) {
    if (reader.field === STATUS_CODE && reader.wireType === VARINT) code = reader.int32();
    else if (reader.field === STATUS_MESSAGE && reader.wireType === LENGTH_DELIMITED) {
      messageStart = reader.start;
      messageStop = reader.stop;
    } else reader.skip();
  }
  checkUtf8(bytes, messageStart, messageStop);
  out.raw(STATUS_CODES[code] ?? STATUS_CODES[0]!);
  out.stringBytes(bytes, messageStart, messageStop);
}
