import type { SignalName } from '@rollpoint/proto';
import { ConfigError, describeIssues, endpoint, readYamlFile } from '@rollpoint/runtime';
import { hostname } from 'node:os';
import { z } from 'zod';
import { componentType, type ExporterFactory, type ProcessorFactory, type ReceiverFactory } from './component.js';
import { exporterFactories, processorFactories, receiverFactories } from './components.js';

// The agent's configuration, in the Collector's shape: receivers, processors and exporters by id
// ("type" or "type/name"), wired by service.pipelines. Loaded and validated once, at start.

const componentSection = (defaults: Record<string, unknown>) => z.record(z.string(), z.unknown()).default(defaults);

const pipelineSchema = z.strictObject({
  receivers: z.array(z.string()).min(1),
  processors: z.array(z.string()).default([]),
  exporters: z.array(z.string()).min(1),
});

/** Processors a default pipeline runs through, in this order, when they are configured. */
const DEFAULT_PROCESSORS = ['memory_limiter', 'resource', 'batch'];

const fileSchema = z.strictObject({
  agent: z
    .strictObject({
      /** Names this agent to the backend (its watermark and heartbeats) and on every resource (rollpoint.agent.id). */
      id: z.string().min(1).regex(/^\S+$/, 'no whitespace').default(hostname()),
      /** Where the agent keeps its disk queues and dead letters (beside, not inside, the backend's ./data). */
      data_dir: z.string().min(1).default('./agent-data'),
    })
    .prefault({}),
  // Without a receivers section (`npm start`'s agent): this host's own metrics too, every 10 s, and
  // its own logs (the journal, else /var/log/syslog or /var/log/messages), from now on.
  receivers: componentSection({ otlp: {}, syslog: {}, snmptrap: {}, hostmetrics: { collection_interval: '10s' }, hostlogs: {} }),
  processors: componentSection({ memory_limiter: {}, resource: {}, batch: {} }),
  exporters: componentSection({ otlp: {} }),
  extensions: z
    .strictObject({
      health_check: z
        .preprocess(
          (value) => value ?? {},
          z.strictObject({
            /** Where /healthz, /readyz and /metrics are served. */
            endpoint: endpoint.default('127.0.0.1:13133'),
          }),
        )
        .prefault({}),
    })
    .prefault({}),
  service: z
    .strictObject({
      /** Default: a traces, a logs and a metrics pipeline through every configured component that fits. */
      pipelines: z.record(z.string(), pipelineSchema).optional(),
      telemetry: z
        .strictObject({
          logs: z.strictObject({ level: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace']).default('info') }).prefault({}),
        })
        .prefault({}),
    })
    .prefault({}),
});

export interface Configured<F> {
  id: string;
  factory: F;
  config: unknown;
}

export interface PipelineConfig {
  id: string;
  signal: SignalName;
  receivers: string[];
  processors: string[];
  exporters: string[];
}

export interface AgentConfig {
  receivers: ReadonlyMap<string, Configured<ReceiverFactory<never>>>;
  processors: ReadonlyMap<string, Configured<ProcessorFactory<never>>>;
  exporters: ReadonlyMap<string, Configured<ExporterFactory<never>>>;
  pipelines: PipelineConfig[];
  healthEndpoint: string;
  logLevel: string;
  agentId: string;
  dataDir: string;
}

/** Validates each component's settings with its factory's schema, collecting every problem. */
function resolveSection<F extends { type: string; configSchema: z.ZodType }>(
  section: string,
  entries: Record<string, unknown>,
  factories: ReadonlyMap<string, F>,
  problems: string[],
): Map<string, Configured<F>> {
  const resolved = new Map<string, Configured<F>>();
  for (const [id, raw] of Object.entries(entries)) {
    const factory = factories.get(componentType(id));
    if (!factory) {
      problems.push(`${section}.${id}: unknown ${section.slice(0, -1)} type "${componentType(id)}" (known: ${[...factories.keys()].join(', ')})`);
      continue;
    }
    const parsed = factory.configSchema.safeParse(raw);
    if (parsed.success) resolved.set(id, { id, factory, config: parsed.data });
    else problems.push(...describeIssues(parsed.error.issues, [section, id]));
  }
  return resolved;
}

const SIGNALS: readonly SignalName[] = ['traces', 'logs', 'metrics'];

/**
 * Checks a pipeline's references against the ids written in the file (a component that is there
 * but invalid has already been reported, and is not reported again as missing).
 */
function checkPipeline(
  id: string,
  pipeline: z.output<typeof pipelineSchema>,
  file: Pick<z.output<typeof fileSchema>, 'receivers' | 'processors' | 'exporters'>,
  receivers: AgentConfig['receivers'],
  processors: AgentConfig['processors'],
  problems: string[],
): PipelineConfig | undefined {
  const signal = componentType(id) as SignalName;
  const path = `service.pipelines.${id}`;
  if (!SIGNALS.includes(signal)) {
    problems.push(`${path}: a pipeline is "traces", "logs" or "metrics" (optionally "/name"); rollpoint does not carry "${componentType(id)}"`);
    return undefined;
  }
  for (const section of ['receivers', 'processors', 'exporters'] as const) {
    for (const ref of pipeline[section]) {
      if (!(ref in file[section])) problems.push(`${path}.${section}: references ${section.slice(0, -1)} "${ref}" which is not configured`);
    }
  }
  for (const ref of pipeline.receivers) {
    const receiver = receivers.get(ref);
    if (receiver && !receiver.factory.signals.includes(signal)) problems.push(`${path}.receivers: receiver "${ref}" does not produce ${signal}`);
  }
  for (const ref of pipeline.processors) {
    const signals = processors.get(ref)?.factory.signals;
    if (signals && !signals.includes(signal)) problems.push(`${path}.processors: processor "${ref}" does not process ${signal}`);
  }
  return { id, signal, ...pipeline };
}

/**
 * With no service.pipelines, one pipeline per signal: every configured receiver of that signal,
 * the memory_limiter, resource and batch processors (those configured, in that order), every
 * configured exporter.
 */
function defaultPipelines(components: Pick<AgentConfig, 'receivers' | 'processors' | 'exporters'>): Record<string, z.output<typeof pipelineSchema>> {
  const pipelines: Record<string, z.output<typeof pipelineSchema>> = {};
  for (const signal of SIGNALS) {
    const receivers = [...components.receivers.values()].filter((r) => r.factory.signals.includes(signal)).map((r) => r.id);
    if (receivers.length === 0) continue;
    pipelines[signal] = { receivers, processors: DEFAULT_PROCESSORS.filter((id) => components.processors.has(id)), exporters: [...components.exporters.keys()] };
  }
  return pipelines;
}

/** Reads, validates and resolves the agent configuration; throws ConfigError naming every bad path. */
export function loadAgentConfig(path: string | undefined): AgentConfig {
  const parsed = fileSchema.safeParse(readYamlFile(path));
  if (!parsed.success) throw new ConfigError(describeIssues(parsed.error.issues));
  const file = parsed.data;
  const problems: string[] = [];
  const components = {
    receivers: resolveSection('receivers', file.receivers, receiverFactories, problems),
    processors: resolveSection('processors', file.processors, processorFactories, problems),
    exporters: resolveSection('exporters', file.exporters, exporterFactories, problems),
  };
  const pipelines = Object.entries(file.service.pipelines ?? defaultPipelines(components)).flatMap(([id, p]) => checkPipeline(id, p, file, components.receivers, components.processors, problems) ?? []);
  if (pipelines.length === 0 && problems.length === 0) problems.push('service.pipelines: at least one pipeline is needed');
  if (problems.length > 0) throw new ConfigError(problems);
  return {
    ...components,
    pipelines,
    healthEndpoint: file.extensions.health_check.endpoint,
    logLevel: file.service.telemetry.logs.level,
    agentId: file.agent.id,
    dataDir: file.agent.data_dir,
  };
}
