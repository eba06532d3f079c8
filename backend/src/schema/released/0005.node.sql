CREATE TABLE IF NOT EXISTS ingested_batches (
    batch_id String,
    stored_at DateTime DEFAULT now()
) ENGINE = ReplacingMergeTree
ORDER BY batch_id
TTL stored_at + toIntervalDay(7)
SETTINGS index_granularity = 256;

INSERT INTO rollpoint_schema_migrations (version, name) VALUES (5, 'ingested_batches: the ledger of batch ids the coalesced inserts stored');
