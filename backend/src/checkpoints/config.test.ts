import { configProblems, parseConfig } from '@rollpoint/runtime';
import { expect } from 'chai';
import { backendConfigSchema } from '../config.js';
import { ANOMALY_SCORE_RULE, DEFAULT_RULES, SEASONAL_ERRORS_RULE } from './config.js';
import { healthInsert } from './health.js';
import { patternToRegex, scopeCondition } from './scopes.js';

const problems = (value: unknown): string[] => configProblems(backendConfigSchema, value);

describe('checkpoints configuration', function () {
  it('works with none: 60 s windows, 3 stable windows, the default rules and scope', function () {
    const config = parseConfig(backendConfigSchema, {});
    expect(config.checkpoints).to.deep.include({ window: 60000, stable_windows: 3, baseline_windows: 30, min_events: 20, min_errors: 5, stale_after: 300000, scopes: {} });
    expect(config.checkpoints.rules).to.deep.equal(DEFAULT_RULES);
  });

  it('names each bad key: a window that is not a multiple of the base, an unknown rule kind or metric, a bad scope', function () {
    expect(
      problems({
        checkpoints: {
          window: '15s',
          rules: [{ name: 'x', kind: 'sometimes', metric: 'p95_ms' }, { name: 'y', kind: 'threshold', metric: 'cpu', above: 1 }],
          scopes: { 'bad scope': { services: ['a'] }, ok: { servers: ['a'] } },
        },
      }),
    ).to.have.members([
      'checkpoints.window: a multiple of 10s, at most 1d',
      "checkpoints.rules.0.kind: Invalid discriminator value. Expected 'threshold' | 'baseline' | 'baseline_factor' | 'mann_whitney' | 'seasonal' | 'anomaly_score'",
      'checkpoints.rules.1.metric: a metric name or device_events.<kind>; an OTLP metric needs an aggregation',
      'checkpoints.scopes.bad scope: Invalid key in record',
      'checkpoints.scopes.ok.servers: unknown key',
    ]);
  });

  it('a rule over an OTLP metric: any metric name with an aggregation, a quantile only for aggregation quantile, attributes only with an aggregation', function () {
    const rule = (fields: object) => ({ checkpoints: { rules: [{ name: 'm', kind: 'threshold', above: 1, ...fields }] } });
    expect(problems(rule({ metric: 'system.filesystem.utilization', aggregation: 'max', attributes: { mountpoint: '/' } }))).to.deep.equal([]);
    expect(problems(rule({ metric: 'http_server_duration_seconds', aggregation: 'quantile', quantile: 0.99 }))).to.deep.equal([]);
    expect(problems(rule({ metric: 'p95_ms', attributes: { a: 'b' } }))).to.deep.equal(['checkpoints.rules.0.attributes: only with an aggregation (an OTLP metric)']);
    expect(problems(rule({ metric: 'system.cpu.time', aggregation: 'quantile' }))).to.deep.equal(['checkpoints.rules.0.quantile: with aggregation quantile, and only then']);
    expect(problems(rule({ metric: 'system.cpu.time', aggregation: 'rate', quantile: 0.5 }))).to.deep.equal(['checkpoints.rules.0.quantile: with aggregation quantile, and only then']);
    expect(problems(rule({ metric: "x') OR 1=1", aggregation: 'max' }))).to.deep.equal(['checkpoints.rules.0.metric: an OTLP metric name']);
    expect(problems(rule({ metric: 'system.cpu.time', aggregation: 'sum' }))[0]).to.match(/^checkpoints\.rules\.0\.aggregation: /);
  });

  it('a seasonal rule over any measure, an anomaly score over a list of them: each measure checked where it stands', function () {
    const rules = (...list: object[]) => ({ checkpoints: { rules: list } });
    expect(problems(rules({ name: 's', kind: 'seasonal', metric: 'error_spans' }, { name: 'a', kind: 'anomaly_score' }))).to.deep.equal([]);
    expect(parseConfig(backendConfigSchema, rules({ name: 's', kind: 'seasonal', metric: 'spans' })).checkpoints.rules[0]).to.deep.include({ factor: 2, at_least: 0 });
    expect(parseConfig(backendConfigSchema, rules({ name: 'a', kind: 'anomaly_score' })).checkpoints.rules[0]).to.deep.equal({ ...ANOMALY_SCORE_RULE, name: 'a' });
    expect(problems(rules({ name: 's', kind: 'seasonal', metric: 'http.server.request.duration', aggregation: 'quantile', quantile: 0.95 }))).to.deep.equal([]);
    expect(problems(rules({ name: 'a', kind: 'anomaly_score', measures: [{ metric: 'p95_ms' }, { metric: 'cpu' }, { metric: 'x', aggregation: 'avg', quantile: 0.5 }] }))).to.have.members([
      'checkpoints.rules.0.measures.1.metric: a metric name or device_events.<kind>; an OTLP metric needs an aggregation',
      'checkpoints.rules.0.measures.2.quantile: with aggregation quantile, and only then',
    ]);
    expect(problems(rules({ name: 'a', kind: 'anomaly_score', measures: [] }))[0]).to.match(/^checkpoints\.rules\.0\.measures: /);
  });

  it('keeps scope patterns and rule values out of the SQL text: they travel as query parameters', function () {
    expect(patternToRegex('web-*.prod')).to.equal('^web\\-.*\\.prod$');
    const scope = scopeCondition({ services: ["x') OR 1=1 --"], hosts: [], devices: ['edge-*'] });
    expect(scope.sql).not.to.include('OR 1=1');
    expect(scope.params).to.deep.equal({ scope_service: ["^x'\\) OR 1=1 \\-\\-$"], scope_device: ['^edge\\-.*$'] });
    const query = healthInsert({ windowSeconds: 60, from: 0, to: 60, baselineWindows: 30, minEvents: 20, minErrors: 5, rules: DEFAULT_RULES });
    expect(query.sql).not.to.match(/0\.05|800/);
    expect(query.params).to.include({ rule_0: 0.05, rule_1: 800 });
    // A metric rule's metric, attributes and label too.
    expect(query.sql).not.to.include('system.filesystem.utilization');
    expect(query.params).to.deep.include({ metric_0_name: 'system.filesystem.utilization', metric_0_keys: ['mode'], metric_0_values: ['rw'] });
    // And the new kinds' factors, floors and score limits.
    const opted = healthInsert({ windowSeconds: 60, from: 0, to: 60, baselineWindows: 30, minEvents: 20, minErrors: 5, rules: [SEASONAL_ERRORS_RULE, ANOMALY_SCORE_RULE] });
    expect(opted.params).to.include({ rule_0: 2, rule_0_at_least: 20, rule_1: 4, rule_1_spread: 0.1 });
  });
});
