-- queries.sql - the auditor's questions in Athena, the same as
-- deploy/duckdb; change the control and the period.

-- Versions each agent enforced in Q3 2026 under soc2:CC6.1.
SELECT agent, details.version, min(details.time) AS first_decision,
       max(details.time) AS last_decision, count(*) AS decisions
FROM lockstep_decisions
WHERE framework = 'soc2' AND control = 'CC6.1'
  AND year = 2026 AND month BETWEEN 7 AND 9
  AND coalesce(details.type, 'decision') = 'decision'
GROUP BY agent, details.version ORDER BY agent, first_decision;

-- Decisions per day by outcome.
SELECT substr(details.time, 1, 10) AS day, count(*) AS decisions,
       count_if(details.outcome = 'deny') AS deny,
       count_if(details.outcome = 'error') AS error
FROM lockstep_decisions
WHERE framework = 'soc2' AND control = 'CC6.1'
  AND year = 2026 AND month BETWEEN 7 AND 9
  AND coalesce(details.type, 'decision') = 'decision'
GROUP BY 1 ORDER BY 1;

-- Exceptions used, with owners, tickets and sunsets.
SELECT w.id, w.owner, w.ticket, w.expires, count(*) AS used,
       count(DISTINCT agent) AS agents
FROM lockstep_decisions CROSS JOIN UNNEST(details.waived) AS t(w)
WHERE framework = 'soc2' AND control = 'CC6.1'
  AND year = 2026 AND month BETWEEN 7 AND 9
GROUP BY 1, 2, 3, 4 ORDER BY 1;

-- Agents that decided under the control but sent no report in the period.
SELECT d.agent, count(*) AS decisions
FROM lockstep_decisions d
LEFT JOIN (SELECT DISTINCT agent FROM lockstep_reports
           WHERE year = 2026 AND month BETWEEN 7 AND 9) r ON r.agent = d.agent
WHERE d.framework = 'soc2' AND d.control = 'CC6.1'
  AND d.year = 2026 AND d.month BETWEEN 7 AND 9 AND r.agent IS NULL
GROUP BY d.agent ORDER BY d.agent;
