import { logs, type ExportLogsServiceRequest } from '@rollpoint/proto';
import { isPermanent } from '@rollpoint/runtime';
import { expect } from 'chai';
import { pino } from 'pino';
import { createAgentMetrics } from '../../telemetry/metrics.js';
import { MemoryLimiter } from './processor.js';

const MIB = 1024 * 1024;
const request: ExportLogsServiceRequest = { resourceLogs: [{ scopeLogs: [{ logRecords: [{}, {}] }] }] };

describe('memory limiter', function () {
  it('refuses data (retryably) while memory is over the soft limit, and counts it', async function () {
    let used = 100 * MIB;
    let passed = 0;
    const metrics = createAgentMetrics();
    const limiter = new MemoryLimiter(
      { check_interval: 60000, limit_mib: 200, spike_limit_mib: 50 },
      logs,
      async () => {
        passed++;
      },
      { id: 'memory_limiter', logger: pino({ level: 'silent' }), metrics },
      () => used,
    );
    await limiter.start();
    await limiter.consume(request);
    used = 151 * MIB;
    limiter.check();
    const refusal = await limiter.consume(request).catch((e: unknown) => e);
    expect(refusal).to.be.instanceOf(Error);
    expect(isPermanent(refusal)).to.equal(false);
    expect((refusal as Error).message).to.include('memory soft limit (150 MiB)');
    used = 149 * MIB;
    limiter.check();
    await limiter.consume(request);
    await limiter.shutdown();
    expect(passed).to.equal(2);
    const counted = (await metrics.memoryRefusedRecords.get()).values.find((v) => v.labels.signal === 'logs')?.value;
    expect(counted).to.equal(2);
  });
});
