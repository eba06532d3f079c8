import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { SourcePosition } from '@rollpoint/runtime';
import { expect } from 'chai';
import { PositionFile } from './position-file.js';

// A cursor-like state: the advance replaces it.
const take = (_state: string | undefined, advance: string) => advance;

describe('position file: two phases around each batch', function () {
  let folder: string;
  let path: string;
  const open = () => new PositionFile<string | undefined, string>(path, 'journald/x', (text) => text.trim());
  beforeEach(() => {
    folder = mkdtempSync(join(tmpdir(), 'rollpoint-position-'));
    path = join(folder, 'data', 'x.cursor');
  });
  afterEach(() => rmSync(folder, { recursive: true, force: true }));

  it('saves the advance as pending before the batch goes, and applies it after', async function () {
    const file = open();
    expect(await file.load(undefined, take)).to.equal(undefined);
    const { source, seq } = file.begin('c1', 'c2');
    expect(source).to.match(/^journald\/x#[0-9a-f]{8}$/);
    expect(seq).to.equal(1);
    expect(JSON.parse(readFileSync(path, 'utf8'))).to.deep.equal({ source, seq: 1, state: 'c1', pending: { seq: 1, advance: 'c2' } });
    file.commit('c2');
    expect(JSON.parse(readFileSync(path, 'utf8'))).to.deep.equal({ source, seq: 1, state: 'c2' });
    expect(await open().load(() => true, take), 'nothing pending: nothing to ask').to.equal('c2');
  });

  it('at start, applies a pending advance whose batch every queue has, drops one not (the batch is read again), and never gives a seq twice', async function () {
    const asked: SourcePosition[] = [];
    const queued = (answer: boolean | undefined) => (position: SourcePosition) => (asked.push(position), answer);
    const { source } = open().begin('c1', 'c2');
    const first = open();
    expect(await first.load(queued(true), take)).to.equal('c2');
    first.begin('c2', 'c3');
    const second = open();
    expect(await second.load(queued(false), take)).to.equal('c2');
    // A seq dropped is not given again: a queue may have had the batch once already.
    expect(second.begin('c2', 'c3')).to.deep.equal({ source, seq: 3 });
    // No disk queue behind the receiver: dropped, as before two phases (read again).
    expect(await open().load(queued(undefined), take)).to.equal('c2');
    expect(asked).to.deep.equal([1, 2, 3].map((seq) => ({ source, seq })));
    // The decision is saved: asked again later, nothing is pending.
    expect(await open().load(queued(true), take)).to.equal('c2');
    expect(asked).to.have.length(3);
  });

  it('reads what an older agent saved (the bare state) as committed, seqs from 1', async function () {
    mkdirSync(join(folder, 'data'));
    writeFileSync(path, 'cursor-of-older-agent\n');
    const file = open();
    expect(await file.load(() => true, take)).to.equal('cursor-of-older-agent');
    expect(file.begin('cursor-of-older-agent', 'next').seq).to.equal(1);
  });

  it('starts a file made anew (deleted, say) under another source, so its seqs from 1 are not taken for ones queued before', async function () {
    const before = open().begin('c1', 'c2');
    rmSync(path);
    const file = open();
    expect(await file.load(() => true, take)).to.equal(undefined);
    const after = file.begin(undefined, 'c1');
    expect(after.seq).to.equal(1);
    expect(after.source).to.match(/^journald\/x#/).and.not.equal(before.source);
  });

  it('keeps a state never saved (the first run not over) through a crash whose batch was not queued', async function () {
    open().begin(undefined, 'c1');
    expect(await open().load(() => false, take)).to.equal(undefined);
  });
});
