import { expect } from 'chai';
import Long from 'long';
import type protobuf from 'protobufjs';
import { encodeLogsRequest } from './logs-encoder.js';
import { ExportLogsServiceRequest, type ExportLogsServiceRequest as Request } from './otlp.js';

const Type = ExportLogsServiceRequest as unknown as protobuf.Type;
const view = (bytes: Uint8Array) => Type.toObject(Type.decode(bytes), { longs: String, bytes: String, defaults: true });
const protobufjs = (request: Request) => Type.encode(request).finish();

/** A value for every field the .proto declares, each oneof member in turn, nested `depth` deep. */
function filled(type: protobuf.Type, depth: number, turn = { n: 0 }): Record<string, unknown> {
  const message: Record<string, unknown> = {};
  const chosen = new Map<protobuf.OneOf, protobuf.Field>();
  for (const field of type.fieldsArray) {
    field.resolve();
    const oneof = field.partOf;
    if (oneof && !chosen.has(oneof)) chosen.set(oneof, oneof.fieldsArray[turn.n % oneof.fieldsArray.length]!);
    if (oneof && chosen.get(oneof) !== field) continue;
    const one = (): unknown => {
      if (field.resolvedType && 'fieldsArray' in field.resolvedType) return depth > 0 ? filled(field.resolvedType, depth - 1, turn) : {};
      if (field.resolvedType) return 9; // an enum (SeverityNumber)
      switch (field.type) {
        case 'string': return `${field.name}-ü✓-${turn.n}`;
        case 'bool': return true;
        case 'bytes': return new Uint8Array([1, 2, 3, turn.n & 0xff]);
        case 'double': return -1.5 - turn.n;
        case 'int64': return Long.fromString('-12345678901234');
        case 'fixed64': return Long.fromString('1764590400123456789', true);
        case 'int32': return 300 + turn.n;
        default: return 4000000000 - turn.n; // uint32, fixed32
      }
    };
    message[field.name] = field.repeated ? [one(), one()] : one();
    turn.n++;
  }
  return message;
}

describe('logs encoder', function () {
  it('writes every field of the OTLP logs .proto so that protobufjs decodes the same message', function () {
    for (let round = 0; round < 8; round++) {
      const request = filled(Type, 6, { n: round }) as Request;
      expect(view(encodeLogsRequest(request))).to.deep.equal(view(protobufjs(request)));
    }
  });

  it('encodes decoded messages (defaults on the prototype, the oneof case in `value`) as they came', function () {
    const request: Request = {
      resourceLogs: [{
        resource: { attributes: [{ key: 'host.name', value: { stringValue: '' } }] },
        scopeLogs: [{ logRecords: [{ body: {}, attributes: [{ key: 'b', value: { boolValue: false } }, { key: 'i', value: { intValue: Long.ZERO } }, { key: 'd', value: { doubleValue: 0 } }] }] }],
      }],
    };
    const decoded = Type.decode(protobufjs(request)) as Request;
    expect(view(encodeLogsRequest(decoded))).to.deep.equal(view(protobufjs(request)));
    expect(view(encodeLogsRequest(request))).to.deep.equal(view(protobufjs(request)));
  });

  it('takes numbers, strings and base64 where protobufjs does, and negative enums', function () {
    const request = {
      resourceLogs: [{ scopeLogs: [{ logRecords: [
        { timeUnixNano: 1764590400123, observedTimeUnixNano: '1764590400123456789', severityNumber: -1, traceId: 'AAECAwQFBgcICQoLDA0ODw==', body: { intValue: -5 } },
        { body: { intValue: 2 ** 40 + 3 }, attributes: [{ key: 'big', value: { intValue: '-9223372036854775808' } }] },
      ] }] }],
    } as unknown as Request;
    expect(view(encodeLogsRequest(request))).to.deep.equal(view(protobufjs(request)));
  });

  it('encodes an empty request as no bytes', function () {
    expect(encodeLogsRequest({}).length).to.equal(0);
    expect(encodeLogsRequest({ resourceLogs: [] }).length).to.equal(0);
  });
});
