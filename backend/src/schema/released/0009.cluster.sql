CREATE TABLE IF NOT EXISTS telemetry.config_commits ON CLUSTER rollpoint (
    time DateTime64(3, 'UTC'),
    device String,
    path String,
    commit String,
    blob String,
    author String,
    message String
) ENGINE = ReplicatedReplacingMergeTree('/clickhouse/tables/all/{database}/config_commits', '{shard}-{replica}')
ORDER BY (device, commit);

CREATE OR REPLACE VIEW telemetry.changes ON CLUSTER rollpoint AS
SELECT time, entity_kind, entity, kind, title, author, description, source, '' AS version, '' AS previous_version
FROM telemetry.change_events
WHERE (entity_kind, entity, time, description) NOT IN (SELECT 'device', device, time, description FROM (
    SELECT e.time AS time, e.entity AS device, e.author AS author, e.description AS description, c.commit AS commit
    FROM telemetry.change_events AS e
    INNER JOIN telemetry.config_commits AS c ON c.device = e.entity
    WHERE e.entity_kind = 'device' AND e.kind = 'config_change' AND abs(toUnixTimestamp64Milli(e.time) - toUnixTimestamp64Milli(c.time)) <= 300000
    ORDER BY abs(toUnixTimestamp64Milli(e.time) - toUnixTimestamp64Milli(c.time)), c.commit
    LIMIT 1 BY e.time, e.entity, e.description
))
UNION ALL
SELECT
    toDateTime64(first_seen, 3, 'UTC') AS time,
    'service' AS entity_kind,
    service AS entity,
    'deploy' AS kind,
    if(previous = '', concat(service, ' ', version, ' first seen'), concat(service, ' ', previous, ' → ', version)) AS title,
    '' AS author,
    '' AS description,
    'telemetry' AS source,
    version,
    previous AS previous_version
FROM (
    SELECT service, version, first_seen,
        lagInFrame(version, 1, '') OVER (PARTITION BY service ORDER BY first_seen ROWS BETWEEN 1 PRECEDING AND CURRENT ROW) AS previous
    FROM (SELECT service, version, min(first_seen) AS first_seen FROM telemetry.service_versions GROUP BY service, version)
)
UNION ALL
SELECT
    if(a.commit = '', c.time, least(c.time, a.announced_at)) AS time,
    'device' AS entity_kind,
    c.device AS entity,
    'config_commit' AS kind,
    concat(c.device, ' config ', substring(c.commit, 1, 8), ': ', splitByChar('\n', c.message)[1]) AS title,
    if(a.author != '', a.author, c.author) AS author,
    if(a.commit = '', c.message, concat(c.message, '\n', a.description)) AS description,
    'config_repository' AS source,
    c.commit AS version,
    c.previous_commit AS previous_version
FROM (
    SELECT time, device, commit, author, message,
        lagInFrame(commit, 1, '') OVER (PARTITION BY device ORDER BY time, commit ROWS BETWEEN 1 PRECEDING AND CURRENT ROW) AS previous_commit
    FROM telemetry.config_commits FINAL
) AS c
LEFT JOIN (
    SELECT device, commit, min(time) AS announced_at, argMin(author, time) AS author, arrayStringConcat(groupArray(description), '\n') AS description
    FROM (
    SELECT e.time AS time, e.entity AS device, e.author AS author, e.description AS description, c.commit AS commit
    FROM telemetry.change_events AS e
    INNER JOIN telemetry.config_commits AS c ON c.device = e.entity
    WHERE e.entity_kind = 'device' AND e.kind = 'config_change' AND abs(toUnixTimestamp64Milli(e.time) - toUnixTimestamp64Milli(c.time)) <= 300000
    ORDER BY abs(toUnixTimestamp64Milli(e.time) - toUnixTimestamp64Milli(c.time)), c.commit
    LIMIT 1 BY e.time, e.entity, e.description
)
    GROUP BY device, commit
) AS a ON a.device = c.device AND a.commit = c.commit;

INSERT INTO rollpoint_schema_migrations (version, name) VALUES (9, 'config_commits: device config revisions from a config repository; the changes view lists them');
