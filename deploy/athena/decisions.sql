-- decisions.sql - Athena (Trino) table over the decision partitions the
-- Lockstep server writes, shipped to S3 as they are:
--   s3://BUCKET/PREFIX/kind=decision/framework=F/control=C/year=YYYY/month=MM/day=DD/*.jsonl
-- Partition projection computes the partitions from the query's WHERE
-- clause: no crawler, no MSCK REPAIR, no ALTER TABLE ADD PARTITION.
-- framework and control are "injected": every query names them with =
-- (or IN), which is how an auditor asks anyway.  Replace BUCKET/PREFIX.
CREATE EXTERNAL TABLE IF NOT EXISTS lockstep_decisions (
  n        bigint,
  `time`   string,
  kind     string,
  channel  string,
  agent    string,
  details  struct<
    id: string, seq: bigint, `time`: string, agent: string, door: string,
    channel: string, release: bigint, bundle: string, version: string,
    path: string, input_sha256: string, input_truncated: boolean,
    outcome: string,
    violations: array<struct<msg: string, rule: string, controls: array<string>>>,
    waived: array<struct<id: string, owner: string, ticket: string,
                         expires: string, rule: string, controls: array<string>>>,
    controls: array<string>, latency_us: bigint, error: string,
    type: string, first: bigint, last: bigint, reason: string>
)
PARTITIONED BY (framework string, control string, year int, month int, day int)
ROW FORMAT SERDE 'org.openx.data.jsonserde.JsonSerDe'
WITH SERDEPROPERTIES ('ignore.malformed.json' = 'false')
LOCATION 's3://BUCKET/PREFIX/kind=decision/'
TBLPROPERTIES (
  'projection.enabled' = 'true',
  'projection.framework.type' = 'injected',
  'projection.control.type' = 'injected',
  'projection.year.type' = 'integer',
  'projection.year.range' = '2024,2099',
  'projection.month.type' = 'integer',
  'projection.month.range' = '1,12',
  'projection.month.digits' = '2',
  'projection.day.type' = 'integer',
  'projection.day.range' = '1,31',
  'projection.day.digits' = '2',
  'storage.location.template' =
    's3://BUCKET/PREFIX/kind=decision/framework=${framework}/control=${control}/year=${year}/month=${month}/day=${day}/'
);
