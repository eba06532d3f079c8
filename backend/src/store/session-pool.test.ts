import { expect } from 'chai';
import type { Session } from 'chdb';
import { SessionPool } from './session-pool.js';

// The pool's own bookkeeping, with stand-ins for connections (the queries on real ones run in
// every checkpoint test through ChdbStore).

describe('session pool', function () {
  it('opens at most its size of connections, hands a released one to the caller waiting longest, and closes them all', async function () {
    const opened: Array<{ id: number; closed: boolean }> = [];
    const pool = new SessionPool(() => {
      const session = { id: opened.length, closed: false, close: () => (session.closed = true) };
      opened.push(session);
      return session as unknown as Session;
    }, 2);
    const releases: Array<() => void> = [];
    const ran: string[] = [];
    const hold = (name: string) =>
      pool.use(async (session) => {
        ran.push(`${name}:${(session as unknown as { id: number }).id}`);
        await new Promise<void>((resolve) => releases.push(resolve));
      });
    const all = [hold('a'), hold('b'), hold('c'), hold('d')];
    await new Promise((resolve) => setImmediate(resolve));
    expect(ran).to.deep.equal(['a:0', 'b:1']);
    releases.shift()!();
    await new Promise((resolve) => setImmediate(resolve));
    expect(ran).to.deep.equal(['a:0', 'b:1', 'c:0']);
    while (releases.length > 0 || ran.length < 4) {
      releases.shift()?.();
      await new Promise((resolve) => setImmediate(resolve));
    }
    await Promise.all(all);
    expect(ran).to.deep.equal(['a:0', 'b:1', 'c:0', 'd:1']);
    expect(opened).to.have.length(2);
    pool.close();
    expect(opened.every((s) => s.closed)).to.equal(true);
  });

  it('releases the connection when the work fails', async function () {
    let opened = 0;
    const pool = new SessionPool(() => {
      opened++;
      return { close() {} } as unknown as Session;
    }, 1);
    await pool.use(() => Promise.reject(new Error('refused'))).catch(() => {});
    await pool.use(() => Promise.resolve());
    expect(opened).to.equal(1);
  });
});
