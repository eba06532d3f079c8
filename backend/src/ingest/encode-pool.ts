import { Worker } from 'node:worker_threads';
import { UndecodableError } from '@rollpoint/runtime';
import { DeviceNameTable, type DeviceAlias, type DevicePair } from './device-names.js';
import { encodeExport, type EncodeJob } from './encode.js';
import type { WorkerAnswer, WorkerData, WorkerLearn, WorkerRequest } from './encode-worker.js';
import type { EncodedExport } from './wire/encoded-export.js';

interface Waiting {
  resolve(encoded: EncodedExport): void;
  reject(error: Error): void;
}

interface PoolWorker {
  worker: Worker;
  waiting: Map<number, Waiting>;
  online: boolean;
}

/**
 * Encodes Exports on `workers` threads, so decoding and mapping use every core while the main
 * thread serves gRPC and drives the inserts; with 0 workers (or none left), on the calling thread.
 * Bytes that are no valid request reject with UndecodableError (INVALID_ARGUMENT for the sender);
 * any other failure, a worker that dies included, rejects with a plain Error, which senders retry.
 * A worker that dies after it started is replaced; one that cannot start is not.
 */
export class EncodePool {
  private readonly workers: PoolWorker[] = [];
  private nextId = 0;
  private closed = false;
  /** For encoding on the calling thread, and what every worker's table is told; each worker builds its own. */
  private readonly devices: DeviceNameTable;

  /** `aliases`: the configured `devices:` table, under whose names device events are stored. */
  constructor(
    workers: number,
    private readonly aliases: readonly DeviceAlias[],
  ) {
    this.devices = new DeviceNameTable(aliases);
    for (let i = 0; i < workers; i++) this.workers.push(this.spawn());
  }

  encode(job: EncodeJob): Promise<EncodedExport> {
    if (this.closed) return Promise.reject(new Error('the encode pool is closed'));
    if (this.workers.length === 0) {
      try {
        return Promise.resolve(encodeExport(job, this.devices));
      } catch (err) {
        return Promise.reject(err instanceof Error ? err : new Error(String(err)));
      }
    }
    const target = this.workers.reduce((a, b) => (b.waiting.size < a.waiting.size ? b : a));
    const id = this.nextId++;
    // A copy of exactly the request's bytes, moved to the worker (grpc-js's buffer may share memory with others).
    const bytes = new Uint8Array(job.bytes);
    const request: WorkerRequest = { id, job: { ...job, bytes } };
    return new Promise<EncodedExport>((resolve, reject) => {
      target.waiting.set(id, { resolve, reject });
      target.worker.postMessage(request, [bytes.buffer]);
    });
  }

  /** Learns device pairs here and on every worker; those that changed what is known. */
  learn(pairs: readonly DevicePair[]): DevicePair[] {
    const changed = pairs.filter((pair) => this.devices.learn(pair));
    if (changed.length > 0) for (const { worker } of this.workers) worker.postMessage({ learn: changed } satisfies WorkerLearn);
    return changed;
  }

  async close(): Promise<void> {
    this.closed = true;
    await Promise.all(this.workers.map(({ worker }) => worker.terminate()));
  }

  private spawn(): PoolWorker {
    const worker = new Worker(new URL('./encode-worker.js', import.meta.url), { workerData: { devices: this.aliases, learned: this.devices.learnedDevices() } satisfies WorkerData });
    const entry: PoolWorker = { worker, waiting: new Map(), online: false };
    worker.unref();
    worker.on('online', () => (entry.online = true));
    worker.on('message', (answer: WorkerAnswer) => {
      const waiting = entry.waiting.get(answer.id);
      if (!waiting) return;
      entry.waiting.delete(answer.id);
      if ('error' in answer) waiting.reject(answer.undecodable ? new UndecodableError(answer.error) : new Error(`encoding failed: ${answer.error}`));
      else waiting.resolve({ ...answer.encoded, tables: answer.encoded.tables.map((part) => ({ ...part, rows: Buffer.from(part.rows.buffer, part.rows.byteOffset, part.rows.byteLength) })) });
    });
    worker.on('error', (err) => this.replace(entry, err));
    worker.on('exit', (code) => this.replace(entry, new Error(`encode worker exited with code ${code}`)));
    return entry;
  }

  private replace(entry: PoolWorker, error: Error): void {
    for (const waiting of entry.waiting.values()) waiting.reject(error);
    entry.waiting.clear();
    const at = this.workers.indexOf(entry);
    if (at < 0 || this.closed) return;
    if (entry.online) this.workers[at] = this.spawn();
    else this.workers.splice(at, 1);
  }
}
