import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { encodeLogsRequest, logs, metrics, traces, type ExportLogsServiceRequest, type Signal } from '@rollpoint/proto';
import { RetryLaterError, withRetries, type BackoffSettings, type Consume, type SourcePosition } from '@rollpoint/runtime';
import type { ComponentContext, Exporter } from '../../component.js';
import { DeadLetters } from '../../queue/dead-letter.js';
import { DiskQueue, QueueFullError, type NewBatch, type QueuedBatch } from '../../queue/disk-queue.js';
import type { OtlpExporterConfig } from './config.js';
import { GrpcSender, SendFailure } from './grpc-sender.js';

const MIB = 1024 * 1024;
const SIGNALS = { traces, logs, metrics } as const;
/** What a sender refused for a full queue is told to wait before trying again. */
const QUEUE_FULL_RETRY_AFTER_MS = 2000;
// A request larger than half the queue waits this long at most for room for each of its parts,
// looking every 50 ms.
const QUEUE_ROOM_WAIT_MS = 30_000;
const QUEUE_ROOM_POLL: BackoffSettings = { initial_interval: 50, max_interval: 50, multiplier: 1, randomization_factor: 0 };

/** A request's protobuf: logs (the receivers' hot path) by the direct encoder, traces and metrics by protobufjs. */
const encode = <Req>(signal: Signal<Req>, request: Req): Uint8Array =>
  signal.name === 'logs' ? encodeLogsRequest(request as ExportLogsServiceRequest) : signal.encode(request);

/**
 * Ships OTLP to the backend through a disk queue. A request is acknowledged to its sender once it
 * is in the queue (as durable as `sending_queue.durability` says); `num_consumers` loops take
 * batches from the queue in order and send each until the backend acknowledges it (then it leaves
 * the queue) or refuses it for good (then it goes to the dead-letter folder). Every batch carries
 * its queue id, which the backend stores once however often it is sent.
 */
export class OtlpGrpcExporter implements Exporter {
  private readonly sender: GrpcSender;
  private readonly deadLetters: DeadLetters;
  private queue: DiskQueue | undefined;
  private readonly loops: Array<Promise<void>> = [];
  private readonly stopping = new AbortController();
  private heartbeat: NodeJS.Timeout | undefined;
  private lastSentAt = 0;

  constructor(
    private readonly config: OtlpExporterConfig,
    private readonly context: ComponentContext,
  ) {
    this.sender = new GrpcSender(config);
    this.deadLetters = new DeadLetters(config.dead_letter_directory ?? this.dataFolder('dead-letter'));
  }

  /** <agent.data_dir>/<kind>/<exporter id>, "otlp/backup" becoming "otlp_backup". */
  private dataFolder(kind: string): string {
    return join(this.context.agent.dataDir, kind, this.context.id.replaceAll('/', '_'));
  }

  private get queueDirectory(): string {
    return this.config.sending_queue.directory ?? this.dataFolder('queue');
  }

  consumer<Req>(signal: Signal<Req>): Consume<Req> {
    return (request, meta) => this.enqueue(signal, request, meta?.positions);
  }

  queuedSeq(source: string): number | undefined {
    return this.queue?.queuedSeq(source);
  }

  private async enqueue<Req>(signal: Signal<Req>, request: Req, positions: readonly SourcePosition[] | undefined): Promise<void> {
    const { id, metrics, watermark } = this.context;
    const records = signal.countRecords(request);
    try {
      const watermarkMs = watermark.current();
      const parts: NewBatch[] = this.queueable(signal, request, encode(signal, request)).map((part) => ({ signal: signal.name, records: part.records, watermarkMs, payload: part.payload }));
      // With the last part: the parts are written in order, so once it is on disk they all are.
      if (positions?.length) parts.at(-1)!.positions = positions;
      const total = parts.reduce((n, part) => n + part.payload.length, 0);
      if (total <= (this.config.sending_queue.max_size_mib * MIB) / 2) await this.queue!.appendAll(parts);
      else await this.appendAsRoomAllows(parts);
    } catch (err) {
      if (!(err instanceof QueueFullError)) throw err;
      metrics.queueRefusedRecords.inc({ exporter: id, signal: signal.name }, records);
      throw new RetryLaterError(`${err.message}: the backend is not keeping up or is away`, QUEUE_FULL_RETRY_AFTER_MS);
    }
    metrics.queuedRecords.inc({ exporter: id, signal: signal.name }, records);
  }

  /**
   * The request as batches the queue can take: one, unless it is over a quarter of the queue's size,
   * when it goes as halves (and halves of those), so that a burst merged into one large request is
   * never refused for ever by a queue that always holds other batches too.
   */
  private queueable<Req>(signal: Signal<Req>, request: Req, payload: Uint8Array): Array<{ payload: Uint8Array; records: number }> {
    const limit = (this.config.sending_queue.max_size_mib * MIB) / 4;
    const halves = payload.length > limit ? signal.halve(request) : undefined;
    if (!halves) return [{ payload, records: signal.countRecords(request) }];
    return halves.flatMap((half) => this.queueable(signal, half, encode(signal, half)));
  }

  /**
   * Queues the parts of a request too large ever to fit beside what the queue holds one by one,
   * each as soon as there is room for it: its sender waits meanwhile (back-pressure). Only if the
   * queue stays full for QUEUE_ROOM_WAIT_MS is the sender refused, and a retry then repeats the
   * parts already queued (at least once, for such a request alone; and a receiver reading from a
   * position, killed meanwhile, reads them again).
   */
  private async appendAsRoomAllows(parts: NewBatch[]): Promise<void> {
    for (const part of parts) {
      await withRetries(() => this.queue!.append(part), { backoff: QUEUE_ROOM_POLL, maxElapsedMs: QUEUE_ROOM_WAIT_MS, retryable: (err) => err instanceof QueueFullError });
    }
  }

  async start(): Promise<void> {
    const { id, logger, metrics, watermark } = this.context;
    const queueSettings = this.config.sending_queue;
    const { queue, recovered } = await DiskQueue.open({
      directory: this.queueDirectory,
      maxBytes: queueSettings.max_size_mib * MIB,
      durability: queueSettings.durability,
      syncIntervalMs: queueSettings.sync_interval,
      segmentBytes: Math.min(64 * MIB, Math.max(MIB, (queueSettings.max_size_mib * MIB) / 16)),
      memoryBytes: queueSettings.memory_mib * MIB,
    });
    this.queue = queue;
    watermark.track(() => queue.oldestWatermarkMs());
    metrics.queues.set(id, queue);
    metrics.queueTornRecords.inc({ exporter: id }, recovered.tornRecords);
    if (recovered.batches > 0 || recovered.tornRecords > 0) {
      logger.info({ exporter: id, directory: this.queueDirectory, ...recovered }, 'disk queue: resuming the batches an earlier run left');
    }
    if (recovered.tornRecords > 0) logger.warn({ exporter: id, tornRecords: recovered.tornRecords, tornBytes: recovered.tornBytes }, 'disk queue: skipped torn records (a write cut short by a crash)');
    for (let n = 0; n < queueSettings.num_consumers; n++) this.loops.push(this.consumeQueue(queue));
    this.heartbeat = setInterval(() => void this.sendHeartbeat(), Math.max(100, this.config.heartbeat_interval / 2));
    this.heartbeat.unref();
  }

  private async consumeQueue(queue: DiskQueue): Promise<void> {
    for (let batch = await queue.next(); batch; batch = await queue.next()) {
      if (await this.deliver(queue, batch)) queue.ack(batch);
    }
  }

  /** Sends a batch until it is taken or dead-lettered (true), or the exporter stops first (false). */
  private async deliver(queue: DiskQueue, batch: QueuedBatch): Promise<boolean> {
    const { id, logger, metrics } = this.context;
    const signal = SIGNALS[batch.signal] as Signal<unknown>;
    const labels = { exporter: id, signal: signal.name };
    const payload = await queue.payload(batch);
    const attempt = async () => {
      try {
        await this.send(signal, payload, batch.id, batch.records);
      } catch (err) {
        const failure = err instanceof SendFailure ? err : new SendFailure(String((err as Error).message ?? err), 'INTERNAL', true);
        metrics.failedRecords.inc({ ...labels, code: failure.code }, batch.records);
        throw failure;
      }
    };
    try {
      await withRetries(attempt, {
        backoff: this.config.retry_on_failure,
        signal: this.stopping.signal,
        retryable: (failure) => !(failure as SendFailure).permanent,
        retryAfterMs: (failure) => (failure as SendFailure).retryAfterMs,
        onRetry: (failure, delayMs) => {
          metrics.retriedRecords.inc(labels, batch.records);
          logger.warn({ exporter: id, batch: batch.id, code: (failure as SendFailure).code, reason: failure.message, delayMs }, 'export failed; retrying');
        },
      });
      return true;
    } catch (err) {
      const failure = err as SendFailure;
      // A failure that may pass ends the retries only when the exporter stops: the batch stays queued.
      if (!failure.permanent) return false;
      const where = this.deadLetters.write(batch, payload, failure, this.config.endpoint);
      metrics.deadLetteredRecords.inc(labels, batch.records);
      logger.error({ exporter: id, batch: batch.id, records: batch.records, code: failure.code, reason: failure.message, deadLetter: where }, 'the backend refused a batch for good: dead-lettered');
      return true;
    }
  }

  /** One Export; a payload larger than max_send_msg_size_mib goes as halves, each with its own id. */
  private async send(signal: Signal<unknown>, payload: Uint8Array, batchId: string, records: number): Promise<void> {
    const { id, metrics, logger, agent, watermark } = this.context;
    if (payload.length > this.config.max_send_msg_size_mib * MIB) {
      const halves = signal.halve(signal.decode(payload));
      if (!halves) throw new SendFailure(`one of the ${signal.records} is ${payload.length} bytes, over max_send_msg_size_mib (${this.config.max_send_msg_size_mib})`, 'TOO_LARGE', true);
      // The halves' ids derive from the batch's, so a retry after a half got through repeats it exactly.
      for (const [n, half] of halves.entries()) await this.send(signal, encode(signal, half), `${batchId}.${n}`, signal.countRecords(half));
      return;
    }
    const rejection = await this.sender.export(signal, payload, { batchId, agentId: agent.id, watermarkMs: watermark.current() });
    this.lastSentAt = Date.now();
    // Partial success is final: the backend keeps the rest and says why it refused some.
    if (rejection.rejected > 0) {
      metrics.partialRejections.inc({ exporter: id, signal: signal.name }, rejection.rejected);
      logger.warn({ exporter: id, signal: signal.name, rejected: rejection.rejected, reason: rejection.errorMessage }, 'backend refused records');
    }
    metrics.sentRecords.inc({ exporter: id, signal: signal.name }, records - rejection.rejected);
  }

  /** With nothing sent for heartbeat_interval, an empty Export carries the agent's id and watermark. */
  private async sendHeartbeat(): Promise<void> {
    if (Date.now() - this.lastSentAt < this.config.heartbeat_interval) return;
    this.lastSentAt = Date.now();
    const { agent, watermark, metrics, logger, id } = this.context;
    try {
      await this.sender.export(logs, encodeLogsRequest({ resourceLogs: [] }), { agentId: agent.id, watermarkMs: watermark.current() });
      metrics.heartbeats.inc({ exporter: id, outcome: 'sent' });
    } catch (err) {
      metrics.heartbeats.inc({ exporter: id, outcome: 'failed' });
      logger.debug({ exporter: id, err: (err as Error).message }, 'heartbeat failed');
    }
  }

  /**
   * Keeps sending for up to drain_timeout while batches wait, then stops: what is left stays in
   * the queue for the next start.
   */
  async shutdown(): Promise<void> {
    clearInterval(this.heartbeat);
    const queue = this.queue;
    if (queue) {
      const deadline = Date.now() + this.config.sending_queue.drain_timeout;
      while (queue.depth > 0 && Date.now() < deadline) await sleep(50);
      this.stopping.abort();
      await queue.close();
      await Promise.all(this.loops);
      this.context.metrics.queues.delete(this.context.id);
    }
    this.sender.close();
  }
}
