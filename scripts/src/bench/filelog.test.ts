import { linkSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { expect } from 'chai';
import { requireTools, RSYSLOGD } from '../testing/debian-tools.js';
import { tempFolder, waitUntil } from '../testing/processes.js';
import { fileReaderConfig, startRsyslogFileReader } from '../testing/rsyslog.js';
import { FILELOG_HEADING, filelogSection, hostLogLine, medianRun, readRun } from './filelog.js';

// The filelog bench's load is what its report says it is, and its figures are worked out right.

describe('bench: the filelog section', function () {
  it('writes lines of about 150 bytes as rsyslog writes /var/log/syslog, all different', function () {
    const lines = Array.from({ length: 10_000 }, (_, i) => hostLogLine(i));
    const mean = lines.reduce((n, line) => n + Buffer.byteLength(line) + 1, 0) / lines.length;
    expect(mean).to.be.within(140, 160);
    expect(new Set(lines).size).to.equal(lines.length);
    expect(hostLogLine(1)).to.match(/^2026-11-30T12:00:00\.001000\+00:00 web-1 nginx\[1001\]: 10\.0\.1\.1 - - "GET \/api\/items\/1 HTTP\/1\.1" 200 513 /);
  });

  it('gives lines/s and CPU-seconds per 100,000 lines of each process', function () {
    expect(readRun(1_000_000, 4000, { agent: 5, backend: 12 })).to.deep.equal({ linesPerSecond: 250_000, cpuPer100k: { agent: 0.5, backend: 1.2 } });
  });

  it("takes each figure's median over the runs", function () {
    const runs = [readRun(100, 1000, { agent: 3 }), readRun(100, 500, { agent: 1 }), readRun(100, 2000, { agent: 2 })];
    expect(medianRun(runs)).to.deep.equal({ linesPerSecond: 100, cpuPer100k: { agent: 2000 } });
  });

  it('sets rollpoint beside rsyslog, and says so when rsyslog was not there', function () {
    const run = readRun(1_000_000, 10_000, { agent: 5 });
    const stored = readRun(1_000_000, 20_000, { agent: 6, backend: 20 });
    const result = { lines: 1_000_000, bytes: 150_000_000, load: { average: 3, cores: 2 }, queued: run, stored };
    const both = filelogSection({ ...result, imfile: readRun(1_000_000, 2000, { rsyslogd: 2 }) });
    expect(both.startsWith(`${FILELOG_HEADING}\n`)).to.equal(true);
    expect(both).to.contain('| rollpoint agent → disk queue | 100,000 | agent 0.50 s | 200,000 |');
    expect(both).to.contain('| rsyslog 8: imfile → omfile | 500,000 | rsyslogd 0.20 s | 500,000 |');
    // rollpoint's reader: a fifth of rsyslog's rate, 2.5 times its CPU, 0.4 times its lines per CPU-second.
    expect(both).to.contain('| **0.20** | **2.50** | **0.40** |');
    expect(both).to.contain('| rollpoint agent → backend → ClickHouse | 50,000 | agent 0.60 s + backend 2.00 s | 166,667 |');
    expect(both).to.contain('load average was 3.0 on 2 cores');
    const alone = filelogSection(result);
    expect(alone).to.contain('rsyslogd is not installed here');
    expect(alone).not.to.contain('imfile → omfile |');
  });

  it("has rsyslog's imfile read the folder's *.log files from their beginning into a byte-for-byte copy", function () {
    const config = fileReaderConfig({ directory: '/tmp/in', file: '/tmp/copy.log' }, '/tmp/work');
    expect(config).to.contain('module(load="imfile" mode="inotify")');
    expect(config).to.match(/input\(type="imfile" File="\/tmp\/in\/\*\.log" Tag="bench" ruleset="read" freshStartTail="off" readMode="0"\)/);
    expect(config).to.contain('string="%rawmsg%\\n"');
    expect(config).to.contain('file="/tmp/copy.log" template="rollpoint_raw"');
  });

  it('has a real rsyslogd copy a file that appears in its folder, byte for byte (what the bench waits for)', async function () {
    requireTools(this, RSYSLOGD);
    const folder = tempFolder('filelog-imfile');
    const directory = join(folder, 'watched');
    mkdirSync(directory);
    const source = join(folder, 'lines.log');
    const text = Array.from({ length: 5000 }, (_, i) => `${hostLogLine(i)}\n`).join('');
    writeFileSync(source, text);
    const reader = await startRsyslogFileReader({ directory, file: join(folder, 'copy.log') });
    try {
      expect(reader.copiedBytes()).to.equal(0);
      linkSync(source, join(directory, 'bench.log'));
      await waitUntil(async () => reader.copiedBytes() >= text.length, 'the copy', 30000);
      expect(readFileSync(reader.file, 'utf8').endsWith(text)).to.equal(true);
      expect(reader.copiedBytes()).to.equal(text.length);
    } finally {
      await reader.stop();
      rmSync(folder, { recursive: true, force: true });
    }
  });
});
