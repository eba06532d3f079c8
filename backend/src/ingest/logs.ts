import { isIP } from 'node:net';
import { idProblem, severityProblem } from '@rollpoint/proto';
import type { InsertColumn } from '../store/store.js';
import { DEVICE_ADDRESS_ATTRIBUTES, isDeviceName, type DeviceNameTable, type DevicePair } from './device-names.js';
import { AttributeList, anyValueString, writeAnyValue } from './wire/attributes.js';
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

const HOST_NAME = Buffer.from('host.name');
/** Each device scope's name and the attribute holding its records' device address, as bytes. */
const DEVICE_SCOPES = Object.entries(DEVICE_ADDRESS_ATTRIBUTES).map(([scope, attribute]) => ({ scope: Buffer.from(scope), attribute: Buffer.from(attribute) }));

function rangeEquals(bytes: Uint8Array, start: number, stop: number, expected: Uint8Array): boolean {
  if (stop - start !== expected.length) return false;
  for (let i = 0; i < expected.length; i++) if (bytes[start + i] !== expected[i]) return false;
  return true;
}

const recordReader = new ProtobufReader();
const recordAttributes = new AttributeList();
const out = new RowBinaryWriter(1024 * 1024);
const scratch = new RowBinaryWriter(4096);

/** A resource group's ResourceSchemaUrl and ResourceAttributes columns, host.name replaced by `hostName` when given. */
function resourceColumnsOf(bytes: Uint8Array, resource: ResourceContext, hostName?: string): Buffer {
  scratch.reset();
  scratch.stringBytes(bytes, resource.schemaUrlStart, resource.schemaUrlStop);
  resource.attributes.write(scratch, hostName === undefined ? undefined : { key: HOST_NAME, value: hostName });
  return scratch.copy();
}

/** The columns from ResourceSchemaUrl to ScopeAttributes that every row of a scope group repeats. */
function scopeColumnsOf(bytes: Uint8Array, resourceColumns: Buffer, scope: ScopeContext): Buffer {
  scratch.reset();
  scratch.raw(resourceColumns);
  scratch.stringBytes(bytes, scope.schemaUrlStart, scope.schemaUrlStop);
  scratch.stringBytes(bytes, scope.nameStart, scope.nameStop);
  scratch.stringBytes(bytes, scope.versionStart, scope.versionStop);
  scope.attributes.write(scratch);
  return scratch.copy();
}

/**
 * One otel_logs row per log record, in one pass over the Export's bytes. Timestamp is the event
 * time, else the observed time (as the Collector's exporter does), else `receivedAtNanos`: a record
 * stamped 1970 would be dropped by TTL at once and would never line up with its windows. Records
 * with a malformed trace or span id or severity are left out and reported. Device events (syslog
 * and snmptrap scopes) are stored under their canonical name from `devices` (by host.name, else by
 * each record's device address), and the address ↔ name pairs they show that `devices` does not
 * know yet are reported; other records pay nothing for it.
 */
export function encodeLogs(bytes: Uint8Array, receivedAtNanos: bigint, devices: DeviceNameTable): EncodedExport {
  const tally = new ExportTally('log records');
  const receivedLow = Number(receivedAtNanos & 0xffffffffn);
  const receivedHigh = Number(receivedAtNanos >> 32n);
  const none: Buffer = Buffer.alloc(0);
  let serviceColumn = none;
  let resourceColumns = none;
  let scopeColumns = none;
  let currentResource: ResourceContext | undefined;
  let currentScope: ScopeContext | undefined;
  // In a device scope group: the attribute naming each record's device address; whether the
  // configured table is to be asked about it (host.name was not in it); the host.name to learn
  // for it (when that is a name); the group's columns under each canonical name met so far.
  let deviceAddress: Uint8Array | undefined;
  let mapByAddress = false;
  let learnAs: string | undefined;
  let reportedName = '';
  const underName = new Map<string, Buffer>();
  let lastAddress: Uint8Array = none;
  let lastColumns = none;
  const pairs: DevicePair[] = [];
  const noted = new Map<string, string>();
  const columnsUnder = (name: string): Buffer => scopeColumnsOf(bytes, resourceColumnsOf(bytes, currentResource!, name), currentScope!);
  /** A device event's scope columns: under the configured name of its device address, if it has one. Notes what it teaches. */
  const deviceColumns = (attribute: Uint8Array): Buffer => {
    const range = recordAttributes.find(attribute);
    if (range === undefined) return scopeColumns;
    // A group's records mostly come from one address: its answer is kept for the next.
    if (rangeEquals(bytes, range[0], range[1], lastAddress)) return lastColumns;
    lastAddress = bytes.subarray(range[0], range[1]);
    lastColumns = addressColumns(anyValueString(bytes, range[0], range[1]));
    return lastColumns;
  };
  const addressColumns = (address: string | undefined): Buffer => {
    if (address === undefined) return scopeColumns;
    if (learnAs !== undefined && noted.get(address) !== learnAs && isIP(address) !== 0) {
      noted.set(address, learnAs);
      if (!devices.knows([address, learnAs])) pairs.push([address, learnAs]);
    }
    const name = mapByAddress ? devices.resolve(address) : undefined;
    if (name === undefined || name === reportedName) return scopeColumns;
    let columns = underName.get(name);
    if (!columns) underName.set(name, (columns = columnsUnder(name)));
    return columns;
  };
  out.reset();
  walkExport(bytes, {
    resource(resource: ResourceContext, service: Buffer) {
      serviceColumn = service;
      resourceColumns = resourceColumnsOf(bytes, resource);
    },
    scope(resource: ResourceContext, scope: ScopeContext) {
      scopeColumns = scopeColumnsOf(bytes, resourceColumns, scope);
      deviceAddress = undefined;
      const device = DEVICE_SCOPES.find((d) => rangeEquals(bytes, scope.nameStart, scope.nameStop, d.scope));
      const hostRange = device && resource.attributes.find(HOST_NAME);
      const hostName = hostRange && anyValueString(bytes, hostRange[0], hostRange[1]);
      if (hostName === undefined) return;
      currentResource = resource;
      currentScope = scope;
      const name = devices.resolve(hostName) ?? devices.learnedName(hostName);
      if (name !== undefined && name !== hostName) scopeColumns = columnsUnder(name);
      mapByAddress = name === undefined && !devices.empty;
      learnAs = isDeviceName(hostName) ? hostName : undefined;
      if (!mapByAddress && learnAs === undefined) return;
      deviceAddress = device!.attribute;
      reportedName = hostName;
      underName.clear();
      lastAddress = none;
      lastColumns = scopeColumns;
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
      out.raw(deviceAddress === undefined ? scopeColumns : deviceColumns(deviceAddress));
      recordAttributes.write(out);
      out.stringBytes(bytes, eventNameStart, eventNameStop);
    },
  });
  const encoded = tally.finish([{ table: 'otel_logs', rows: out.finish(), count: tally.count }]);
  return pairs.length > 0 ? { ...encoded, devicePairs: pairs } : encoded;
}
