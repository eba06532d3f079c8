import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ConfigError, configProblems, parseConfig } from '@rollpoint/runtime';
import { expect } from 'chai';
import { backendConfigSchema, loadBackendConfig } from '../config.js';
import { compareVersions, retentionOf, schemaOptionsOf, storeLocation } from './open.js';

const problems = (value: unknown): readonly string[] => configProblems(backendConfigSchema, value);

describe('storage configuration', function () {
  it('defaults to the embedded engine; the server driver has defaults a local server answers to', function () {
    const { storage } = parseConfig(backendConfigSchema, {});
    expect(storage.driver).to.equal('chdb');
    expect(storage.clickhouse).to.deep.include({ url: 'http://127.0.0.1:8123', username: 'default', password: '', database: 'default', compression: true, create_schema: true, request_timeout: 60000 });
    expect(schemaOptionsOf(storage)).to.deep.equal({ ttlDays: 30 });
  });

  it('names each bad server setting', function () {
    expect(problems({ storage: { driver: 'postgres', clickhouse: { url: 'ftp://x', database: 'a-b', cluster: 'x y', request_timeout: 'soon' } } })).to.have.members([
      'storage.driver: Invalid option: expected one of "chdb"|"clickhouse"',
      'storage.clickhouse.url: must be an http:// or https:// URL, e.g. http://127.0.0.1:8123',
      'storage.clickhouse.database: must be a plain identifier (letters, digits, _)',
      'storage.clickhouse.cluster: must be a plain identifier (letters, digits, _)',
      'storage.clickhouse.request_timeout: "soon" is not a duration (e.g. 200ms, 5s, 1m)',
    ]);
  });

  it('a cluster shapes the DDL only on the server driver', function () {
    const clustered = parseConfig(backendConfigSchema, { storage: { driver: 'clickhouse', clickhouse: { cluster: 'rollpoint' }, ttl_days: 7 } });
    expect(schemaOptionsOf(clustered.storage)).to.deep.equal({ ttlDays: 7, cluster: 'rollpoint', database: 'default' });
    const embedded = parseConfig(backendConfigSchema, { storage: { clickhouse: { cluster: 'rollpoint' } } });
    expect(schemaOptionsOf(embedded.storage)).to.deep.equal({ ttlDays: 30 });
  });

  it('keeps each family of tables for its storage.retention, or for ttl_days where it names none', function () {
    const day = 86400;
    expect(retentionOf(parseConfig(backendConfigSchema, {}).storage)).to.deep.equal({ logs: 30 * day, traces: 30 * day, metrics: 30 * day, checkpoints: 30 * day });
    const { storage } = parseConfig(backendConfigSchema, { storage: { ttl_days: 0, retention: { logs: '14d', traces: '36h', checkpoints: '1y' } } });
    expect(retentionOf(storage)).to.deep.equal({ logs: 14 * day, traces: 36 * 3600, metrics: 0, checkpoints: 365.25 * day });
    expect(problems({ storage: { retention: { logs: 30, metrics: '90m', signals: '1d' } } })).to.have.members([
      'storage.retention.logs: must be 0 or a whole number of hours, e.g. 90d or 36h (a bare number is milliseconds)',
      'storage.retention.metrics: must be 0 or a whole number of hours, e.g. 90d or 36h (a bare number is milliseconds)',
      'storage.retention.signals: unknown key',
    ]);
  });

  it('refuses a retention past 50 years, whose TTL would wrap past 2106 and expire every row at once', function () {
    expect(retentionOf(parseConfig(backendConfigSchema, { storage: { retention: { logs: '50y' } } }).storage).logs).to.equal(50 * 365.25 * 86400);
    expect(problems({ storage: { ttl_days: 100000000, retention: { logs: '100y', traces: '100000000d' } } })).to.have.members([
      'storage.ttl_days: must be at most 18262 (50 years); 0 keeps rows forever',
      'storage.retention.logs: must be at most 50y (a TTL further ahead would wrap past 2106); 0 keeps rows forever',
      'storage.retention.traces: must be at most 50y (a TTL further ahead would wrap past 2106); 0 keeps rows forever',
    ]);
  });

  it('expands ${env:NAME} in values (the password from the environment), and names a variable that is not set', function () {
    const folder = mkdtempSync(join(tmpdir(), 'rollpoint-config-'));
    try {
      const path = join(folder, 'backend.yaml');
      writeFileSync(path, 'storage:\n  driver: clickhouse\n  clickhouse:\n    password: "${env:ROLLPOINT_TEST_PASSWORD}"\n    username: "literal $${env:NOT_EXPANDED}"\n');
      process.env.ROLLPOINT_TEST_PASSWORD = 'from: the "environment"';
      const config = loadBackendConfig(path);
      expect(config.storage.clickhouse.password).to.equal('from: the "environment"');
      expect(config.storage.clickhouse.username).to.equal('literal ${env:NOT_EXPANDED}');
      delete process.env.ROLLPOINT_TEST_PASSWORD;
      expect(() => loadBackendConfig(path)).to.throw(ConfigError, 'storage.clickhouse.password: environment variable ROLLPOINT_TEST_PASSWORD is not set');
    } finally {
      rmSync(folder, { recursive: true, force: true });
    }
  });

  it('names the server in messages without the credentials a URL may carry', function () {
    const { storage } = parseConfig(backendConfigSchema, { storage: { driver: 'clickhouse', clickhouse: { url: 'https://rollpoint:s3cret@ch.example.net:8443' } } });
    expect(storeLocation(storage)).to.equal('https://ch.example.net:8443');
  });

  it('compares server versions numerically', function () {
    expect(compareVersions('18.16.1', '23.8')).to.be.below(0);
    expect(compareVersions('23.8.2.7', '23.8')).to.be.above(0);
    expect(compareVersions('23.10.1', '23.8')).to.be.above(0);
    expect(compareVersions('23.8', '23.8')).to.equal(0);
    expect(compareVersions('26.7.2.1', '23.8')).to.be.above(0);
  });
});
