# libdecisions.sh - shared setup for the decision record tests (sourced
# after libagent.sh): the example bundle with decision log policies, the
# stdlib batch receiver (tests/tools/decision_sink.py) and helpers.
SINK_PY=$ROOT/tests/tools/decision_sink.py
ADM=$ROOT/tests/data/admission

# The example repository plus decision log policies under system.log
# (NO_LOG_POLICY=1: the example as it is).
make_example_repo() {
	mkdir -p "$W/repo"
	cp -a "$ROOT/bundles/example/." "$W/repo/"
	[ "${NO_LOG_POLICY:-0}" = 1 ] && { commit_example_repo; return; }
	python3 - "$W/repo/.manifest" <<'PY'
import json, sys
m = json.load(open(sys.argv[1]))
m["roots"].append("system")
json.dump(m, open(sys.argv[1], "w"), indent=2)
PY
	mkdir -p "$W/repo/system"
	cat >"$W/repo/system/log.rego" <<'EOF'
package system.log

mask contains "/input/request/userInfo"

mask contains {"op": "upsert", "path": "/input/request/object/metadata/name", "value": "masked"}

drop if input.input.request.namespace == "drop-me"
EOF
	commit_example_repo
}

commit_example_repo() {
	git -C "$W/repo" init -q -b main
	git -C "$W/repo" config user.email t@example.com
	git -C "$W/repo" config user.name test
	git -C "$W/repo" add -A
	git -C "$W/repo" commit -qm example
	git -C "$W/repo" tag v1
}

# decisions_world: keys, the example repository at v1, the server and
# a sink (SINK_ARGS: its options); SINK_URL names the sink.
decisions_world() {
	"$LS" init "$W/keys" --origin lockstep-test >/dev/null || die "lockstep init"
	head -c 24 /dev/urandom | base64 | tr -d '/+=' >"$W/enroll.token"
	head -c 24 /dev/urandom | base64 | tr -d '/+=' >"$W/admin.token"
	chmod 600 "$W/enroll.token" "$W/admin.token"
	make_example_repo
	start_server
	wait_until 90 published_version v1 || die "v1 not published"
	mkdir -p "$W/sink"
	python3 "$SINK_PY" "$W/sink" "$W/sink.port" ${SINK_ARGS:-} \
		>>"$W/sink.log" 2>&1 &
	PIDS+=($!)
	wait_until 20 test -s "$W/sink.port" || die "sink did not start"
	SINK_URL="http://127.0.0.1:$(cat "$W/sink.port")"
}

# decide NAME FILE PATH: POST {"input": FILE} and print the answer.
decide() {
	python3 - "$(cat "$W/$1.port")" "$2" "$3" <<'PY'
import json, sys, urllib.request
port, f, path = sys.argv[1:4]
body = b'{"input": ' + open(f, "rb").read() + b'}'
r = urllib.request.urlopen(urllib.request.Request(
    "http://%s/v1/data/%s" % (port, path), data=body), timeout=10)
print(r.read().decode())
PY
}

# records: every record uploaded so far and left in the agent's segments.
records() {
	cat "$W"/sink/*.jsonl "$W"/*/decisions/*.seg "$W"/*/decisions/*.open \
		2>/dev/null
}

# record_of ID: the record with that id, once it is written (a file).
record_of() {
	records | python3 -c 'import json, sys
for l in sys.stdin:
    r = json.loads(l)
    if r.get("id") == sys.argv[1]:
        print(json.dumps(r)); break' "$1"
}
id_of() { python3 -c 'import json,sys; print(json.load(sys.stdin).get("decision_id",""))'; }


# burst NAME FILE N OUT: N decisions; OUT gets "STATUS ID CODE" per answer.
burst() {
	python3 - "$(cat "$W/$1.port")" "$2" "$3" "$4" <<'PY'
import json, sys, urllib.error, urllib.request
port, f, n, out = sys.argv[1], sys.argv[2], int(sys.argv[3]), sys.argv[4]
body = b'{"input": ' + open(f, "rb").read() + b'}'
with open(out, "w") as o:
    for _ in range(n):
        try:
            r = urllib.request.urlopen(urllib.request.Request(
                "http://%s/v1/data/kubernetes/admission/deny" % port,
                data=body), timeout=10)
            code, a = r.status, json.loads(r.read())
        except urllib.error.HTTPError as e:
            code, a = e.code, json.loads(e.read())
        o.write("%d %s %s\n" % (code, a.get("decision_id", "-"),
                                a.get("code", "-")))
PY
}

# metric NAME LINE: the agent's /metrics has that exact line.
metric() {
	curl -s --max-time 5 "http://$(cat "$W/$1.port")/metrics" |
		grep -qxF -- "$2"
}
metric_value() {	# NAME SERIES
	curl -s --max-time 5 "http://$(cat "$W/$1.port")/metrics" |
		awk -v s="$2" '$1 == s { print $2 }'
}
