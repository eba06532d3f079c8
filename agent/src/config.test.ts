import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { ConfigError } from '@rollpoint/runtime';
import { expect } from 'chai';
import { loadAgentConfig } from './config.js';

const testdata = (name: string) => fileURLToPath(new URL(`../testdata/${name}`, import.meta.url));

function problemsOf(name: string): readonly string[] {
  try {
    loadAgentConfig(testdata(name));
  } catch (err) {
    if (err instanceof ConfigError) return err.problems;
    throw err;
  }
  throw new Error(`${name} was accepted`);
}

describe('agent configuration', function () {
  it('works with no file at all: OTLP (traces, logs, metrics), syslog, traps, this host’s logs and its metrics every 10 s in, memory_limiter + resource + batch, OTLP to the local backend', function () {
    const config = loadAgentConfig(undefined);
    expect(config.pipelines.map((p) => [p.id, p.signal, p.receivers, p.processors, p.exporters])).to.deep.equal([
      ['traces', 'traces', ['otlp'], ['memory_limiter', 'resource', 'batch'], ['otlp']],
      ['logs', 'logs', ['otlp', 'syslog', 'snmptrap', 'hostlogs'], ['memory_limiter', 'resource', 'batch'], ['otlp']],
      ['metrics', 'metrics', ['otlp', 'hostmetrics'], ['memory_limiter', 'resource', 'batch'], ['otlp']],
    ]);
    expect(config.receivers.get('hostmetrics')!.config).to.deep.include({ collection_interval: 10000 });
    expect(config.receivers.get('hostlogs')!.config).to.deep.equal({ files: ['/var/log/syslog', '/var/log/messages'], start_at: 'end' });
    expect(config.receivers.get('syslog')!.config).to.deep.include({ udp: { endpoint: '127.0.0.1:5514', receive_buffer_size: 16777216 }, max_message_bytes: 65536, timezone: 'UTC' });
    expect(config.receivers.get('otlp')!.config).to.deep.equal({
      protocols: { grpc: { endpoint: '127.0.0.1:4317', max_recv_msg_size_mib: 16 }, http: { endpoint: '127.0.0.1:4318', max_request_body_size_mib: 16 } },
    });
    expect(config.exporters.get('otlp')!.config).to.include({ endpoint: '127.0.0.1:14317', compression: 'gzip', timeout: 10000 });
    expect(config.healthEndpoint).to.equal('127.0.0.1:13133');
  });

  it('reads a full Collector-style file with named instances', function () {
    const config = loadAgentConfig(testdata('full.yaml'));
    expect(config.receivers.get('otlp')!.config).to.deep.equal({ protocols: { grpc: { endpoint: '127.0.0.1:24317', max_recv_msg_size_mib: 4 } } });
    expect(config.receivers.get('otlp/http_only')!.config).to.deep.equal({ protocols: { http: { endpoint: '127.0.0.1:4318', max_request_body_size_mib: 16 } } });
    expect(config.receivers.get('syslog/core')!.config).to.deep.include({ tcp: { endpoint: '0.0.0.0:1514', max_connections: 1000, idle_timeout: 300000 }, timezone: 'Europe/Zurich' });
    expect(config.receivers.get('syslog/core')!.config).not.to.have.property('udp');
    const dmz = config.receivers.get('syslog/dmz')!.config as { udp: unknown; event_rules: Array<{ kind: string; match: RegExp }> };
    expect(dmz.udp).to.deep.equal({ endpoint: '0.0.0.0:2514', receive_buffer_size: 33554432 });
    expect(dmz.event_rules[0]!.kind).to.equal('config_change');
    expect(dmz.event_rules[0]!.match.test('FW-CFG: saved')).to.equal(true);
    expect(config.processors.get('batch')!.config).to.deep.equal({ send_batch_size: 100, timeout: 1000 });
    expect(config.processors.get('batch/fast')!.config).to.deep.equal({ send_batch_size: 8192, timeout: 10 });
    expect(config.processors.get('resource')!.config).to.deep.include({ host_name: 'web-1', attributes: { 'deployment.environment.name': 'prod' } });
    expect(config.exporters.get('otlp')!.config).to.deep.include({ endpoint: 'backend.internal:14317', compression: 'none', timeout: 5000, headers: { authorization: 'Bearer abc' } });
    expect(config.pipelines.map((p) => [p.id, p.signal])).to.deep.equal([
      ['traces', 'traces'],
      ['logs/fast', 'logs'],
      ['metrics', 'metrics'],
    ]);
    expect([config.healthEndpoint, config.logLevel]).to.deep.equal(['0.0.0.0:23133', 'debug']);
  });

  it('names the path of an unknown key', function () {
    expect(problemsOf('bad_unknown_key.yaml')).to.deep.equal(['receivers.otlp.protocols.grpc.endpiont: unknown key']);
  });

  it('names the path of every bad value', function () {
    const problems = problemsOf('bad_values.yaml');
    expect(problems).to.have.length(3);
    expect(problems[0]).to.match(/^receivers\.otlp\.protocols\.http\.endpoint: must be host:port/);
    expect(problems[1]).to.match(/^processors\.batch\.send_batch_size: /);
    expect(problems[2]).to.equal('processors.batch.timeout: "soon" is not a duration (e.g. 200ms, 5s, 1m)');
  });

  it('checks component types and pipeline references as the Collector does', function () {
    expect(problemsOf('bad_pipelines.yaml')).to.deep.equal([
      'receivers.syslogg: unknown receiver type "syslogg" (known: otlp, syslog, snmptrap, hostmetrics, prometheus, journald, filelog, hostlogs)',
      'service.pipelines.traces.receivers: references receiver "otlp/missing" which is not configured',
      'service.pipelines.traces.processors: references processor "resource" which is not configured',
      'service.pipelines.metrics.receivers: receiver "syslog" does not produce metrics',
      'service.pipelines.profiles: a pipeline is "traces", "logs" or "metrics" (optionally "/name"); rollpoint does not carry "profiles"',
    ]);
  });

  it('checks SNMPv3 users and trap settings, naming each path', function () {
    const problems = problemsOf('bad_snmptrap.yaml');
    expect(problems).to.include('receivers.snmptrap.users.0: auth_protocol and auth_key go together');
    expect(problems.some((p) => p.startsWith('receivers.snmptrap.users.1.auth_key: must be at least 8 characters'))).to.equal(true);
    expect(problems.some((p) => p.startsWith('receivers.snmptrap.users.1.priv_protocol: '))).to.equal(true);
    expect(problems.some((p) => p.startsWith('receivers.snmptrap.event_kinds.myTrap: '))).to.equal(true);
  });

  it('reports a file that is not YAML, or not there', function () {
    expect(problemsOf('bad_yaml.yaml')[0]).to.match(/bad_yaml\.yaml: not valid YAML/);
    expect(problemsOf('no-such-file.yaml')[0]).to.match(/no-such-file\.yaml: ENOENT/);
  });

  it('makes rollpoint-agent exit with status 2 and the path of the bad key', async function () {
    const main = fileURLToPath(new URL('./main.js', import.meta.url));
    const failure = await promisify(execFile)(process.execPath, [main, '--config', testdata('bad_unknown_key.yaml')]).then(
      () => undefined,
      (err: { code: number; stderr: string }) => err,
    );
    expect(failure?.code).to.equal(2);
    expect(failure?.stderr).to.include('receivers.otlp.protocols.grpc.endpiont: unknown key');
  });
});
