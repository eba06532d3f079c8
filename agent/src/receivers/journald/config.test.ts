import { ConfigError } from '@rollpoint/runtime';
import { expect } from 'chai';
import { fileURLToPath } from 'node:url';
import { loadAgentConfig } from '../../config.js';
import { journaldConfigSchema, type JournaldConfig } from './config.js';
import { journalctlArgs, lastEntryArgs } from './journalctl-args.js';

const testdata = (name: string) => fileURLToPath(new URL(`../../../testdata/${name}`, import.meta.url));

describe('journald receiver configuration', function () {
  it('defaults as the Collector: the system journal, info and more severe, from the end', function () {
    expect(journaldConfigSchema.parse(null)).to.deep.equal({ units: [], priority: 'info', matches: [], start_at: 'end', max_pending_entries: 10000 });
  });

  it("reads the Collector's keys, and turns them into journalctl's arguments", function () {
    const config = loadAgentConfig(testdata('journald.yaml'));
    const web = config.receivers.get('journald/web')!.config as JournaldConfig;
    const selection = ['--output=json', '--merge', '--all', '--no-pager', '--priority=warning', '--directory=/var/log/journal/remote', '--unit=nginx.service', '--unit=checkout.service'];
    const matches = ['_TRANSPORT=syslog', 'SYSLOG_IDENTIFIER=sshd', '+', '_COMM=cron'];
    expect(journalctlArgs(web, 'beginning')).to.deep.equal([...selection, '--follow', '--no-tail', ...matches]);
    expect(lastEntryArgs(web)).to.deep.equal([...selection, '--lines=1', ...matches]);
    const files = config.receivers.get('journald/files')!.config as JournaldConfig;
    expect(journalctlArgs(files, { after: 's=1;i=2' })).to.deep.equal([
      '--output=json', '--merge', '--all', '--no-pager', '--priority=info',
      '--file=/var/log/journal/a.journal', '--file=/var/log/journal/b.journal', '--follow', '--after-cursor=s=1;i=2', '--no-tail',
    ]);
    // What is written from now on.
    expect(journalctlArgs(config.receivers.get('journald')!.config as JournaldConfig, 'end').at(-1)).to.equal('--lines=0');
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
