CREATE TABLE IF NOT EXISTS learned_devices (
    address String,
    name String,
    learned_at DateTime64(3, 'UTC') DEFAULT now64(3)
) ENGINE = ReplacingMergeTree(learned_at)
ORDER BY (address, name);

INSERT INTO rollpoint_schema_migrations (version, name) VALUES (8, 'learned_devices: device address and name pairs learned from stored syslog and traps');
