import { expect } from 'chai';
import { metricValue, startAgentProcess, startBackendProcess, type AgentProcess, type BackendProcess } from '../testing/processes.js';
import { marker, storedLog } from '../testing/syslog.js';

// SHA-256 of "bob" in hex, computed with sha256sum.
const SHA256_BOB = '81b637d8fcd2c6da6359e6963113a1170de795e4b725b84d1e0b4cfd9ec58ce9';

describe('filter and attributes processors in a real agent: logs trimmed and scrubbed before they leave the host', function () {
  let backend: BackendProcess;
  let agent: AgentProcess;

  before(async function () {
    backend = await startBackendProcess();
    agent = await startAgentProcess({
      backendGrpcPort: backend.grpcPort,
      batch: { timeout: '20ms' },
      logsProcessors: {
        'filter/no_debug': { logs: { include: { match_type: 'strict', severity_number: { min: 'INFO', match_undefined: true } } } },
        'attributes/scrub': { actions: [{ key: 'auth.token', action: 'delete' }, { key: 'user.name', action: 'hash' }] },
      },
    });
  });

  after(async function () {
    await agent?.stop();
    await backend?.stop();
  });

  it('stores the info record without its token and with its user name hashed, and never the debug record', async function () {
    const [info, debug] = [marker('login'), marker('debug')];
    const attributes = [
      { key: 'auth.token', value: { stringValue: 'Bearer s3cr3t' } },
      { key: 'user.name', value: { stringValue: 'bob' } },
      { key: 'http.route', value: { stringValue: '/login' } },
    ];
    // Both records in one request: once the info record is stored, the debug record would have been too.
    const body = JSON.stringify({
      resourceLogs: [
        {
          resource: { attributes: [{ key: 'service.name', value: { stringValue: 'shop' } }] },
          scopeLogs: [{ logRecords: [{ body: { stringValue: debug }, severityNumber: 5, severityText: 'DEBUG', attributes }, { body: { stringValue: info }, severityNumber: 9, severityText: 'INFO', attributes }] }],
        },
      ],
    });
    const response = await fetch(`http://127.0.0.1:${agent.httpPort}/v1/logs`, { method: 'POST', body, headers: { 'content-type': 'application/json' } });
    expect(response.status).to.equal(200);
    const row = await storedLog(backend, info);
    expect(row.LogAttributes).to.deep.equal({ 'user.name': SHA256_BOB, 'http.route': '/login' });
    expect(row.ResourceAttributes).to.include({ 'service.name': 'shop' });
    expect(await backend.sql(`SELECT Body FROM otel_logs WHERE position(Body, '${debug}') > 0 OR position(toString(LogAttributes), 's3cr3t') > 0`)).to.deep.equal([]);
    expect(metricValue(await agent.metrics(), 'rollpoint_agent_processor_filter_dropped_records_total{processor="filter/no_debug (logs)",signal="logs"}')).to.equal(1);
  });
});
