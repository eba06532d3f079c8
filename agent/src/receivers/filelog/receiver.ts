import { open, type FileHandle } from 'node:fs/promises';
import { join } from 'node:path';
import type { ExportLogsServiceRequest } from '@rollpoint/proto';
import { isPermanent, withRetries, type Consume } from '@rollpoint/runtime';
import { glob } from 'tinyglobby';
import type { Component, ComponentContext, ReceiverConsumers } from '../../component.js';
import { PIPELINE_RETRY_BACKOFF } from '../internal/log-buffer.js';
import { POSITIONED_MAX_BATCH } from '../internal/position-file.js';
import { ENCODINGS, type FilelogConfig } from './config.js';
import { isSameFile, readFingerprint } from './fingerprint.js';
import { OffsetStore, type StoredOffset } from './offset-store.js';
import { splitRecords, type SplitOptions, type SplitRecord } from './record-splitter.js';
import { filelogRequest } from './to-otlp.js';

// The filelog receiver: follows files matching its globs, each known by its fingerprint, across
// rotation by rename (the open handle is read to its end) and by copytruncate (the truncated file is
// a new one: its first bytes differ). A file's offset is stored only once the pipeline took the
// records before it (with the disk queue: once they are on disk); the offset after the batch on its
// way is stored beside it as pending, and the batch carries its position into the disk queue, so at
// the next start it is counted in if the queue has the batch and read again if not (position-file.ts).
// A restart or kill -9 neither loses nor repeats a line (with several disk queues behind the receiver,
// see pipelines.ts: at least once in each).

// Rotated files compressed by logrotate and the like are left alone.
const COMPRESSED = /\.(gz|bz2|xz|zst|lz4|lzma|z|zip|tgz)$/i;
// As the Collector, a file no glob finds is remembered for three polls.
const KEEP_GONE_POLLS = 3;

interface TrackedFile {
  fingerprint: Buffer;
  /** Bytes before it are delivered. */
  offset: number;
  path: string;
  /** Open while the file is seen; absent for an offset loaded at start and not yet matched. */
  handle?: FileHandle;
  /** The file's size when a read last left bytes that are not a whole record yet. */
  pendingSize?: number;
  /** Polls in a row that did not find it. */
  missedPolls?: number;
}

export class FilelogReceiver implements Component {
  private files: TrackedFile[] = [];
  private readonly store: OffsetStore;
  private readonly split: SplitOptions;
  private readonly closing = new AbortController();
  private timer?: NodeJS.Timeout;
  private polling?: Promise<void>;
  /** Until the first poll is done, on a run with no stored offsets: start_at applies. */
  private firstRun = true;
  /** Read time of the records in flight, for the agent's watermark. */
  private inFlightSince?: number;

  constructor(
    private readonly config: FilelogConfig,
    private readonly consumers: ReceiverConsumers,
    private readonly context: ComponentContext,
  ) {
    this.store = new OffsetStore(join(context.agent.dataDir, 'filelog', `${context.id.replace(/[^\w.-]/g, '_')}.json`), context.id);
    const { multiline } = config;
    this.split = {
      decoder: new TextDecoder(ENCODINGS[config.encoding]),
      maxLogSize: config.max_log_size,
      ...(multiline?.line_start_pattern ? { lineStart: new RegExp(multiline.line_start_pattern) } : {}),
      ...(multiline?.line_end_pattern ? { lineEnd: new RegExp(multiline.line_end_pattern) } : {}),
    };
  }

  async start(): Promise<void> {
    const consume = this.consumers.logs;
    if (!consume) return;
    const stored = await this.store.load(this.context.queued);
    // start_at is for the first run only: once offsets are stored, a file not among them is new.
    this.firstRun = stored === undefined;
    this.files = stored ?? [];
    this.context.watermark.track(() => this.inFlightSince);
    const loop = () => {
      this.polling = this.poll(consume)
        .catch((err: Error) => this.context.logger.error({ receiver: this.context.id, err: err.message }, 'reading files failed'))
        .finally(() => {
          if (!this.closing.signal.aborted) this.timer = setTimeout(loop, this.config.poll_interval);
        });
    };
    loop();
  }

  async shutdown(): Promise<void> {
    this.closing.abort();
    clearTimeout(this.timer);
    await this.polling;
    await Promise.all(this.files.map((file) => file.handle?.close()));
    this.files = [];
  }

  /** Lists the files, matches them to the tracked ones by fingerprint, and reads what each has new. */
  private async poll(consume: Consume<ExportLogsServiceRequest>): Promise<void> {
    const paths = (await glob(this.config.include, { ignore: this.config.exclude, absolute: true, onlyFiles: true, dot: true }))
      .filter((path) => !COMPRESSED.test(path))
      .sort();
    const seen = new Set<TrackedFile>();
    for (const path of paths) {
      if (this.closing.signal.aborted) return;
      const handle = await open(path, 'r').catch(() => undefined);
      if (!handle) continue;
      const fingerprint = await readFingerprint(handle, this.config.fingerprint_size).catch(() => Buffer.alloc(0));
      const known = this.files.find((file) => isSameFile(file.fingerprint, fingerprint));
      // Empty (nothing to know it by yet), a second path to a file seen this poll, or the first bytes
      // of a known file: a copy being made (copytruncate), known once it has them all.
      const copying = !known && this.files.some((file) => isSameFile(fingerprint, file.fingerprint));
      if (fingerprint.length === 0 || copying || (known && seen.has(known))) {
        await handle.close();
        continue;
      }
      if (known) {
        // The path's handle from now on: after copytruncate it is the copy, the old handle's file truncated.
        await known.handle?.close();
        Object.assign(known, { handle, fingerprint, path, missedPolls: 0 });
        seen.add(known);
      } else {
        const offset = this.firstRun && this.config.start_at === 'end' ? (await handle.stat()).size : 0;
        const file: TrackedFile = { fingerprint, offset, path, handle };
        this.files.push(file);
        seen.add(file);
      }
    }
    this.firstRun = false;
    for (const file of seen) await this.read(file, false, consume);
    // Gone from the globs (rotated away or deleted): finished through the handle still open, and
    // known a few polls more, in case it was only between names (a rotation under way).
    for (const file of this.files.filter((f) => !seen.has(f))) {
      if (file.handle) await this.read(file, true, consume);
      file.missedPolls = (file.missedPolls ?? 0) + 1;
      if (file.missedPolls < KEEP_GONE_POLLS) continue;
      await file.handle?.close();
      this.files.splice(this.files.indexOf(file), 1);
    }
    this.saveOffsets();
  }

  /** Reads and delivers the file's records from its offset; `gone`: the rest is the last record. */
  private async read(file: TrackedFile, gone: boolean, consume: Consume<ExportLogsServiceRequest>): Promise<void> {
    const handle = file.handle!;
    // Enough for a full batch of lines up to 1 KiB each in one read.
    const readSize = Math.max(16 * 1024 * 1024, 2 * this.config.max_log_size);
    for (;;) {
      if (this.closing.signal.aborted) return;
      const { size } = await handle.stat();
      if (size < file.offset) {
        // Truncated in place yet with the same first bytes: read again from the start, unless gone.
        if (gone) return;
        this.context.logger.warn({ receiver: this.context.id, path: file.path }, 'file truncated; reading it from the start');
        file.offset = 0;
      }
      const length = Math.min(size - file.offset, readSize);
      if (length === 0) return;
      const bytes = Buffer.allocUnsafe(length);
      const { bytesRead } = await handle.read(bytes, 0, length, file.offset);
      const toEnd = file.offset + bytesRead === size;
      // What is left is a whole record once the file stopped growing (for one poll interval) or is gone.
      const final = gone || (toEnd && file.pendingSize === size);
      const records = splitRecords(bytes.subarray(0, bytesRead), this.split, final);
      const delivered = await this.deliver(file, records, consume);
      if (!delivered) return;
      if (records.at(-1)?.end !== bytesRead) {
        file.pendingSize = size;
        if (records.length === 0 || toEnd) return;
      }
    }
  }

  /** Sends the records in batches, each advancing the file's offset once taken; false when one was not. */
  private async deliver(file: TrackedFile, records: readonly SplitRecord[], consume: Consume<ExportLogsServiceRequest>): Promise<boolean> {
    const base = file.offset;
    for (let first = 0; first < records.length; first += POSITIONED_MAX_BATCH) {
      const batch = records.slice(first, first + POSITIONED_MAX_BATCH);
      const readMs = Date.now();
      const request = filelogRequest(this.config, file.path, batch, readMs);
      const end = base + batch.at(-1)!.end;
      const advance = () => {
        file.offset = end;
        this.saveOffsets();
      };
      const meta = { positions: [this.store.begin(this.offsets(), file.fingerprint, end)] };
      this.inFlightSince = readMs;
      try {
        await withRetries(() => consume(request, meta), {
          backoff: PIPELINE_RETRY_BACKOFF,
          signal: this.closing.signal,
          finalAttemptOnAbort: true,
          onRetry: (err, delayMs) => this.context.logger.warn({ receiver: this.context.id, err: err.message, delayMs }, 'pipeline refused file records; retrying'),
        });
        // Moved at once, before anything else runs (see position-file.ts).
        advance();
        this.context.metrics.acceptedRecords.inc({ receiver: this.context.id, signal: 'logs' }, batch.length);
      } catch (error) {
        const err = error as Error;
        this.context.logger.error({ receiver: this.context.id, path: file.path, records: batch.length, err: err.message }, 'pipeline did not take file records');
        // Refused for good they are skipped (reading them again cannot help); else read again later.
        if (!isPermanent(err)) return false;
        advance();
      } finally {
        this.inFlightSince = undefined;
      }
    }
    return true;
  }

  private offsets(): StoredOffset[] {
    return this.files.map(({ fingerprint, offset, path }) => ({ fingerprint, offset, path }));
  }

  private saveOffsets(): void {
    this.store.save(this.offsets());
  }
}
