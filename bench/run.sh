#!/usr/bin/env bash
# run.sh BIN_DIR - run every bench/*.sh (except this one) with the
# optimised programs in BIN_DIR; each prints its own figures.
set -u
bin=$(cd "${1:?usage: bench/run.sh BIN_DIR}" && pwd)
here=$(cd "$(dirname "$0")" && pwd)
status=0
for b in "$here"/*.sh; do
	[ "$(basename "$b")" = run.sh ] && continue
	echo "== $(basename "$b" .sh)"
	LOCKSTEP_BIN=$bin LOCKSTEP_ROOT=$(dirname "$here") bash "$b" || status=1
done
exit $status
