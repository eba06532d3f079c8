import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { open } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { SourcePosition } from '@rollpoint/runtime';
import { expect } from 'chai';
import { isSameFile, readFingerprint } from './fingerprint.js';
import { OffsetStore } from './offset-store.js';

describe('filelog offsets and fingerprints', function () {
  let folder: string;
  beforeEach(() => (folder = mkdtempSync(join(tmpdir(), 'rollpoint-filelog-'))));
  afterEach(() => rmSync(folder, { recursive: true, force: true }));

  it('stores offsets by fingerprint across instances, and tells a first run (nothing stored) apart', async function () {
    const path = join(folder, 'data', 'filelog', 'filelog.json');
    expect(await new OffsetStore(path, 'filelog').load(undefined)).to.equal(undefined);
    const store = new OffsetStore(path, 'filelog');
    store.save([{ fingerprint: Buffer.from('first'), offset: 3, path: '/a' }]);
    store.save([{ fingerprint: Buffer.from([0, 255, 10]), offset: 12, path: '/var/log/a.log' }]);
    expect(await new OffsetStore(path, 'filelog').load(undefined)).to.deep.equal([{ fingerprint: Buffer.from([0, 255, 10]), offset: 12, path: '/var/log/a.log' }]);
  });

  it('counts in the batch pending at a crash only for the file it was read from, and only if it was queued', async function () {
    const path = join(folder, 'filelog.json');
    const files = [
      { fingerprint: Buffer.from('a'), offset: 10, path: '/a' },
      { fingerprint: Buffer.from('b'), offset: 20, path: '/b' },
    ];
    let pending: SourcePosition | undefined;
    const crashed = () => (pending = new OffsetStore(path, 'filelog/x').begin(files, Buffer.from('b'), 25));
    crashed();
    const queued = (answer: boolean) => (position: SourcePosition) => (expect(position).to.deep.equal(pending), answer);
    expect((await new OffsetStore(path, 'filelog/x').load(queued(true)))!.map((f) => f.offset)).to.deep.equal([10, 25]);
    crashed();
    expect((await new OffsetStore(path, 'filelog/x').load(queued(false)))!.map((f) => f.offset)).to.deep.equal([10, 20]);
  });

  it('reads the offsets an older agent stored (a bare list)', async function () {
    const path = join(folder, 'filelog.json');
    writeFileSync(path, JSON.stringify([{ fingerprint: Buffer.from('a').toString('base64'), offset: 7, path: '/a' }]));
    expect(await new OffsetStore(path, 'filelog').load(() => true)).to.deep.equal([{ fingerprint: Buffer.from('a'), offset: 7, path: '/a' }]);
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
