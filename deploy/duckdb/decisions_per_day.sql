-- decisions_per_day.sql - decisions under the control per day (UTC, the
-- door's time), by outcome: the package summary's "days".
SELECT CAST(decided_at AS DATE) AS decision_day, count(*) AS decisions,
       count(*) FILTER (WHERE outcome = 'allow') AS allow,
       count(*) FILTER (WHERE outcome = 'deny') AS deny,
       count(*) FILTER (WHERE outcome = 'warn') AS warn,
       count(*) FILTER (WHERE outcome = 'error') AS error
FROM decisions
GROUP BY decision_day
ORDER BY decision_day;
