import { column, decodeRow, type DecodedQuery, isoFromMs, number, type RowDecoder, text } from '../store/row-decoder.js';
import type { NamedRow } from '../store/store.js';

// The SQL of webhook_deliveries: what was delivered (never sent again) and what failed.

export const deliveredIdsQuery = (): DecodedQuery<{ deliveryId: string }> => ({
  sql: "SELECT DISTINCT delivery_id FROM webhook_deliveries WHERE outcome = 'delivered'",
  params: {},
  decoder: { deliveryId: text('delivery_id') },
});

/** Whether one notification was delivered, by this backend or another on the same store. */
export const wasDeliveredQuery = (deliveryId: string): DecodedQuery<{ deliveries: number }> => ({
  sql: "SELECT count() AS deliveries FROM webhook_deliveries WHERE delivery_id = {id:String} AND outcome = 'delivered'",
  params: { id: deliveryId },
  decoder: { deliveries: number('deliveries') },
});

/** A notification that was given up on. */
export interface FailedDelivery {
  time: string;
  incidentId: string;
  event: string;
  attempts: number;
  httpStatus: number;
  error: string;
}

const failedDeliveryDecoder: RowDecoder<FailedDelivery> = {
  time: isoFromMs('time_ms'),
  incidentId: text('incident_id'),
  event: text('event'),
  attempts: number('attempts'),
  httpStatus: number('http_status'),
  error: text('error'),
};

export interface DeliveryCounts {
  webhook: string;
  delivered: number;
  failed: number;
  /** The latest first. */
  recentFailures: FailedDelivery[];
}

/** Per webhook: notifications delivered and failed, and the latest failures. */
export const deliveryStatusQuery = (recentFailures: number): DecodedQuery<DeliveryCounts> => ({
  sql: `
SELECT webhook, countIf(outcome = 'delivered') AS delivered, countIf(outcome = 'failed') AS failed,
    arraySlice(arrayReverseSort(f -> f.time_ms, groupArrayIf(CAST((toUnixTimestamp64Milli(time), incident_id, event, attempts, http_status, error),
        'Tuple(time_ms Int64, incident_id String, event String, attempts UInt32, http_status UInt16, error String)'), outcome = 'failed')), 1, {recent:UInt32}) AS recent
FROM webhook_deliveries
GROUP BY webhook
ORDER BY webhook`,
  params: { recent: recentFailures },
  decoder: {
    webhook: text('webhook'),
    delivered: number('delivered'),
    failed: number('failed'),
    // A named tuple comes as an object keyed by its element names.
    recentFailures: (row) => (column(row, 'recent') as NamedRow[]).map((failure) => decodeRow(failure, failedDeliveryDecoder)),
  },
});
