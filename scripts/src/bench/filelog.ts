import { linkSync, mkdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { cpus, loadavg } from 'node:os';
import { join } from 'node:path';
import { freePort } from '../testing/ports.js';
import { metricValue, startAgentProcess, startBackendProcess, tempFolder, waitUntil, type AgentOptions } from '../testing/processes.js';
import { rsyslogAvailable, startRsyslogFileReader } from '../testing/rsyslog.js';
import { measureCpu } from './cpu.js';
import { median } from './otlp.js';

// `npm run bench`'s filelog section: one file of host log lines read from its beginning by the
// agent's filelog receiver and by rsyslog's imfile in the same run, each timed from the moment the
// file appears in the folder it watches until it has taken every line, with its CPU over that span.

export const FILELOG_HEADING = "## Log files: the filelog receiver beside rsyslog's imfile";
export const FILELOG_LINES = 1_000_000;
/** Runs of the quicker readers (the agent into its queue with the batch of 2,048, and rsyslog), alternated; the medians are reported. */
export const FILELOG_RUNS = 3;
const WRITE_CHUNK = 50_000;
const TIMEOUT_MS = 600_000;

/** A line as rsyslog writes /var/log/syslog (RFC 3339 time, host, tag) carrying an nginx access line: about 150 bytes, all different. */
export function hostLogLine(i: number): string {
  const time = new Date(Date.UTC(2026, 10, 30, 12) + i).toISOString().replace('Z', '000+00:00');
  return `${time} web-${i % 20} nginx[${1000 + (i % 7)}]: 10.0.${i % 250}.${i % 200} - - "GET /api/items/${i} HTTP/1.1" 200 ${512 + (i % 1000)} "-" "Mozilla/5.0 (X11; Linux x86_64)"`;
}

let folders = 0;
/** A fresh folder inside `folder`, for one reader to watch. */
function tempFolderIn(folder: string): string {
  const path = join(folder, `reader-${++folders}`);
  mkdirSync(path);
  return path;
}

/** Writes `lines` host log lines to `path`, one write per chunk; returns the file's size. */
function writeLogFile(path: string, lines: number): number {
  writeFileSync(path, '');
  for (let first = 0; first < lines; first += WRITE_CHUNK) {
    const count = Math.min(WRITE_CHUNK, lines - first);
    writeFileSync(path, Array.from({ length: count }, (_, k) => `${hostLogLine(first + k)}\n`).join(''), { flag: 'a' });
  }
  return statSync(path).size;
}

export interface ReadRun {
  linesPerSecond: number;
  /** CPU seconds (user + system) per 100,000 lines, per process. */
  cpuPer100k: Record<string, number>;
}

/** The figures of one run: `lines` taken in `ms`, the processes having used `cpuSeconds` meanwhile. */
export function readRun(lines: number, ms: number, cpuSeconds: Record<string, number>): ReadRun {
  return {
    linesPerSecond: Math.round((lines / ms) * 1000),
    cpuPer100k: Object.fromEntries(Object.entries(cpuSeconds).map(([name, seconds]) => [name, (seconds / lines) * 100_000])),
  };
}

/** Each figure's median over `runs`. */
export function medianRun(runs: readonly ReadRun[]): ReadRun {
  return {
    linesPerSecond: median(runs.map((run) => run.linesPerSecond)),
    cpuPer100k: Object.fromEntries(Object.keys(runs[0]!.cpuPer100k).map((name) => [name, median(runs.map((run) => run.cpuPer100k[name]!))])),
  };
}

export interface FilelogResult {
  lines: number;
  bytes: number;
  /** The 1-minute load average as the section began, and the cores it shares. */
  load: { average: number; cores: number };
  /** The agent alone with its default pipeline, no backend: until its disk queue holds every line. */
  queuedDefault: ReadRun;
  /** The same with the batch processor's batch the size of the receiver's (median of FILELOG_RUNS). */
  queued: ReadRun;
  /** Agent (batch the size of the receiver's) → backend → ClickHouse: until otel_logs holds every line. */
  stored: ReadRun;
  /** rsyslogd's imfile → omfile (median of FILELOG_RUNS); undefined when rsyslogd is not installed. */
  imfile?: ReadRun;
}

/**
 * Times `pids` from the moment `source` is hard-linked into `directory` (a file appearing whole,
 * as a rotation's new file does, already in the page cache) until `done` says every line is taken.
 */
async function timeRead(source: string, directory: string, pids: Record<string, number>, done: () => Promise<boolean>): Promise<ReadRun> {
  const started = performance.now();
  const { cpu } = await measureCpu(Object.values(pids), async () => {
    linkSync(source, join(directory, 'bench.log'));
    await waitUntil(done, 'every line of the file', TIMEOUT_MS);
  });
  const ms = performance.now() - started;
  return readRun(FILELOG_LINES, ms, Object.fromEntries(Object.keys(pids).map((name, i) => [name, cpu[i]!])));
}

/**
 * The filelog receiver reads 2,048 lines at a time (MAX_BATCH in agent/src/receivers/filelog/receiver.ts)
 * and waits for the pipeline to take each; the batch processor answers once its batch is sent, so at
 * its default size (8,192) every read waits for its timeout. A batch of 2,048 sends each read at once.
 */
const RECEIVER_BATCH = 2048;

/** The agent's filelog receiver on `directory`, from the beginning of each file; `batch` its batch processor's settings. */
const filelogAgent = (directory: string, backendGrpcPort: number, batch: AgentOptions['batch'] = {}): AgentOptions => ({
  backendGrpcPort,
  batch,
  filelog: { include: [join(directory, '*.log')], start_at: 'beginning' },
  // Room for the whole file in the queue while no backend takes it.
  exporter: { sending_queue: { max_size_mib: 4096 } },
});

async function measureQueued(source: string, folder: string, batch: AgentOptions['batch']): Promise<ReadRun> {
  const directory = tempFolderIn(folder);
  const agent = await startAgentProcess(filelogAgent(directory, await freePort(), batch));
  try {
    const queued = async () => metricValue(await agent.metrics(), 'rollpoint_agent_exporter_queued_records_total{exporter="otlp",signal="logs"}') >= FILELOG_LINES;
    return await timeRead(source, directory, { agent: agent.child.pid! }, queued);
  } finally {
    await agent.stop('SIGKILL');
  }
}

async function measureStored(source: string, folder: string): Promise<ReadRun> {
  const directory = tempFolderIn(folder);
  const backend = await startBackendProcess({ ttlDays: 0 });
  const agent = await startAgentProcess(filelogAgent(directory, backend.grpcPort, { send_batch_size: RECEIVER_BATCH }));
  try {
    // The backend's own counter: a count() query ten times a second would add to the backend's CPU.
    const stored = async () => metricValue(await backend.metrics(), 'rollpoint_backend_inserted_rows_total{table="otel_logs"}') >= FILELOG_LINES;
    return await timeRead(source, directory, { agent: agent.child.pid!, backend: backend.child.pid! }, stored);
  } finally {
    await agent.stop();
    await backend.stop();
  }
}

async function measureImfile(source: string, bytes: number, folder: string): Promise<ReadRun> {
  const directory = tempFolderIn(folder);
  // Beside the folder, not in it: imfile reads every *.log there.
  const reader = await startRsyslogFileReader({ directory, file: `${directory}.copy` });
  try {
    // The copy is the lines byte for byte: every line is taken once it is as long as the file.
    return await timeRead(source, directory, { rsyslogd: reader.pid }, async () => reader.copiedBytes() >= bytes);
  } finally {
    await reader.stop();
    rmSync(reader.file, { force: true });
  }
}

export async function measureFilelog(say: (line: string) => void): Promise<FilelogResult> {
  const load = { average: loadavg()[0]!, cores: cpus().length };
  const folder = tempFolder('bench-filelog');
  try {
    const source = join(folder, 'lines.log');
    const bytes = writeLogFile(source, FILELOG_LINES);
    say(`filelog: ${FILELOG_LINES.toLocaleString('en')} lines (${(bytes / 2 ** 20).toFixed(0)} MiB) written; the agent alone, into its disk queue …`);
    const queuedDefault = await measureQueued(source, folder, {});
    say(`filelog, agent → disk queue, default pipeline: ${JSON.stringify(queuedDefault)}`);
    const queuedRuns: ReadRun[] = [];
    const imfileRuns: ReadRun[] = [];
    if (!rsyslogAvailable()) say("filelog: rsyslogd is not installed (apt-get install rsyslog): rsyslog's imfile skipped");
    // Alternated, so that a spell of load elsewhere on the machine falls on both readers alike.
    for (let run = 0; run < FILELOG_RUNS; run++) {
      queuedRuns.push(await measureQueued(source, folder, { send_batch_size: RECEIVER_BATCH }));
      say(`filelog, agent → disk queue, batch of ${RECEIVER_BATCH}: ${JSON.stringify(queuedRuns.at(-1))}`);
      if (!rsyslogAvailable()) continue;
      imfileRuns.push(await measureImfile(source, bytes, folder));
      say(`filelog, rsyslog imfile → omfile: ${JSON.stringify(imfileRuns.at(-1))}`);
    }
    const queued = medianRun(queuedRuns);
    const imfile = imfileRuns.length > 0 ? medianRun(imfileRuns) : undefined;
    const stored = await measureStored(source, folder);
    say(`filelog, agent → backend → store: ${JSON.stringify(stored)}`);
    return { lines: FILELOG_LINES, bytes, load, queuedDefault, queued, stored, ...(imfile ? { imfile } : {}) };
  } finally {
    rmSync(folder, { recursive: true, force: true });
  }
}

const number = (n: number): string => Math.round(n).toLocaleString('en');
const total = (run: ReadRun): number => Object.values(run.cpuPer100k).reduce((a, b) => a + b, 0);
const cpuText = (run: ReadRun): string => Object.entries(run.cpuPer100k).map(([name, seconds]) => `${name} ${seconds.toFixed(2)} s`).join(' + ');
/** Lines per CPU-second of the process that reads the file. */
const perReaderCpuSecond = (run: ReadRun): number => 100_000 / (run.cpuPer100k.agent ?? run.cpuPer100k.rsyslogd ?? Infinity);
const row = (name: string, run: ReadRun): string => `| ${name} | ${number(run.linesPerSecond)} | ${cpuText(run)} | ${number(perReaderCpuSecond(run))} |`;

// What a CPU profile of the agent showed (node --cpu-prof, 500,000 of these lines, the batch of
// 2,048, no backend, on the same loaded 2-core machine, 2026-12-01); agent/src/receivers/filelog is
// another change's, so this says where the time goes rather than changing it.
const FILELOG_FINDINGS = `Where the agent's time goes (a CPU profile, \`node --cpu-prof\`, of the agent reading 500,000 of
these lines into its disk queue with the batch of ${number(RECEIVER_BATCH)}, no backend):

- **With the default pipeline the receiver waits, it does not work.** It reads ${number(RECEIVER_BATCH)} lines at a
  time and waits until the pipeline has taken them before it reads on; the batch processor answers
  only once its batch is sent, and one read (${number(RECEIVER_BATCH)}) never fills its default 8,192, so every read
  waits out the 200 ms timeout: at most ${number(RECEIVER_BATCH / 0.2)} lines/s, the agent idle nearly all the while.
  Setting \`send_batch_size\` to ${number(RECEIVER_BATCH)} (the second row) removes the wait; in the receiver, reading
  as many lines as a batch takes, or keeping a few batches in flight, would do it for every
  configuration.
- **With the batch of ${number(RECEIVER_BATCH)}, the agent's main thread is still idle about 70 % of the read.** One
  batch at a time goes through stat, read, split, resource, batch, encode, the queue's write (and
  fdatasync) and the offset file's write and rename, each file operation a round trip through
  libuv's thread pool; on a loaded machine each waits for a core. The queue's durability \`batch\`
  (no fsync) read at the same rate, so it is the serial chain, not the fsync. Reading the next
  chunk while the last batch is queued would overlap them.
- **The busy time** (0.27 s of main-thread CPU per 100,000 lines in the profile): protobuf encoding of the
  log records about 28 %, saving the file's offset after every batch (\`writeFileSync\` +
  \`renameSync\` of the offsets file, on the main thread) about 21 %, garbage collection 12 %,
  splitting lines 8 %, the disk queue's append 8 %, and the bench's own reads of /metrics (ten a
  second) about 10 %. The offset is saved after every batch because it may move only past lines
  already in the queue (no line lost or repeated across a kill -9); larger batches per read would
  pay for it less often.`;

export function filelogSection({ lines, bytes, load, queuedDefault, queued, stored, imfile }: FilelogResult): string {
  const batch = `batch of ${number(RECEIVER_BATCH)}`;
  const rows = [
    row('rollpoint agent → disk queue, default pipeline', queuedDefault),
    row(`rollpoint agent → disk queue, ${batch}`, queued),
    row(`rollpoint agent → backend → ClickHouse, ${batch}`, stored),
    ...(imfile
      ? [
          row('rsyslog 8: imfile → omfile', imfile),
          `| **agent → disk queue (${batch}) / rsyslog** | **${(queued.linesPerSecond / imfile.linesPerSecond).toFixed(2)}** | **${(total(queued) / total(imfile)).toFixed(2)}** | **${(perReaderCpuSecond(queued) / perReaderCpuSecond(imfile)).toFixed(2)}** |`,
        ]
      : []),
  ];
  const loaded =
    load.average >= load.cores / 2
      ? `Other work was running: the 1-minute load average was ${load.average.toFixed(1)} on ${load.cores} cores as the section began, so these figures are lower and noisier than an idle machine's.`
      : `The 1-minute load average was ${load.average.toFixed(1)} on ${load.cores} cores as the section began.`;
  return `${FILELOG_HEADING}

One file of ${number(lines)} different lines (${(bytes / 2 ** 20).toFixed(0)} MiB, about ${Math.round(bytes / lines)} bytes a line: what rsyslog
writes to /var/log/syslog — RFC 3339 time, host, tag — carrying nginx access lines) is written once,
then hard-linked into the folder each reader watches once that reader is up: a complete new file
appears, as after a rotation, already in the page cache, and each reader takes it from its
beginning. The clock runs from the link until the reader has taken every line; CPU is the user +
system time of the reader's process (and of the backend, end to end) over the same span, from /proc.
${imfile ? '' : '\nrsyslogd is not installed here (apt-get install rsyslog), so only rollpoint was measured.\n'}
- **rollpoint agent, into its disk queue**: the filelog receiver (\`start_at: beginning\`, its
  default 200 ms poll), the logs pipeline (resource, batch, the OTLP exporter's disk queue with its
  default fsync durability) and no backend; done when the exporter's
  \`rollpoint_agent_exporter_queued_records_total\` in the agent's /metrics counts every line: each
  line is an OTLP log record on disk. Once with the default pipeline, and ${FILELOG_RUNS} times with the batch
  processor's \`send_batch_size\` at ${number(RECEIVER_BATCH)}, the receiver's own batch (below), alternated with
  rsyslog's runs; those two rows are medians. With the default pipeline the agent's fixed work
  (retrying the absent backend, answering the bench's /metrics reads) is spread over ten times as
  long a read, hence its higher CPU per line.
- **end to end**: the latter agent with a backend, done when the backend's
  \`rollpoint_backend_inserted_rows_total\` counts every line in \`otel_logs\`.
- **rsyslog's imfile** (inotify, \`freshStartTail="off"\`, one line a message) **into omfile**, each
  line written as read (\`%rawmsg%\`), flushed at the end of each batch of 1,024, no fsync; done when
  the copy is as long as the file (scripts/src/testing/rsyslog.ts, \`fileReaderConfig\`). A file is
  the fairest sink beside the agent's disk queue: both readers end on the same local disk, and no
  third process (a TCP sink counting lines) competes for the ${load.cores} cores.

| reader | lines/s | CPU-seconds per 100,000 lines | lines per CPU-second of the reader |
| --- | ---: | ---: | ---: |
${rows.join('\n')}

${loaded}

${FILELOG_FINDINGS}`;
}
