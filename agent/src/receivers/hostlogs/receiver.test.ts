import { appendFileSync, existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import type { ExportLogsServiceRequest } from '@rollpoint/proto';
import { expect } from 'chai';
import { pino } from 'pino';
import type { ComponentContext } from '../../component.js';
import { Watermark } from '../../service/watermark.js';
import { createAgentMetrics } from '../../telemetry/metrics.js';
import { hostlogsConfigSchema } from './config.js';
import { hostlogsReceiverFactory } from './factory.js';

// The receiver in-process: on a temporary file standing in for /var/log/syslog it runs the filelog
// receiver with the syslog parser; with nothing to read it says so once and starts anyway.

/** Waits until `check` holds (mocha's timeout bounds the wait). */
const until = async (check: () => boolean): Promise<void> => {
  while (!check()) await sleep(20);
};

describe('hostlogs receiver', function () {
  let folder: string;
  let said: Array<{ level: number; msg: string }>;
  let delivered: Array<{ host: string | undefined; app: string | undefined; body: string }>;

  const context = (): ComponentContext => ({
    id: 'hostlogs',
    logger: pino({ level: 'info' }, { write: (line: string) => said.push(JSON.parse(line) as { level: number; msg: string }) }),
    metrics: createAgentMetrics(),
    agent: { id: 'test', dataDir: join(folder, 'data') },
    watermark: new Watermark(),
  });
  const consume = async (request: ExportLogsServiceRequest) => {
    for (const rl of request.resourceLogs!)
      for (const record of rl.scopeLogs![0]!.logRecords!)
        delivered.push({
          host: rl.resource!.attributes!.find((a) => a.key === 'host.name')?.value?.stringValue ?? undefined,
          app: record.attributes!.find((a) => a.key === 'appname')?.value?.stringValue ?? undefined,
          body: record.body!.stringValue!,
        });
  };
  const create = (settings: Record<string, unknown>) => hostlogsReceiverFactory.create(hostlogsConfigSchema.parse({ journal_directory: join(folder, 'journal'), ...settings }), { logs: consume }, context());

  beforeEach(function () {
    folder = mkdtempSync(join(tmpdir(), 'rollpoint-hostlogs-receiver-'));
    mkdirSync(join(folder, 'journal'));
    said = [];
    delivered = [];
  });
  afterEach(function () {
    rmSync(folder, { recursive: true, force: true });
  });

  it('follows the host log file from the end, each line parsed as syslog, and says so', async function () {
    const path = join(folder, 'syslog');
    writeFileSync(path, 'Nov 30 09:00:00 web-1 old[1]: history\n');
    const receiver = create({ files: [join(folder, 'messages'), path] });
    await receiver.start();
    try {
      expect(said.map((s) => s.msg)).to.deep.equal([`hostlogs: reading this host's logs from ${path}`]);
      // The first poll, which fixes the end, is over once it stored the offsets (under the hostlogs id).
      await until(() => existsSync(join(folder, 'data', 'filelog', 'hostlogs.json')));
      appendFileSync(path, '2026-11-30T10:00:01.000000+00:00 web-1 sshd[42]: Accepted publickey\n');
      await until(() => delivered.length === 1);
      expect(delivered).to.deep.equal([{ host: 'web-1', app: 'sshd', body: '2026-11-30T10:00:01.000000+00:00 web-1 sshd[42]: Accepted publickey' }]);
      expect(receiver.ready).to.equal(undefined);
    } finally {
      await receiver.shutdown();
    }
  });

  it('with nothing to read, logs one warning saying why and starts, shuts down and starts again', async function () {
    for (let run = 0; run < 2; run++) {
      const receiver = create({ files: [join(folder, 'messages')] });
      await receiver.start();
      await receiver.shutdown();
    }
    expect(said).to.have.length(2);
    expect(said[0]!.level).to.equal(40);
    expect(said[0]!.msg).to.match(/^hostlogs: this host's logs are not read: .*no .*messages$/);
  });
});
