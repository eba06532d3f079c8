import protobuf from 'protobufjs/minimal.js';

/**
 * A google.rpc.Status message (code = 1, message = 2), the body OTLP/HTTP sends with a 4xx or 5xx
 * in protobuf. Two fields do not justify shipping the googleapis protos.
 */
export function encodeRpcStatus(code: number, message: string): Uint8Array {
  return protobuf.Writer.create().uint32((1 << 3) | 0).int32(code).uint32((2 << 3) | 2).string(message).finish();
}
