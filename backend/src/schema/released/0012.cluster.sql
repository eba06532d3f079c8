CREATE TABLE IF NOT EXISTS telemetry.backups ON CLUSTER rollpoint (
    name String,
    time DateTime64(3, 'UTC'),
    base String,
    location String,
    status LowCardinality(String),
    size UInt64,
    error String,
    updated DateTime64(3, 'UTC') DEFAULT now64(3)
) ENGINE = ReplicatedReplacingMergeTree('/clickhouse/tables/all/{database}/backups', '{shard}-{replica}', updated)
ORDER BY name;

INSERT INTO rollpoint_schema_migrations (version, name) VALUES (12, 'backups: the catalogue of backups made with BACKUP DATABASE');
