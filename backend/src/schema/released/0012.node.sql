CREATE TABLE IF NOT EXISTS backups (
    name String,
    time DateTime64(3, 'UTC'),
    base String,
    location String,
    status LowCardinality(String),
    size UInt64,
    error String,
    updated DateTime64(3, 'UTC') DEFAULT now64(3)
) ENGINE = ReplacingMergeTree(updated)
ORDER BY name;

INSERT INTO rollpoint_schema_migrations (version, name) VALUES (12, 'backups: the catalogue of backups made with BACKUP DATABASE');
