import { createHash } from 'node:crypto';
import type { SignalName } from '@rollpoint/proto';
import { encodeLogs } from './logs.js';
import { encodeTraces } from './traces.js';
import type { EncodedExport } from './wire/encoded-export.js';

/** One Export to encode for its table. */
export interface EncodeJob {
  signal: SignalName;
  bytes: Uint8Array;
  /** The sender's batch id; '' when it sent none, and its content's digest is used. */
  batchId: string;
  /** When the backend received it, Unix ns: a log record's time when it carries none. */
  receivedAtNanos: bigint;
}

/**
 * The batch id of an Export that came without one (an SDK, a stock Collector): the digest of its
 * bytes, so that an identical retry is stored once, as ClickHouse's block hash did for an insert of
 * its own. Two senders' byte-identical Exports are stored once too.
 */
const contentBatchId = (bytes: Uint8Array): string => `sha256:${createHash('sha256').update(bytes).digest('base64url')}`;

/** Encodes an Export's rows; throws UndecodableError (or another error) for bytes that are no valid request. */
export function encodeExport({ signal, bytes, batchId, receivedAtNanos }: EncodeJob): EncodedExport & { batchId: string } {
  const id = batchId || contentBatchId(bytes);
  const encoded = signal === 'logs' ? encodeLogs(bytes, id, receivedAtNanos) : encodeTraces(bytes, id);
  return { ...encoded, batchId: id };
}
