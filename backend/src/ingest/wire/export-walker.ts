import { AttributeList, writeAnyValue } from './attributes.js';
import { checkUtf8, LENGTH_DELIMITED, ProtobufReader, VARINT } from './protobuf-reader.js';
import { RowBinaryWriter } from './row-binary-writer.js';

// Every Export request nests the same way (logs.proto, trace.proto, metrics.proto): the request's field 1 is a
// resource group {1: Resource, 2: scope group, 3: schema_url}, each scope group is
// {1: InstrumentationScope, 2: record, 3: schema_url}. The walker reads that nesting and hands each
// record's byte range to the signal's encoder, with its resource's and scope's columns already
// written once as blocks of RowBinary that every row of the group repeats.

const GROUP = 1;
const RESOURCE = 1;
const SCOPE_GROUP = 2;
const SCHEMA_URL = 3;
const RESOURCE_ATTRIBUTES = 1;
const SCOPE = 1;
const ITEM = 2;
const SCOPE_NAME = 1;
const SCOPE_VERSION = 2;
const SCOPE_ATTRIBUTES = 3;
const SCOPE_DROPPED_ATTRIBUTES_COUNT = 4;

const SERVICE_NAME = Buffer.from('service.name');

/** What a resource group gives its rows. */
export interface ResourceContext {
  attributes: AttributeList;
  /** The group's schema_url, a byte range. */
  schemaUrlStart: number;
  schemaUrlStop: number;
}

/** What a scope group gives its rows. */
export interface ScopeContext {
  nameStart: number;
  nameStop: number;
  versionStart: number;
  versionStop: number;
  attributes: AttributeList;
  droppedAttributesCount: number;
  schemaUrlStart: number;
  schemaUrlStop: number;
}

/** A signal's row encoder, told of each group and record in order. */
export interface ExportVisitor {
  /** A resource group begins; `service` is its ServiceName column, already written. */
  resource(resource: ResourceContext, service: Buffer): void;
  scope(resource: ResourceContext, scope: ScopeContext): void;
  /** One record (log record, span, metric) in bytes[start, stop). */
  record(bytes: Uint8Array, start: number, stop: number): void;
}

const requestReader = new ProtobufReader();
const groupReader = new ProtobufReader();
const scopeReader = new ProtobufReader();
const partReader = new ProtobufReader();
const scratch = new RowBinaryWriter(4096);
const resource: ResourceContext = { attributes: new AttributeList(), schemaUrlStart: 0, schemaUrlStop: 0 };
const scope: ScopeContext = { nameStart: 0, nameStop: 0, versionStart: 0, versionStop: 0, attributes: new AttributeList(), droppedAttributesCount: 0, schemaUrlStart: 0, schemaUrlStop: 0 };

/** Walks an Export request's bytes; throws UndecodableError where they are not a well-formed request. */
export function walkExport(bytes: Uint8Array, visitor: ExportVisitor): void {
  const reader = requestReader.reset(bytes);
  while (reader.next()) {
    if (reader.field === GROUP && reader.wireType === LENGTH_DELIMITED) walkResourceGroup(bytes, reader.start, reader.stop, visitor);
    else reader.skip();
  }
}

function walkResourceGroup(bytes: Uint8Array, start: number, stop: number, visitor: ExportVisitor): void {
  // First the resource and schema_url (which may come after the scope groups), then the groups.
  const reader = groupReader.reset(bytes, start, stop);
  resource.attributes.reset(bytes);
  resource.schemaUrlStart = resource.schemaUrlStop = start;
  while (reader.next()) {
    if (reader.wireType !== LENGTH_DELIMITED) reader.skip();
    else if (reader.field === RESOURCE) readAttributes(bytes, reader.start, reader.stop, RESOURCE_ATTRIBUTES, resource.attributes);
    else if (reader.field === SCHEMA_URL) {
      resource.schemaUrlStart = reader.start;
      resource.schemaUrlStop = reader.stop;
    }
  }
  checkUtf8(bytes, resource.schemaUrlStart, resource.schemaUrlStop);
  visitor.resource(resource, serviceNameColumn(bytes));
  reader.reset(bytes, start, stop);
  while (reader.next()) {
    if (reader.wireType === LENGTH_DELIMITED && reader.field === SCOPE_GROUP) walkScopeGroup(bytes, reader.start, reader.stop, visitor);
    else reader.skip();
  }
}

/** The ServiceName column: the first service.name attribute of the resource, as text. */
function serviceNameColumn(bytes: Uint8Array): Buffer {
  scratch.reset();
  const value = resource.attributes.find(SERVICE_NAME);
  if (value === undefined) scratch.u8(0);
  else writeAnyValue(scratch, bytes, value[0], value[1]);
  return scratch.copy();
}

/** Adds the KeyValue entries of field `field` of the message in bytes[start, stop) to `list`. */
function readAttributes(bytes: Uint8Array, start: number, stop: number, field: number, list: AttributeList): void {
  const reader = partReader.reset(bytes, start, stop);
  while (reader.next()) {
    if (reader.field === field && reader.wireType === LENGTH_DELIMITED) list.add(reader.start, reader.stop);
    else reader.skip();
  }
}

function walkScopeGroup(bytes: Uint8Array, start: number, stop: number, visitor: ExportVisitor): void {
  const reader = scopeReader.reset(bytes, start, stop);
  scope.attributes.reset(bytes);
  scope.nameStart = scope.nameStop = scope.versionStart = scope.versionStop = scope.schemaUrlStart = scope.schemaUrlStop = start;
  scope.droppedAttributesCount = 0;
  while (reader.next()) {
    if (reader.wireType !== LENGTH_DELIMITED) reader.skip();
    else if (reader.field === SCOPE) readScope(bytes, reader.start, reader.stop);
    else if (reader.field === SCHEMA_URL) {
      scope.schemaUrlStart = reader.start;
      scope.schemaUrlStop = reader.stop;
    }
  }
  checkUtf8(bytes, scope.schemaUrlStart, scope.schemaUrlStop);
  visitor.scope(resource, scope);
  reader.reset(bytes, start, stop);
  while (reader.next()) {
    if (reader.wireType === LENGTH_DELIMITED && reader.field === ITEM) visitor.record(bytes, reader.start, reader.stop);
    else reader.skip();
  }
}

function readScope(bytes: Uint8Array, start: number, stop: number): void {
  const reader = partReader.reset(bytes, start, stop);
  while (reader.next()) {
    if (reader.field === SCOPE_DROPPED_ATTRIBUTES_COUNT && reader.wireType === VARINT) scope.droppedAttributesCount = reader.varint32();
    else if (reader.wireType !== LENGTH_DELIMITED) reader.skip();
    else if (reader.field === SCOPE_NAME) {
      scope.nameStart = reader.start;
      scope.nameStop = reader.stop;
    } else if (reader.field === SCOPE_VERSION) {
      scope.versionStart = reader.start;
      scope.versionStop = reader.stop;
    } else if (reader.field === SCOPE_ATTRIBUTES) scope.attributes.add(reader.start, reader.stop);
  }
  checkUtf8(bytes, scope.nameStart, scope.nameStop);
  checkUtf8(bytes, scope.versionStart, scope.versionStop);
}
