import { fileURLToPath } from 'node:url';
import { logs, traces, type ExportLogsServiceRequest, type LogRecord } from '@rollpoint/proto';
import { configProblems, readYamlFile } from '@rollpoint/runtime';
import { expect } from 'chai';
import { z } from 'zod';
import { loadAgentConfig } from '../../config.js';
import { createAgentMetrics } from '../../telemetry/metrics.js';
import { filterConfigSchema } from './config.js';
import { FilterProcessor } from './processor.js';

const testdata = (name: string) => fileURLToPath(new URL(`../../../testdata/${name}`, import.meta.url));

const record = (body: string, severityNumber: number, attributes: Record<string, string> = {}): LogRecord => ({
  body: { stringValue: body },
  severityNumber,
  severityText: ['', 'TRACE', '', '', '', 'DEBUG', '', '', '', 'INFO', '', '', '', 'WARN', '', '', '', 'ERROR'][severityNumber] ?? '',
  attributes: Object.entries(attributes).map(([key, value]) => ({ key, value: { stringValue: value } })),
});

const request = (service: string, records: LogRecord[]): ExportLogsServiceRequest => ({
  resourceLogs: [{ resource: { attributes: [{ key: 'service.name', value: { stringValue: service } }] }, scopeLogs: [{ scope: { name: 's' }, logRecords: records }] }],
});

/** Runs `requests` through a filter built from `settings`; answers the bodies passed on and the dropped count. */
async function filtered(settings: unknown, requests: ExportLogsServiceRequest[]) {
  const passed: string[] = [];
  const metrics = createAgentMetrics();
  const filter = new FilterProcessor(filterConfigSchema.parse(settings), logs, async (r: ExportLogsServiceRequest) => {
    for (const g of r.resourceLogs ?? []) for (const s of g.scopeLogs ?? []) for (const l of s.logRecords ?? []) passed.push(l.body!.stringValue!);
  }, { id: 'filter (logs)', metrics });
  for (const r of requests) await filter.consume(r);
  const dropped = (await metrics.filterDroppedRecords.get()).values.find((v) => v.labels.processor === 'filter (logs)' && v.labels.signal === 'logs')?.value ?? 0;
  return { passed, dropped };
}

describe('filter processor', function () {
  it('keeps records at or above severity_number.min, and those without a severity only with match_undefined', async function () {
    const records = [record('debug', 5), record('info', 9), record('error', 17), record('unset', 0)];
    const strict = { logs: { include: { match_type: 'strict', severity_number: { min: 'INFO' } } } };
    expect(await filtered(strict, [request('a', records)])).to.deep.equal({ passed: ['info', 'error'], dropped: 2 });
    const undefinedToo = { logs: { include: { match_type: 'strict', severity_number: { min: 'info', match_undefined: true } } } };
    expect((await filtered(undefinedToo, [request('a', records)])).passed).to.deep.equal(['info', 'error', 'unset']);
    expect((await filtered({ logs: { include: { match_type: 'strict', severity_number: { min: 17 } } } }, [request('a', records)])).passed).to.deep.equal(['error']);
  });

  it('matches attributes and severity texts exactly with strict, and a body by regexp anywhere in it', async function () {
    const records = [record('GET /healthz 200', 9, { component: 'db' }), record('login failed for bob', 13, { component: 'auth' }), record('ok', 9)];
    const byAttribute = { logs: { exclude: { match_type: 'strict', record_attributes: [{ key: 'component', value: 'db' }] } } };
    expect((await filtered(byAttribute, [request('a', records)])).passed).to.deep.equal(['login failed for bob', 'ok']);
    const keyOnly = { logs: { include: { match_type: 'strict', record_attributes: [{ key: 'component' }] } } };
    expect((await filtered(keyOnly, [request('a', records)])).passed).to.deep.equal(['GET /healthz 200', 'login failed for bob']);
    const texts = { logs: { exclude: { match_type: 'strict', severity_texts: ['WARN', 'ERROR'] } } };
    expect((await filtered(texts, [request('a', records)])).passed).to.deep.equal(['GET /healthz 200', 'ok']);
    const bodies = { logs: { exclude: { match_type: 'regexp', bodies: ['healthz', '^nothing$'] } } };
    expect((await filtered(bodies, [request('a', records)])).passed).to.deep.equal(['login failed for bob', 'ok']);
    const notAnchored = { logs: { include: { match_type: 'strict', bodies: ['healthz'] } } };
    expect(await filtered(notAnchored, [request('a', records)])).to.deep.equal({ passed: [], dropped: 3 });
  });

  it('matches resource attributes by regexp; include runs before exclude, and every property of a block must match', async function () {
    const config = {
      logs: {
        include: { match_type: 'regexp', resource_attributes: [{ key: 'service.name', value: '^check' }] },
        exclude: { match_type: 'strict', severity_number: { min: 'ERROR' }, record_attributes: [{ key: 'retryable', value: 'true' }] },
      },
    };
    const result = await filtered(config, [
      request('checkout', [record('kept', 17), record('retry', 17, { retryable: 'true' }), record('low', 9, { retryable: 'true' })]),
      request('billing', [record('other service', 17)]),
    ]);
    expect(result).to.deep.equal({ passed: ['kept', 'low'], dropped: 2 });
  });

  it('leaves the records it was given alone, and takes a request it emptied without passing it on', async function () {
    const given = request('a', [record('debug', 5), record('info', 9)]);
    const before = JSON.stringify(given);
    let calls = 0;
    const filter = new FilterProcessor(filterConfigSchema.parse({ logs: { include: { match_type: 'strict', severity_number: { min: 'WARN' } } } }), logs, async () => {
      calls++;
    }, { id: 'filter', metrics: createAgentMetrics() });
    await filter.consume(given);
    expect(JSON.stringify(given)).to.equal(before);
    expect(calls).to.equal(0);
  });

  it('passes spans through: it filters logs only', async function () {
    const spans = { resourceSpans: [{ scopeSpans: [{ spans: [{ name: 'x' }] }] }] };
    let seen: unknown;
    const filter = new FilterProcessor(filterConfigSchema.parse({ logs: { include: { match_type: 'strict', bodies: ['never'] } } }), traces, async (r) => {
      seen = r;
    }, { id: 'filter', metrics: createAgentMetrics() });
    await filter.consume(spans);
    expect(seen).to.equal(spans);
  });

  it('refuses bad settings, naming the key: OTTL, unknown severities, empty blocks, bad patterns, unsupported signals', function () {
    const problems = configProblems(z.record(z.string(), filterConfigSchema), readYamlFile(testdata('bad_filter.yaml')));
    expect(problems).to.deep.equal([
      'ottl.logs.log_record: OTTL conditions are not supported: use logs.include / logs.exclude',
      'bad.logs.include.severity_number.min: "LOUD" is not a severity (TRACE, DEBUG, INFO, WARN, ERROR, FATAL, optionally followed by 2-4, or 1-24)',
      'bad.logs.exclude: set at least one of resource_attributes, record_attributes, bodies, severity_texts, severity_number',
      'bad.spans: unknown key',
      'regexp.logs.exclude.bodies.1: not a regular expression: Invalid regular expression: /(unclosed/: Unterminated group',
    ]);
  });

  it('reads the example configuration', function () {
    const config = loadAgentConfig(testdata('filter-attributes.yaml'));
    expect(config.processors.get('filter/no_debug')!.config).to.deep.include({
      logs: {
        include: { matchType: 'strict', resourceAttributes: [], recordAttributes: [], bodies: [], severityTexts: [], severityNumber: { min: 9, match_undefined: true } },
        exclude: { matchType: 'regexp', resourceAttributes: [], recordAttributes: [], bodies: ['^healthcheck '], severityTexts: [] },
      },
    });
    expect(config.pipelines.map((p) => p.processors)).to.deep.equal([['filter/no_debug', 'attributes/scrub', 'batch'], ['attributes/scrub', 'batch']]);
  });
});
