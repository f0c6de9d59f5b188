# lib_decisions.sh - decision batches with real bytes for the
# POST /v1/decisions tests (sourced after lib_server.sh): JSON Lines,
# gzip, a lockstep/decisions/v1 note signed by `lockstep note sign`.

zeros=0000000000000000000000000000000000000000000000000000000000000000

# rec AGENT SEQ [WAIVED_JSON]: one decision record line.
rec() {
	local outcome=deny
	[ -n "${3:-}" ] && outcome=allow
	printf '{"id":"%s-%s","seq":%s,"time":"%s","agent":"%s","door":"api","channel":"stable","release":1,"bundle":"%s","version":"v1.0.0","path":"policy/admission/deny","input_sha256":"%s","input":{"n":%s},"outcome":"%s","violations":[],"waived":%s,"controls":["soc2:CC6.1"],"latency_us":17}\n' \
	    "$1" "$2" "$2" "$(date -u +%Y-%m-%dT%H:%M:%S.000001Z)" "$1" "$zeros" \
	    "$zeros" "$2" "$outcome" "${3:-[]}"
}

# recs AGENT FIRST LAST: records FIRST..LAST.
recs() {
	local s
	for s in $(seq "$2" "$3"); do rec "$1" "$s"; done
}

# dropline AGENT SEQ FIRST LAST: a drop announcement.
dropline() {
	printf '{"id":"%s-%s","seq":%s,"time":"%s","agent":"%s","type":"dropped","first":%s,"last":%s,"reason":"queue full"}\n' \
	    "$1" "$2" "$2" "$(date -u +%Y-%m-%dT%H:%M:%SZ)" "$1" "$3" "$4"
}

# batch OUT AGENT KEY PREV LINES_FILE [FIRST LAST COUNT]: OUT.gz (body),
# OUT.hdr (Lockstep-Batch value), OUT.sha (sha256 of the lines).  FIRST,
# LAST and COUNT default to what the lines hold.
batch() {
	local out=$1 agent=$2 key=$3 prev=$4 lines=$5 first last count sha
	first=${6:-$(head -n 1 "$lines" | sed 's/.*"seq":\([0-9]*\).*/\1/')}
	last=${7:-$(tail -n 1 "$lines" | sed 's/.*"seq":\([0-9]*\).*/\1/')}
	count=${8:-$(wc -l <"$lines")}
	sha=$(sha256sum "$lines" | cut -c1-64)
	gzip -n -c "$lines" >"$out.gz"
	printf 'lockstep/decisions/v1\nagent %s\nfirst %s\nlast %s\ncount %s\nsha256 %s\nprev %s\ndropped 0\ntime %s\n' \
	    "$agent" "$first" "$last" "$count" "$sha" "$prev" \
	    "$(date -u +%Y-%m-%dT%H:%M:%SZ)" >"$out.body"
	"$ls" note sign "$key" --in "$out.body" >"$out.note" || return 1
	base64 -w0 "$out.note" >"$out.hdr"
	echo "$sha" >"$out.sha"
}

# post_batch OUT [URL]: POST OUT.gz with OUT.hdr; prints the HTTP code,
# the answer goes to OUT.answer.
post_batch() {
	curl -s -m 30 -o "$1.answer" -w '%{http_code}' -X POST \
	    -H 'Content-Type: application/gzip' \
	    -H "Lockstep-Batch: $(cat "$1.hdr")" \
	    --data-binary @"$1.gz" "${2:-$url}/v1/decisions"
}

# ev_entries [KIND [AGENT]]: every acknowledged entry of the evidence log
# (of that kind, of that agent) as stored, one a line: `lockstep evidence
# cat` reads what is durable, where queries see only what is already
# materialised (up to a second behind).
ev_entries() {
	"$ls" evidence cat "$work/data" | python3 -c '
import json, sys
k = sys.argv[1] if len(sys.argv) > 1 else ""
a = sys.argv[2] if len(sys.argv) > 2 else ""
for l in sys.stdin:
    e = json.loads(l)
    if (not k or e.get("kind") == k) and (not a or e.get("agent") == a):
        sys.stdout.write(l)' "$@"
}

# count_kind KIND [AGENT]: entries of the evidence log of that kind.
count_kind() { ev_entries "$@" | wc -l; }
