import type { Query } from '../store/store.js';

/** Which of `batchIds` the ingested_batches ledger holds: batches stored before, by any backend. */
export const storedBatchesQuery = (batchIds: readonly string[]): Query => ({
  sql: 'SELECT DISTINCT batch_id FROM ingested_batches WHERE batch_id IN {ids:Array(String)}',
  params: { ids: batchIds },
});
