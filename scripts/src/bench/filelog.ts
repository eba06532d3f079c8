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
/** Rounds of the three readers (the agent into its queue, the agent end to end, rsyslog), alternated; the medians are reported. */
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
  /** The agent alone with its default pipeline, no backend, until its disk queue holds every line (median of FILELOG_RUNS). */
  queued: ReadRun;
  /** Agent → backend → ClickHouse with the default pipeline, until otel_logs holds every line (median of FILELOG_RUNS). */
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

/** The agent's filelog receiver on `directory`, from the beginning of each file, in its default pipeline (resource, batch, the disk queue). */
const filelogAgent = (directory: string, backendGrpcPort: number): AgentOptions => ({
  backendGrpcPort,
  filelog: { include: [join(directory, '*.log')], start_at: 'beginning' },
});

async function measureQueued(source: string, folder: string): Promise<ReadRun> {
  const directory = tempFolderIn(folder);
  const agent = await startAgentProcess(filelogAgent(directory, await freePort()));
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
  const agent = await startAgentProcess(filelogAgent(directory, backend.grpcPort));
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
    say(`filelog: ${FILELOG_LINES.toLocaleString('en')} lines (${(bytes / 2 ** 20).toFixed(0)} MiB) written; ${FILELOG_RUNS} rounds of the agent into its queue, end to end, and rsyslog …`);
    const withRsyslog = rsyslogAvailable();
    if (!withRsyslog) say("filelog: rsyslogd is not installed (apt-get install rsyslog): rsyslog's imfile skipped");
    const queuedRuns: ReadRun[] = [];
    const storedRuns: ReadRun[] = [];
    const imfileRuns: ReadRun[] = [];
    // Alternated, so that a spell of load elsewhere on the machine falls on every reader alike.
    for (let run = 0; run < FILELOG_RUNS; run++) {
      queuedRuns.push(await measureQueued(source, folder));
      say(`filelog, agent → disk queue: ${JSON.stringify(queuedRuns.at(-1))}`);
      storedRuns.push(await measureStored(source, folder));
      say(`filelog, agent → backend → store: ${JSON.stringify(storedRuns.at(-1))}`);
      if (!withRsyslog) continue;
      imfileRuns.push(await measureImfile(source, bytes, folder));
      say(`filelog, rsyslog imfile → omfile: ${JSON.stringify(imfileRuns.at(-1))}`);
    }
    const imfile = imfileRuns.length > 0 ? medianRun(imfileRuns) : undefined;
    return { lines: FILELOG_LINES, bytes, load, queued: medianRun(queuedRuns), stored: medianRun(storedRuns), ...(imfile ? { imfile } : {}) };
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

// What CPU profiles of the agent showed (node --cpu-prof on the agent process reading these 1,000,000
// lines into its disk queue with the default pipeline, no backend, twice, on the same loaded 2-core
// machine, 2026-12-01; the samples from the link until the queue held every line). agent/src/** is
// other changes', so this says where the time goes rather than changing it.
const FILELOG_FINDINGS = `Where the agent's time goes (two CPU profiles, \`node --cpu-prof\` on the agent process, of it reading
this file into its disk queue with the default pipeline, no backend; self time of the main thread
while it read, by module of our code, the two profiles' figures):

- **The main thread is busy about 80 % of the read** (1.7–2.7 µs a line) and waits the rest: the
  receiver keeps one batch of 16,384 lines in flight (its position file has one pending advance), so
  it reads on only once the disk queue has written and fdatasynced the last one. The process's CPU
  is about a quarter more than the main thread's: GC helpers and libuv's file threads.
- **Encoding the OTLP request, 33 %** (proto/src/logs-encoder.ts): of it, writing each body string
  back into UTF-8 bytes (\`writeString\`) 11–13 %, sizing the records first about 6 %.
- **Garbage collection, 18–20 %**: each line becomes a JavaScript string and an OTLP record of about
  ten objects, left for the collector once the batch is encoded.
- **Splitting the bytes into lines, 12–15 %** (record-splitter.ts \`splitRecords\`, \`textOf\`): a
  subarray and a \`TextDecoder.decode\` for every line.
- **The disk queue's append, 8–9 %**, most of it the record's CRC-32 (\`encodeRecord\`); building the
  records (to-otlp.ts) 5 %; the position file's two writes and renames a batch (position-file.ts)
  3 %; counting a request's records (proto/src/signals.ts) 3 %; the bench's /metrics reads 1–3 %.
- **Beside rsyslog** (the table's last row): imfile keeps each line's bytes as read and writes them
  out; the agent decodes each line into a string, builds an OTLP record, encodes it back into bytes,
  checksums them and fsyncs each batch, on one JavaScript thread that also waits for the fsync. What
  is left to gain is in those per-line copies and objects (about half the busy time, with the
  collector) and in that wait; no batch waits out the batch processor's timeout any more, since the
  receiver sends 16,384 lines a batch. End to end the backend's insert into ClickHouse is the limit
  (its CPU per line in the table, beside the agent's; see the write path above).`;

export function filelogSection({ lines, bytes, load, queued, stored, imfile }: FilelogResult): string {
  const rows = [
    row('rollpoint agent → disk queue', queued),
    row('rollpoint agent → backend → ClickHouse', stored),
    ...(imfile
      ? [
          row('rsyslog 8: imfile → omfile', imfile),
          `| **agent → disk queue / rsyslog** | **${(queued.linesPerSecond / imfile.linesPerSecond).toFixed(2)}** | **${(total(queued) / total(imfile)).toFixed(2)}** | **${(perReaderCpuSecond(queued) / perReaderCpuSecond(imfile)).toFixed(2)}** |`,
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
The three readers run ${FILELOG_RUNS} times each, alternated, so that load elsewhere on the machine falls on
all alike; each row is the median of its runs.
${imfile ? '' : '\nrsyslogd is not installed here (apt-get install rsyslog), so only rollpoint was measured.\n'}
- **rollpoint agent, into its disk queue**: what a user runs with no backend up — the filelog
  receiver (\`start_at: beginning\`, its default 200 ms poll) in the default logs pipeline
  (resource, batch with its default \`send_batch_size\` 8,192 and 200 ms timeout, the OTLP exporter's
  disk queue with its default fsync durability and size); done when the exporter's
  \`rollpoint_agent_exporter_queued_records_total\` in the agent's /metrics counts every line: each
  line is an OTLP log record on disk.
- **end to end**: the same agent with a backend (embedded chDB), done when the backend's
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
