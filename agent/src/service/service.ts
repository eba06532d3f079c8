import { join } from 'node:path';
import { pino, type Logger } from 'pino';
import type { AgentConfig } from '../config.js';
import { startHealthCheck } from '../extensions/health-check.js';
import { DeviceNames } from '../receivers/internal/device-names.js';
import { createAgentMetrics } from '../telemetry/metrics.js';
import { buildGraph } from './pipelines.js';
import { Watermark } from './watermark.js';

export interface RunningAgent {
  /** Stops the receivers, flushes the processors, then closes the exporters. */
  stop(): Promise<void>;
}

/**
 * Builds the pipelines and starts them downstream first, so nothing is received before it can be sent
 * (and the exporters' disk queues are open before a receiver asks whether its last batch was queued).
 */
export async function startAgent(config: AgentConfig, logger: Logger = pino({ level: config.logLevel })): Promise<RunningAgent> {
  const metrics = createAgentMetrics();
  let ready = false;
  const health = await startHealthCheck(config.healthEndpoint, metrics, logger, () => ready && components.every((c) => c.ready?.() ?? true));
  const watermark = new Watermark();
  metrics.watermark.current = () => watermark.current();
  const devices = new DeviceNames(join(config.dataDir, 'device-names.json'), logger.child({ component: 'device-names' }));
  const agent = { id: config.agentId, dataDir: config.dataDir, devices };
  const { receivers, processors, exporters } = buildGraph(config, (id) => ({ id, logger: logger.child({ component: id }), metrics, agent, watermark }), watermark);
  const components = [...exporters, ...processors, ...receivers];
  const started = [];
  try {
    for (const component of components) {
      await component.start();
      started.push(component);
    }
  } catch (err) {
    for (const component of started.reverse()) await component.shutdown();
    await health.close();
    throw err;
  }
  ready = true;
  logger.info({ agent: config.agentId, pipelines: config.pipelines.map((p) => p.id), health: config.healthEndpoint }, 'rollpoint-agent ready');
  return {
    async stop() {
      ready = false;
      // Receivers wait for their in-flight requests, which wait for their batches: so processors
      // flush while receivers drain, and exporters close only after both.
      await Promise.all([...receivers, ...processors].map((c) => c.shutdown()));
      for (const exporter of exporters) await exporter.shutdown();
      devices.flush();
      await health.close();
      logger.info('rollpoint-agent stopped');
    },
  };
}
