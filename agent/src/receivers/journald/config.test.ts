import { ConfigError } from '@rollpoint/runtime';
import { expect } from 'chai';
import { fileURLToPath } from 'node:url';
import { loadAgentConfig } from '../../config.js';
import { journaldConfigSchema, type JournaldConfig } from './config.js';
import { journalctlArgs } from './journalctl-args.js';

const testdata = (name: string) => fileURLToPath(new URL(`../../../testdata/${name}`, import.meta.url));

describe('journald receiver configuration', function () {
  it('defaults as the Collector: the system journal, info and more severe, from the end', function () {
    expect(journaldConfigSchema.parse(null)).to.deep.equal({ units: [], priority: 'info', matches: [], start_at: 'end', max_pending_entries: 10000 });
  });

  it("reads the Collector's keys, and turns them into journalctl's arguments", function () {
    const config = loadAgentConfig(testdata('journald.yaml'));
    const web = config.receivers.get('journald/web')!.config as JournaldConfig;
    expect(journalctlArgs(web, undefined)).to.deep.equal([
      '--output=json', '--follow', '--merge', '--all', '--no-pager', '--priority=warning',
      '--directory=/var/log/journal/remote', '--unit=nginx.service', '--unit=checkout.service', '--no-tail',
      '_TRANSPORT=syslog', 'SYSLOG_IDENTIFIER=sshd', '+', '_COMM=cron',
    ]);
    const files = config.receivers.get('journald/files')!.config as JournaldConfig;
    expect(journalctlArgs(files, 's=1;i=2')).to.deep.equal([
      '--output=json', '--follow', '--merge', '--all', '--no-pager', '--priority=info',
      '--file=/var/log/journal/a.journal', '--file=/var/log/journal/b.journal', '--after-cursor=s=1;i=2', '--no-tail',
    ]);
    // No cursor stored and start_at end: only what is written from now on.
    expect(journalctlArgs(config.receivers.get('journald')!.config as JournaldConfig, undefined).at(-1)).to.equal('--lines=0');
  });

  it('names the path of every bad key and value', function () {
    let problems: readonly string[] = [];
    try {
      loadAgentConfig(testdata('bad_journald.yaml'));
    } catch (err) {
      if (!(err instanceof ConfigError)) throw err;
      problems = err.problems;
    }
    expect(problems.join('\n')).to.include('receivers.journald.priority: ');
    expect(problems.join('\n')).to.include('receivers.journald.start_at: ');
    expect(problems).to.include.members([
      'receivers.journald.matches.0.message: a journal field name is upper case letters, digits and _',
      'receivers.journald.unitz: unknown key',
      'receivers.journald/both.files: directory and files cannot both be set',
    ]);
  });
});
