# libagent.sh - shared setup for the agent integration tests (sourced).
#
# Starts the real lockstep-server on a git repository made here, the
# hostile mirror (tests/tools/hostile_mirror.py) in front of its --data
# folder, and lockstep-agent processes; every process is killed by PID on
# exit and every wait is bounded.
set -u
: "${LOCKSTEP_BIN:?set LOCKSTEP_BIN to the directory holding the programs}"
LS=$LOCKSTEP_BIN/lockstep
SERVER=$LOCKSTEP_BIN/lockstep-server
AGENT=$LOCKSTEP_BIN/lockstep-agent
ROOT=${LOCKSTEP_ROOT:-$(cd "$(dirname "$0")/../.." && pwd)}
MIRROR_PY=$ROOT/tests/tools/hostile_mirror.py
W=$(mktemp -d /tmp/ls-agent-it.XXXXXX)
PIDS=()
AGENTS=()
declare -A AGENT_PID_OF
FAILS=0
TS_TTL=${TS_TTL:-3600}

. "$ROOT/tests/integration/libpids.sh"

cleanup() {
	local p
	for p in "${PIDS[@]}"; do
		kill_ours KILL "$p"
		wait "$p" 2>/dev/null
	done
	if [ "$FAILS" -eq 0 ]; then
		rm -rf "$W"
	else
		echo "kept $W for inspection"
	fi
}
trap cleanup EXIT

fail() { echo "FAIL: $*"; FAILS=$((FAILS + 1)); }
ok() { echo "ok: $*"; }
die() { echo "FAIL: $*"; FAILS=$((FAILS + 1)); dump_logs; exit 1; }

dump_logs() {
	local f
	for f in "$W"/*.log; do
		[ -f "$f" ] || continue
		echo "--- $f (last 25 lines)"
		tail -n 25 "$f"
	done
}

# wait_until SECONDS CMD...: poll CMD every 0.2 s, at most SECONDS.
wait_until() {
	local secs=$1 i=0
	shift
	while [ "$i" -lt $((secs * 5)) ]; do
		"$@" >/dev/null 2>&1 && return 0
		sleep 0.2
		i=$((i + 1))
	done
	return 1
}

# A policy repository: one package whose `version` names the tag.
make_repo() {
	mkdir -p "$W/repo/policy"
	git -C "$W/repo" init -q -b main
	git -C "$W/repo" config user.email t@example.com
	git -C "$W/repo" config user.name test
	set_policy v0
	git -C "$W/repo" add -A
	git -C "$W/repo" commit -qm init
}

set_policy() {	# TAG
	cat >"$W/repo/policy/agenttest.rego" <<EOF
package agenttest

default allow := false

allow if input.user == "admin"

version := "$1"
EOF
	printf '{"owner": "team-%s"}\n' "$1" >"$W/repo/policy/data.json"
}

# tag TAG [EXTRA_BYTES]: commit a policy naming TAG (plus a data file of
# EXTRA_BYTES incompressible bytes) and tag it.
tag() {
	set_policy "$1"
	if [ -n "${2:-}" ]; then
		mkdir -p "$W/repo/policy/blob"
		python3 -c 'import base64, json, os, sys
print(json.dumps({"blob": base64.b64encode(os.urandom(int(sys.argv[1]))).decode()}))' \
			"$2" >"$W/repo/policy/blob/data.json"
	fi
	git -C "$W/repo" add -A
	git -C "$W/repo" commit -qm "policy $1"
	git -C "$W/repo" tag "$1"
	# Ask the server to fetch now rather than at its next poll.
	[ -n "${SERVER_URL:-}" ] && curl -s -o /dev/null --max-time 5 \
		-X POST "$SERVER_URL/v1/admin/refresh"
	return 0
}

# start_server [extra args]: SHARED_ENROLL=0 leaves out the shared
# enrolment token (agents then enrol with single-use tokens only).
start_server() {
	local enrol=(--enroll-token-file "$W/enroll.token" --allow-shared-enroll-token)
	[ "${SHARED_ENROLL:-1}" = 0 ] && enrol=()
	rm -f "$W/server.port"
	"$SERVER" --repo "$W/repo" --keys "$W/keys" --data "$W/data" \
		--listen "${SERVER_LISTEN:-127.0.0.1:0}" \
		--port-file "$W/server.port" \
		--channel stable='v*' --channel beta='b*' --poll-interval 1 \
		--timestamp-ttl "$TS_TTL" "${enrol[@]}" \
		--admin-token-file "$W/admin.token" "$@" \
		>>"$W/server.log" 2>&1 &
	SERVER_PID=$!
	PIDS+=("$SERVER_PID")
	wait_until 30 test -s "$W/server.port" || die "server did not start"
	SERVER_URL="http://$(cat "$W/server.port")"
	SERVER_PORT=$(cat "$W/server.port")
}

stop_server() {
	kill -9 "$SERVER_PID" 2>/dev/null
	wait "$SERVER_PID" 2>/dev/null
}

start_mirror() {
	rm -f "$W/mirror.port"
	: >"$W/mirror.control"
	python3 "$MIRROR_PY" --data "$W/data" --control "$W/mirror.control" \
		--port-file "$W/mirror.port" --upstream "$SERVER_URL" \
		>>"$W/mirror.log" 2>&1 &
	MIRROR_PID=$!
	PIDS+=("$MIRROR_PID")
	wait_until 20 test -s "$W/mirror.port" || die "mirror did not start"
	MIRROR_URL="http://$(cat "$W/mirror.port")"
}

mirror() { printf '%s\n' "$@" >"$W/mirror.control"; }	# lines
mirror_off() { : >"$W/mirror.control"; }

# start_agent NAME URL [extra args]: a long-running agent; its state in
# $W/NAME, its API port in $W/NAME.port, its log in $W/NAME.log.
start_agent() {
	local name=$1 url=$2
	shift 2
	rm -f "$W/$name.port"
	"$AGENT" --server "$url" --root "$W/keys/1.root.note" \
		--state "$W/$name" --channel stable --name "$name" \
		--enroll-token-file "$W/enroll.token" \
		--listen 127.0.0.1:0 --port-file "$W/$name.port" \
		--interval 1 --max-backoff 1 --long-poll 5 --log-json "$@" \
		>>"$W/$name.log" 2>&1 &
	AGENT_PID=$!
	PIDS+=("$AGENT_PID")
	AGENT_PID_OF[$name]=$AGENT_PID
	AGENTS+=("$name")
	wait_until 30 test -s "$W/$name.port" || die "agent $name did not start"
}

stop_agent() {	# NAME
	local pid
	pid=${AGENT_PID_OF[$1]:-}
	[ -n "$pid" ] || return 0
	kill "$pid" 2>/dev/null
	if ! wait_until 20 sh -c "! kill -0 $pid"; then
		fail "agent $1 ignored SIGTERM for 20 s"
		kill -9 "$pid" 2>/dev/null
	fi
	wait "$pid" 2>/dev/null
	AGENT_PID_OF[$1]=""
}

# status NAME FIELD: one field of `status --json` (active.version etc.)
status() {
	"$AGENT" --state "$W/$1" status --json |
		python3 -c 'import json,sys
d=json.load(sys.stdin)
for k in sys.argv[1].split("."):
    d = d.get(k) if isinstance(d, dict) else None
print("" if d is None else d)' "$2"
}

# enforced NAME: the `version` rule of the policy the agent evaluates now.
enforced() {
	curl -s --max-time 5 -X POST -d '{"input": {}}' \
		"http://$(cat "$W/$1.port")/v1/data/agenttest/version" |
		python3 -c 'import json,sys; print(json.load(sys.stdin).get("result",""))'
}

is_version() { [ "$(status "$1" active.version)" = "$2" ]; }
is_state() { [ "$(status "$1" state)" = "$2" ]; }
enforces() { [ "$(enforced "$1")" = "$2" ]; }

# served SEQ: the server published release SEQ for stable.
published() { grep -q "^release $1 " "$W/data/v1/channels/stable/timestamp.note"; }
published_version() {	# TAG
	grep -l "^version $1\$" "$W/data/v1/channels/stable/releases/"*.note \
		>/dev/null 2>&1
}

expect_version() {	# NAME TAG SECONDS WHAT
	if wait_until "$3" is_version "$1" "$2" && wait_until 5 enforces "$1" "$2"; then
		ok "$4: $1 enforces $2"
	else
		fail "$4: $1 enforces '$(enforced "$1")', status $(status "$1" active.version)/$(status "$1" state), want $2"
		dump_logs
	fi
}

# hold NAME TAG SECONDS WHAT: for SECONDS the agent keeps enforcing TAG.
hold() {
	local i=0
	while [ "$i" -lt $(($3 * 2)) ]; do
		if ! is_version "$1" "$2" || ! enforces "$1" "$2"; then
			fail "$4: $1 left $2 (now '$(enforced "$1")')"
			dump_logs
			return 1
		fi
		sleep 0.5
		i=$((i + 1))
	done
	ok "$4: $1 still enforces $2"
}

# log_has NAME PATTERN SECONDS: the agent's log shows PATTERN.
log_has() { wait_until "$3" grep -q -- "$2" "$W/$1.log"; }

# ts_requests LOG: timestamp requests the mirror logged so far.
ts_requests() { grep -c 'GET /v1/channels/stable/timestamp.note' "$W/mirror.log"; }

# Common start: keys, repo with v1 published, server, mirror.
setup_world() {
	"$LS" init "$W/keys" --origin lockstep-test >/dev/null ||
		die "lockstep init"
	head -c 24 /dev/urandom | base64 | tr -d '/+=' >"$W/enroll.token"
	head -c 24 /dev/urandom | base64 | tr -d '/+=' >"$W/admin.token"
	chmod 600 "$W/enroll.token" "$W/admin.token"
	make_repo
	tag v1
	start_server "$@"
	wait_until 60 published_version v1 || die "v1 not published"
	start_mirror
}

# Sanitizer reports in any log (agents stopped with SIGTERM first so
# LeakSanitizer runs at their exit) fail the test.
check_sanitizers() {
	local n f
	for n in "${AGENTS[@]}"; do stop_agent "$n"; done
	for f in "$W"/*.log "$W"/*/*.log; do
		[ -f "$f" ] || continue
		if grep -q "Sanitizer\|runtime error:" "$f"; then
			fail "sanitizer report in $f"
			grep -m 5 -A 12 "Sanitizer\|runtime error:" "$f"
		fi
	done
}

finish() {
	check_sanitizers
	if [ "$FAILS" -ne 0 ]; then
		echo "$FAILS failure(s)"
		exit 1
	fi
	echo "all passed"
	exit 0
}

FORGE=$ROOT/tests/tools/forge.py
DATA_CH=$W/data/v1/channels/stable

cur_ts_seq() { sed -n 's/^seq //p' "$DATA_CH/timestamp.note" | head -n 1; }
cur_rel_seq() { sed -n 's/^release \([0-9]*\) .*/\1/p' "$DATA_CH/timestamp.note"; }
last_error() { status "$1" last_error; }

# refused AGENT PATTERN: status --json (state and last_error) matches.
refused() {
	"$AGENT" --state "$W/$1" status --json | grep -Eq "$2"
}

# run_attack AGENT WHAT GOOD NEW PATTERN SECONDS MIRROR_LINE...: with the
# mirror manipulating every answer, tag NEW is published by the server;
# the agent refuses it with an error matching PATTERN and keeps enforcing
# GOOD (checked again for SECONDS after the refusal); once the mirror is
# faithful again the agent moves to NEW.
run_attack() {
	local a=$1 what=$2 good=$3 new=$4 pattern=$5 secs=$6
	shift 6
	mirror "$@"
	tag "$new"
	wait_until 60 published_version "$new" || die "$what: $new not published"
	if wait_until 30 refused "$a" "$pattern"; then
		ok "$what: refused ($(last_error "$a"))"
	else
		fail "$what: last_error '$(last_error "$a")' lacks /$pattern/"
	fi
	hold "$a" "$good" "$secs" "$what"
	mirror_off
	expect_version "$a" "$new" 30 "$what: after the attack"
}

# restart_server [extra args]: kill -9 and start again on the same port.
restart_server() {
	local port
	port=$(cat "$W/server.port")
	port=${port:-$SERVER_PORT}
	stop_server
	SERVER_LISTEN=$port start_server "$@"
}

# forge_release_chain TAR_OR_BUNDLE OUTDIR [TS_EXPIRES_IN]: a release with
# the next seq pointing at the given bundle, signed by the real release
# key, and a timestamp naming it signed by the real timestamp key, laid
# out under OUTDIR like the server's data folder.
forge_release_chain() {
	local bundle=$1 out=$2 exp=${3:-3600} rs ts sha
	rs=$(cur_rel_seq)
	ts=$(cur_ts_seq)
	sha=$(sha256sum "$bundle" | cut -d' ' -f1)
	mkdir -p "$out/v1/bundles" "$out/v1/channels/stable/releases"
	cp "$bundle" "$out/v1/bundles/$sha.tar.gz"
	python3 "$FORGE" release --lockstep "$LS" --key "$W/keys/release.key" \
		--out "$out/v1/channels/stable/releases/$((rs + 1)).note" \
		--base "$DATA_CH/releases/$rs.note" --seq $((rs + 1)) \
		--bundle "$bundle" --version forged || die "forge release"
	python3 "$FORGE" timestamp --lockstep "$LS" \
		--key "$W/keys/timestamp.key" \
		--out "$out/v1/channels/stable/timestamp.note" \
		--origin lockstep-test --channel stable --seq $((ts + 1)) \
		--release-seq $((rs + 1)) --expires-in "$exp" \
		--release-note "$out/v1/channels/stable/releases/$((rs + 1)).note" ||
		die "forge timestamp"
}
