#!/bin/sh
# run.sh QUERY.sql DATA CONTROL SINCE UNTIL: one saved query over the
# evidence partitions with the duckdb CLI.  DATA is the partitions' root
# (the server's DATA/evidence/partitions, a copy, or s3://bucket/prefix
# with DuckDB's httpfs); CONTROL is FRAMEWORK:ID (soc2:CC6.1); SINCE and
# UNTIL are YYYY-MM-DD, both included.
set -eu
[ $# -eq 5 ] || { echo "usage: run.sh QUERY.sql DATA CONTROL SINCE UNTIL" >&2; exit 2; }
here=$(dirname "$0")
fw=${3%%:*}
ctl=${3#*:}
cat "$here/decisions.sql" "$1" |
    sed -e "s|{{DATA}}|$2|g" -e "s|{{FRAMEWORK}}|$fw|g" \
        -e "s|{{CONTROL}}|$ctl|g" -e "s|{{SINCE}}|$4|g" -e "s|{{UNTIL}}|$5|g" |
    duckdb -json
