import type { Metadata } from '@grpc/grpc-js';

// What a rollpoint agent tells the backend about each Export besides the data, as gRPC metadata,
// so any OTLP sender stays a valid one (a stock Collector or SDK simply sends none of it).
export const BATCH_ID_HEADER = 'rollpoint-batch-id';
export const AGENT_ID_HEADER = 'rollpoint-agent-id';
export const WATERMARK_HEADER = 'rollpoint-watermark-unix-ms';

/**
 * How far a receiver that reads a source from a position (filelog's offsets, journald's cursor) had
 * come with a batch: its `seq`-th batch of `source`. The disk queue stores it with the batch, so after
 * a crash the receiver can tell whether that batch was queued (see agent/src/receivers/internal/position-file.ts).
 */
export interface SourcePosition {
  /** The receiver's id and the epoch of its position file, e.g. "filelog/app#3f9a1c2e". */
  source: string;
  /** Increasing per source, across restarts. */
  seq: number;
}

/** Who sent an Export and how far its delivery has come. */
export interface ExportMeta {
  /** The name of the bearer token the sender proved, when the server checks tokens. */
  sender?: string;
  /** The sender's address, e.g. "ipv4:127.0.0.1:53122". */
  peer?: string;
  /** The batch's stable id: the same on every retry, so ClickHouse stores it once. */
  batchId?: string;
  /** The agent that sent it. */
  agentId?: string;
  /** Everything the agent received before this time (Unix ms) has been delivered. */
  watermarkMs?: number;
  /** Inside the agent only: the source positions the request carries, in the order they were read. */
  positions?: readonly SourcePosition[];
}

// Batch ids are what ClickHouse hashes for deduplication: bounded, printable, no surprises.
const BATCH_ID = /^[A-Za-z0-9._:/-]{1,128}$/;
const AGENT_ID = /^[^\s]{1,256}$/;

const header = (metadata: Metadata, name: string): string | undefined => {
  const [value] = metadata.get(name);
  return typeof value === 'string' ? value : undefined;
};

/** The ExportMeta of a call; malformed headers are left out (the data is still taken). */
export function exportMetaFrom(metadata: Metadata, peer: string | undefined, sender: string | undefined): ExportMeta {
  const meta: ExportMeta = {};
  if (sender !== undefined) meta.sender = sender;
  if (peer !== undefined) meta.peer = peer;
  const batchId = header(metadata, BATCH_ID_HEADER);
  if (batchId !== undefined && BATCH_ID.test(batchId)) meta.batchId = batchId;
  const agentId = header(metadata, AGENT_ID_HEADER);
  if (agentId !== undefined && AGENT_ID.test(agentId)) meta.agentId = agentId;
  const watermark = Number(header(metadata, WATERMARK_HEADER));
  if (Number.isSafeInteger(watermark) && watermark > 0) meta.watermarkMs = watermark;
  return meta;
}
