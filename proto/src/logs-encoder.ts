import Long from 'long';
import type { AnyValue, ExportLogsServiceRequest, InstrumentationScope, KeyValue, LogRecord, Resource, ResourceLogs, ScopeLogs } from './otlp.js';

// ExportLogsServiceRequest → protobuf in two passes over the request object: the first measures
// every nested message and string (remembering the lengths in visiting order), the second writes
// the bytes into one Buffer of exactly the right size. The input is the one OTLP model, the
// objects protobufjs decodes (their defaults sit on the prototype) or plain objects of the same
// shape; the output decodes with protobufjs to the same message.
//
// Written by hand because no library encodes these objects as cheaply: protobufjs's writer
// (reflection or static code) allocates an operation object per value and a fork state per nested
// message and copies everything once more in finish(); pbf and @bufbuild/protobuf write nested
// messages into a growing buffer and move each one when its length prefix is known. Measured on
// 8192 syslog records (scripts/src/bench/syslog.ts, encoder figures): several times faster than
// protobufjs, and it leaves no garbage behind but the result. Like the official encoders it omits
// proto3 fields holding their default value; a oneof member (AnyValue) is written whenever set.

type Int64 = Long | number | string | null | undefined;

const WIRE_VARINT = 0;
const WIRE_FIXED64 = 1;
const WIRE_LENGTH = 2;
const WIRE_FIXED32 = 5;
const tag = (field: number, wire: number): number => (field << 3) | wire;

// Field tags, all below 16 so every tag is one byte.
const T_RESOURCE_LOGS = tag(1, WIRE_LENGTH);
const T_RL_RESOURCE = tag(1, WIRE_LENGTH);
const T_RL_SCOPE_LOGS = tag(2, WIRE_LENGTH);
const T_RL_SCHEMA_URL = tag(3, WIRE_LENGTH);
const T_RES_ATTRIBUTES = tag(1, WIRE_LENGTH);
const T_RES_DROPPED = tag(2, WIRE_VARINT);
const T_RES_ENTITY_REFS = tag(3, WIRE_LENGTH);
const T_ER_SCHEMA_URL = tag(1, WIRE_LENGTH);
const T_ER_TYPE = tag(2, WIRE_LENGTH);
const T_ER_ID_KEYS = tag(3, WIRE_LENGTH);
const T_ER_DESCRIPTION_KEYS = tag(4, WIRE_LENGTH);
const T_SL_SCOPE = tag(1, WIRE_LENGTH);
const T_SL_LOG_RECORDS = tag(2, WIRE_LENGTH);
const T_SL_SCHEMA_URL = tag(3, WIRE_LENGTH);
const T_IS_NAME = tag(1, WIRE_LENGTH);
const T_IS_VERSION = tag(2, WIRE_LENGTH);
const T_IS_ATTRIBUTES = tag(3, WIRE_LENGTH);
const T_IS_DROPPED = tag(4, WIRE_VARINT);
const T_LR_TIME = tag(1, WIRE_FIXED64);
const T_LR_SEVERITY_NUMBER = tag(2, WIRE_VARINT);
const T_LR_SEVERITY_TEXT = tag(3, WIRE_LENGTH);
const T_LR_BODY = tag(5, WIRE_LENGTH);
const T_LR_ATTRIBUTES = tag(6, WIRE_LENGTH);
const T_LR_DROPPED = tag(7, WIRE_VARINT);
const T_LR_FLAGS = tag(8, WIRE_FIXED32);
const T_LR_TRACE_ID = tag(9, WIRE_LENGTH);
const T_LR_SPAN_ID = tag(10, WIRE_LENGTH);
const T_LR_OBSERVED_TIME = tag(11, WIRE_FIXED64);
const T_LR_EVENT_NAME = tag(12, WIRE_LENGTH);
const T_KV_KEY = tag(1, WIRE_LENGTH);
const T_KV_VALUE = tag(2, WIRE_LENGTH);
const T_KV_KEY_STRINDEX = tag(3, WIRE_VARINT);
const T_AV_STRING = tag(1, WIRE_LENGTH);
const T_AV_BOOL = tag(2, WIRE_VARINT);
const T_AV_INT = tag(3, WIRE_VARINT);
const T_AV_DOUBLE = tag(4, WIRE_FIXED64);
const T_AV_ARRAY = tag(5, WIRE_LENGTH);
const T_AV_KVLIST = tag(6, WIRE_LENGTH);
const T_AV_BYTES = tag(7, WIRE_LENGTH);
const T_AV_STRING_STRINDEX = tag(8, WIRE_VARINT);
const T_LIST_VALUES = tag(1, WIRE_LENGTH);

// State of one encode call (encoding is synchronous, so one set serves every call).
/** Lengths of nested messages and strings, in the order both passes visit them (grown as needed, kept). */
let lengths = new Uint32Array(4096);
let count = 0;
let next = 0;
/** Strings shorter than this are measured and copied here; longer ones by Buffer's native code. */
const SHORT_STRING = 64;
const EMPTY = Buffer.alloc(0);
const MAX_KEPT_LENGTHS = 1 << 20;
let out: Buffer = EMPTY;
let at = 0;

// ── sizes ───────────────────────────────────────────────────────────────────────────────────────

const varintSize = (value: number): number => (value < 0x80 ? 1 : value < 0x4000 ? 2 : value < 0x200000 ? 3 : value < 0x10000000 ? 4 : 5);

/**
 * UTF-8 length: short strings counted here when ASCII, the others by Buffer (which is quicker on
 * long ones); lone surrogates become U+FFFD (3 bytes), as Buffer writes them.
 */
function utf8Length(text: string): number {
  if (text.length >= SHORT_STRING) return Buffer.byteLength(text, 'utf8');
  for (let i = 0; i < text.length; i++) if (text.charCodeAt(i) >= 0x80) return Buffer.byteLength(text, 'utf8');
  return text.length;
}

/** Bytes of a length-delimited field (tag, length, content) of `length` bytes. */
const delimited = (length: number): number => 1 + varintSize(length) + length;

/** A place for the next length; its number. */
function reserve(): number {
  if (count === lengths.length) {
    const grown = new Uint32Array(lengths.length * 2);
    grown.set(lengths);
    lengths = grown;
  }
  return count++;
}

/** Records the length of what `slot` was reserved for; the bytes of its field (tag, length, content). */
function settle(slot: number, length: number): number {
  lengths[slot] = length;
  return delimited(length);
}

const stringField = (text: string): number => settle(reserve(), utf8Length(text));

const asBytes = (bytes: Uint8Array | string): Uint8Array => (typeof bytes === 'string' ? Buffer.from(bytes, 'base64') : bytes);

/** The 32-bit halves of the last int64 read by `int64Bits` (unsigned, two's complement). */
let low = 0;
let high = 0;

/** Reads an int64 into `low` and `high`, numbers as protobufjs's LongBits reads them. */
function int64Bits(value: Int64): void {
  if (typeof value === 'number') {
    const negative = value < 0;
    const magnitude = Math.abs(Math.trunc(value));
    low = magnitude >>> 0;
    high = ((magnitude - low) / 4294967296) >>> 0;
    if (negative) {
      high = ~high >>> 0;
      low = ~low >>> 0;
      if (++low > 0xffffffff) {
        low = 0;
        high = (high + 1) >>> 0;
      }
    }
    return;
  }
  const long = typeof value === 'string' ? Long.fromString(value) : value!;
  low = long.low >>> 0;
  high = long.high >>> 0;
}

const isZero64 = (value: Int64): boolean =>
  value === null || value === undefined || value === 0 || value === '0' || (typeof value === 'object' && value.low === 0 && value.high === 0);

function varint64Size(value: Int64): number {
  int64Bits(value);
  if (high === 0) return varintSize(low);
  // Seven bits a byte past the low 32 bits: 5 bytes hold 35 bits, each further byte 7 more.
  return high < 0x08 ? 5 : high < 0x400 ? 6 : high < 0x20000 ? 7 : high < 0x1000000 ? 8 : high < 0x80000000 ? 9 : 10;
}

/** An int32 (enum) as a varint: negative values take 10 bytes, sign-extended. */
const int32Size = (value: number): number => (value < 0 ? 10 : varintSize(value));

const repeatedStrings = (texts: readonly string[] | null | undefined): number => {
  let size = 0;
  for (const text of texts ?? []) size += stringField(text);
  return size;
};

type Member = 'stringValue' | 'boolValue' | 'intValue' | 'doubleValue' | 'arrayValue' | 'kvlistValue' | 'bytesValue' | 'stringValueStrindex';

/**
 * The member of AnyValue's oneof that is set. A decoded AnyValue names it in the oneof's `value`
 * getter (the other members read as defaults from the prototype); a plain object just has it (a
 * oneof holds one member: should a plain object set several, the first in field order is written).
 */
function memberOf(value: AnyValue): Member | undefined {
  if ('value' in value) return value.value ?? undefined;
  if (value.stringValue != null) return 'stringValue';
  if (value.intValue != null) return 'intValue';
  if (value.boolValue != null) return 'boolValue';
  if (value.doubleValue != null) return 'doubleValue';
  if (value.arrayValue != null) return 'arrayValue';
  if (value.kvlistValue != null) return 'kvlistValue';
  if (value.bytesValue != null) return 'bytesValue';
  if (value.stringValueStrindex != null) return 'stringValueStrindex';
  return undefined;
}

function sizeAnyValue(value: AnyValue): number {
  switch (memberOf(value)) {
    case 'stringValue': return stringField(value.stringValue!);
    case 'boolValue': return 2;
    case 'intValue': return 1 + varint64Size(value.intValue as Int64);
    case 'doubleValue': return 9;
    case 'arrayValue': return settle(reserve(), sizeAnyValues(value.arrayValue!.values));
    case 'kvlistValue': return settle(reserve(), sizeKeyValues(value.kvlistValue!.values));
    case 'bytesValue': return delimited(asBytes(value.bytesValue!).length);
    case 'stringValueStrindex': return 1 + int32Size(value.stringValueStrindex!);
    case undefined: return 0;
  }
}

function sizeAnyValues(values: readonly AnyValue[] | null | undefined): number {
  let size = 0;
  for (const value of values ?? []) size += settle(reserve(), sizeAnyValue(value));
  return size;
}

function sizeKeyValue(kv: KeyValue): number {
  let size = kv.key ? stringField(kv.key) : 0;
  if (kv.value) size += settle(reserve(), sizeAnyValue(kv.value));
  if (kv.keyStrindex) size += 1 + int32Size(kv.keyStrindex);
  return size;
}

function sizeKeyValues(attributes: readonly KeyValue[] | null | undefined): number {
  let size = 0;
  for (const kv of attributes ?? []) size += settle(reserve(), sizeKeyValue(kv));
  return size;
}

function sizeResource(resource: Resource): number {
  let size = sizeKeyValues(resource.attributes);
  if (resource.droppedAttributesCount) size += 1 + varintSize(resource.droppedAttributesCount);
  for (const ref of resource.entityRefs ?? []) {
    const slot = reserve();
    size += settle(slot, (ref.schemaUrl ? stringField(ref.schemaUrl) : 0) + (ref.type ? stringField(ref.type) : 0) + repeatedStrings(ref.idKeys) + repeatedStrings(ref.descriptionKeys));
  }
  return size;
}

function sizeScope(scope: InstrumentationScope): number {
  let size = scope.name ? stringField(scope.name) : 0;
  if (scope.version) size += stringField(scope.version);
  size += sizeKeyValues(scope.attributes);
  if (scope.droppedAttributesCount) size += 1 + varintSize(scope.droppedAttributesCount);
  return size;
}

function sizeLogRecord(record: LogRecord): number {
  let size = isZero64(record.timeUnixNano as Int64) ? 0 : 9;
  if (record.severityNumber) size += 1 + int32Size(record.severityNumber);
  if (record.severityText) size += stringField(record.severityText);
  if (record.body) size += settle(reserve(), sizeAnyValue(record.body));
  size += sizeKeyValues(record.attributes);
  if (record.droppedAttributesCount) size += 1 + varintSize(record.droppedAttributesCount);
  if (record.flags) size += 5;
  if (record.traceId && record.traceId.length > 0) size += delimited(asBytes(record.traceId).length);
  if (record.spanId && record.spanId.length > 0) size += delimited(asBytes(record.spanId).length);
  if (!isZero64(record.observedTimeUnixNano as Int64)) size += 9;
  if (record.eventName) size += stringField(record.eventName);
  return size;
}

function sizeScopeLogs(scopeLogs: ScopeLogs): number {
  let size = scopeLogs.scope ? settle(reserve(), sizeScope(scopeLogs.scope)) : 0;
  for (const record of scopeLogs.logRecords ?? []) size += settle(reserve(), sizeLogRecord(record));
  if (scopeLogs.schemaUrl) size += stringField(scopeLogs.schemaUrl);
  return size;
}

function sizeResourceLogs(resourceLogs: ResourceLogs): number {
  let size = resourceLogs.resource ? settle(reserve(), sizeResource(resourceLogs.resource)) : 0;
  for (const scopeLogs of resourceLogs.scopeLogs ?? []) size += settle(reserve(), sizeScopeLogs(scopeLogs));
  if (resourceLogs.schemaUrl) size += stringField(resourceLogs.schemaUrl);
  return size;
}

// ── writing ─────────────────────────────────────────────────────────────────────────────────────

function writeVarint(value: number): void {
  while (value > 0x7f) {
    out[at++] = (value & 0x7f) | 0x80;
    value >>>= 7;
  }
  out[at++] = value;
}

function writeVarint64(value: Int64): void {
  int64Bits(value);
  while (high > 0) {
    out[at++] = (low & 0x7f) | 0x80;
    low = ((low >>> 7) | (high << 25)) >>> 0;
    high >>>= 7;
  }
  writeVarint(low);
}

const writeInt32 = (value: number): void => (value < 0 ? writeVarint64(value) : writeVarint(value));

function writeUint32LE(value: number): void {
  out[at++] = value & 0xff;
  out[at++] = (value >>> 8) & 0xff;
  out[at++] = (value >>> 16) & 0xff;
  out[at++] = value >>> 24;
}

function writeFixed64(value: Int64): void {
  int64Bits(value);
  writeUint32LE(low);
  writeUint32LE(high);
}

function writeString(fieldTag: number, text: string): void {
  const length = lengths[next++]!;
  out[at++] = fieldTag;
  writeVarint(length);
  if (length === text.length && length < SHORT_STRING) {
    for (let i = 0; i < length; i++) out[at + i] = text.charCodeAt(i);
  } else {
    out.write(text, at, length, 'utf8');
  }
  at += length;
}

function writeBytes(fieldTag: number, bytes: Uint8Array | string): void {
  const raw = asBytes(bytes);
  out[at++] = fieldTag;
  writeVarint(raw.length);
  out.set(raw, at);
  at += raw.length;
}

/** The tag and length of a nested message (its content is written next). */
function header(fieldTag: number): void {
  out[at++] = fieldTag;
  writeVarint(lengths[next++]!);
}

function writeAnyValue(value: AnyValue): void {
  switch (memberOf(value)) {
    case 'stringValue':
      writeString(T_AV_STRING, value.stringValue!);
      return;
    case 'boolValue':
      out[at++] = T_AV_BOOL;
      out[at++] = value.boolValue ? 1 : 0;
      return;
    case 'intValue':
      out[at++] = T_AV_INT;
      writeVarint64(value.intValue as Int64);
      return;
    case 'doubleValue':
      out[at++] = T_AV_DOUBLE;
      at = out.writeDoubleLE(value.doubleValue!, at);
      return;
    case 'arrayValue':
      header(T_AV_ARRAY);
      for (const item of value.arrayValue!.values ?? []) {
        header(T_LIST_VALUES);
        writeAnyValue(item);
      }
      return;
    case 'kvlistValue':
      header(T_AV_KVLIST);
      writeKeyValues(T_LIST_VALUES, value.kvlistValue!.values);
      return;
    case 'bytesValue':
      writeBytes(T_AV_BYTES, value.bytesValue!);
      return;
    case 'stringValueStrindex':
      out[at++] = T_AV_STRING_STRINDEX;
      writeInt32(value.stringValueStrindex!);
      return;
    case undefined:
  }
}

function writeKeyValue(kv: KeyValue): void {
  if (kv.key) writeString(T_KV_KEY, kv.key);
  if (kv.value) {
    header(T_KV_VALUE);
    writeAnyValue(kv.value);
  }
  if (kv.keyStrindex) {
    out[at++] = T_KV_KEY_STRINDEX;
    writeInt32(kv.keyStrindex);
  }
}

function writeKeyValues(fieldTag: number, attributes: readonly KeyValue[] | null | undefined): void {
  for (const kv of attributes ?? []) {
    header(fieldTag);
    writeKeyValue(kv);
  }
}

function writeVarintField(fieldTag: number, value: number): void {
  out[at++] = fieldTag;
  writeVarint(value);
}

function writeResource(resource: Resource): void {
  writeKeyValues(T_RES_ATTRIBUTES, resource.attributes);
  if (resource.droppedAttributesCount) writeVarintField(T_RES_DROPPED, resource.droppedAttributesCount);
  for (const ref of resource.entityRefs ?? []) {
    header(T_RES_ENTITY_REFS);
    if (ref.schemaUrl) writeString(T_ER_SCHEMA_URL, ref.schemaUrl);
    if (ref.type) writeString(T_ER_TYPE, ref.type);
    for (const key of ref.idKeys ?? []) writeString(T_ER_ID_KEYS, key);
    for (const key of ref.descriptionKeys ?? []) writeString(T_ER_DESCRIPTION_KEYS, key);
  }
}

function writeScope(scope: InstrumentationScope): void {
  if (scope.name) writeString(T_IS_NAME, scope.name);
  if (scope.version) writeString(T_IS_VERSION, scope.version);
  writeKeyValues(T_IS_ATTRIBUTES, scope.attributes);
  if (scope.droppedAttributesCount) writeVarintField(T_IS_DROPPED, scope.droppedAttributesCount);
}

function writeLogRecord(record: LogRecord): void {
  if (!isZero64(record.timeUnixNano as Int64)) {
    out[at++] = T_LR_TIME;
    writeFixed64(record.timeUnixNano as Int64);
  }
  if (record.severityNumber) {
    out[at++] = T_LR_SEVERITY_NUMBER;
    writeInt32(record.severityNumber);
  }
  if (record.severityText) writeString(T_LR_SEVERITY_TEXT, record.severityText);
  if (record.body) {
    header(T_LR_BODY);
    writeAnyValue(record.body);
  }
  writeKeyValues(T_LR_ATTRIBUTES, record.attributes);
  if (record.droppedAttributesCount) writeVarintField(T_LR_DROPPED, record.droppedAttributesCount);
  if (record.flags) {
    out[at++] = T_LR_FLAGS;
    writeUint32LE(record.flags >>> 0);
  }
  if (record.traceId && record.traceId.length > 0) writeBytes(T_LR_TRACE_ID, record.traceId);
  if (record.spanId && record.spanId.length > 0) writeBytes(T_LR_SPAN_ID, record.spanId);
  if (!isZero64(record.observedTimeUnixNano as Int64)) {
    out[at++] = T_LR_OBSERVED_TIME;
    writeFixed64(record.observedTimeUnixNano as Int64);
  }
  if (record.eventName) writeString(T_LR_EVENT_NAME, record.eventName);
}

function writeScopeLogs(scopeLogs: ScopeLogs): void {
  if (scopeLogs.scope) {
    header(T_SL_SCOPE);
    writeScope(scopeLogs.scope);
  }
  for (const record of scopeLogs.logRecords ?? []) {
    header(T_SL_LOG_RECORDS);
    writeLogRecord(record);
  }
  if (scopeLogs.schemaUrl) writeString(T_SL_SCHEMA_URL, scopeLogs.schemaUrl);
}

function writeResourceLogs(resourceLogs: ResourceLogs): void {
  if (resourceLogs.resource) {
    header(T_RL_RESOURCE);
    writeResource(resourceLogs.resource);
  }
  for (const scopeLogs of resourceLogs.scopeLogs ?? []) {
    header(T_RL_SCOPE_LOGS);
    writeScopeLogs(scopeLogs);
  }
  if (resourceLogs.schemaUrl) writeString(T_RL_SCHEMA_URL, resourceLogs.schemaUrl);
}

/** The protobuf encoding of `request`, in a Buffer of its own. */
export function encodeLogsRequest(request: ExportLogsServiceRequest): Buffer {
  count = 0;
  let size = 0;
  for (const resourceLogs of request.resourceLogs ?? []) size += settle(reserve(), sizeResourceLogs(resourceLogs));
  out = Buffer.allocUnsafe(size);
  at = 0;
  next = 0;
  try {
    for (const resourceLogs of request.resourceLogs ?? []) {
    header(T_RESOURCE_LOGS);
    writeResourceLogs(resourceLogs);
  }
    if (at !== size) throw new Error(`logs encoder: wrote ${at} bytes of ${size}`);
    return out;
  } finally {
    // Nothing of this request stays referenced once it is encoded, nor a huge length table.
    if (lengths.length > MAX_KEPT_LENGTHS) lengths = new Uint32Array(MAX_KEPT_LENGTHS);
    out = EMPTY;
  }
}
