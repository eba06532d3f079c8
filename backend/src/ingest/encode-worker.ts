import { parentPort } from 'node:worker_threads';
import { encodeExport, type EncodeJob } from './encode.js';

// A worker thread of the encode pool: Exports' bytes in, RowBinary rows out (transferred, not copied).

export interface WorkerRequest {
  id: number;
  job: EncodeJob;
}

export type WorkerAnswer = { id: number; encoded: ReturnType<typeof encodeExport> } | { id: number; error: string };

parentPort?.on('message', ({ id, job }: WorkerRequest) => {
  let answer: WorkerAnswer;
  try {
    answer = { id, encoded: encodeExport(job) };
  } catch (err) {
    answer = { id, error: err instanceof Error ? err.message : String(err) };
  }
  parentPort!.postMessage(answer, 'encoded' in answer ? [answer.encoded.rows.buffer as ArrayBuffer] : []);
});
