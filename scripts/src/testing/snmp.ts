import { execFile } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { freePort } from './ports.js';
import { spawnManaged, tempFolder, waitUntil, type BackendProcess } from './processes.js';

// Real SNMP senders for tests: the Debian `snmp` package's snmptrap and snmpinform.

const run = promisify(execFile);


/** Runs snmptrap (or snmpinform) with `args`; resolves with its exit code, never throws on failure. */
export async function snmpCommand(command: 'snmptrap' | 'snmpinform', args: readonly string[]): Promise<{ code: number; output: string }> {
  try {
    // -M /dev/null -m '': no MIB files are read, every OID stays numeric on the sender's side.
    const { stdout, stderr } = await run(command, ['-M', '/dev/null', '-m', '', '-r', '0', '-t', '2', ...args], { timeout: 20000 });
    return { code: 0, output: stdout + stderr };
  } catch (error) {
    const { code, stdout = '', stderr = '' } = error as { code?: number; stdout?: string; stderr?: string };
    return { code: typeof code === 'number' ? code : 1, output: stdout + stderr };
  }
}

/** sysLocation.0 carrying `mark`: how a test finds its trap among the others. */
export const markerVarbind = (mark: string): string[] => ['1.3.6.1.2.1.1.6.0', 's', mark];

export type TrapRow = Record<string, unknown> & { Body: string; LogAttributes: Record<string, string>; ResourceAttributes: Record<string, string> };

const byMarker = (mark: string) => `SELECT * FROM otel_logs WHERE LogAttributes['snmp.varbind.sysLocation'] = '${mark}'`;

/** The stored trap whose sysLocation is `mark`, waiting for it. */
export async function storedTrap(backend: BackendProcess, mark: string): Promise<TrapRow> {
  await waitUntil(async () => (await backend.sql(byMarker(mark))).length > 0, `a trap marked ${mark}`);
  return (await backend.sql(byMarker(mark)))[0] as TrapRow;
}

/** How many stored traps carry `mark` (for checking that one did not arrive). */
export async function countTraps(backend: BackendProcess, mark: string): Promise<number> {
  return (await backend.sql(byMarker(mark))).length;
}

export const SNMPTRAPD = '/usr/sbin/snmptrapd';

export interface Snmptrapd {
  port: number;
  pid: number;
  file: string;
  stop(): Promise<void>;
}

/**
 * A private snmptrapd (Debian's snmptrapd) on a free 127.0.0.1 port that accepts any community and
 * writes one line per trap to `file`; no system configuration, MIBs or DNS are read.
 */
export async function startSnmptrapd(file: string): Promise<Snmptrapd> {
  const folder = tempFolder('snmptrapd');
  const port = await freePort();
  const config = join(folder, 'snmptrapd.conf');
  writeFileSync(config, ['disableAuthorization yes', 'doNotRetainNotificationLogs yes', 'format1 %a %W\\n', 'format2 %a %v\\n', ''].join('\n'));
  const managed = spawnManaged(
    SNMPTRAPD,
    ['-f', '-C', '-c', config, '-n', '-t', '-X', '-M', '/dev/null', '-m', '', '-Lf', file, `udp:127.0.0.1:${port}`],
    { ...process.env, SNMPCONFPATH: folder, SNMP_PERSISTENT_DIR: folder },
    [folder],
  );
  await waitUntil(async () => readFileSync('/proc/net/udp', 'utf8').includes(`:${port.toString(16).toUpperCase().padStart(4, '0')} `), 'snmptrapd to listen', 15000, managed);
  return { port, pid: managed.child.pid!, file, stop: async () => void (await managed.stop()) };
}
