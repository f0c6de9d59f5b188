-- reports.sql - Athena table over the agents' signed reports
-- (s3://BUCKET/PREFIX/kind=report/framework=none/control=none/
-- year=YYYY/month=MM/day=DD/*.jsonl, as the evidence store writes them), for
-- "which agents did not report" next to lockstep_decisions.
CREATE EXTERNAL TABLE IF NOT EXISTS lockstep_reports (
  n bigint, `time` string, kind string, channel string, agent string,
  details struct<seq: bigint, root: bigint, timestamp: bigint, release: bigint,
                 bundle: string, version: string, `time`: string,
                 state: string, error: string, dropped: bigint, note: string>
)
PARTITIONED BY (year int, month int, day int)
ROW FORMAT SERDE 'org.openx.data.jsonserde.JsonSerDe'
LOCATION 's3://BUCKET/PREFIX/kind=report/framework=none/control=none/'
TBLPROPERTIES (
  'projection.enabled' = 'true',
  'projection.year.type' = 'integer', 'projection.year.range' = '2024,2099',
  'projection.month.type' = 'integer', 'projection.month.range' = '1,12',
  'projection.month.digits' = '2',
  'projection.day.type' = 'integer', 'projection.day.range' = '1,31',
  'projection.day.digits' = '2',
  'storage.location.template' =
    's3://BUCKET/PREFIX/kind=report/framework=none/control=none/year=${year}/month=${month}/day=${day}/'
);
