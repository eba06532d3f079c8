import { backoffSettingsSchema, durationMs } from '@rollpoint/runtime';
import { z } from 'zod';

// The `webhooks` section of the backend configuration: where incident notifications are POSTed.

export const webhookSchema = z
  .strictObject({
    /** Names the webhook in metrics, logs and `rollpoint status`; default: the URL's host. */
    name: z
      .string()
      .regex(/^[A-Za-z0-9_.:-]+$/)
      .optional(),
    /** Where the notifications are POSTed (Alertmanager's webhook JSON). */
    url: z.url({ protocol: /^https?$/ }),
    /** Signs each body: X-Rollpoint-Signature: sha256=HMAC-SHA256(secret, "<timestamp>.<body>"). Absent: unsigned. */
    secret: z.string().min(16, 'must be at least 16 characters').optional(),
    /** Only incidents of these scopes; empty: every scope. */
    scopes: z.array(z.string().min(1)).default([]),
    /** Longest wait for one POST's answer. */
    timeout: durationMs.default(5000),
    /** Retries of failed POSTs (timeouts, connection errors, 408, 429, 5xx): exponential backoff with jitter. */
    retry_on_failure: backoffSettingsSchema({ initial_interval: 1000, max_interval: 60000, multiplier: 2, randomization_factor: 0.2 })
      .extend({
        /** POSTs of one notification, the first included; then it counts as failed. */
        max_attempts: z.number().int().positive().default(8),
      })
      .prefault({}),
  })
  .transform(({ name, ...webhook }) => ({ ...webhook, name: name ?? new URL(webhook.url).host }));

export type WebhookConfig = z.output<typeof webhookSchema>;

export const webhooksConfigSchema = z.array(webhookSchema).superRefine((webhooks, ctx) => {
  const seen = new Set<string>();
  webhooks.forEach((webhook, i) => {
    // Zod checks the list even when an entry failed (and was not transformed): that one has no name.
    if (typeof webhook.name !== 'string') return;
    if (seen.has(webhook.name)) ctx.addIssue({ code: 'custom', path: [i, 'name'], message: `two webhooks are named "${webhook.name}": give each its own name` });
    seen.add(webhook.name);
  });
});
