import { createHash } from 'node:crypto';
import { withRetries } from '@rollpoint/runtime';
import type { Logger } from 'pino';
import type { ResolvedIncident } from '../checkpoints/api-types.js';
import { queryDecoded } from '../store/row-decoder.js';
import type { Store } from '../store/store.js';
import type { BackendMetrics } from '../telemetry/metrics.js';
import { incidentMessage, type IncidentEvent } from './alertmanager.js';
import type { WebhookConfig } from './config.js';
import { deliveredIdsQuery, deliveryStatusQuery, type FailedDelivery, wasDeliveredQuery } from './deliveries.js';
import { postSigned, type PostResult } from './post.js';

// Tells the webhooks about incidents as the recompute finds them: `opened` and `checkpoint` for an
// open incident, `resolved` once it ends (only for incidents whose opening was announced: one that
// opened and resolved while the backend was down is not announced after the fact). Each webhook has
// one queue, sent in order; a notification is retried with backoff, and once delivered it is
// recorded in webhook_deliveries and never sent again, across restarts too.

interface Notification {
  webhook: WebhookConfig;
  incident: ResolvedIncident;
  event: IncidentEvent;
  deliveryId: string;
}

export interface WebhookStatus {
  name: string;
  delivered: number;
  failed: number;
  /** Notifications waiting or being retried in this process. */
  pending: number;
  recentFailures: FailedDelivery[];
}

/** A POST that was not taken, as withRetries sees it. */
class PostFailure extends Error {
  constructor(readonly result: PostResult) {
    super(result.error);
    this.name = 'PostFailure';
  }
}

/** The same for every attempt and every restart, so a receiver can drop a repeat. */
const deliveryId = (webhook: string, incident: string, event: IncidentEvent): string => createHash('sha256').update(`${webhook}\n${incident}\n${event}`).digest('hex').slice(0, 32);

export class WebhookNotifier {
  /** Delivered, as recorded in webhook_deliveries. */
  private readonly delivered = new Set<string>();
  /** Queued by this process, whatever came of it. */
  private readonly queued = new Set<string>();
  private readonly queues = new Map<string, Notification[]>();
  private readonly draining = new Map<string, Promise<void>>();
  private readonly stopping = new AbortController();

  constructor(
    private readonly options: { webhooks: readonly WebhookConfig[]; store: Store; metrics: BackendMetrics; logger: Logger; externalUrl: string },
  ) {}

  /** Reads what was delivered before. */
  async start(): Promise<void> {
    if (this.options.webhooks.length === 0) return;
    for (const { deliveryId } of await queryDecoded(this.options.store, deliveredIdsQuery())) this.delivered.add(deliveryId);
  }

  /** Queues what the webhooks have not been told about `incidents` (a recompute's findings, open or resolved). */
  notify(incidents: readonly ResolvedIncident[]): void {
    if (this.stopping.signal.aborted) return;
    for (const webhook of this.options.webhooks) {
      for (const incident of incidents) {
        if (webhook.scopes.length > 0 && !webhook.scopes.includes(incident.scope)) continue;
        const known = (event: IncidentEvent) => {
          const id = deliveryId(webhook.name, incident.id, event);
          return this.delivered.has(id) || this.queued.has(id);
        };
        const events: IncidentEvent[] = incident.status === 'open' ? ['opened', 'checkpoint'] : known('opened') ? ['checkpoint', 'resolved'] : [];
        for (const event of events.filter((e) => !known(e))) this.enqueue({ webhook, incident, event, deliveryId: deliveryId(webhook.name, incident.id, event) });
      }
    }
  }

  private enqueue(notification: Notification): void {
    const name = notification.webhook.name;
    this.queued.add(notification.deliveryId);
    const queue = this.queues.get(name) ?? [];
    this.queues.set(name, queue);
    queue.push(notification);
    if (!this.draining.has(name)) this.draining.set(name, this.drain(queue).finally(() => this.draining.delete(name)));
  }

  private async drain(queue: Notification[]): Promise<void> {
    while (queue.length > 0 && !this.stopping.signal.aborted) {
      await this.deliver(queue[0]!);
      queue.shift();
    }
  }

  private async deliver({ webhook, incident, event, deliveryId }: Notification): Promise<void> {
    const { metrics, logger } = this.options;
    const body = JSON.stringify(incidentMessage(incident, event, webhook.name, this.options.externalUrl));
    const about = { webhook: webhook.name, incident: incident.id, event, delivery: deliveryId };
    if (await this.deliveredByAnother(deliveryId)) {
      this.delivered.add(deliveryId);
      return;
    }
    let attempts = 0;
    const post = async () => {
      attempts++;
      const result = await postSigned({ url: webhook.url, body, deliveryId, event, timeoutMs: webhook.timeout, ...(webhook.secret ? { secret: webhook.secret } : {}) });
      if (result.ok) return result;
      metrics.webhookAttemptFailures.inc({ webhook: webhook.name });
      throw new PostFailure(result);
    };
    let delivered: PostResult;
    try {
      delivered = await withRetries(post, {
        backoff: webhook.retry_on_failure,
        maxAttempts: webhook.retry_on_failure.max_attempts,
        signal: this.stopping.signal,
        retryable: (failure) => (failure as PostFailure).result.retryable,
        onRetry: (failure, delayMs, attempt) => logger.warn({ ...about, attempt, error: failure.message, retryInMs: delayMs }, 'webhook notification failed; retrying'),
      });
    } catch (err) {
      // Stopping leaves it unrecorded: the next start sends it if the incident still calls for it.
      if (this.stopping.signal.aborted) return;
      const { result } = err as PostFailure;
      metrics.webhookDeliveries.inc({ webhook: webhook.name, event, outcome: 'failed' });
      logger.error({ ...about, attempts, error: result.error }, 'webhook notification failed; giving up');
      await this.record(incident, event, deliveryId, webhook.name, 'failed', attempts, result.httpStatus, result.error);
      return;
    }
    this.delivered.add(deliveryId);
    metrics.webhookDeliveries.inc({ webhook: webhook.name, event, outcome: 'delivered' });
    await this.record(incident, event, deliveryId, webhook.name, 'delivered', attempts, delivered.httpStatus, '');
  }

  /**
   * Several backends on one store each run the recompute and so each queue the same notifications:
   * one delivered by another since this one started is not sent again. (Two sending at the very
   * same moment can still both send; the delivery id header lets a receiver drop the repeat.) A
   * store that cannot answer does not hold the notification back.
   */
  private async deliveredByAnother(deliveryId: string): Promise<boolean> {
    const [answer] = await queryDecoded(this.options.store, wasDeliveredQuery(deliveryId)).catch(() => []);
    return (answer?.deliveries ?? 0) > 0;
  }

  private async record(incident: ResolvedIncident, event: IncidentEvent, deliveryId: string, webhook: string, outcome: 'delivered' | 'failed', attempts: number, httpStatus: number, error: string) {
    const row = { time: new Date().toISOString(), webhook, delivery_id: deliveryId, incident_id: incident.id, scope: incident.scope, event, outcome, attempts, http_status: httpStatus, error };
    await this.options.store.insert('webhook_deliveries', [row]).catch((err: Error) => this.options.logger.error({ err: err.message, webhook, delivery: deliveryId }, 'recording a webhook delivery failed'));
  }

  /** Resolves once every queued notification has been delivered or given up. */
  async idle(): Promise<void> {
    while (this.draining.size > 0) await Promise.all(this.draining.values());
  }

  /** Per webhook: what was delivered and failed (from webhook_deliveries), and what is pending. */
  async status(recentFailures = 5): Promise<WebhookStatus[]> {
    if (this.options.webhooks.length === 0) return [];
    const stored = new Map((await queryDecoded(this.options.store, deliveryStatusQuery(recentFailures))).map((counts) => [counts.webhook, counts]));
    return this.options.webhooks.map(({ name }) => {
      const { delivered, failed, recentFailures: failures } = stored.get(name) ?? { delivered: 0, failed: 0, recentFailures: [] };
      return { name, delivered, failed, pending: this.queues.get(name)?.length ?? 0, recentFailures: failures };
    });
  }

  /** Stops retrying and sending; what was not delivered is sent after the next start, if still due. */
  async stop(): Promise<void> {
    this.stopping.abort();
    await this.idle();
  }
}
