import { parentPort, workerData } from 'node:worker_threads';
import { UndecodableError } from '@rollpoint/runtime';
import { DeviceNameTable, type DeviceAlias } from './device-names.js';
import { encodeExport, type EncodeJob } from './encode.js';

// A worker thread of the encode pool: Exports' bytes in, RowBinary rows out (transferred, not copied).

export interface WorkerRequest {
  id: number;
  job: EncodeJob;
}

/** An answer: the encoded rows, or why not, and whether the bytes themselves were at fault. */
export type WorkerAnswer = { id: number; encoded: ReturnType<typeof encodeExport> } | { id: number; error: string; undecodable: boolean };

/** What the pool starts each worker with. */
export interface WorkerData {
  devices: readonly DeviceAlias[];
}

const devices = new DeviceNameTable((workerData as WorkerData | null)?.devices ?? []);

parentPort?.on('message', ({ id, job }: WorkerRequest) => {
  let answer: WorkerAnswer;
  try {
    answer = { id, encoded: encodeExport(job, devices) };
  } catch (err) {
    answer = { id, error: err instanceof Error ? err.message : String(err), undecodable: err instanceof UndecodableError };
  }
  parentPort!.postMessage(answer, 'encoded' in answer ? answer.encoded.tables.map((part) => part.rows.buffer as ArrayBuffer) : []);
});
