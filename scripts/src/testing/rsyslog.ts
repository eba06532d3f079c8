import { execFile } from 'node:child_process';
import { mkdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { connect } from 'node:net';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { promisify } from 'node:util';
import { installed, RSYSLOGD as RSYSLOGD_TOOL } from './debian-tools.js';
import { freePort } from './ports.js';
import { spawnManaged, tempFolder, waitUntil, type ManagedProcess } from './processes.js';
import { sendTcp, sendUdp } from './syslog.js';

// Runs private rsyslogd instances on 127.0.0.1 for tests and benchmarks of rollpoint's syslog receiver.
// Each one has its own config, pid file and work directory in a temp folder; none loads imuxsock or imklog,
// so the system log socket and the kernel log stay untouched, and none binds port 514 or reads /etc/rsyslog.conf.

const RSYSLOGD = RSYSLOGD_TOOL.path;
const START_TIMEOUT_MS = 15000;
const STOP_TIMEOUT_MS = 10000;
const run = promisify(execFile);

/** True when the rsyslog daemon is installed (Debian packages rsyslog and, for TLS, rsyslog-gnutls). */
export function rsyslogAvailable(): boolean {
  return installed(RSYSLOGD_TOOL);
}

export interface RsyslogInstance {
  /** The generated rsyslog.conf. */
  config: string;
  /** rsyslogd's process id (benchmarks read its CPU time). */
  pid: number;
  /** What rsyslogd printed on stdout and stderr so far (the last MiB); its errors land here. */
  output(): string;
  /** SIGTERM, waits for the exit (SIGKILL after 10 s), removes the temp folder. Safe to call twice. */
  stop(): Promise<void>;
}

export interface RsyslogProcess extends RsyslogInstance {
  /** Where the test writes raw syslog lines into this rsyslogd. */
  input: { protocol: 'udp' | 'tcp'; port: number };
  /** Writes raw syslog lines into `input`: for UDP one datagram per line, for TCP one connection, each line + LF. */
  send(lines: string[]): Promise<void>;
}

export interface RsyslogReceiver extends RsyslogInstance {
  protocol: 'tcp' | 'udp';
  port: number;
  /** The file every received message is appended to. */
  file: string;
}

export interface ForwarderOptions {
  target: { host: string; port: number };
  protocol: 'tcp' | 'tls' | 'udp';
  /** TCP framing; default 'traditional' (rsyslog's default) for tcp and 'octet-counted' (RFC 5425) for tls. Ignored for udp. */
  framing?: 'octet-counted' | 'traditional';
  /** Default RSYSLOG_SyslogProtocol23Format (RFC 5424 with a trailing LF). */
  template?: 'RSYSLOG_SyslogProtocol23Format' | 'RSYSLOG_ForwardFormat';
  /** For protocol 'tls'. certFile/keyFile: the client certificate rsyslog presents. Default authMode 'x509/name' with permittedPeer 'localhost'. */
  tls?: { caFile: string; certFile?: string; keyFile?: string; authMode?: 'x509/name' | 'anon'; permittedPeer?: string };
  /** How the test feeds rsyslogd; default 'tcp' (no loss, order kept). */
  input?: 'tcp' | 'udp';
}

export interface ReceiverOptions {
  protocol: 'tcp' | 'udp';
  file: string;
  /** 'msg' (default): the template "%msg%\n", only the message part; or rsyslog's RSYSLOG_FileFormat (timestamp host tag msg). */
  format?: 'msg' | 'RSYSLOG_FileFormat';
}

export interface FileReaderOptions {
  /** The folder imfile watches: every `*.log` file in it, read from its beginning. */
  directory: string;
  /** The file each line read is appended to, byte for byte. */
  file: string;
}

export interface RsyslogFileReader extends RsyslogInstance {
  /** The file each line read is appended to. */
  file: string;
  /** Bytes of lines from `directory` in `file` so far (the readiness probe's line not counted). */
  copiedBytes(): number;
}

/** A string literal for rsyslog's RainerScript. */
const q = (value: string | number): string => `"${String(value).replace(/[\\"]/g, '\\$&')}"`;

/** `name="value"` pairs for a RainerScript object; undefined values are left out. */
const params = (values: Record<string, string | number | undefined>): string =>
  Object.entries(values)
    .filter(([, value]) => value !== undefined)
    .map(([name, value]) => `${name}=${q(value!)}`)
    .join(' ');

/** The config text shared by every instance: private work directory, internal messages kept inside rsyslogd. */
function globalConfig(workDirectory: string, extra: Record<string, string | undefined> = {}): string {
  // processInternalMessages="on": rsyslogd's own messages are not sent to the system log socket (/dev/log, journald);
  // they go to the default ruleset (which has no action here) and, being errors, to stderr, which output() returns.
  return `global(${params({ workDirectory, processInternalMessages: 'on', ...extra })})`;
}

const inputConfig = (protocol: 'tcp' | 'udp', port: number, ruleset: string, extra: Record<string, string> = {}) =>
  [`module(load=${q(protocol === 'tcp' ? 'imtcp' : 'imudp')})`, `input(${params({ type: protocol === 'tcp' ? 'imtcp' : 'imudp', address: '127.0.0.1', port, ruleset, ...extra })})`];

/** The rsyslog.conf of a forwarder (exported so tests and reports can show it). */
export function forwarderConfig(options: ForwarderOptions, inputPort: number, workDirectory: string): string {
  const { target, protocol } = options;
  const tls = protocol === 'tls' ? options.tls : undefined;
  if (protocol === 'tls' && !tls) throw new Error('protocol tls needs tls.caFile');
  const framing = protocol === 'udp' ? undefined : (options.framing ?? (protocol === 'tls' ? 'octet-counted' : 'traditional'));
  const authMode = tls?.authMode ?? 'x509/name';
  const action = params({
    type: 'omfwd',
    name: 'forward',
    target: target.host,
    port: target.port,
    protocol: protocol === 'udp' ? 'udp' : 'tcp',
    TCP_Framing: framing,
    template: options.template ?? 'RSYSLOG_SyslogProtocol23Format',
    StreamDriver: tls && 'gtls',
    StreamDriverMode: tls && '1',
    StreamDriverAuthMode: tls && authMode,
    StreamDriverPermittedPeers: tls && authMode === 'x509/name' ? (tls.permittedPeer ?? 'localhost') : undefined,
    // An in-memory (no queue.filename: never on disk) action queue, so the input never blocks on the target, and
    // endless retries once a second while the target does not accept yet. Short shutdown timeouts: with a target
    // that never came up, rsyslogd would otherwise spin on the suspended action for a while before exiting.
    'queue.type': 'LinkedList',
    'queue.size': '100000',
    'queue.saveOnShutdown': 'off',
    'queue.timeoutShutdown': '1000',
    'queue.timeoutActionCompletion': '200',
    'action.resumeRetryCount': '-1',
    'action.resumeInterval': '1',
  });
  return [
    `# rollpoint test forwarder: ${options.input ?? 'tcp'} 127.0.0.1:${inputPort} -> omfwd ${protocol} ${target.host}:${target.port}`,
    globalConfig(workDirectory, {
      // The gtls driver takes its files from the global settings (only the forwarding action uses gtls; imtcp stays plain).
      defaultNetstreamDriverCAFile: tls?.caFile,
      defaultNetstreamDriverCertFile: tls?.certFile,
      defaultNetstreamDriverKeyFile: tls?.keyFile,
    }),
    ...inputConfig(options.input ?? 'tcp', inputPort, 'forward'),
    'ruleset(name="forward") {',
    `  action(${action})`,
    '}',
    '',
  ].join('\n');
}

/** The rsyslog.conf of a receiver (exported so tests and reports can show it). */
export function receiverConfig(options: ReceiverOptions, port: number, workDirectory: string): string {
  const template = (options.format ?? 'msg') === 'msg' ? 'rollpoint_msg' : 'RSYSLOG_FileFormat';
  return [
    `# rollpoint benchmark receiver: ${options.protocol} 127.0.0.1:${port} -> ${options.file}`,
    // Tuned the way a fair admin would for throughput, nothing exotic:
    // - imudp: a 4 MiB socket receive buffer (rsyslogd, as root, may exceed net.core.rmem_max), default threads (1) and batchSize;
    //   imtcp: defaults.
    // - the main queue (the ruleset has none of its own): default in-memory FixedArray, dequeued in batches of 1024.
    // - omfile: asyncWriting="on" with a 64 KiB buffer, no flush per batch (flushOnTXEnd="off"), flushed at least
    //   every second (flushInterval="1"): a reader may see lines up to ~1 s late and gets all of them after stop().
    // - maxMessageSize and escaping of control characters stay at rsyslog's defaults (8 KiB, escaped).
    globalConfig(workDirectory),
    'main_queue(queue.dequeueBatchSize="1024")',
    'template(name="rollpoint_msg" type="string" string="%msg%\\n")',
    ...inputConfig(options.protocol, port, 'receive', options.protocol === 'udp' ? { rcvBufSize: '4m' } : {}),
    'ruleset(name="receive") {',
    `  action(${params({ type: 'omfile', file: options.file, template, asyncWriting: 'on', ioBufferSize: '64k', flushOnTXEnd: 'off', flushInterval: '1' })})`,
    '}',
    '',
  ].join('\n');
}

// rsyslogd processes still running when the test process exits (a crash, mocha --exit) are killed then.
const running = new Set<ManagedProcess>();
let exitHookInstalled = false;
function track(managed: ManagedProcess): void {
  if (!exitHookInstalled) {
    exitHookInstalled = true;
    process.once('exit', () => {
      for (const { child } of running) child.kill('SIGKILL');
    });
  }
  running.add(managed);
  void managed.exited.then(() => running.delete(managed));
}

/** Whether something listens on 127.0.0.1:`port` (TCP: a connection succeeds; UDP: a bound socket in /proc/net/udp). */
async function listening(protocol: 'tcp' | 'udp', port: number): Promise<boolean> {
  if (protocol === 'udp') {
    const local = `0100007F:${port.toString(16).toUpperCase().padStart(4, '0')}`;
    return readFileSync('/proc/net/udp', 'utf8')
      .split('\n')
      .some((line) => line.trim().split(/\s+/)[1] === local);
  }
  return new Promise((resolve) => {
    const socket = connect(port, '127.0.0.1');
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });
}

/** What says a started rsyslogd is ready: `what` for a timeout's message. */
interface Readiness {
  what: string;
  check(): Promise<boolean>;
}

/** Ready once rsyslogd listens on `input`. */
const listeningOn = (input: { protocol: 'tcp' | 'udp'; port: number }): Readiness => ({
  what: `rsyslogd to listen on ${input.protocol} 127.0.0.1:${input.port}`,
  check: () => listening(input.protocol, input.port),
});

/** Writes `config` into a fresh temp folder, checks it (rsyslogd -N1), starts rsyslogd and waits until it is `ready`. */
async function startRsyslogd(prefix: string, config: (workDirectory: string) => string, ready: Readiness) {
  if (!rsyslogAvailable()) throw new Error(`${RSYSLOGD} is missing: install the Debian packages rsyslog and rsyslog-gnutls`);
  const folder = tempFolder(prefix);
  const workDirectory = join(folder, 'work');
  mkdirSync(workDirectory);
  const configText = config(workDirectory);
  const configFile = join(folder, 'rsyslog.conf');
  writeFileSync(configFile, configText);

  // No socket activation or sd_notify from whatever started the tests.
  const env = { ...process.env };
  for (const name of ['LISTEN_FDS', 'LISTEN_PID', 'LISTEN_FDNAMES', 'NOTIFY_SOCKET']) delete env[name];

  try {
    await run(RSYSLOGD, ['-N1', '-f', configFile], { env, timeout: START_TIMEOUT_MS });
  } catch (error) {
    const { stdout = '', stderr = '' } = error as { stdout?: string; stderr?: string };
    rmSync(folder, { recursive: true, force: true });
    throw new Error(`rsyslogd rejected its config:\n${stdout}${stderr}\n--- config ---\n${configText}`, { cause: error });
  }

  // -n: foreground; -f: our config, never /etc/rsyslog.conf; -i: our pid file, never /run/rsyslogd.pid.
  const managed = spawnManaged(RSYSLOGD, ['-n', '-f', configFile, '-i', join(folder, 'rsyslogd.pid')], env);
  const { child, output } = managed;
  track(managed);

  let stopping: Promise<void> | undefined;
  const instance = {
    config: configText,
    pid: child.pid ?? -1,
    output,
    stop: () =>
      (stopping ??= (async () => {
        const killed = managed.stop('SIGTERM');
        const timer = sleep(STOP_TIMEOUT_MS).then(() => 'timeout' as const);
        if ((await Promise.race([killed, timer])) === 'timeout') await managed.stop('SIGKILL');
        rmSync(folder, { recursive: true, force: true });
      })()),
  };
  try {
    await waitUntil(ready.check, ready.what, START_TIMEOUT_MS, managed);
  } catch (error) {
    await instance.stop();
    throw new Error(`${(error as Error).message}\n--- config ---\n${configText}`, { cause: error });
  }
  return instance;
}

/** Sends raw syslog lines to 127.0.0.1:`port`: UDP one datagram per line, TCP one connection with each line + LF. */
export function sendSyslogLines(protocol: 'tcp' | 'udp', port: number, lines: readonly string[]): Promise<void> {
  return protocol === 'udp' ? sendUdp(port, lines) : sendTcp(port, lines.map((line) => `${line}\n`).join(''));
}

/**
 * Starts a private rsyslogd that forwards everything written into `input` to `target` with omfwd (udp, tcp, or tcp
 * with the gtls driver for TLS), retrying until the target accepts. rsyslog may deliver a message twice after
 * a failed connection attempt, so tests should look for messages, not count them.
 */
export async function startRsyslogForwarder(options: ForwarderOptions): Promise<RsyslogProcess> {
  const input = { protocol: options.input ?? 'tcp', port: await freePort() };
  const instance = await startRsyslogd('rsyslog-forwarder', (workDirectory) => forwarderConfig(options, input.port, workDirectory), listeningOn(input));
  return { ...instance, input, send: (lines) => sendSyslogLines(input.protocol, input.port, lines) };
}

/** Starts a private rsyslogd that listens with imtcp or imudp on a free 127.0.0.1 port and appends every message to `file`. */
export async function startRsyslogReceiver(options: ReceiverOptions): Promise<RsyslogReceiver> {
  const port = await freePort();
  const instance = await startRsyslogd('rsyslog-receiver', (workDirectory) => receiverConfig(options, port, workDirectory), listeningOn({ protocol: options.protocol, port }));
  return { ...instance, protocol: options.protocol, port, file: options.file };
}

/** The line a file reader is first given to read: it is ready once the line is copied. */
const READY_LINE = 'rsyslog imfile is reading\n';
const READY_FILE = 'ready.log';

/** The rsyslog.conf of a file reader (exported so tests and reports can show it). */
export function fileReaderConfig(options: FileReaderOptions, workDirectory: string): string {
  return [
    `# rollpoint benchmark file reader: imfile ${options.directory}/*.log -> ${options.file}`,
    // imfile in inotify mode (its default on Linux), a file found after start read from its beginning
    // (freshStartTail="off"), one line a message (readMode 0). The main queue dequeues in batches of
    // 1024; omfile writes each line as read (%rawmsg%) through a 64 KiB buffer flushed at the end of each
    // batch (flushOnTXEnd="on"), so the file is current whenever a batch is done and a reader sees
    // every line without waiting for a timer; no fsync (omfile's default).
    globalConfig(workDirectory),
    'module(load="imfile" mode="inotify")',
    'main_queue(queue.dequeueBatchSize="1024")',
    'template(name="rollpoint_raw" type="string" string="%rawmsg%\\n")',
    `input(${params({ type: 'imfile', File: join(options.directory, '*.log'), Tag: 'bench', ruleset: 'read', freshStartTail: 'off', readMode: '0' })})`,
    'ruleset(name="read") {',
    `  action(${params({ type: 'omfile', file: options.file, template: 'rollpoint_raw', ioBufferSize: '64k', flushOnTXEnd: 'on' })})`,
    '}',
    '',
  ].join('\n');
}

/** Bytes in `file`, 0 while it does not exist. */
const sizeOf = (file: string): number => {
  try {
    return statSync(file).size;
  } catch {
    return 0;
  }
};

/**
 * Starts a private rsyslogd whose imfile reads every `*.log` file in `directory` and appends each line
 * to `file`; ready once it has copied a probe line from a file of its own in `directory`.
 */
export async function startRsyslogFileReader(options: FileReaderOptions): Promise<RsyslogFileReader> {
  writeFileSync(join(options.directory, READY_FILE), READY_LINE);
  const ready = { what: `rsyslogd's imfile to read ${options.directory}`, check: async () => sizeOf(options.file) >= READY_LINE.length };
  const instance = await startRsyslogd('rsyslog-file-reader', (workDirectory) => fileReaderConfig(options, workDirectory), ready);
  return { ...instance, file: options.file, copiedBytes: () => Math.max(0, sizeOf(options.file) - READY_LINE.length) };
}
