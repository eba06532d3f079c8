import { execFile } from 'node:child_process';
import { access, constants, stat } from 'node:fs/promises';
import { promisify } from 'node:util';
import { glob } from 'tinyglobby';
import { SYSTEM_JOURNAL_DIRECTORIES, type HostlogsConfig } from './config.js';

// Which of this host's logs the hostlogs receiver reads: the journal when journalctl is there and
// a journal folder holds a journal file this user can read, else the first log file that exists
// and can be read, else none — with why, for the one line the agent logs about it.

export type HostLogSource =
  | { kind: 'journal'; /** Absent: the system journal. */ directory?: string }
  | { kind: 'file'; path: string }
  | { kind: 'none'; why: string };

export interface HostLogSearch {
  /** Where the system journal is looked for. */
  systemJournalDirectories: readonly string[];
  /** A folder of journal files to read instead of the system journal. */
  journalDirectory?: string;
  files: readonly string[];
  /** The journalctl command tried (`journalctl --version`). */
  journalctl: string;
}

export const hostLogSearch = (config: HostlogsConfig): HostLogSearch => ({
  systemJournalDirectories: SYSTEM_JOURNAL_DIRECTORIES,
  ...(config.journal_directory ? { journalDirectory: config.journal_directory } : {}),
  files: config.files,
  journalctl: 'journalctl',
});

const readable = (path: string): Promise<boolean> => access(path, constants.R_OK).then(() => true, () => false);
const isFile = (path: string): Promise<boolean> => stat(path).then((s) => s.isFile(), () => false);

function runs(command: string): Promise<boolean> {
  return promisify(execFile)(command, ['--version']).then(() => true, () => false);
}

/** 'readable', 'unreadable' (journal files this user may not read) or 'absent' (no journal file). */
async function journalIn(directory: string): Promise<'readable' | 'unreadable' | 'absent'> {
  // Journal files sit in the folder or in its machine-id subfolder.
  const files = await glob(['*.journal', '*/*.journal'], { cwd: directory, absolute: true, onlyFiles: true }).catch(() => []);
  if (files.length === 0) return 'absent';
  for (const file of files) if (await readable(file)) return 'readable';
  return 'unreadable';
}

/** This host's logs as `search` finds them now; never throws. */
export async function findHostLogSource(search: HostLogSearch): Promise<HostLogSource> {
  const why: string[] = [];
  const directories = search.journalDirectory ? [search.journalDirectory] : search.systemJournalDirectories;
  if (await runs(search.journalctl)) {
    const unreadable: string[] = [];
    for (const directory of directories) {
      const journal = await journalIn(directory);
      if (journal === 'readable') return search.journalDirectory ? { kind: 'journal', directory } : { kind: 'journal' };
      if (journal === 'unreadable') unreadable.push(directory);
    }
    why.push(
      unreadable.length > 0
        ? `the journal in ${unreadable.join(', ')} is not readable by this user (add it to the systemd-journal group)`
        : `no journal files in ${directories.join(', ')}`,
    );
  } else {
    why.push(`no ${search.journalctl} (Debian package systemd)`);
  }
  let found = false;
  for (const path of search.files) {
    if (!(await isFile(path))) continue;
    if (await readable(path)) return { kind: 'file', path };
    found = true;
    why.push(`${path} is not readable by this user (add it to the adm group)`);
  }
  if (!found) why.push(search.files.length > 0 ? `no ${search.files.join(' or ')}` : 'no log files to try');
  return { kind: 'none', why: why.join('; ') };
}

/** What is read, in a few words: "the journal", "/var/log/syslog", "nothing (…)". */
export function describeHostLogSource(source: HostLogSource): string {
  if (source.kind === 'journal') return source.directory ? `the journal in ${source.directory}` : 'the journal';
  if (source.kind === 'file') return source.path;
  return `nothing (${source.why})`;
}
