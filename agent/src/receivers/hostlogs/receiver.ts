import { escapePath } from 'tinyglobby';
import type { Component, ComponentContext, ReceiverConsumers } from '../../component.js';
import { filelogConfigSchema } from '../filelog/config.js';
import { filelogReceiverFactory } from '../filelog/factory.js';
import { journaldConfigSchema } from '../journald/config.js';
import { journaldReceiverFactory } from '../journald/factory.js';
import type { HostlogsConfig } from './config.js';
import { describeHostLogSource, findHostLogSource, hostLogSearch, type HostLogSource } from './host-log-source.js';

// The hostlogs receiver: at start, finds this host's logs (the journal, else /var/log/syslog or
// /var/log/messages) and runs the journald receiver, or the filelog receiver with the syslog
// parser, on them, under its own id (its cursor or offsets, its metrics). Host logs that are
// missing or unreadable are said once and never make the agent unready: it has no ready().

export class HostlogsReceiver implements Component {
  private reader?: Component;

  constructor(
    private readonly config: HostlogsConfig,
    private readonly consumers: ReceiverConsumers,
    private readonly context: ComponentContext,
  ) {}

  async start(): Promise<void> {
    const source = await findHostLogSource(hostLogSearch(this.config));
    const { logger, id } = this.context;
    if (source.kind === 'none') logger.warn({ receiver: id }, `hostlogs: this host's logs are not read: ${source.why}`);
    else logger.info({ receiver: id, start_at: this.config.start_at }, `hostlogs: reading this host's logs from ${describeHostLogSource(source)}`);
    this.reader = this.createReader(source);
    await this.reader?.start();
  }

  async shutdown(): Promise<void> {
    await this.reader?.shutdown();
  }

  private createReader(source: HostLogSource): Component | undefined {
    const { start_at } = this.config;
    if (source.kind === 'journal') {
      const config = journaldConfigSchema.parse({ start_at, ...(source.directory ? { directory: source.directory } : {}) });
      return journaldReceiverFactory.create(config, this.consumers, this.context);
    }
    if (source.kind === 'file') {
      // rsyslog's and syslog-ng's file formats: RFC 3164 headers, with RFC 3339 times on Debian.
      const config = filelogConfigSchema.parse({ include: [escapePath(source.path)], start_at, operators: [{ type: 'syslog_parser', protocol: 'rfc3164' }] });
      return filelogReceiverFactory.create(config, this.consumers, this.context);
    }
    return undefined;
  }
}
