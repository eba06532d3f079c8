import { rejection, type Rejection } from '@rollpoint/proto';
import type { DevicePair } from '../device-names.js';
import type { IngestTable } from '../store-export.js';
import { unsigned64 } from './protobuf-reader.js';
import type { RowBinaryWriter } from './row-binary-writer.js';

/** One table's rows of an Export. */
export interface TableRows {
  table: IngestTable;
  /** The rows in RowBinary, in the order of the table's insert columns. */
  rows: Buffer;
  count: number;
}

/** One Export, encoded for its tables: the rows and what ingest notes about them, from the same pass. */
export interface EncodedExport {
  /**
   * The rows of each table that has any: logs and spans fill one table, metrics one per kind of
   * data point.
   */
  tables: TableRows[];
  /** Rows in all tables: the records stored (malformed ones are left out). */
  count: number;
  rejection: Rejection;
  /** The earliest and latest event time of the rows, Unix ms (undefined without rows). */
  earliestMs: number | undefined;
  latestMs: number | undefined;
  /** Device addresses and the names their events went by, where the encoder's table did not know them yet (logs only). */
  devicePairs?: DevicePair[];
}

// The last instant the time columns hold: otel_logs.TimestampTime is a DateTime (unsigned 32-bit
// seconds, which end in 2106), and past it TTL would read a wrapped time and drop the row at once.
const LAST_STORABLE_NANOS = 4294967295n * 1_000_000_000n + 999_999_999n;
const LAST_LOW = Number(LAST_STORABLE_NANOS & 0xffffffffn);
const LAST_HIGH = Number(LAST_STORABLE_NANOS >> 32n);
const NANOS_PER_MS = 1_000_000;
const LAST_MS = Number(LAST_STORABLE_NANOS / BigInt(NANOS_PER_MS));

const pastLast = (low: number, high: number): boolean => high > LAST_HIGH || (high === LAST_HIGH && low > LAST_LOW);

/**
 * Writes event times as DateTime64(9) (nanoseconds, clamped to the last storable instant rather
 * than stored wrong or dropped) and keeps the earliest and latest, and the count of rejected
 * records with the first reason.
 */
export class ExportTally {
  private earliestMs = Infinity;
  private latestMs = -Infinity;
  count = 0;
  private rejected = 0;
  private firstReason: string | undefined;

  constructor(private readonly noun: string) {}

  /** Writes a time given as unsigned 64-bit halves. */
  time(out: RowBinaryWriter, low: number, high: number): void {
    if (pastLast(low, high)) out.u64(LAST_LOW, LAST_HIGH);
    else out.u64(low, high);
  }

  /** Writes a row's event time, notes it and counts the row. */
  rowTime(out: RowBinaryWriter, low: number, high: number): void {
    this.time(out, low, high);
    const ms = pastLast(low, high) ? LAST_MS : Math.floor(unsigned64(low, high) / NANOS_PER_MS);
    if (ms < this.earliestMs) this.earliestMs = ms;
    if (ms > this.latestMs) this.latestMs = ms;
    this.count++;
  }

  reject(reason: string): void {
    this.rejected++;
    this.firstReason ??= reason;
  }

  finish(tables: readonly TableRows[]): EncodedExport {
    return {
      tables: tables.filter((part) => part.count > 0),
      count: this.count,
      rejection: rejection(this.rejected, this.firstReason, this.noun),
      earliestMs: this.count > 0 ? this.earliestMs : undefined,
      latestMs: this.count > 0 ? this.latestMs : undefined,
    };
  }
}
