CREATE TABLE IF NOT EXISTS telemetry.rollpoint_schema_migrations ON CLUSTER rollpoint (
    version UInt32,
    name String,
    applied_at DateTime64(3) DEFAULT now64(3)
) ENGINE = ReplicatedMergeTree('/clickhouse/tables/all/{database}/rollpoint_schema_migrations', '{shard}-{replica}')
ORDER BY version;
