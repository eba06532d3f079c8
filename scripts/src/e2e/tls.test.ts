import { mkdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { status } from '@grpc/grpc-js';
import { logs } from '@rollpoint/proto';
import { expect } from 'chai';
import { OPENSSL, requireTools } from '../testing/debian-tools.js';
import { rawExport } from '../testing/grpc.js';
import { metricValue, startAgentProcess, startBackendProcess, tempFolder, waitUntil, type AgentProcess, type BackendProcess } from '../testing/processes.js';
import { createTestPki, type TestPki } from '../testing/tls.js';

const FAILED_UNAVAILABLE = `rollpoint_agent_exporter_send_failed_records_total{exporter="otlp",signal="logs",code="UNAVAILABLE"}`;
const oneLog = (body: string) => logs.encode({ resourceLogs: [{ scopeLogs: [{ logRecords: [{ body: { stringValue: body } }] }] }] });

describe('TLS and mutual TLS between agent and backend', function () {
  let backend: BackendProcess;
  let pki: TestPki;
  let strangers: TestPki;
  const folder = tempFolder('tls');

  before(async function () {
    requireTools(this, OPENSSL);
    for (const name of ['ours', 'theirs']) mkdirSync(join(folder, name));
    pki = await createTestPki(join(folder, 'ours'));
    strangers = await createTestPki(join(folder, 'theirs'));
    backend = await startBackendProcess({
      extra: { otlp: { grpc: { tls: { cert_file: pki.serverCertFile, key_file: pki.serverKeyFile, client_ca_file: pki.caFile, require_client_cert: true } } } },
    });
  });

  after(async function () {
    await backend?.stop();
    rmSync(folder, { recursive: true, force: true });
  });

  const stored = async (body: string) => (await backend.sql(`SELECT count() AS n FROM otel_logs WHERE Body = '${body}'`))[0]!.n;

  /**
   * Starts an agent whose exporter has `tls` and sends one log through it, which the agent queues
   * and acknowledges; then waits until `settled` says the export went through or was refused.
   */
  async function sendThrough(tls: Record<string, string> | undefined, body: string, settled: (agent: AgentProcess) => Promise<boolean>): Promise<AgentProcess> {
    const agent = await startAgentProcess({ backendGrpcPort: backend.grpcPort, batch: { timeout: '10ms' }, exporter: { timeout: '3s', sending_queue: { drain_timeout: '100ms' }, ...(tls ? { tls } : {}) } });
    try {
      const answer = await rawExport(agent.grpcPort, logs.grpcMethod, oneLog(body));
      expect(answer.code, answer.details).to.equal(status.OK);
      await waitUntil(() => settled(agent), `the export of ${body} to settle`, 30000, agent);
      return agent;
    } finally {
      await agent.stop();
    }
  }

  it('stores what an agent sends over mutual TLS', async function () {
    await sendThrough({ ca_file: pki.caFile, cert_file: pki.clientCertFile, key_file: pki.clientKeyFile, server_name: 'localhost' }, 'mtls-ok', async () => (await stored('mtls-ok')) === '1');
  });

  const refusals = ['a backend certificate from another CA', 'no client certificate', 'a client certificate from another CA', 'an expired client certificate', 'plaintext'];
  for (const name of refusals) {
    it(`refuses ${name}: the agent keeps the batch, retries and says why`, async function () {
      const tls: Record<string, Record<string, string> | undefined> = {
        'a backend certificate from another CA': { ca_file: strangers.caFile, cert_file: pki.clientCertFile, key_file: pki.clientKeyFile, server_name: 'localhost' },
        'no client certificate': { ca_file: pki.caFile, server_name: 'localhost' },
        'a client certificate from another CA': { ca_file: pki.caFile, cert_file: strangers.clientCertFile, key_file: strangers.clientKeyFile, server_name: 'localhost' },
        'an expired client certificate': { ca_file: pki.caFile, cert_file: pki.expiredClientCertFile, key_file: pki.expiredClientKeyFile, server_name: 'localhost' },
        plaintext: undefined,
      };
      const body = `refused-${name.replace(/\W+/g, '-')}`;
      const failed = async (agent: AgentProcess) => metricValue(await agent.metrics(), FAILED_UNAVAILABLE) > 0;
      const agent = await sendThrough(tls[name], body, failed);
      // The agent keeps the batch (for when the configuration is mended) and says why it failed.
      expect(agent.output()).to.match(/export failed; retrying/).and.match(/failed: UNAVAILABLE/);
      expect(await stored(body)).to.equal('0');
    });
  }

  it('says on the backend side why it refused clients in the handshake', async function () {
    // No client certificate, one from another CA, an expired one: at least one refusal each.
    expect(metricValue(await backend.metrics(), 'rollpoint_backend_tls_handshake_failures_total')).to.be.at.least(3);
    expect(backend.output()).to.include('TLS handshake failed: client refused');
    expect(backend.output()).to.match(/certificate has expired|peer did not return a certificate|unknown ca|certificate verify failed/i);
  });
});
