import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { hostname } from 'node:os';
import { createInterface } from 'node:readline';
import { promisify } from 'node:util';
import { SCOPE_JOURNALD, type ExportLogsServiceRequest } from '@rollpoint/proto';
import { isPermanent, withRetries, type BackoffSettings, type Consume, type ExportMeta } from '@rollpoint/runtime';
import Long from 'long';
import type { Component, ComponentContext, ReceiverConsumers } from '../../component.js';
import { PIPELINE_RETRY_BACKOFF, toRequest } from '../internal/log-buffer.js';
import type { JournaldConfig } from './config.js';
import { POSITIONED_MAX_BATCH, type PositionFile } from '../internal/position-file.js';
import { cursorFile } from './cursor-file.js';
import { journalctlArgs, lastEntryArgs, type JournalPosition } from './journalctl-args.js';
import { entryToLogRecord, type JournalEntry, type MappedEntry } from './to-otlp.js';

// The journald receiver: runs `journalctl --output=json --follow` and turns each line into an OTLP
// log record. Requests go to the pipeline one at a time, in journal order; only once one is taken is
// the cursor of its last entry stored, so a restart goes on after what was delivered. The cursor of
// the request on its way is stored beside it as pending, and the request carries its position into
// the disk queue, so after a kill -9 it counts as delivered if the queue has it and is read again if
// not (position-file.ts): nothing lost, nothing sent twice (with several disk queues behind the
// receiver, see pipelines.ts: at least once in each). A journalctl that stops is started again after
// a backoff.

// journalctl missing or failing is tried again after 1 s, doubling up to a minute.
const RESTART_BACKOFF: BackoffSettings = { initial_interval: 1000, max_interval: 60000, multiplier: 2, randomization_factor: 0.2 };
/** The last bytes of journalctl's stderr kept to say why it stopped. */
const MAX_STDERR = 2048;
const SHUTDOWN_GRACE_MS = 2000;

interface Held extends MappedEntry {
  /** When the receiver read it (Unix ms), for the agent's watermark. */
  receivedMs: number;
}

/** Why journalctl is not reading the journal now (undefined while it is). */
type Problem = { reason: 'missing' | 'exited'; message: string };

export class JournaldReceiver implements Component {
  private consume?: Consume<ExportLogsServiceRequest>;
  private readonly cursorFile: PositionFile<string | undefined, string>;
  /** The cursor stored as taken by the pipeline; undefined until one is (the first run). */
  private storedCursor: string | undefined;
  private readonly defaultHost = hostname();
  /** Where a (re)started journalctl begins: after the last entry read. */
  private position: JournalPosition = 'end';
  private pending: Held[] = [];
  private sending: Held | undefined;
  private child?: ChildProcess;
  private problem: Problem | undefined = { reason: 'exited', message: 'journalctl not started yet' };
  private readonly closing = new AbortController();
  private running?: Promise<void>;
  private pausedOutput = false;
  private sendScheduled: NodeJS.Immediate | undefined;
  private readonly idle = new Set<() => void>();

  constructor(
    private readonly config: JournaldConfig,
    private readonly consumers: ReceiverConsumers,
    private readonly context: ComponentContext,
  ) {
    this.cursorFile = cursorFile(context.agent.dataDir, context.id);
  }

  /** Ready while journalctl runs; not while it is missing or the journal cannot be read. */
  ready(): boolean {
    return this.problem === undefined;
  }

  async start(): Promise<void> {
    this.consume = this.consumers.logs;
    if (!this.consume) throw new Error(`${this.context.id}: the journald receiver is in no logs pipeline`);
    this.position = await this.startPosition();
    this.context.watermark.track(() => (this.sending ?? this.pending[0])?.receivedMs);
    this.running = this.keepRunning();
  }

  /** After the stored cursor; without one, as `start_at` says. */
  private async startPosition(): Promise<JournalPosition> {
    const stored = await this.cursorFile.load(this.context.queued, (_cursor, advance) => advance);
    this.storedCursor = stored;
    if (stored !== undefined) return stored ? { after: stored } : 'beginning';
    if (this.config.start_at === 'beginning') return 'beginning';
    // "From now on" is fixed now, as a cursor, so that entries written while the agent is down
    // before it delivered any are not skipped at the next start. A journal with none: its oldest.
    const last = await this.lastCursor();
    if (last === undefined) return 'end';
    this.storedCursor = last;
    this.cursorFile.commit(last);
    return last ? { after: last } : 'beginning';
  }

  /** The cursor of the newest entry of the selection; "" when there is none; undefined when journalctl failed (its follow run says why). */
  private async lastCursor(): Promise<string | undefined> {
    try {
      const { stdout } = await promisify(execFile)('journalctl', lastEntryArgs(this.config), { maxBuffer: 64 * 1024 * 1024 });
      const line = stdout.trim().split('\n').at(-1);
      if (!line) return '';
      const cursor = (JSON.parse(line) as JournalEntry).__CURSOR;
      return typeof cursor === 'string' ? cursor : undefined;
    } catch {
      return undefined;
    }
  }

  private count(outcome: 'received' | 'malformed' | 'accepted' | 'dropped', n = 1): void {
    this.context.metrics.journaldEntries.inc({ receiver: this.context.id, outcome }, n);
  }

  /** Runs journalctl until shutdown, each failure followed by a longer wait (reset by a run that read entries). */
  private async keepRunning(): Promise<void> {
    const { logger, id } = this.context;
    while (!this.closing.signal.aborted) {
      await withRetries(() => this.runJournalctl(), {
        backoff: RESTART_BACKOFF,
        signal: this.closing.signal,
        retryable: () => true,
        onRetry: (err, delayMs) => logger.error({ receiver: id, err: err.message, delayMs }, 'journald: journalctl is not reading the journal; starting it again'),
      }).catch(() => undefined);
    }
  }

  /** One run of journalctl: resolves when it stopped after reading entries (or at shutdown), rejects when it failed. */
  private runJournalctl(): Promise<void> {
    const args = journalctlArgs(this.config, this.position);
    const { logger, id } = this.context;
    return new Promise((resolve, reject) => {
      if (this.closing.signal.aborted) return resolve();
      const child = spawn('journalctl', args, { stdio: ['ignore', 'pipe', 'pipe'] });
      this.child = child;
      this.pausedOutput = false;
      let stderr = '';
      let read = 0;
      let ended = false;
      child.stderr!.on('data', (chunk: Buffer) => {
        stderr = (stderr + chunk.toString()).slice(-MAX_STDERR);
      });
      const lines = createInterface({ input: child.stdout!, crlfDelay: Infinity });
      lines.on('line', (line) => {
        read++;
        this.take(line);
      });
      const end = (problem?: Problem) => {
        if (ended) return;
        ended = true;
        this.child = undefined;
        if (!problem) return resolve();
        this.context.metrics.journalctlFailures.inc({ receiver: id, reason: problem.reason });
        // One that read entries is started again at once (it goes on after them); one that read none waits.
        if (read > 0) {
          logger.warn({ receiver: id, err: problem.message }, 'journald: journalctl stopped; starting it again');
          return resolve();
        }
        this.problem = problem;
        reject(new Error(problem.message));
      };
      child.once('spawn', () => {
        this.problem = undefined;
        logger.info({ receiver: id, args }, 'journald: reading the journal');
      });
      child.once('error', (err: NodeJS.ErrnoException) => {
        lines.close();
        if (err.code === 'ENOENT') end({ reason: 'missing', message: 'journalctl not found (install systemd, Debian package systemd)' });
        else end({ reason: 'exited', message: `journalctl could not be started: ${err.message}` });
      });
      // 'close': its output has been read to the end too.
      child.once('close', (code, signal) => {
        if (this.closing.signal.aborted) return end();
        const why = stderr.trim() || (signal ? `killed by ${signal}` : `exit code ${code}`);
        end({ reason: 'exited', message: `journalctl stopped (is the journal readable?): ${why}` });
      });
    });
  }

  private take(line: string): void {
    this.count('received');
    let entry: unknown;
    try {
      entry = JSON.parse(line);
    } catch {
      entry = undefined;
    }
    if (typeof entry !== 'object' || entry === null || Array.isArray(entry)) {
      this.count('malformed');
      this.context.logger.warn({ receiver: this.context.id, line: line.slice(0, 200) }, 'journald: skipped a line of journalctl that is not a JSON entry');
      return;
    }
    const nowMs = Date.now();
    const mapped = entryToLogRecord(entry as JournalEntry, this.defaultHost, Long.fromNumber(nowMs, true).multiply(1_000_000));
    if (mapped.cursor) this.position = { after: mapped.cursor };
    this.pending.push({ ...mapped, receivedMs: nowMs });
    // Back-pressure: journalctl waits on its pipe while the pipeline is behind.
    if (!this.pausedOutput && this.pending.length >= this.config.max_pending_entries) {
      this.pausedOutput = true;
      this.child?.stdout?.pause();
    }
    this.sendScheduled ??= setImmediate(() => {
      this.sendScheduled = undefined;
      void this.sendPending();
    });
  }

  /** Sends what waits, one request at a time, storing the cursor after each one taken. */
  private async sendPending(): Promise<void> {
    if (this.sending) return;
    while (this.pending.length > 0) {
      const batch = this.pending.splice(0, POSITIONED_MAX_BATCH);
      this.sending = batch[0];
      if (this.pausedOutput && this.pending.length < this.config.max_pending_entries / 2) {
        this.pausedOutput = false;
        this.child?.stdout?.resume();
      }
      try {
        await this.send(batch);
      } finally {
        this.sending = undefined;
      }
    }
    for (const wake of this.idle) wake();
    this.idle.clear();
  }

  private async send(batch: Held[]): Promise<void> {
    const { logger, id } = this.context;
    const request = toRequest(batch, SCOPE_JOURNALD);
    const cursor = batch.findLast((entry) => entry.cursor)?.cursor;
    const meta = cursor ? this.beginBatch(cursor) : undefined;
    try {
      await withRetries(() => this.consume!(request, meta), {
        backoff: PIPELINE_RETRY_BACKOFF,
        signal: this.closing.signal,
        finalAttemptOnAbort: true,
        onRetry: (err, delayMs) => logger.warn({ receiver: id, err: err.message, delayMs }, 'pipeline refused journal entries; retrying'),
      });
      this.count('accepted', batch.length);
    } catch (err) {
      if (!isPermanent(err as Error)) {
        // Still refused at shutdown: the cursor stays before them, so the next start reads them again
        // (and what was read after them, which must not be sent ahead of them).
        logger.warn({ receiver: id, entries: batch.length + this.pending.length, err: (err as Error).message }, 'journald: entries not taken before shutdown; read again at the next start');
        this.pending = [];
        return;
      }
      this.count('dropped', batch.length);
      logger.error({ receiver: id, entries: batch.length, err: (err as Error).message }, 'journald: the pipeline refused journal entries for good');
    }
    if (!cursor) return;
    this.storedCursor = cursor;
    try {
      this.cursorFile.commit(cursor);
    } catch (err) {
      this.cursorNotStored(err as Error);
    }
  }

  /** Stores `cursor` as the pending one; the position the request carries (none if it could not be stored). */
  private beginBatch(cursor: string): ExportMeta | undefined {
    try {
      return { positions: [this.cursorFile.begin(this.storedCursor, cursor)] };
    } catch (err) {
      this.cursorNotStored(err as Error);
      return undefined;
    }
  }

  private cursorNotStored(err: Error): void {
    this.context.logger.error({ receiver: this.context.id, err: err.message }, 'journald: could not store the cursor; after a restart, entries since the last stored one are sent again');
  }

  async shutdown(): Promise<void> {
    this.closing.abort();
    const child = this.child;
    if (child) {
      const killer = setTimeout(() => child.kill('SIGKILL'), SHUTDOWN_GRACE_MS);
      child.kill('SIGTERM');
      await this.running;
      clearTimeout(killer);
    } else {
      await this.running;
    }
    // What was read is offered to the pipeline once more; what it does not take is read again next time.
    clearImmediate(this.sendScheduled);
    if (this.sending || this.pending.length > 0) {
      const idle = new Promise<void>((resolve) => this.idle.add(resolve));
      void this.sendPending();
      await idle;
    }
  }
}
