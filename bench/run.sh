#!/usr/bin/env bash
# run.sh - run every bench/*.sh (except this one) against one bin dir.
# Usage: bench/run.sh BIN_DIR.  Each benchmark prints its own figures;
# the exit status is non-zero if any benchmark failed to run.
set -u
bin=${1:?usage: bench/run.sh BIN_DIR}
here=$(cd "$(dirname "$0")" && pwd)
bin=$(cd "$bin" && pwd)
status=0
for b in "$here"/*.sh; do
	[ "$(basename "$b")" = run.sh ] && continue
	echo "=== $(basename "$b" .sh)"
	if ! bash "$b" "$bin"; then
		echo "bench $(basename "$b"): failed"
		status=1
	fi
done
exit $status
