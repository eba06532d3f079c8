import { parentPort, workerData } from 'node:worker_threads';
import { UndecodableError } from '@rollpoint/runtime';
import { DeviceNameTable, type DeviceAlias, type DevicePair, type LearnedDevice } from './device-names.js';
import { encodeExport, type EncodeJob } from './encode.js';

// A worker thread of the encode pool: Exports' bytes in, RowBinary rows out (transferred, not copied).

export interface WorkerRequest {
  id: number;
  job: EncodeJob;
}

/** Device pairs the backend learned (from any worker's Exports), to learn here too. */
export interface WorkerLearn {
  learn: DevicePair[];
}

/** An answer: the encoded rows, or why not, and whether the bytes themselves were at fault. */
export type WorkerAnswer = { id: number; encoded: ReturnType<typeof encodeExport> } | { id: number; error: string; undecodable: boolean };

/** What the pool starts each worker with: the configured `devices:` table and what was learned so far. */
export interface WorkerData {
  devices: readonly DeviceAlias[];
  learned: readonly LearnedDevice[];
}

const data = workerData as WorkerData | null;
const devices = new DeviceNameTable(data?.devices ?? [], data?.learned);

parentPort?.on('message', (message: WorkerRequest | WorkerLearn) => {
  if ('learn' in message) {
    for (const pair of message.learn) devices.learn(pair);
    return;
  }
  const { id, job } = message;
  let answer: WorkerAnswer;
  try {
    answer = { id, encoded: encodeExport(job, devices) };
  } catch (err) {
    answer = { id, error: err instanceof Error ? err.message : String(err), undecodable: err instanceof UndecodableError };
  }
  parentPort!.postMessage(answer, 'encoded' in answer ? answer.encoded.tables.map((part) => part.rows.buffer as ArrayBuffer) : []);
});
