import { logs, metrics, traces, type Resource, type Signal, type SignalName } from '@rollpoint/proto';
import type { Consume, SourcePosition } from '@rollpoint/runtime';
import type { Component, ComponentContext, Exporter, ReceiverConsumers } from '../component.js';
import type { AgentConfig } from '../config.js';
import { CallsInFlight, type Watermark } from './watermark.js';

const SIGNALS = { traces, logs, metrics } as const;

/** The field holding a request's resource groups, per signal. */
const GROUPS = { traces: 'resourceSpans', logs: 'resourceLogs', metrics: 'resourceMetrics' } as const;

type Group = { resource?: Resource | null };

/** The request over the same scopes and records, with resource groups and resources of its own. */
function withOwnResources<Req>(signal: Signal<Req>, request: Req): Req {
  const field = GROUPS[signal.name];
  const groups = (request as Record<string, Group[] | null | undefined>)[field] ?? [];
  const copy = (resource: Resource): Resource => ({ ...resource, attributes: (resource.attributes ?? []).map((kv) => ({ ...kv })) });
  return { [field]: groups.map((group) => ({ ...group, resource: group.resource ? copy(group.resource) : group.resource })) } as Req;
}

/**
 * Several consumers of one request, which counts as taken only when every one of them took it.
 * Processors change a request's resources in place but never its records (see `Processor`), so
 * the consumers share the scopes and records and each but the last gets resources of its own: no
 * record is copied, encoded or decoded to fan out.
 */
export function fanOut<Req>(signal: Signal<Req>, consumers: Array<Consume<Req>>): Consume<Req> {
  if (consumers.length === 1) return consumers[0]!;
  return async (request, meta) => {
    await Promise.all(consumers.map((consume, i) => consume(i === consumers.length - 1 ? request : withOwnResources(signal, request), meta)));
  };
}

export interface Graph {
  receivers: Component[];
  processors: Component[];
  exporters: Component[];
}

/**
 * Whether a receiver's batch is in the disk queues of `exporters` (those its pipelines lead to).
 * With several, a batch counts as queued only once every queue has it: a crash between the queues'
 * writes makes the receiver read it again, so each queue holds it at least once and those that had
 * it hold it twice (exactly once holds for a receiver whose pipelines lead to one disk queue).
 */
export function queuedIn(exporters: ReadonlyArray<Pick<Exporter, 'queuedSeq'>>): (position: SourcePosition) => boolean | undefined {
  const queues = exporters.filter((exporter) => exporter.queuedSeq);
  return ({ source, seq }) => (queues.length === 0 ? undefined : queues.every((queue) => (queue.queuedSeq!(source) ?? -Infinity) >= seq));
}

/**
 * Builds the components from the configuration and wires them: receiver -> processors (one chain
 * per pipeline, built back to front) -> every exporter of the pipeline. Exporters and receivers are
 * shared by the pipelines that name them, as in the Collector.
 */
export function buildGraph(config: AgentConfig, contextFor: (id: string) => ComponentContext, watermark: Watermark): Graph {
  const exporters = new Map<string, Exporter>();
  for (const { id, factory, config: c } of config.exporters.values()) {
    if (config.pipelines.some((p) => p.exporters.includes(id))) exporters.set(id, factory.create(c as never, contextFor(id)));
  }

  const processors: Component[] = [];
  const entries = new Map<string, Map<SignalName, Array<Consume<never>>>>();
  for (const pipeline of config.pipelines) {
    const signal = SIGNALS[pipeline.signal] as Signal<never>;
    let next = fanOut(signal, pipeline.exporters.map((id) => exporters.get(id)!.consumer(signal)));
    for (const id of [...pipeline.processors].reverse()) {
      const { factory, config: c } = config.processors.get(id)!;
      const processor = factory.create(c as never, signal, next, contextFor(`${id} (${pipeline.id})`));
      processors.push(processor);
      next = processor.consume;
    }
    for (const receiverId of pipeline.receivers) {
      const bySignal = entries.get(receiverId) ?? new Map<SignalName, Array<Consume<never>>>();
      bySignal.set(pipeline.signal, [...(bySignal.get(pipeline.signal) ?? []), next]);
      entries.set(receiverId, bySignal);
    }
  }

  // Data a receiver handed to a pipeline is held until the pipeline took it (into the disk queue):
  // the watermark waits for it.
  const inPipelines = new CallsInFlight();
  watermark.track(inPipelines.oldest);
  const receivers = [...entries].map(([id, bySignal]) => {
    const { factory, config: c } = config.receivers.get(id)!;
    const consumers: ReceiverConsumers = {};
    for (const [name, list] of bySignal) {
      const consume = fanOut(SIGNALS[name] as Signal<never>, list);
      consumers[name] = ((request: never, meta) => inPipelines.run(() => consume(request, meta))) as Consume<unknown>;
    }
    const reached = new Set(config.pipelines.filter((p) => p.receivers.includes(id)).flatMap((p) => p.exporters.map((e) => exporters.get(e)!)));
    return factory.create(c as never, consumers, { ...contextFor(id), queued: queuedIn([...reached]) });
  });

  return { receivers, processors: processors.reverse(), exporters: [...exporters.values()] };
}
