import { fileURLToPath } from 'node:url';
import { logs, metrics, traces, type AnyValue, type ExportLogsServiceRequest, type ExportTraceServiceRequest, type KeyValue } from '@rollpoint/proto';
import { ConfigError, configProblems, readYamlFile } from '@rollpoint/runtime';
import { expect } from 'chai';
import Long from 'long';
import { z } from 'zod';
import { loadAgentConfig } from '../../config.js';
import { attributesConfigSchema } from './config.js';
import { AttributesProcessor } from './processor.js';

const testdata = (name: string) => fileURLToPath(new URL(`../../../testdata/${name}`, import.meta.url));

// SHA-256 hex digests computed with sha256sum: of "bob", of 42 as 8 little-endian bytes, of the byte 1 (true).
const SHA256_BOB = '81b637d8fcd2c6da6359e6963113a1170de795e4b725b84d1e0b4cfd9ec58ce9';
const SHA256_INT_42 = 'ed049108bc18f2c64369e8d0ea42850bdd1a7d1dd340cfde716315579702a76c';
const SHA256_TRUE = '4bf5122f344554c53bde2ebb8cd2b7e3d1600ad631c385a5d7cce23c7785459a';

const kv = (attributes: Record<string, AnyValue>): KeyValue[] => Object.entries(attributes).map(([key, value]) => ({ key, value }));
const text = (stringValue: string): AnyValue => ({ stringValue });

/** Plain values of attributes, for comparison. */
const plain = (attributes: KeyValue[] | null | undefined) =>
  Object.fromEntries((attributes ?? []).map(({ key, value }) => [key, value!.stringValue ?? value!.boolValue ?? (value!.intValue !== undefined ? Number(value!.intValue) : value!.doubleValue)]));

const logRequest = (records: Array<{ body?: string; severityNumber?: number; attributes: KeyValue[] }>, service = 'app'): ExportLogsServiceRequest => ({
  resourceLogs: [{ resource: { attributes: kv({ 'service.name': text(service) }) }, scopeLogs: [{ logRecords: records.map((r) => ({ ...r, body: text(r.body ?? '') })) }] }],
});

/** The attributes of each record after the processor built from `settings`. */
async function processed(settings: unknown, request: ExportLogsServiceRequest) {
  let out: ExportLogsServiceRequest | undefined;
  const processor = new AttributesProcessor(attributesConfigSchema.parse(settings), logs, async (r: ExportLogsServiceRequest) => {
    out = r;
  });
  await processor.consume(request);
  return out!.resourceLogs!.flatMap((g) => g.scopeLogs!.flatMap((s) => s.logRecords!.map((l) => plain(l.attributes))));
}

describe('attributes processor', function () {
  it('inserts only when absent, updates only when present, upserts both, from a value or another attribute', async function () {
    const actions = [
      { key: 'env', action: 'insert', value: 'prod' },
      { key: 'region', action: 'update', value: 'eu' },
      { key: 'tier', action: 'upsert', value: 2 },
      { key: 'ratio', action: 'upsert', value: 0.5 },
      { key: 'owner', action: 'insert', from_attribute: 'user' },
      { key: 'missing', action: 'upsert', from_attribute: 'nowhere' },
    ];
    const result = await processed({ actions }, logRequest([{ attributes: kv({ env: text('dev'), user: text('ann') }) }, { attributes: kv({ region: text('us'), tier: text('one') }) }]));
    expect(result).to.deep.equal([
      { env: 'dev', user: 'ann', tier: 2, ratio: 0.5, owner: 'ann' },
      { region: 'eu', tier: 2, env: 'prod', ratio: 0.5 },
    ]);
  });

  it('deletes and hashes by key and by key pattern; hashes as the Collector does (SHA-256 hex of the value’s bytes)', async function () {
    const actions = [
      { key: 'auth.token', action: 'delete' },
      { pattern: '^secret\\.', action: 'delete' },
      { key: 'user.name', action: 'hash' },
      { pattern: '^id\\.', action: 'hash' },
    ];
    const attributes = kv({ 'auth.token': text('t0k3n'), 'secret.a': text('x'), 'user.name': text('bob'), 'id.n': { intValue: Long.fromNumber(42) }, 'id.b': { boolValue: true }, 'id.list': { arrayValue: { values: [] } }, keep: text('me') });
    expect(await processed({ actions }, logRequest([{ attributes }]))).to.deep.equal([{ 'user.name': SHA256_BOB, 'id.n': SHA256_INT_42, 'id.b': SHA256_TRUE, 'id.list': '', keep: 'me' }]);
  });

  it('extracts the named groups of a pattern (Go (?P<name>) syntax too) from a string attribute', async function () {
    const actions = [{ key: 'url.full', action: 'extract', pattern: '^https?://(?P<server_address>[^/:]+)(:(?<server_port>\\d+))?' }];
    const result = await processed({ actions }, logRequest([{ attributes: kv({ 'url.full': text('https://shop.example:8443/cart') }) }, { attributes: kv({ 'url.full': text('ftp://x') }) }]));
    expect(result).to.deep.equal([{ 'url.full': 'https://shop.example:8443/cart', server_address: 'shop.example', server_port: '8443' }, { 'url.full': 'ftp://x' }]);
  });

  it('acts only on the records include selects and exclude does not (strict and regexp, resources and log properties)', async function () {
    const actions = [{ key: 'seen', action: 'insert', value: true }];
    const request = logRequest([
      { body: 'login ok', severityNumber: 9, attributes: kv({ component: text('auth') }) },
      { body: 'login failed', severityNumber: 17, attributes: kv({ component: text('auth') }) },
      { body: 'query', severityNumber: 9, attributes: kv({ component: text('db') }) },
    ]);
    const include = { match_type: 'strict', attributes: [{ key: 'component', value: 'auth' }] };
    expect(await processed({ actions, include }, request)).to.deep.equal([{ component: 'auth', seen: true }, { component: 'auth', seen: true }, { component: 'db' }]);
    const exclude = { match_type: 'regexp', log_bodies: ['fail'], log_severity_number: { min: 'ERROR' } };
    expect(await processed({ actions, include, exclude }, request)).to.deep.equal([{ component: 'auth', seen: true }, { component: 'auth' }, { component: 'db' }]);
    const otherService = { match_type: 'regexp', resources: [{ key: 'service.name', value: '^billing$' }] };
    expect(await processed({ actions, include: otherService }, request)).to.deep.equal([{ component: 'auth' }, { component: 'auth' }, { component: 'db' }]);
  });

  it('acts on span attributes, leaving the given spans alone; refuses metrics pipelines and log properties on spans', async function () {
    const given: ExportTraceServiceRequest = { resourceSpans: [{ scopeSpans: [{ spans: [{ name: 'GET', attributes: kv({ 'user.name': text('bob') }) }] }] }] };
    const before = JSON.stringify(given);
    let out: ExportTraceServiceRequest | undefined;
    const config = attributesConfigSchema.parse({ actions: [{ key: 'user.name', action: 'hash' }] });
    await new AttributesProcessor(config, traces, async (r: ExportTraceServiceRequest) => {
      out = r;
    }).consume(given);
    expect(plain(out!.resourceSpans![0]!.scopeSpans![0]!.spans![0]!.attributes)).to.deep.equal({ 'user.name': SHA256_BOB });
    expect(JSON.stringify(given)).to.equal(before);
    expect(() => new AttributesProcessor(config, metrics, async () => {})).to.throw('logs and traces only');
    const logsOnly = attributesConfigSchema.parse({ actions: [{ key: 'a', action: 'delete' }], include: { match_type: 'strict', log_bodies: ['x'] } });
    expect(() => new AttributesProcessor(logsOnly, traces, async () => {})).to.throw('match log records only');
  });

  it('refuses bad actions and blocks, naming the key, and a metrics pipeline', function () {
    const problems = configProblems(z.record(z.string(), attributesConfigSchema), readYamlFile(testdata('bad_attributes.yaml')));
    expect(problems).to.deep.equal([
      'bad.actions.0.key: insert needs a key',
      'bad.actions.1.value: upsert needs one of value and from_attribute',
      'bad.actions.2.value: update needs one of value and from_attribute',
      'bad.actions.3.value: delete takes no value',
      'bad.actions.4.key: hash needs a key or a pattern',
      'bad.actions.5.pattern: extract needs a pattern with named groups, e.g. ^(?P<user>\\w+)@',
      'bad.actions.6.action: Invalid option: expected one of "insert"|"update"|"upsert"|"delete"|"hash"|"extract"',
      'bad.include.attributes.0.value: not a regular expression: Invalid regular expression: /[/: Unterminated character class',
      'empty.actions: Too small: expected array to have >=1 items',
    ]);
    expect(() => loadAgentConfig(testdata('bad_attributes_pipeline.yaml'))).to.throw(ConfigError, 'service.pipelines.metrics.processors: processor "attributes" does not process metrics');
  });
});
