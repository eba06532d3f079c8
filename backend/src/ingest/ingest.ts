import type { SignalName } from '@rollpoint/proto';
import type { ConsumeEncoded, ExportMeta } from '@rollpoint/runtime';
import type { Logger } from 'pino';
import type { BackendMetrics } from '../telemetry/metrics.js';
import type { Store } from '../store/store.js';
import type { Arrivals } from './arrivals.js';
import type { DeviceAlias } from './device-names.js';
import { nowNanos } from './encode.js';
import { EncodePool } from './encode-pool.js';
import { LearnedDevices } from './learned-devices.js';
import { TableBuffer, type BufferSettings, type InsertObserver } from './table-buffer.js';
import { INSERT_COLUMNS, type IngestTable } from './store-export.js';
import { sourceOf, type SourceWatermarks } from './watermarks.js';

export interface Ingest {
  traces: ConsumeEncoded;
  logs: ConsumeEncoded;
  metrics: ConsumeEncoded;
  /** Stores what is buffered, then stops the encode workers. */
  close(): Promise<void>;
}

export interface IngestSettings {
  buffer: BufferSettings;
  /** Threads that encode Exports; 0 encodes on the main thread. */
  workers: number;
  /** The configured `devices:` table: device events are stored under its canonical names. */
  devices: readonly DeviceAlias[];
}

/**
 * The ledger id of what one table stored of a batch. Logs and spans fill one table each: their
 * batch id as it is. A metrics batch fills up to five, each written (and failed) by its own insert:
 * one entry per table, so that a retry after a failure in one table stores only what is missing.
 */
const ledgerId = (signal: SignalName, batchId: string | undefined, table: IngestTable): string | undefined =>
  signal === 'metrics' && batchId !== undefined ? `${batchId} ${table}` : batchId;

/**
 * The write path: each Export's bytes are encoded (on the encode pool) into its tables' rows in one
 * pass that also yields its event-time range and rejected records; each table's rows join that
 * table's buffer, which coalesces every sender's into one insert; once every table's insert stored
 * them, the source's watermark, the earliest event time (for late data) and the per-source counts
 * are noted and the sender is answered, and device pairs the rows taught are learned. An Export
 * without records (an agent's heartbeat) only does the watermark.
 */
export function createIngest(store: Store, watermarks: SourceWatermarks, metrics: BackendMetrics, arrivals: Arrivals, settings: IngestSettings, logger: Logger): Ingest {
  const pool = new EncodePool(settings.workers, settings.devices);
  const learnedDevices = new LearnedDevices(store, pool, logger);
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
  const buffers = new Map(
    (Object.keys(INSERT_COLUMNS) as IngestTable[]).map((table) => [table, new TableBuffer(store, table, INSERT_COLUMNS[table], settings.buffer, observer)]),
  );
  const consume =
    (signal: SignalName): ConsumeEncoded =>
    async (bytes: Uint8Array, meta: ExportMeta) => {
      // The first Exports wait for what earlier runs learned about devices.
      await learnedDevices.load();
      const encoded = await pool.encode({ signal, bytes, receivedAtNanos: nowNanos() });
      // Every table's insert settles before the sender is answered, so its retry never races a part still being written.
      const outcomes = await Promise.allSettled(
        encoded.tables.map(({ table, rows, count }) => buffers.get(table)!.add(rows, count, ledgerId(signal, meta.batchId, table))),
      );
      const failed = outcomes.find((outcome) => outcome.status === 'rejected');
      if (failed) throw failed.reason;
      if (encoded.devicePairs) void learnedDevices.note(encoded.devicePairs);
      const stored = encoded.tables.reduce((n, part, i) => ((outcomes[i] as PromiseFulfilledResult<boolean>).value ? n + part.count : n), 0);
      if (stored > 0) {
        metrics.ingestedRecords.inc({ signal, source: sourceOf(meta) }, stored);
        arrivals.note(encoded.earliestMs);
      }
      watermarks.observe(meta, encoded.latestMs);
      return { records: encoded.count, rejection: encoded.rejection };
    };
  return {
    traces: consume('traces'),
    logs: consume('logs'),
    metrics: consume('metrics'),
    async close() {
      await Promise.all([...buffers.values()].map((buffer) => buffer.flush()));
      await pool.close();
    },
  };
}
