import type { SignalName } from '@rollpoint/proto';
import { NO_DEVICES, type DeviceNameTable } from './device-names.js';
import { encodeLogs } from './logs.js';
import { encodeMetrics } from './metrics.js';
import { encodeTraces } from './traces.js';
import type { EncodedExport } from './wire/encoded-export.js';

/** One Export to encode for its tables. */
export interface EncodeJob {
  signal: SignalName;
  bytes: Uint8Array;
  /** When the backend received it, Unix ns: a log record's or data point's time when it carries none. */
  receivedAtNanos: bigint;
}

/** Now, in Unix nanoseconds. */
export const nowNanos = (): bigint => BigInt(Date.now()) * 1_000_000n;

/** Encodes an Export's rows, device events under their canonical names; throws UndecodableError for bytes that are no valid request. */
export function encodeExport({ signal, bytes, receivedAtNanos }: EncodeJob, devices: DeviceNameTable = NO_DEVICES): EncodedExport {
  switch (signal) {
    case 'logs':
      return encodeLogs(bytes, receivedAtNanos, devices);
    case 'traces':
      return encodeTraces(bytes);
    case 'metrics':
      return encodeMetrics(bytes, receivedAtNanos);
  }
}
