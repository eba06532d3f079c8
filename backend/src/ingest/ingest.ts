import type { SignalName } from '@rollpoint/proto';
import type { ConsumeEncoded, ExportMeta } from '@rollpoint/runtime';
import type { Logger } from 'pino';
import type { BackendMetrics } from '../telemetry/metrics.js';
import type { Store } from '../store/store.js';
import type { Arrivals } from './arrivals.js';
import { nowNanos } from './encode.js';
import { EncodePool } from './encode-pool.js';
import { TableBuffer, type BufferSettings, type InsertObserver } from './table-buffer.js';
import { INGEST_TABLES } from './store-export.js';
import { sourceOf, type SourceWatermarks } from './watermarks.js';

export interface Ingest {
  traces: ConsumeEncoded;
  logs: ConsumeEncoded;
  /** Stores what is buffered, then stops the encode workers. */
  close(): Promise<void>;
}

export interface IngestSettings {
  buffer: BufferSettings;
  /** Threads that encode Exports; 0 encodes on the main thread. */
  workers: number;
}

/**
 * The write path: each Export's bytes are encoded (on the encode pool) into its table's rows in one
 * pass that also yields its event-time range and rejected records; the rows join the table's
 * buffer, which coalesces every sender's into one insert; once that insert stored them, the
 * source's watermark, the earliest event time (for late data) and the per-source counts are noted
 * and the sender is answered. An Export without records (an agent's heartbeat) only does the
 * watermark.
 */
export function createIngest(store: Store, watermarks: SourceWatermarks, metrics: BackendMetrics, arrivals: Arrivals, settings: IngestSettings, logger: Logger): Ingest {
  const pool = new EncodePool(settings.workers);
  const observer: InsertObserver = {
    inserted: (table, rows, seconds) => {
      metrics.insertSeconds.observe(seconds);
      metrics.inserts.inc({ table });
      metrics.insertedRows.inc({ table }, rows);
    },
    duplicates: (table, batches) => metrics.duplicateBatches.inc({ table }, batches),
    ledgerFailed: (table, err) => {
      metrics.ledgerFailures.inc({ table });
      logger.warn({ table, err }, 'rows stored, but their batch ids could not be written to ingested_batches: a retry of those batches would be stored again');
    },
  };
  const buffers: Record<Exclude<SignalName, 'metrics'>, TableBuffer> = {
    logs: new TableBuffer(store, INGEST_TABLES.logs.table, INGEST_TABLES.logs.columns, settings.buffer, observer),
    traces: new TableBuffer(store, INGEST_TABLES.traces.table, INGEST_TABLES.traces.columns, settings.buffer, observer),
  };
  const consume =
    (signal: keyof typeof buffers): ConsumeEncoded =>
    async (bytes: Uint8Array, meta: ExportMeta) => {
      const encoded = await pool.encode({ signal, bytes, receivedAtNanos: nowNanos() });
      if (encoded.count > 0) {
        const stored = await buffers[signal].add(encoded.rows, encoded.count, meta.batchId);
        if (stored) {
          metrics.ingestedRecords.inc({ signal, source: sourceOf(meta) }, encoded.count);
          arrivals.note(encoded.earliestMs);
        }
      }
      watermarks.observe(meta, encoded.latestMs);
      return { records: encoded.count, rejection: encoded.rejection };
    };
  return {
    traces: consume('traces'),
    logs: consume('logs'),
    async close() {
      await Promise.all([buffers.logs.flush(), buffers.traces.flush()]);
      await pool.close();
    },
  };
}
