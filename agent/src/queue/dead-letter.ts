import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { QueuedBatch } from './disk-queue.js';

/**
 * Where batches the backend refused for good go: the request as it would have been sent
 * (`<id>.<signal>.binpb`, an OTLP Export request in protobuf) and beside it `<id>.json` saying
 * why, so an operator can read, mend and replay them.
 */
export class DeadLetters {
  constructor(private readonly directory: string) {}

  write(batch: QueuedBatch, payload: Uint8Array, reason: { code: string; message: string }, endpoint: string): string {
    mkdirSync(this.directory, { recursive: true });
    const stem = join(this.directory, batch.id);
    writeFileSync(`${stem}.${batch.signal}.binpb`, payload);
    const note = { batch_id: batch.id, signal: batch.signal, records: batch.records, endpoint, code: reason.code, reason: reason.message, time: new Date().toISOString() };
    writeFileSync(`${stem}.json`, `${JSON.stringify(note, null, 2)}\n`);
    return stem;
  }
}
