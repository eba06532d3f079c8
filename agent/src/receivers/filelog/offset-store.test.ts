import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { open } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect } from 'chai';
import { isSameFile, readFingerprint } from './fingerprint.js';
import { OffsetStore } from './offset-store.js';

describe('filelog offsets and fingerprints', function () {
  let folder: string;
  beforeEach(() => (folder = mkdtempSync(join(tmpdir(), 'rollpoint-filelog-'))));
  afterEach(() => rmSync(folder, { recursive: true, force: true }));

  it('stores offsets by fingerprint across instances, and tells a first run (nothing stored) apart', async function () {
    const path = join(folder, 'data', 'filelog', 'filelog.json');
    expect(await new OffsetStore(path).load()).to.equal(undefined);
    const store = new OffsetStore(path);
    store.save([{ fingerprint: Buffer.from('first'), offset: 3, path: '/a' }]);
    store.save([{ fingerprint: Buffer.from([0, 255, 10]), offset: 12, path: '/var/log/a.log' }]);
    expect(await new OffsetStore(path).load()).to.deep.equal([{ fingerprint: Buffer.from([0, 255, 10]), offset: 12, path: '/var/log/a.log' }]);
    expect(JSON.parse(readFileSync(path, 'utf8'))).to.have.length(1);
  });

  it('knows a file by its first bytes: the same once grown or renamed, another once rewritten', async function () {
    const path = join(folder, 'a.log');
    writeFileSync(path, 'line 1\n');
    const handle = await open(path, 'r');
    const small = await readFingerprint(handle, 16);
    expect(small.toString()).to.equal('line 1\n');
    writeFileSync(path, 'line 1\nline 2 and more\n');
    const grown = await readFingerprint(handle, 16);
    expect(grown).to.have.length(16);
    expect(isSameFile(small, grown)).to.equal(true);
    writeFileSync(path, 'other\n');
    expect(isSameFile(small, await readFingerprint(handle, 16))).to.equal(false);
    expect(isSameFile(Buffer.alloc(0), grown), 'an empty file is no one').to.equal(false);
    await handle.close();
  });
});
