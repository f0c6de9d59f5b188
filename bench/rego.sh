#!/usr/bin/env bash
# rego.sh - Rego engine figures (issue 5, item 9): decision latency p50/p99
# and allocations per decision for the example repository's admission
# policy on a large (20 containers) and two small AdmissionReview inputs,
# jansson's json_loads of the same bytes as the in-run reference, bundle
# load-and-compile time, decisions/s with 1 and 2 threads sharing one
# compiled policy (and their ratio), the time and peak evaluation memory
# of a 2,000 x 2,000 nested loop that yields nothing, and the compile time
# of a generated 1,000-rule policy.  Every decision is checked against
# expected.json.
# RUNS (default 20000) and SECONDS_PER_SERIES (default 10) bound each
# series.
set -u
root=${LOCKSTEP_ROOT:-$(cd "$(dirname "$0")/.." && pwd)}
bin=${LOCKSTEP_BIN:?LOCKSTEP_BIN is the bin directory of the build}
prog=$(dirname "$bin")/bench/rego-bench
data=$root/tests/data/admission
if [ ! -x "$prog" ]; then
	echo "rego: $prog is missing; build it with make benchprogs" >&2
	exit 1
fi
if command -v opa >/dev/null 2>&1; then
	echo "rego: OPA reference: $(command -v opa) exists, but this script" \
		"does not run it; compare by hand with: opa bench -d" \
		"$root/bundles/example -i $data/large-deployment-20.json" \
		"data.kubernetes.admission"
else
	echo "rego: OPA reference: none - opa is not installed on this" \
		"machine (it is not packaged for Debian), so no OPA ratio is" \
		"printed; the in-run reference is jansson's json_loads of the" \
		"same input"
fi
exec "$prog" -n "${RUNS:-20000}" -t "${SECONDS_PER_SERIES:-10}" \
	-e "$data/expected.json" "$root/bundles/example" \
	"$data/large-deployment-20.json" "$data/allowed-pod.json" \
	"$data/denied-privileged.json"
