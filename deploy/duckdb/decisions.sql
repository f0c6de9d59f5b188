-- decisions.sql - the view every saved query starts from: the decision
-- records of one control, straight from the Hive partitions the server
-- writes (kind=decision/framework=F/control=C/year=/month=/day=/*.jsonl),
-- no glue.  {{DATA}}, {{FRAMEWORK}}, {{CONTROL}}, {{SINCE}}, {{UNTIL}} are
-- filled in by run.sh (or by hand).  Each line is an evidence entry
-- {"n","time","kind","channel","agent","details"}; details is the record.
CREATE OR REPLACE VIEW decisions AS
SELECT n, agent, details.id AS id, details.seq AS seq,
       CAST(details.time AS TIMESTAMP) AS decided_at, details.door AS door,
       details.version AS version, details.bundle AS bundle,
       details.outcome AS outcome, details.violations AS violations,
       details.waived AS waived, year, month, day
FROM read_json('{{DATA}}/kind=decision/framework={{FRAMEWORK}}/control={{CONTROL}}/*/*/*/*.jsonl',
               format = 'newline_delimited', hive_partitioning = true,
               union_by_name = true,
               columns = {n: 'BIGINT', time: 'VARCHAR', kind: 'VARCHAR',
                          channel: 'VARCHAR', agent: 'VARCHAR',
                          details: 'STRUCT(id VARCHAR, seq BIGINT, time VARCHAR, door VARCHAR, version VARCHAR, bundle VARCHAR, outcome VARCHAR, type VARCHAR, violations STRUCT(msg VARCHAR, rule VARCHAR, controls VARCHAR[])[], waived STRUCT(id VARCHAR, owner VARCHAR, ticket VARCHAR, expires VARCHAR, rule VARCHAR, controls VARCHAR[])[])'})
WHERE coalesce(details.type, 'decision') = 'decision'
  AND CAST(details.time AS TIMESTAMP) >= TIMESTAMP '{{SINCE}} 00:00:00'
  AND CAST(details.time AS TIMESTAMP) <  TIMESTAMP '{{UNTIL}} 00:00:00' + INTERVAL 1 DAY;
