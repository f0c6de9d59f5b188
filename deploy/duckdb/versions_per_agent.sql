-- versions_per_agent.sql - which policy versions each agent enforced over
-- the period, from its first to its last decision on each, with counts.
-- Matches the agents and versions of the package's summary (which also
-- uses the agents' reports to stretch the intervals).
SELECT agent, version, bundle, min(decided_at) AS first_decision,
       max(decided_at) AS last_decision, count(*) AS decisions
FROM decisions
GROUP BY agent, version, bundle
ORDER BY agent, first_decision;
