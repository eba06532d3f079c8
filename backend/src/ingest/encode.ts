import type { SignalName } from '@rollpoint/proto';
import { encodeLogs } from './logs.js';
import { encodeTraces } from './traces.js';
import type { EncodedExport } from './wire/encoded-export.js';

/** One Export to encode for its table. */
export interface EncodeJob {
  signal: SignalName;
  bytes: Uint8Array;
  /** The sender's batch id, '' when it sent none. */
  batchId: string;
  /** When the backend received it, Unix ns: a log record's time when it carries none. */
  receivedAtNanos: bigint;
}

/** Encodes an Export's rows; throws UndecodableError (or another error) for bytes that are no valid request. */
export const encodeExport = ({ signal, bytes, batchId, receivedAtNanos }: EncodeJob): EncodedExport =>
  signal === 'logs' ? encodeLogs(bytes, batchId, receivedAtNanos) : encodeTraces(bytes, batchId);
