import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { expect } from 'chai';
import { START_MAIN } from '../testing/paths.js';
import { freePort } from '../testing/ports.js';
import { agentTestConfig, spawnNode, startBackendProcess, tempFolder, waitUntil, writeConfig } from '../testing/processes.js';

describe('npm start (scripts/start): backend and agent together', function () {
  it('prints where it listens, and on Ctrl-C flushes the agent’s batch before the backend stops', async function () {
    const folder = tempFolder('start');
    const dataDir = join(folder, 'data');
    const [grpcPort, httpPort] = [await freePort(), await freePort()];
    const backendConfig = writeConfig(folder, 'backend.yaml', {
      otlp: { grpc: { endpoint: `127.0.0.1:${grpcPort}` } },
      http: { endpoint: `127.0.0.1:${httpPort}` },
      storage: { chdb: { path: dataDir } },
    });
    // A batch that would wait 60 s: only the shutdown flush can deliver it in time.
    const agent = await agentTestConfig({ backendGrpcPort: grpcPort, batch: { timeout: '60s' } }, join(folder, 'agent-data'));
    const start = spawnNode(START_MAIN, ['--backend-config', backendConfig, '--agent-config', writeConfig(folder, 'agent.yaml', agent.config)]);
    try {
      await waitUntil(async () => start.output().includes('Ctrl-C stops both'), 'the start banner', 60000, start);
      expect(start.output()).to.include(`OTLP gRPC 127.0.0.1:${agent.grpcPort}`).and.include(`HTTP API 127.0.0.1:${httpPort}`);

      const sent = fetch(`http://127.0.0.1:${agent.httpPort}/v1/logs`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ resourceLogs: [{ scopeLogs: [{ logRecords: [{ body: { stringValue: 'flushed at shutdown' } }] }] }] }),
      });
      await new Promise((resolve) => setTimeout(resolve, 500));
      start.child.kill('SIGINT');
      const response = await sent;
      expect(response.status).to.equal(200);
      expect(await start.exited).to.equal(0);
    } finally {
      await start.stop('SIGKILL');
    }

    const backend = await startBackendProcess({ dataDir });
    try {
      const rows = await backend.sql("SELECT Body FROM otel_logs WHERE Body = 'flushed at shutdown'");
      expect(rows).to.have.length(1);
    } finally {
      await backend.stop();
      rmSync(folder, { recursive: true, force: true });
    }
  });
});
