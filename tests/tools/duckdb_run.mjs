// duckdb_run.mjs QUERY.sql DATA CONTROL SINCE UNTIL: deploy/duckdb/run.sh
// with DuckDB's Node API (npm @duckdb/node-api) instead of the duckdb
// CLI: the same substitution, the rows printed as one JSON array.
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { DuckDBInstance } from '@duckdb/node-api';

const [query, data, control, since, until] = process.argv.slice(2);
const here = dirname(query);
const [fw, ctl] = [control.split(':')[0], control.split(':').slice(1).join(':')];
const fill = (s) => s.replaceAll('{{DATA}}', data).replaceAll('{{FRAMEWORK}}', fw)
  .replaceAll('{{CONTROL}}', ctl).replaceAll('{{SINCE}}', since)
  .replaceAll('{{UNTIL}}', until);
const db = await DuckDBInstance.create(':memory:');
const con = await db.connect();
await con.run(fill(readFileSync(join(here, 'decisions.sql'), 'utf8')));
const reader = await con.runAndReadAll(fill(readFileSync(query, 'utf8')));
const rows = reader.getRowObjectsJson();
process.stdout.write(JSON.stringify(rows) + '\n');
