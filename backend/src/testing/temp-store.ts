import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { migrate } from '../schema/migrations.js';
import { ChdbStore } from '../store/chdb.js';

/**
 * The real embedded engine for the tests of one describe block: a migrated store (no TTL) in a
 * temporary folder, opened before them and removed after them. Read `.store` inside the tests.
 */
export function useTempStore(prefix: string): { readonly store: ChdbStore } {
  const path = mkdtempSync(join(tmpdir(), `rollpoint-${prefix}-`));
  const held = {} as { store: ChdbStore };
  before(async function () {
    held.store = new ChdbStore({ path, readOnlyMaxRows: 100, readOnlyTimeoutMs: 10000 });
    await migrate(held.store, { ttlDays: 0 });
  });
  after(async function () {
    await held.store?.close();
    rmSync(path, { recursive: true, force: true });
  });
  return held;
}
