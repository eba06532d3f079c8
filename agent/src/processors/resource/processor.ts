import { ATTR_ROLLPOINT_AGENT_ID, setAttribute, type Signal } from '@rollpoint/proto';
import type { Consume, ExportMeta } from '@rollpoint/runtime';
import type { Processor } from '../../component.js';
import type { ResourceConfig } from './config.js';

/** Stamps each resource with the host and the agent it passed through (rollpoint.agent.id, the agent's id), in place. */
export class ResourceProcessor<Req> implements Processor<Req> {
  private readonly extra: Array<[string, string]>;

  constructor(
    private readonly config: ResourceConfig,
    private readonly signal: Signal<Req>,
    private readonly next: Consume<Req>,
    private readonly agentId: string,
  ) {
    this.extra = Object.entries(config.attributes);
  }

  consume = (request: Req, meta?: ExportMeta): Promise<void> => {
    for (const resource of this.signal.resources(request)) {
      const attributes = resource.attributes!;
      setAttribute(attributes, 'host.name', { stringValue: this.config.host_name }, false);
      setAttribute(attributes, ATTR_ROLLPOINT_AGENT_ID, { stringValue: this.agentId }, true);
      for (const [key, value] of this.extra) setAttribute(attributes, key, { stringValue: value }, true);
    }
    return this.next(request, meta);
  };

  async start(): Promise<void> {}
  async shutdown(): Promise<void> {}
}
