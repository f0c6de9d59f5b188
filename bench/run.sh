#!/usr/bin/env bash
# run.sh BIN_DIR - run every bench/*.sh (except this one and lib_*.sh) with the
# optimised programs in BIN_DIR; each prints its own figures.  BIN_DIR is
# passed as the first argument and as LOCKSTEP_BIN; the exit status is
# non-zero if any benchmark failed to run.
set -u
bin=$(cd "${1:?usage: bench/run.sh BIN_DIR}" && pwd)
here=$(cd "$(dirname "$0")" && pwd)
status=0
for b in "$here"/*.sh; do
	case $(basename "$b") in run.sh | lib_*) continue ;; esac
	echo "== $(basename "$b" .sh)"
	if ! LOCKSTEP_BIN=$bin LOCKSTEP_ROOT=$(dirname "$here") \
	    bash "$b" "$bin"; then
		echo "bench $(basename "$b"): failed"
		status=1
	fi
done
exit $status
