-- exceptions_used.sql - every exception that changed an outcome under the
-- control: owner, ticket, sunset, how often and by how many agents.
SELECT w.id AS exception, w.owner, w.ticket, w.expires AS sunset,
       count(*) AS used, count(DISTINCT agent) AS agents
FROM (SELECT agent, unnest(waived) AS w FROM decisions)
GROUP BY ALL
ORDER BY exception;
