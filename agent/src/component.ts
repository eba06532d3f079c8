import type { ExportLogsServiceRequest, ExportMetricsServiceRequest, ExportTraceServiceRequest, Signal, SignalName } from '@rollpoint/proto';
import type { Consume, SourcePosition } from '@rollpoint/runtime';
import type { Logger } from 'pino';
import type { z } from 'zod';
import type { DeviceNames } from './receivers/internal/device-names.js';
import type { Watermark } from './service/watermark.js';
import type { AgentMetrics } from './telemetry/metrics.js';

// The component model, after the OpenTelemetry Collector's: receivers turn input into OTLP requests,
// processors transform them, exporters ship them. They only ever talk through `Consume` functions
// carrying OTLP requests; none imports another.

export interface Component {
  start(): Promise<void>;
  /** Stops taking input and finishes (or fails) what is in flight. */
  shutdown(): Promise<void>;
  /** False while the component cannot do its work (its input missing or unreadable): /readyz says not ready. */
  ready?(): boolean;
}

/** What every component gets besides its own configuration. */
export interface ComponentContext {
  /** The component's id in the configuration, e.g. "otlp" or "batch/fast". */
  id: string;
  logger: Logger;
  metrics: AgentMetrics;
  /**
   * This agent's id and data folder (the `agent` section of the configuration), and the device names
   * it learned (address ↔ name, shared by the syslog and snmptrap receivers; absent for a component
   * built alone, as in a test, which then learns on its own).
   */
  agent: { id: string; dataDir: string; devices?: DeviceNames };
  /** Where stages that hold undelivered data report the oldest they hold. */
  watermark: Watermark;
  /**
   * For a receiver: whether the batch at `position` is in the disk queue of every exporter its
   * pipelines lead to (true), not in all of them (false), or undefined when none has a disk queue.
   * A receiver restarting after a crash asks it of the batch it was handing on.
   */
  queued?(position: SourcePosition): boolean | undefined;
}

/** Where a receiver sends each signal it produces; absent when no pipeline takes that signal. */
export interface ReceiverConsumers {
  traces?: Consume<ExportTraceServiceRequest>;
  logs?: Consume<ExportLogsServiceRequest>;
  metrics?: Consume<ExportMetricsServiceRequest>;
}

export interface ReceiverFactory<C = unknown> {
  type: string;
  signals: readonly SignalName[];
  configSchema: z.ZodType<C>;
  create(config: C, consumers: ReceiverConsumers, context: ComponentContext): Component;
}

/**
 * A processor may change the resources of the requests it is given, in place, or pass on new
 * requests; it never changes their records (scopes, log records, spans, metrics): a receiver in several
 * pipelines shares those between them.
 */
export interface Processor<Req> extends Component {
  consume: Consume<Req>;
}

export interface ProcessorFactory<C = unknown> {
  type: string;
  /** The signals it can process; absent: all three. */
  signals?: readonly SignalName[];
  configSchema: z.ZodType<C>;
  create<Req>(config: C, signal: Signal<Req>, next: Consume<Req>, context: ComponentContext): Processor<Req>;
}

export interface Exporter extends Component {
  consumer<Req>(signal: Signal<Req>): Consume<Req>;
  /** With a disk queue: the highest seq of `source` it queued (undefined: none); see SourcePosition. */
  queuedSeq?(source: string): number | undefined;
}

export interface ExporterFactory<C = unknown> {
  type: string;
  configSchema: z.ZodType<C>;
  create(config: C, context: ComponentContext): Exporter;
}

/** The type part of a component id: "otlp/secondary" -> "otlp". */
export const componentType = (id: string): string => id.split('/')[0]!;
