import protobuf from 'protobufjs/minimal.js';

// google.rpc.Status (code = 1, message = 2, details = 3 as google.protobuf.Any {type_url = 1,
// value = 2}) and google.rpc.RetryInfo (retry_delay = 1 as google.protobuf.Duration {seconds = 1,
// nanos = 2}): the body OTLP/HTTP sends with an error, and the grpc-status-details-bin trailer that
// tells an OTLP/gRPC sender how long to wait. A handful of fields do not justify shipping the
// googleapis protos, so they are written and read with protobufjs's wire primitives.

const RETRY_INFO_TYPE = 'type.googleapis.com/google.rpc.RetryInfo';
const LENGTH_DELIMITED = 2;
const VARINT = 0;
const tag = (field: number, wireType: number): number => (field << 3) | wireType;

function encodeRetryInfo(delayMs: number): Uint8Array {
  const seconds = Math.floor(delayMs / 1000);
  const nanos = Math.round((delayMs % 1000) * 1e6);
  const duration = protobuf.Writer.create().uint32(tag(1, VARINT)).int64(seconds).uint32(tag(2, VARINT)).int32(nanos).finish();
  return protobuf.Writer.create().uint32(tag(1, LENGTH_DELIMITED)).bytes(duration).finish();
}

/** A google.rpc.Status message; with `retryDelayMs`, it carries a RetryInfo detail. */
export function encodeRpcStatus(code: number, message: string, retryDelayMs?: number): Uint8Array {
  const writer = protobuf.Writer.create().uint32(tag(1, VARINT)).int32(code).uint32(tag(2, LENGTH_DELIMITED)).string(message);
  if (retryDelayMs !== undefined) {
    const any = protobuf.Writer.create().uint32(tag(1, LENGTH_DELIMITED)).string(RETRY_INFO_TYPE).uint32(tag(2, LENGTH_DELIMITED)).bytes(encodeRetryInfo(retryDelayMs)).finish();
    writer.uint32(tag(3, LENGTH_DELIMITED)).bytes(any);
  }
  return writer.finish();
}

/** Calls `onField` for each field of one message; unknown fields are skipped. */
function readFields(bytes: Uint8Array, onField: (field: number, reader: protobuf.Reader, wireType: number) => boolean): void {
  const reader = protobuf.Reader.create(bytes);
  while (reader.pos < reader.len) {
    const key = reader.uint32();
    if (!onField(key >>> 3, reader, key & 7)) reader.skipType(key & 7);
  }
}

function readDurationMs(bytes: Uint8Array): number {
  let seconds = 0;
  let nanos = 0;
  readFields(bytes, (field, reader, wireType) => {
    if (wireType !== VARINT) return false;
    if (field === 1) seconds = Number(reader.int64());
    else if (field === 2) nanos = reader.int32();
    else return false;
    return true;
  });
  return seconds * 1000 + nanos / 1e6;
}

/**
 * The retry delay in a google.rpc.Status message (a grpc-status-details-bin trailer), or undefined
 * when it has no RetryInfo. Undecodable bytes count as no RetryInfo.
 */
export function retryDelayMsOf(statusBytes: Uint8Array): number | undefined {
  let delayMs: number | undefined;
  try {
    readFields(statusBytes, (field, reader, wireType) => {
      if (field !== 3 || wireType !== LENGTH_DELIMITED) return false;
      let typeUrl = '';
      let value: Uint8Array = new Uint8Array();
      readFields(reader.bytes(), (anyField, anyReader, anyWire) => {
        if (anyWire !== LENGTH_DELIMITED) return false;
        if (anyField === 1) typeUrl = anyReader.string();
        else if (anyField === 2) value = anyReader.bytes();
        else return false;
        return true;
      });
      if (typeUrl === RETRY_INFO_TYPE) {
        delayMs = 0;
        readFields(value, (infoField, infoReader, infoWire) => {
          if (infoField !== 1 || infoWire !== LENGTH_DELIMITED) return false;
          delayMs = readDurationMs(infoReader.bytes());
          return true;
        });
      }
      return true;
    });
  } catch {
    return undefined;
  }
  return delayMs;
}
