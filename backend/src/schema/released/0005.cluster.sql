CREATE TABLE IF NOT EXISTS telemetry.ingested_batches ON CLUSTER rollpoint (
    batch_id String,
    stored_at DateTime DEFAULT now()
) ENGINE = ReplicatedReplacingMergeTree('/clickhouse/tables/all/{database}/ingested_batches', '{shard}-{replica}')
ORDER BY batch_id
TTL stored_at + toIntervalDay(7)
SETTINGS index_granularity = 256;

INSERT INTO rollpoint_schema_migrations (version, name) VALUES (5, 'ingested_batches: the ledger of batch ids the coalesced inserts stored');
