import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { expect } from 'chai';
import type { SchemaOptions } from './layout.js';
import { migrationScripts, SCHEMA_VERSION } from './migrations.js';

// Released migrations never change: a database created by an older backend keeps the shape its
// migrations gave it, so a migration that now renders other SQL would give new databases another
// shape than old ones under the same version. Each migration's script is frozen, per layout, in
// src/schema/released/ (runnable with clickhouse-client --multiquery). A new migration is frozen
// by running this file once with ROLLPOINT_FREEZE_MIGRATIONS=1, which writes missing files only.

const RELEASED = new URL('../../src/schema/released/', import.meta.url);

/** The layouts frozen. Other cluster names, databases and TTL days only substitute into the same text (tested below). */
const LAYOUTS: Record<string, SchemaOptions> = {
  node: { ttlDays: 30 },
  cluster: { ttlDays: 30, cluster: 'rollpoint', database: 'telemetry' },
};

const nameOf = (version: number, layout: string): string => `${String(version).padStart(4, '0')}.${layout}.sql`;
const fileOf = (version: number, layout: string): URL => new URL(nameOf(version, layout), RELEASED);

describe('released migrations', function () {
  for (const [layout, options] of Object.entries(LAYOUTS)) {
    for (const { version, script } of migrationScripts(options)) {
      it(`migration ${version} renders the SQL it was released with (${layout})`, function () {
        const file = fileOf(version, layout);
        const shown = `backend/src/schema/released/${nameOf(version, layout)}`;
        if (!existsSync(file) && process.env.ROLLPOINT_FREEZE_MIGRATIONS === '1') writeFileSync(file, `${script}\n`);
        expect(existsSync(file), `migration ${version} is not frozen: record it with ROLLPOINT_FREEZE_MIGRATIONS=1 and commit ${shown}`).to.equal(true);
        const frozen = readFileSync(file, 'utf8');
        expect(`${script}\n`).to.equal(
          frozen,
          `released migration ${version} (${layout}) renders other SQL than ${shown}: databases created before keep the old shape. ` +
            `Put back what changed it (a constant it shares with the queries stays a literal in the migration) and add migration ${SCHEMA_VERSION + 1} instead`,
        );
      });
    }
  }

  it('other names and TTLs only substitute into the frozen text', function () {
    const frozen = (layout: string) => migrationScripts(LAYOUTS[layout]!).map(({ version }) => readFileSync(fileOf(version, layout), 'utf8')).join('');
    const rendered = (options: SchemaOptions) => migrationScripts(options).map(({ script }) => `${script}\n`).join('');
    const days = (text: string) => text.replaceAll('toIntervalDay(30)', 'toIntervalDay(7)');
    expect(rendered({ ttlDays: 7.5 })).to.equal(days(frozen('node')));
    // No TTL: its line stays empty, or goes where it ended the statement (statements are trimmed).
    const noTtl = frozen('node').replace(/\nTTL .+ \+ toIntervalDay\(30\);/g, ';').replace(/TTL .+ \+ toIntervalDay\(30\)/g, '');
    expect(rendered({ ttlDays: 0 })).to.equal(noTtl);
    expect(rendered({ ttlDays: 7, cluster: 'c2', database: 'db2' })).to.equal(
      days(frozen('cluster')).replaceAll(' ON CLUSTER rollpoint ', ' ON CLUSTER c2 ').replaceAll('telemetry.', 'db2.').replaceAll("Distributed(rollpoint, 'telemetry',", "Distributed(c2, 'db2',"),
    );
  });

  it('every frozen migration is still a migration', function () {
    const versions = new Set(migrationScripts(LAYOUTS.node!).map(({ version }) => version));
    const frozen = readdirSync(RELEASED).map((name) => Number(name.split('.')[0]));
    expect(frozen.filter((version) => !versions.has(version)), 'a released migration was removed: databases have applied it').to.deep.equal([]);
  });
});
