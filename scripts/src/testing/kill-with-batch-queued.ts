import { copyFileSync, existsSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { DiskQueue } from '@rollpoint/agent';
import { tempFolder, type AgentProcess } from './processes.js';

// Kills an agent at the moment a kill -9 is hardest on exactly once: a receiver's batch written to the
// disk queue while the receiver's position file still has it pending (the queue's fsync under way,
// the position not yet moved). That moment lasts about an fsync, too short to hit by chance; so the
// agent is stopped (SIGSTOP) again and again, and each time its position file and a copy of its
// queue's newest segments are read by the agent's own code: in that state it is killed, else it
// goes on (SIGCONT).

export interface BatchQueuedTarget {
  /** The receiver's position file: its saved JSON names the source and, while a batch is on its way, `pending.seq`. */
  positionFile: string;
  /** The exporter's disk queue folder. */
  queueDirectory: string;
}

/** Whether the process is stopped (Linux: state T in /proc/<pid>/stat). */
const isStopped = (pid: number): boolean => /^\d+ \(.*\) [Tt] /.test(readFileSync(`/proc/${pid}/stat`, 'utf8'));

/** Reads the stopped agent's state: is the pending batch (if any) in the queue? */
async function pendingBatchQueued(target: BatchQueuedTarget): Promise<boolean> {
  const saved = JSON.parse(readFileSync(target.positionFile, 'utf8')) as { source: string; pending?: { seq: number } };
  if (!saved.pending) return false;
  // The batch on its way is the newest: it is in the newest segment if it is anywhere. A copy, as
  // opening a queue takes its folder over.
  const copy = tempFolder('queue-copy');
  try {
    const segments = readdirSync(target.queueDirectory).filter((name) => name.endsWith('.seg')).sort().slice(-2);
    for (const name of [...segments, ...segments.map((s) => s.replace('.seg', '.acks')), 'positions.json']) {
      if (existsSync(join(target.queueDirectory, name))) copyFileSync(join(target.queueDirectory, name), join(copy, name));
    }
    const { queue } = await DiskQueue.open({ directory: copy, maxBytes: 2 ** 40, durability: 'none', syncIntervalMs: 1000, segmentBytes: 2 ** 30, memoryBytes: 0 });
    const queued = (queue.queuedSeq(saved.source) ?? 0) >= saved.pending.seq;
    await queue.close();
    return queued;
  } finally {
    rmSync(copy, { recursive: true, force: true });
  }
}

/**
 * SIGKILLs `agent` once a batch of the receiver is in its queue with its position still pending;
 * throws if that is not seen within `timeoutMs` (the agent then runs on). Returns how many times it
 * was stopped.
 */
export async function killWithBatchQueued(agent: AgentProcess, target: BatchQueuedTarget, timeoutMs = 60000): Promise<number> {
  const pid = agent.child.pid!;
  const deadline = Date.now() + timeoutMs;
  for (let stops = 1; Date.now() < deadline; stops++) {
    if (agent.child.exitCode !== null) throw new Error(`the agent exited (${agent.child.exitCode}):\n${agent.output()}`);
    process.kill(pid, 'SIGSTOP');
    while (!isStopped(pid)) await sleep(0);
    let queued = false;
    try {
      queued = existsSync(target.positionFile) && (await pendingBatchQueued(target));
    } finally {
      if (!queued) process.kill(pid, 'SIGCONT');
    }
    if (queued) {
      await agent.stop('SIGKILL');
      return stops;
    }
    // Let it run a moment between stops: a random one, so stops do not fall in step with its batches.
    await sleep(Math.random() * 3);
  }
  throw new Error(`never caught the agent with a batch queued and its position pending in ${timeoutMs} ms`);
}
