CREATE TABLE IF NOT EXISTS telemetry.webhook_deliveries ON CLUSTER rollpoint (
    time DateTime64(3, 'UTC'),
    webhook String,
    delivery_id String,
    incident_id String,
    scope LowCardinality(String),
    event LowCardinality(String),
    outcome LowCardinality(String),
    attempts UInt32,
    http_status UInt16,
    error String
) ENGINE = ReplicatedMergeTree('/clickhouse/tables/all/{database}/webhook_deliveries', '{shard}-{replica}')
PARTITION BY toDate(time)
ORDER BY (webhook, time)
TTL toDateTime(time) + toIntervalDay(30);

INSERT INTO rollpoint_schema_migrations (version, name) VALUES (4, 'webhook_deliveries');
