CREATE TABLE IF NOT EXISTS webhook_deliveries (
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
) ENGINE = MergeTree
PARTITION BY toDate(time)
ORDER BY (webhook, time)
TTL toDateTime(time) + toIntervalDay(30);

INSERT INTO rollpoint_schema_migrations (version, name) VALUES (4, 'webhook_deliveries');
