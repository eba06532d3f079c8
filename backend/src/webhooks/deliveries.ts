import type { Query } from '../store/store.js';

// The SQL of webhook_deliveries: what was delivered (never sent again) and what failed.

export const deliveredIdsQuery = (): Query => ({
  sql: "SELECT DISTINCT delivery_id FROM webhook_deliveries WHERE outcome = 'delivered'",
  params: {},
});

/** Whether one notification was delivered, by this backend or another on the same store. */
export const wasDeliveredQuery = (deliveryId: string): Query => ({
  sql: "SELECT count() FROM webhook_deliveries WHERE delivery_id = {id:String} AND outcome = 'delivered'",
  params: { id: deliveryId },
});

/** Per webhook: notifications delivered and failed, and the latest failures. */
export const deliveryStatusQuery = (recentFailures: number): Query => ({
  sql: `
SELECT webhook, countIf(outcome = 'delivered') AS delivered, countIf(outcome = 'failed') AS failed,
    arraySlice(arrayReverseSort(f -> f.1, groupArrayIf((toUnixTimestamp64Milli(time), incident_id, event, attempts, http_status, error), outcome = 'failed')), 1, {recent:UInt32}) AS recent
FROM webhook_deliveries
GROUP BY webhook
ORDER BY webhook`,
  params: { recent: recentFailures },
});
