#!/usr/bin/env bash
# audit.sh - the audit package of one control over 90 days (issue 10):
# RECORDS decision records (default 1,000,000; the goal is 10,000,000:
# AUDIT_RECORDS=10000000) of AGENTS agents (default 1,000) spread evenly
# over 10 controls and 90 days, with every agent's enrolment and signed
# batches, appended through the evidence library (tests/tools/audit_seed,
# under eatmydata: seeding is setup, and one fsync per entry would take
# hours).  Measured: wall time of `lockstep audit --data` (goal < 60 s),
# package size, wall time of `lockstep audit verify`.
set -u
bin=$(cd "${1:-${LOCKSTEP_BIN:?usage: bench/audit.sh BIN_DIR}}" && pwd)
RECORDS=${AUDIT_RECORDS:-1000000}
AGENTS=${AUDIT_AGENTS:-1000}
seed=$bin/../tests/tools/audit_seed
work=$(mktemp -d /tmp/ls-bench-audit.XXXXXX)
trap 'rm -rf "$work"' EXIT
[ -x "$seed" ] || { echo "audit: $seed missing (make benchprogs)"; exit 1; }
eat=""
command -v eatmydata >/dev/null && eat=eatmydata
ctls=soc2:CC6.1,soc2:CC6.2,soc2:CC7.1,soc2:CC7.2,soc2:CC8.1,iso27001:A.8.1,iso27001:A.8.2,pci-dss:2.2.1,pci-dss:6.4.1,hipaa:164.312
now_ms() { date +%s%3N; }

"$bin/lockstep" init "$work/keys" --origin bench.lockstep >/dev/null || exit 1
t0=$(now_ms)
$eat "$seed" "$work/data" "$AGENTS" "$RECORDS" 2026-06-01 90 "$ctls" || exit 1
t1=$(now_ms)
log=$(stat -c %s "$work/data/evidence/log.jsonl")
echo "seeded $RECORDS records of $AGENTS agents over 10 controls and 90 days" \
    "in $(( (t1 - t0) / 1000 )) s; log $((log / 1048576)) MiB${eat:+ (eatmydata)}"

t0=$(now_ms)
"$bin/lockstep" audit --control soc2:CC6.1 --since 2026-06-01 --until 2026-08-29 \
    -o "$work/pkg" --data "$work/data" --keys "$work/keys" \
    --origin bench.lockstep || exit 1
t1=$(now_ms)
"$bin/lockstep" audit verify "$work/pkg" 2>"$work/verify.txt" || { cat "$work/verify.txt"; exit 1; }
t2=$(now_ms)
recs=$(wc -l <"$work/pkg/records.jsonl")
size=$(du -sb "$work/pkg" | cut -f1)
echo "audit package, 1 control, 90 days: $(( t1 - t0 )) ms (goal < 60000 ms)," \
    "$recs records, $((size / 1048576)) MiB"
echo "audit verify: $(( t2 - t1 )) ms ($(sed 's/.*ok //' "$work/verify.txt"))"
