#!/usr/bin/env bash
# evidence_duckdb.sh - DuckDB (npm @duckdb/node-api, installed once into
# build/duckdb from the npm registry) reads the evidence store's Hive
# partitions with hive_partitioning and counts, per control, the same
# decisions as GET /v1/evidence?control= and as the log itself.  The
# decisions are appended through the real store by tests/tools/ev_load.c
# (8 threads, groups of 50, 7 controls, over 3 days).  Then the server
# (--compact-partitions) compacts the day that is over (two days ago; its
# first pass comes 15 s after start), and DuckDB, the API and `lockstep
# evidence verify` (run beside the server) see the same entries in fewer
# files; an export made before and re-run after holds each entry once.
# SKIP (exit 0) only when npm cannot reach its registry.
set -u
. "$(dirname "$0")/lib_server.sh"

load=$LOCKSTEP_BIN/../tools/ev-load
cache=$LOCKSTEP_ROOT/build/duckdb
if ! command -v npm >/dev/null || ! command -v node >/dev/null; then
	echo "SKIP: node and npm not installed (deploy/install-deps.sh installs them)"
	exit 0
fi
if [ ! -d "$cache/node_modules/@duckdb/node-api" ]; then
	mkdir -p "$cache"
	if ! (cd "$cache" && timeout 300 npm install --no-audit --no-fund \
	    --silent @duckdb/node-api >"$work/npm.log" 2>&1); then
		echo "SKIP: npm could not install @duckdb/node-api (registry unreachable?): $(tail -n 3 "$work/npm.log")"
		finish
	fi
fi

make_keys
make_repo
tag_repo v1.0.0
check "decisions appended through the store" "$load" "$work/data" 2000 8 50 7 3
start_server --compact-partitions
check "published" wait_published stable 1
total=$("$ls" evidence cat "$work/data" | wc -l)
covered() {
	test "$(curl -sf -m 5 "$url/v1/evidence/checkpoint" | sed -n 2p)" = "$total"
}
check "checkpoint covers all $total entries" wait_until 20 covered

"$ls" evidence cat "$work/data" | python3 -c '
import collections, json, sys
c = collections.Counter()
for l in sys.stdin:
    e = json.loads(l)
    if e["kind"] == "decision":
        for x in e["details"]["controls"]:
            c[x] += 1
for k in sorted(c):
    print(k, c[k])' >"$work/log.counts"

cat >"$work/count.js" <<'JS'
const { DuckDBInstance } = require('@duckdb/node-api');
(async () => {
	const db = await DuckDBInstance.create(':memory:');
	const con = await db.connect();
	const glob = process.argv[2] + '/kind=decision/*/*/*/*/*/*.jsonl';
	const r = await con.runAndReadAll(
	    `SELECT framework, control, count(*)::INTEGER AS n FROM
	     read_json_auto('${glob}', hive_partitioning = true,
	     format = 'newline_delimited') GROUP BY ALL ORDER BY ALL`);
	for (const row of r.getRows())
		console.log(`${row[0]}:${row[1]} ${row[2]}`);
})().catch((e) => { console.error(e); process.exit(1); });
JS
# counts NAME: DuckDB's and the API's counts per control against the log's
counts() {
	: >"$work/api.counts"
	for c in 0 1 2 3 4 5 6; do
		n=$(curl -s -m 10 "$url/v1/evidence?control=soc2:CC$c&kind=decision" |
		    tail -n +2 | wc -l)
		echo "soc2:CC$c $n" >>"$work/api.counts"
	done
	check "DuckDB reads the partitions ($1)" sh -c "NODE_PATH='$cache/node_modules' \
	    timeout 120 node '$work/count.js' '${2:-$work/data/evidence/partitions}' \
	    >'$work/duck.counts' 2>'$work/duck.err'"
	sort -o "$work/duck.counts" "$work/duck.counts"
	sort -o "$work/api.counts" "$work/api.counts"
	cat "$work/duck.err"
	check "DuckDB counts = the log's counts per control ($1)" \
	    cmp -s "$work/duck.counts" "$work/log.counts"
	check "API counts = the log's counts per control ($1)" \
	    cmp -s "$work/api.counts" "$work/log.counts"
}
counts "as written"
echo "per control (DuckDB):" $(cat "$work/duck.counts")
check "exported before compaction" "$ls" evidence export "$work/data" "$work/export"

nfiles() { find "$work/data/evidence/partitions" -name '*.jsonl' | wc -l; }
compacted() {
	n=$(curl -s -m 5 "$url/metrics" |
	    sed -n 's/^lockstep_evidence_compacted_files_total //p')
	[ "${n:-0}" -gt 0 ]
}
before=$(nfiles)
check "the day that is over is compacted" wait_until 60 compacted
after=$(nfiles)
check "fewer partition files ($before -> $after)" test "$after" -lt "$before"
check "merged files are named <first>-<last>.jsonl" sh -c \
    "find '$work/data/evidence/partitions' -name '*-*.jsonl' | grep -q ."
counts "compacted"
check "the store verifies beside the server" "$ls" evidence verify "$work/data"
check "export re-run after compaction" "$ls" evidence export "$work/data" "$work/export"
(cd "$work/data/evidence/partitions" && find . -name '*.jsonl' | sort) >"$work/store.files"
(cd "$work/export" && find . -name '*.jsonl' | sort) >"$work/export.files"
check "the export holds the store's files, no more" \
    cmp -s "$work/store.files" "$work/export.files"
counts "export after compaction" "$work/export"
stop_server
finish
