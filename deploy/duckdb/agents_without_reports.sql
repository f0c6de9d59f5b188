-- agents_without_reports.sql - agents that made decisions under the
-- control in the period but sent no signed report in it (reports are
-- under kind=report/framework=none/control=none/year=/month=/day=/), so
-- the version they claim to run
-- is not vouched for by a report of theirs.
WITH reports AS (
  SELECT agent, count(*) AS reports
  FROM read_json('{{DATA}}/kind=report/*/*/*/*/*/*.jsonl',
                 format = 'newline_delimited', hive_partitioning = true,
                 columns = {n: 'BIGINT', time: 'VARCHAR', kind: 'VARCHAR',
                            channel: 'VARCHAR', agent: 'VARCHAR',
                            details: 'JSON'})
  WHERE CAST(time AS TIMESTAMP) >= TIMESTAMP '{{SINCE}} 00:00:00'
    AND CAST(time AS TIMESTAMP) <  TIMESTAMP '{{UNTIL}} 00:00:00' + INTERVAL 1 DAY
  GROUP BY agent)
SELECT d.agent, count(*) AS decisions, max(d.decided_at) AS last_decision
FROM decisions d LEFT JOIN reports r ON r.agent = d.agent
WHERE r.agent IS NULL
GROUP BY d.agent
ORDER BY d.agent;
