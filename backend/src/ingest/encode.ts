import type { SignalName } from '@rollpoint/proto';
import { encodeLogs } from './logs.js';
import { encodeTraces } from './traces.js';
import type { EncodedExport } from './wire/encoded-export.js';

/** One Export to encode for its table. */
export interface EncodeJob {
  signal: SignalName;
  bytes: Uint8Array;
  /** When the backend received it, Unix ns: a log record's time when it carries none. */
  receivedAtNanos: bigint;
}

/** Now, in Unix nanoseconds. */
export const nowNanos = (): bigint => BigInt(Date.now()) * 1_000_000n;

/** Encodes an Export's rows; throws UndecodableError for bytes that are no valid request. */
export const encodeExport = ({ signal, bytes, receivedAtNanos }: EncodeJob): EncodedExport =>
  signal === 'logs' ? encodeLogs(bytes, receivedAtNanos) : encodeTraces(bytes);
