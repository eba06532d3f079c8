import type { Rejection } from '@rollpoint/proto';
import type { ExportMeta } from './export-meta.js';

// How pipeline stages hand OTLP on: receivers, processors and exporters in the agent, the OTLP
// server and the write path in the backend. One signature, as the Collector's consumer.Traces/Logs.

/**
 * Takes a decoded, validated request; resolves once it is safe to acknowledge it. `meta` says who
 * sent it, where a server knows, and which source positions it carries (agent processors pass it on).
 */
export type Consume<Req> = (request: Req, meta?: ExportMeta) => Promise<void>;

/** What a consumer of undecoded Exports took: the records stored and those it refused. */
export interface Accepted {
  records: number;
  rejection: Rejection;
}

/**
 * Takes an Export's protobuf bytes as they arrived: decodes, validates and stores them itself (the
 * backend's write path, which goes from bytes to columns without a decoded request in between).
 * Throws UndecodableError for bytes that are no valid request.
 */
export type ConsumeEncoded = (bytes: Uint8Array, meta: ExportMeta) => Promise<Accepted>;
