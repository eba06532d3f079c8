CREATE TABLE IF NOT EXISTS audit_log (
    time DateTime64(3, 'UTC'),
    token_name String,
    role LowCardinality(String),
    address String,
    method LowCardinality(String),
    route String,
    action LowCardinality(String),
    detail String,
    status UInt16
) ENGINE = MergeTree
PARTITION BY toYYYYMM(time)
ORDER BY time;

INSERT INTO rollpoint_schema_migrations (version, name) VALUES (11, 'audit_log: every write through the API, with its token name, source address and answer');
