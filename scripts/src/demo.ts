// `npm run demo`: a throwaway backend and agent on free loopback ports, an application instrumented
// with the OpenTelemetry SDK sending through the agent (a deploy from 1.4.2 to 1.4.3 halfway), and
// what the store then holds, as an analyst would query it. Nothing is left running or on disk.
import { renderTable } from '@rollpoint/backend/cli-table';
import { SDK_APP } from './testing/paths.js';
import { spawnNode, startAgentProcess, startBackendProcess, waitUntil } from './testing/processes.js';

const say = (line: string) => process.stdout.write(`${line}\n`);

const backend = await startBackendProcess();
const agent = await startAgentProcess({ backendGrpcPort: backend.grpcPort });
say(`backend on 127.0.0.1:${backend.grpcPort} (HTTP ${backend.httpPort}), agent on 127.0.0.1:${agent.grpcPort}`);
try {
  for (const version of ['1.4.2', '1.4.2', '1.4.3']) {
    const app = spawnNode(SDK_APP, [], { OTLP_ENDPOINT: `http://127.0.0.1:${agent.grpcPort}`, SERVICE_VERSION: version });
    if ((await app.exited) !== 0) throw new Error(`the demo app failed:\n${app.output()}`);
    say(`checkout ${version} sent 3 spans and 3 logs through the agent`);
  }
  await waitUntil(async () => Number((await backend.sql('SELECT count() AS n FROM otel_traces'))[0]!.n) >= 9, 'the spans to be stored');
  const rows = await backend.sql(
    "SELECT ResourceAttributes['service.version'] AS version, count() AS spans, countIf(StatusCode = 'Error') AS error_spans, uniqExact(TraceId) AS traces FROM otel_traces GROUP BY version ORDER BY version",
  );
  say('\nWhat the store holds, by service.version (POST /api/v1/sql):');
  say(renderTable(['version', 'spans', 'error spans', 'traces'], rows.map((r) => [r.version, r.spans, r.error_spans, r.traces])));
  const logs = await backend.sql('SELECT SeverityText AS severity, count() AS n FROM otel_logs GROUP BY severity ORDER BY severity');
  say(renderTable(['log severity', 'records'], logs.map((r) => [r.severity, r.n])));
  say('\nTry your own: npm start, then npx rollpoint sql "SELECT ServiceName, count() FROM otel_traces GROUP BY ServiceName"');
} finally {
  await agent.stop();
  await backend.stop();
}
