import { chmodSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect } from 'chai';
import { hostlogsConfigSchema } from './config.js';
import { describeHostLogSource, findHostLogSource, hostLogSearch, type HostLogSearch } from './host-log-source.js';

// The choice of this host's logs, with temporary folders standing in for /run/log/journal,
// /var/log/journal, /var/log/syslog and /var/log/messages, and a stand-in journalctl.

describe('hostlogs: which of the host’s logs are read', function () {
  let folder: string;
  let search: HostLogSearch;
  const path = (...parts: string[]) => join(folder, ...parts);

  beforeEach(function () {
    folder = mkdtempSync(join(tmpdir(), 'rollpoint-hostlogs-'));
    for (const dir of ['run-journal', 'var-journal']) mkdirSync(path(dir));
    writeFileSync(path('journalctl'), '#!/bin/sh\nexit 0\n');
    chmodSync(path('journalctl'), 0o755);
    search = { systemJournalDirectories: [path('run-journal'), path('var-journal')], files: [path('syslog'), path('messages')], journalctl: path('journalctl') };
  });
  afterEach(function () {
    rmSync(folder, { recursive: true, force: true });
  });

  const journalFile = (dir: string) => {
    mkdirSync(path(dir, '0123456789abcdef'), { recursive: true });
    writeFileSync(path(dir, '0123456789abcdef', 'system.journal'), '');
  };

  it('reads the system journal when journalctl runs and a journal folder holds a journal file', async function () {
    journalFile('var-journal');
    writeFileSync(path('syslog'), '');
    expect(await findHostLogSource(search)).to.deep.equal({ kind: 'journal' });
  });

  it('reads a configured journal folder with --directory', async function () {
    mkdirSync(path('mine'));
    writeFileSync(path('mine', 'system.journal'), '');
    expect(await findHostLogSource({ ...search, journalDirectory: path('mine') })).to.deep.equal({ kind: 'journal', directory: path('mine') });
  });

  it('falls back to the first log file that exists when the journal folders are empty', async function () {
    writeFileSync(path('messages'), '');
    expect(await findHostLogSource(search)).to.deep.equal({ kind: 'file', path: path('messages') });
    writeFileSync(path('syslog'), '');
    expect(await findHostLogSource(search)).to.deep.equal({ kind: 'file', path: path('syslog') });
  });

  it('falls back to a log file when journalctl is missing, journal files or not', async function () {
    journalFile('run-journal');
    writeFileSync(path('syslog'), '');
    expect(await findHostLogSource({ ...search, journalctl: path('no-journalctl') })).to.deep.equal({ kind: 'file', path: path('syslog') });
  });

  it('reads nothing, and says why, when there is neither', async function () {
    const none = await findHostLogSource(search);
    expect(none).to.deep.equal({ kind: 'none', why: `no journal files in ${path('run-journal')}, ${path('var-journal')}; no ${path('syslog')} or ${path('messages')}` });
    expect(describeHostLogSource(none)).to.match(/^nothing \(no journal files in /);
    const noJournalctl = await findHostLogSource({ ...search, journalctl: path('no-journalctl'), files: [] });
    expect(noJournalctl).to.deep.equal({ kind: 'none', why: `no ${path('no-journalctl')} (Debian package systemd); no log files to try` });
  });

  it('says a journal and a log file are there but not readable by this user', async function () {
    if (process.getuid?.() === 0) this.skip(); // root reads every file
    journalFile('var-journal');
    chmodSync(path('var-journal', '0123456789abcdef', 'system.journal'), 0o000);
    writeFileSync(path('syslog'), '');
    chmodSync(path('syslog'), 0o000);
    expect(await findHostLogSource(search)).to.deep.equal({
      kind: 'none',
      why: `the journal in ${path('var-journal')} is not readable by this user (add it to the systemd-journal group); ${path('syslog')} is not readable by this user (add it to the adm group)`,
    });
  });

  it('looks in /run/log/journal and /var/log/journal, then /var/log/syslog and /var/log/messages, by default', function () {
    expect(hostLogSearch(hostlogsConfigSchema.parse({}))).to.deep.equal({
      systemJournalDirectories: ['/run/log/journal', '/var/log/journal'],
      files: ['/var/log/syslog', '/var/log/messages'],
      journalctl: 'journalctl',
    });
  });
});
