import { randomUUID } from 'node:crypto';
import { appendFileSync, mkdirSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { open, type FileHandle } from 'node:fs/promises';
import { join } from 'node:path';
import { crc32 } from 'node:zlib';
import type { SignalName } from '@rollpoint/proto';
import type { SourcePosition } from '@rollpoint/runtime';
import { replaceFileSync } from '../files/replace-file.js';

// The agent's disk queue: every batch is written here before its sender is acknowledged, and
// deleted once the backend acknowledged it.
//
// Written by hand rather than on LMDB or SQLite: the access is strictly append at the tail, send
// from the head, and the queue has to find a torn record at the tail, skip it and count it; those
// stores recover from a torn write silently, so the loss could not be told. The format is small:
// numbered segment files of records, each
//   magic "RPQ1" (4) | body length (4) | CRC-32 of the body (4) | body
//   body: version 2 (1) | signal (1) | id length (1) | id | watermark ms (float64) | records (4)
//         | positions (2) | per position: source length (2) | source (UTF-8) | seq (float64) | payload
// (big-endian; version 1, written by older agents and still read, has no positions), and beside
// each segment a ".acks" file of the 4-byte ordinals of its records the backend has taken. A lost
// ack only means a resend, which the batch id makes harmless (the backend stores a batch id once),
// so acks are written without fsync. A segment goes when all of its records are acknowledged.
//
// The positions are the receivers' (SourcePosition): on disk in the same record as the batch, so a
// receiver restarting after a kill -9 can ask whether its last batch was queued. The queue answers
// with the highest seq per source it ever wrote: from every record it finds at open (acknowledged
// ones too) and from a sidecar file, written before any segment is deleted, that carries the
// answer past deleted segments.

export type Durability = 'fsync' | 'batch' | 'none';

export interface DiskQueueOptions {
  directory: string;
  /** Bytes the segment files may take on disk; beyond them append() refuses (QueueFullError). */
  maxBytes: number;
  /**
   * fsync: an append resolves after its record is fsync'd (concurrent appends share one fsync);
   * batch: after the write reached the operating system, fsync'd every `syncIntervalMs`;
   * none: never fsync'd by rollpoint. All three survive kill -9 of the agent; only fsync survives
   * a power cut with nothing acknowledged lost.
   */
  durability: Durability;
  syncIntervalMs: number;
  /** Size at which a new segment file is begun. */
  segmentBytes: number;
  /** Payload bytes also kept in memory, so senders need not read them back from disk. */
  memoryBytes: number;
}

export interface NewBatch {
  signal: SignalName;
  records: number;
  /** Everything in the batch was received at or after this time (Unix ms). */
  watermarkMs: number;
  payload: Uint8Array;
  /** The source positions the batch brings its receivers to. */
  positions?: readonly SourcePosition[];
}

/** A batch in the queue. */
export interface QueuedBatch {
  /** Stable across restarts and retries: the backend's deduplication token. */
  readonly id: string;
  readonly signal: SignalName;
  readonly records: number;
  readonly watermarkMs: number;
  readonly bytes: number;
}

interface Entry extends QueuedBatch {
  segment: Segment;
  ordinal: number;
  /** Where the payload starts in the segment file. */
  payloadOffset: number;
  payload: Uint8Array | undefined;
}

interface Segment {
  number: number;
  path: string;
  size: number;
  /** Records not yet acknowledged. */
  live: number;
  /** Records written, which numbers the next one. */
  written: number;
  reader: Promise<FileHandle> | undefined;
}

/** What opening the queue found. */
export interface RecoveryReport {
  batches: number;
  records: number;
  /** Records cut short or corrupt (a torn write at a crash), skipped with the rest of their segment. */
  tornRecords: number;
  tornBytes: number;
}

interface PendingWrite {
  entry: Entry;
  /** The record: its head, then the payload. */
  parts: [Buffer, Uint8Array];
  length: number;
  settle(error?: Error): void;
}

export class QueueFullError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'QueueFullError';
  }
}

const MAGIC = 0x52505131; // "RPQ1"
const HEADER_BYTES = 12;
const VERSION = 2;
// A signal's code is its place here, written into every record on disk: append, never reorder.
const SIGNAL_CODES: readonly SignalName[] = ['traces', 'logs', 'metrics'];
const SEGMENT_SUFFIX = '.seg';
const ACKS_SUFFIX = '.acks';
const LOCK_FILE = 'queue.lock';
const POSITIONS_FILE = 'positions.json';

const segmentName = (number: number): string => `${String(number).padStart(20, '0')}${SEGMENT_SUFFIX}`;

/**
 * A record's header and body up to the payload; the payload itself is written after it as it is
 * (one write of both, no copy), its CRC continued from the header's.
 */
function encodeRecord(id: string, batch: NewBatch): { parts: [Buffer, Uint8Array]; length: number; payloadOffsetInRecord: number } {
  const idBytes = Buffer.from(id, 'latin1');
  const positions = (batch.positions ?? []).map((p) => ({ source: Buffer.from(p.source, 'utf8'), seq: p.seq }));
  const positionsLength = 2 + positions.reduce((n, p) => n + 2 + p.source.length + 8, 0);
  const bodyLength = 3 + idBytes.length + 8 + 4 + positionsLength + batch.payload.length;
  const head = Buffer.allocUnsafe(HEADER_BYTES + bodyLength - batch.payload.length);
  let at = HEADER_BYTES;
  at = head.writeUInt8(VERSION, at);
  at = head.writeUInt8(SIGNAL_CODES.indexOf(batch.signal), at);
  at = head.writeUInt8(idBytes.length, at);
  at += idBytes.copy(head, at);
  at = head.writeDoubleBE(batch.watermarkMs, at);
  at = head.writeUInt32BE(batch.records, at);
  at = head.writeUInt16BE(positions.length, at);
  for (const { source, seq } of positions) {
    at = head.writeUInt16BE(source.length, at);
    at += source.copy(head, at);
    at = head.writeDoubleBE(seq, at);
  }
  head.writeUInt32BE(MAGIC, 0);
  head.writeUInt32BE(bodyLength, 4);
  head.writeUInt32BE(crc32(batch.payload, crc32(head.subarray(HEADER_BYTES))), 8);
  return { parts: [head, batch.payload], length: HEADER_BYTES + bodyLength, payloadOffsetInRecord: at };
}

/** Raises each source's highest seq in `highest` to the positions'. */
function notePositions(highest: Map<string, number>, positions: readonly SourcePosition[]): void {
  for (const { source, seq } of positions) if (seq > (highest.get(source) ?? -Infinity)) highest.set(source, seq);
}

/** The records of one segment file up to the first torn one; the positions of all of them go into `highest`. */
function scanSegment(bytes: Buffer, segment: Segment, acked: ReadonlySet<number>, highest: Map<string, number>): { entries: Entry[]; tornBytes: number } {
  const entries: Entry[] = [];
  let at = 0;
  let ordinal = 0;
  while (at < bytes.length) {
    const rest = bytes.length - at;
    const intact =
      rest >= HEADER_BYTES &&
      bytes.readUInt32BE(at) === MAGIC &&
      bytes.readUInt32BE(at + 4) <= rest - HEADER_BYTES &&
      crc32(bytes.subarray(at + HEADER_BYTES, at + HEADER_BYTES + bytes.readUInt32BE(at + 4))) === bytes.readUInt32BE(at + 8);
    if (!intact) return { entries, tornBytes: rest };
    const bodyLength = bytes.readUInt32BE(at + 4);
    let p = at + HEADER_BYTES;
    const version = bytes.readUInt8(p++);
    const signal = SIGNAL_CODES[bytes.readUInt8(p++)] ?? 'logs';
    const idLength = bytes.readUInt8(p++);
    const id = bytes.toString('latin1', p, p + idLength);
    p += idLength;
    const watermarkMs = bytes.readDoubleBE(p);
    const records = bytes.readUInt32BE(p + 8);
    p += 12;
    if (version >= 2) {
      const positions: SourcePosition[] = [];
      const count = bytes.readUInt16BE(p);
      p += 2;
      for (let n = 0; n < count; n++) {
        const sourceLength = bytes.readUInt16BE(p);
        const source = bytes.toString('utf8', p + 2, p + 2 + sourceLength);
        p += 2 + sourceLength;
        positions.push({ source, seq: bytes.readDoubleBE(p) });
        p += 8;
      }
      notePositions(highest, positions);
    }
    const end = at + HEADER_BYTES + bodyLength;
    if (!acked.has(ordinal)) entries.push({ id, signal, records, watermarkMs, bytes: end - p, segment, ordinal, payloadOffset: p, payload: undefined });
    ordinal++;
    at = end;
  }
  return { entries, tornBytes: 0 };
}

function readAcks(path: string): Set<number> {
  const acked = new Set<number>();
  let bytes: Buffer;
  try {
    bytes = readFileSync(path);
  } catch {
    return acked;
  }
  // A torn last ack is just not counted: its batch is sent again and deduplicated.
  for (let at = 0; at + 4 <= bytes.length; at += 4) acked.add(bytes.readUInt32BE(at));
  return acked;
}

/** The highest seq per source a queue wrote to segments since deleted. */
function readPositionsFile(directory: string): Map<string, number> {
  try {
    return new Map(Object.entries(JSON.parse(readFileSync(join(directory, POSITIONS_FILE), 'utf8')) as Record<string, number>));
  } catch {
    // None yet, or unreadable: answers too low only make receivers read their last batch again.
    return new Map();
  }
}

/**
 * One agent per queue folder: two writing the same segments would corrupt each other. A file with
 * the owner's pid, which a process killed with -9 leaves behind: a lock whose process is gone is
 * taken over. (Lock libraries judge staleness by age, which would keep a restarted agent waiting.)
 */
function takeLock(directory: string): string {
  const path = join(directory, LOCK_FILE);
  let owner = NaN;
  try {
    owner = Number(readFileSync(path, 'utf8'));
  } catch {
    // No lock yet.
  }
  if (Number.isInteger(owner) && owner !== process.pid) {
    let alive = true;
    try {
      process.kill(owner, 0);
    } catch (err) {
      alive = (err as NodeJS.ErrnoException).code === 'EPERM';
    }
    if (alive) throw new Error(`the queue folder ${directory} is in use by process ${owner}; give each agent (and each exporter) its own`);
  }
  writeFileSync(path, String(process.pid));
  return path;
}

export class DiskQueue {
  private readonly segments = new Map<number, Segment>();
  /** Unacknowledged batches not handed to a sender, oldest first. */
  private readonly waiting: Entry[] = [];
  private readonly sending = new Set<Entry>();
  private readonly wakeups = new Set<() => void>();
  /** Per source, the highest seq of a position in a record written. */
  private highestSeq = new Map<string, number>();
  private active!: Segment;
  private writer!: FileHandle;
  private diskBytes = 0;
  private cachedBytes = 0;
  private pendingRecords = 0;
  private writes: PendingWrite[] = [];
  private writing: Promise<void> | undefined;
  private syncTimer: NodeJS.Timeout | undefined;
  private closed = false;
  private recycleActive = false;
  private lockPath = '';

  private constructor(private readonly options: DiskQueueOptions) {}

  /** Opens (or creates) the queue, recovering what an earlier run left; batches come back in order. */
  static async open(options: DiskQueueOptions): Promise<{ queue: DiskQueue; recovered: RecoveryReport }> {
    const queue = new DiskQueue(options);
    const recovered = await queue.recover();
    return { queue, recovered };
  }

  private async recover(): Promise<RecoveryReport> {
    const { directory } = this.options;
    mkdirSync(directory, { recursive: true });
    this.lockPath = takeLock(directory);
    this.highestSeq = readPositionsFile(directory);
    const report: RecoveryReport = { batches: 0, records: 0, tornRecords: 0, tornBytes: 0 };
    const numbers = readdirSync(directory)
      .filter((name) => /^\d{20}\.seg$/.test(name))
      .map((name) => Number(name.slice(0, 20)))
      .sort((a, b) => a - b);
    for (const number of numbers) {
      const path = join(directory, segmentName(number));
      const segment: Segment = { number, path, size: statSync(path).size, live: 0, written: 0, reader: undefined };
      const { entries, tornBytes } = scanSegment(readFileSync(path), segment, readAcks(path.replace(SEGMENT_SUFFIX, ACKS_SUFFIX)), this.highestSeq);
      if (tornBytes > 0) {
        report.tornRecords++;
        report.tornBytes += tornBytes;
      }
      segment.live = entries.length;
      if (segment.live === 0) {
        this.removeSegmentFiles(segment);
        continue;
      }
      this.segments.set(number, segment);
      this.diskBytes += segment.size;
      for (const entry of entries) {
        this.waiting.push(entry);
        this.pendingRecords += entry.records;
        report.records += entry.records;
      }
      report.batches += entries.length;
    }
    // Appends always go to a fresh segment, never after a torn tail.
    await this.beginSegment((numbers.at(-1) ?? 0) + 1);
    if (this.options.durability === 'batch') {
      this.syncTimer = setInterval(() => void this.writer.datasync().catch(() => {}), this.options.syncIntervalMs);
      this.syncTimer.unref();
    }
    return report;
  }

  private async beginSegment(number: number): Promise<void> {
    const path = join(this.options.directory, segmentName(number));
    this.writer = await open(path, 'a');
    this.active = { number, path, size: 0, live: 0, written: 0, reader: undefined };
    this.segments.set(number, this.active);
  }

  /** Batches not yet acknowledged by the backend (handed out or not). */
  get depth(): number {
    return this.waiting.length + this.sending.size;
  }

  get records(): number {
    return this.pendingRecords;
  }

  /** Bytes the queue takes on disk; what max size is checked against. */
  get bytes(): number {
    return this.diskBytes;
  }

  /**
   * The highest seq of `source` in a batch this queue wrote, acknowledged or not (so: every batch of
   * the source up to it is or was queued); undefined when it never wrote one.
   */
  queuedSeq(source: string): number | undefined {
    return this.highestSeq.get(source);
  }

  /** The watermark of the oldest batch not yet delivered, or undefined when none waits. */
  oldestWatermarkMs(): number | undefined {
    let oldest = this.waiting[0]?.watermarkMs;
    for (const entry of this.sending) oldest = Math.min(oldest ?? entry.watermarkMs, entry.watermarkMs);
    return oldest;
  }

  /**
   * Writes a batch; resolves once it is as durable as `durability` says. Rejects with
   * QueueFullError when it would take the queue over its size.
   */
  async append(batch: NewBatch): Promise<QueuedBatch> {
    return (await this.appendAll([batch]))[0]!;
  }

  /**
   * Writes batches together, all or none: the room for all of them is checked and reserved at once
   * (the parts of one request must not be queued in part, or its sender's retry repeats them).
   */
  async appendAll(batches: readonly NewBatch[]): Promise<QueuedBatch[]> {
    if (this.closed) throw new Error('the queue is closed');
    const records = batches.map((batch) => {
      const id = randomUUID();
      return { batch, id, ...encodeRecord(id, batch) };
    });
    const length = records.reduce((n, r) => n + r.length, 0);
    // A segment whose batches were all acknowledged is dropped at the next rotation: its bytes
    // do not count, and a full queue rotates at once to let go of them.
    const reclaimable = this.active.live === 0 ? this.active.size : 0;
    if (this.diskBytes - reclaimable + length > this.options.maxBytes) {
      throw new QueueFullError(`the disk queue is full (${this.diskBytes} of ${this.options.maxBytes} bytes)`);
    }
    if (this.diskBytes + length > this.options.maxBytes) this.recycleActive = true;
    // Reserved now, so appends under way at once cannot overshoot the size together.
    this.diskBytes += length;
    const entries = records.map(({ batch, id, parts, length: recordLength, payloadOffsetInRecord }) => {
      const entry: Entry = {
        id,
        signal: batch.signal,
        records: batch.records,
        watermarkMs: batch.watermarkMs,
        bytes: batch.payload.length,
        segment: this.active,
        ordinal: -1, // until placed in a segment
        payloadOffset: payloadOffsetInRecord,
        payload: undefined,
      };
      const written = new Promise<void>((resolve, reject) => {
        this.writes.push({ entry, parts, length: recordLength, settle: (error) => (error ? reject(error) : resolve()) });
      });
      return { entry, batch, written };
    });
    this.writing ??= this.flushWrites();
    await Promise.all(entries.map((e) => e.written));
    // Only now, once the records are written, and before they can be acknowledged (so before their
    // segment can be deleted, which saves these in the sidecar file).
    for (const { batch } of entries) notePositions(this.highestSeq, batch.positions ?? []);
    for (const { entry, batch } of entries) {
      if (this.cachedBytes + batch.payload.length <= this.options.memoryBytes) {
        entry.payload = batch.payload;
        this.cachedBytes += batch.payload.length;
      }
      this.waiting.push(entry);
      this.pendingRecords += entry.records;
    }
    for (const wake of this.wakeups) wake();
    this.wakeups.clear();
    return entries.map((e) => e.entry);
  }

  /**
   * Group commit: whatever was appended meanwhile goes in one write and, with fsync, one fsync.
   * Records are placed in segments here, in append order, so rotation never races an append.
   * Records written before a rotation are settled by it (rotate syncs the finished segment), so a
   * later failure fails only the records it really concerns.
   */
  private async flushWrites(): Promise<void> {
    while (this.writes.length > 0) {
      const group = this.writes;
      this.writes = [];
      let unwritten: PendingWrite[] = [];
      let next = 0;
      try {
        for (; next < group.length; next++) {
          const write = group[next]!;
          const recycle = this.recycleActive && this.active.live === 0;
          if (this.active.size > 0 && (recycle || this.active.size + write.length > this.options.segmentBytes)) {
            this.recycleActive = false;
            await this.writer.writev(unwritten.flatMap((w) => w.parts));
            await this.rotate();
            for (const done of unwritten) done.settle();
            unwritten = [];
          }
          const segment = this.active;
          write.entry.segment = segment;
          write.entry.ordinal = segment.written++;
          write.entry.payloadOffset += segment.size;
          segment.size += write.length;
          segment.live++;
          unwritten.push(write);
        }
        await this.writer.writev(unwritten.flatMap((w) => w.parts));
        if (this.options.durability === 'fsync') await this.writer.datasync();
        for (const done of unwritten) done.settle();
      } catch (err) {
        // The placed records not yet settled, and the ones the loop had not reached.
        const failed = [...unwritten, ...group.slice(next)];
        await this.abandonSegments(failed);
        for (const write of failed) write.settle(err as Error);
      }
    }
    this.writing = undefined;
  }

  /**
   * After a failed write (a full disk…) a segment may end in part of a record: appends go on in a
   * new segment, the failed batches (whose senders are told) are not live, and the bytes counted
   * are what the files really hold.
   */
  private async abandonSegments(failed: readonly PendingWrite[]): Promise<void> {
    const touched = new Set<Segment>([this.active]);
    for (const write of failed) {
      if (write.entry.ordinal < 0) {
        // Never placed: only its reservation was counted.
        this.diskBytes -= write.length;
        continue;
      }
      write.entry.segment.live--;
      touched.add(write.entry.segment);
    }
    for (const segment of touched) {
      let actual = 0;
      try {
        actual = statSync(segment.path).size;
      } catch {
        // Not created at all.
      }
      this.diskBytes += actual - segment.size;
      segment.size = actual;
      // Ordinals past the failure would no longer match the file: nothing more is appended to it.
      segment.written = Number.MAX_SAFE_INTEGER;
    }
    await this.rotate().catch(() => {});
  }

  private async rotate(): Promise<void> {
    const finished = this.active;
    const writer = this.writer;
    await this.beginSegment(finished.number + 1);
    if (this.options.durability !== 'none') await writer.datasync().catch(() => {});
    await writer.close();
    if (finished.live === 0) this.dropSegment(finished);
  }

  /** The oldest batch no sender has; waits for one. Undefined once the queue is closing. */
  async next(): Promise<QueuedBatch | undefined> {
    while (this.waiting.length === 0) {
      if (this.closed) return undefined;
      await new Promise<void>((resolve) => this.wakeups.add(resolve));
    }
    if (this.closed) return undefined;
    const entry = this.waiting.shift()!;
    this.sending.add(entry);
    return entry;
  }

  /** A batch's payload, from memory or read back from its segment. */
  async payload(batch: QueuedBatch): Promise<Uint8Array> {
    const entry = batch as Entry;
    if (entry.payload) return entry.payload;
    const segment = entry.segment;
    segment.reader ??= open(segment.path, 'r');
    const handle = await segment.reader;
    const bytes = Buffer.allocUnsafe(entry.bytes);
    const { bytesRead } = await handle.read(bytes, 0, entry.bytes, entry.payloadOffset);
    if (bytesRead !== entry.bytes) throw new Error(`segment ${segment.path} ended inside batch ${entry.id}`);
    return bytes;
  }

  /** The batch is done with (the backend took it, or it was dead-lettered): it is forgotten. */
  ack(batch: QueuedBatch): void {
    const entry = batch as Entry;
    if (!this.sending.delete(entry)) return;
    this.pendingRecords -= entry.records;
    if (entry.payload) this.cachedBytes -= entry.payload.length;
    entry.payload = undefined;
    const segment = entry.segment;
    segment.live--;
    if (segment.live === 0 && segment !== this.active) {
      this.dropSegment(segment);
      return;
    }
    const ordinal = Buffer.allocUnsafe(4);
    ordinal.writeUInt32BE(entry.ordinal);
    appendFileSync(segment.path.replace(SEGMENT_SUFFIX, ACKS_SUFFIX), ordinal);
  }

  private dropSegment(segment: Segment): void {
    this.segments.delete(segment.number);
    this.diskBytes -= segment.size;
    void segment.reader?.then((handle) => handle.close()).catch(() => {});
    this.removeSegmentFiles(segment);
  }

  /** Deletes a segment's files, the positions its records held kept in the sidecar file first. */
  private removeSegmentFiles(segment: Pick<Segment, 'path'>): void {
    const positionsPath = join(this.options.directory, POSITIONS_FILE);
    try {
      // Whole or not at all (a kill -9 leaves the old file or the new one), and before the segment goes.
      replaceFileSync(positionsPath, JSON.stringify(Object.fromEntries(this.highestSeq)));
    } catch {
      // (A full disk.) The segment goes all the same, to free room: an answer too low only makes a
      // receiver read its last batch again after a crash, never skip one.
    }
    rmSync(segment.path, { force: true });
    rmSync(segment.path.replace(SEGMENT_SUFFIX, ACKS_SUFFIX), { force: true });
  }

  /** Finishes the writes under way, syncs and lets go of the folder; unsent batches stay on disk. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    for (const wake of this.wakeups) wake();
    this.wakeups.clear();
    clearInterval(this.syncTimer);
    await this.writing;
    if (this.options.durability !== 'none') await this.writer.datasync().catch(() => {});
    await this.writer.close();
    for (const segment of this.segments.values()) await segment.reader?.then((handle) => handle.close()).catch(() => {});
    rmSync(this.lockPath, { force: true });
  }
}
