import { spawn } from 'node:child_process';
import { SYSTEMD_JOURNAL_REMOTE } from './debian-tools.js';

// Real journal files for tests: entries in the journal export format
// (https://systemd.io/JOURNAL_EXPORT_FORMATS/) piped into systemd-journal-remote, which writes
// (or appends to) a journal file as journald would.

/** One journal entry: field name → text, or bytes (written as a binary field). */
export type ExportEntry = Record<string, string | Uint8Array>;

/** The export format of `entries`: KEY=value lines, a binary field as KEY, LF, 64-bit LE length, bytes, LF; a blank line after each entry. */
export function exportFormat(entries: readonly ExportEntry[]): Buffer {
  const parts: Buffer[] = [];
  for (const entry of entries) {
    for (const [field, value] of Object.entries(entry)) {
      if (typeof value === 'string' && !value.includes('\n')) {
        parts.push(Buffer.from(`${field}=${value}\n`));
        continue;
      }
      const bytes = Buffer.from(value);
      const length = Buffer.alloc(8);
      length.writeBigUInt64LE(BigInt(bytes.length));
      parts.push(Buffer.from(`${field}\n`), length, bytes, Buffer.from('\n'));
    }
    parts.push(Buffer.from('\n'));
  }
  return Buffer.concat(parts);
}

/** Appends `entries` to the journal file `file` (created when absent; its name must end in .journal). */
export async function writeJournal(file: string, entries: readonly ExportEntry[]): Promise<void> {
  const child = spawn(SYSTEMD_JOURNAL_REMOTE.path, [`--output=${file}`, '-'], { stdio: ['pipe', 'ignore', 'pipe'] });
  let stderr = '';
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  const exited = new Promise<number | null>((resolve, reject) => {
    child.once('error', reject);
    child.once('close', resolve);
  });
  child.stdin.end(exportFormat(entries));
  const code = await exited;
  if (code !== 0) throw new Error(`systemd-journal-remote failed (${code}): ${stderr}`);
}
