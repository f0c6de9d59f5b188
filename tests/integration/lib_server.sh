# lib_server.sh - helpers for the lockstep-server integration tests (sourced;
# run-all.sh skips lib*.sh).  Every wait is bounded; every process started
# here is killed by its PID on exit.
: "${LOCKSTEP_BIN:?set LOCKSTEP_BIN to the directory holding lockstep}"
ls=$LOCKSTEP_BIN/lockstep
srv=$LOCKSTEP_BIN/lockstep-server
work=$(mktemp -d /tmp/ls-server-test.XXXXXX)
fails=0
pids=()

. "$(dirname "${BASH_SOURCE[0]}")/libpids.sh"

cleanup() {	# TERM first (nginx's master then stops its workers), then KILL
	local p
	kill_ours TERM "${pids[@]}"
	for p in "${pids[@]}"; do
		ours "$p" || continue
		timeout 5 tail --pid="$p" -f /dev/null 2>/dev/null
		kill_ours KILL "$p"
	done
	wait 2>/dev/null
	rm -rf "$work"
}
trap cleanup EXIT

fail() { echo "FAIL: $*"; fails=$((fails + 1)); }
ok() { echo "ok: $*"; }
check() {	# check NAME CMD...: CMD must succeed
	local name=$1
	shift
	if "$@"; then ok "$name"; else fail "$name"; fi
}

# wait_until SECONDS CMD...: poll CMD every 0.1 s, at most SECONDS.
wait_until() {
	local limit=$(($1 * 10)) i=0
	shift
	while [ $i -lt $limit ]; do
		"$@" >/dev/null 2>&1 && return 0
		sleep 0.1
		i=$((i + 1))
	done
	return 1
}

git_q() { git -C "$work/repo" -c user.name=test -c user.email=t@example.org "$@"; }

# make_repo: a policy repository with one passing package.
make_repo() {
	mkdir -p "$work/repo/policy"
	git init -q "$work/repo"
	cat >"$work/repo/policy/admission.rego" <<'REGO'
package policy.admission

deny contains msg if {
	input.privileged
	msg := "privileged containers are not allowed"
}
REGO
	cat >"$work/repo/policy/admission_test.rego" <<'REGO'
package policy.admission_test

import data.policy.admission

test_privileged_denied if {
	count(admission.deny) == 1 with input as {"privileged": true}
}
REGO
	echo '{"limits": {"cpu": 2}}' >"$work/repo/policy/data.json"
	git_q add -A
	git_q commit -qm "initial policy"
}

# tag_repo TAG [FILE CONTENT]: optionally change FILE, commit, tag.
tag_repo() {
	local tag=$1
	if [ $# -ge 3 ]; then
		mkdir -p "$(dirname "$work/repo/$2")"
		printf '%s\n' "$3" >"$work/repo/$2"
		git_q add -A
		git_q commit -qm "change for $tag"
	fi
	git_q tag "$tag"
}

make_keys() {
	"$ls" init "$work/keys" --origin test.lockstep >/dev/null ||
		{ echo "lockstep init failed"; exit 1; }
}

# start_server [ARGS...]: start on a free port; sets $url, $srv_pid.
# The repository is $repo_url when set (a URL), else the path.
start_server() {
	rm -f "$work/port"
	"$srv" --repo "${repo_url:-$work/repo}" --keys "$work/keys" --data "$work/data" \
	    --listen 127.0.0.1:0 --port-file "$work/port" \
	    --poll-interval 60 "$@" >>"$work/server.log" 2>&1 &
	srv_pid=$!
	pids+=("$srv_pid")
	if ! wait_until 20 test -s "$work/port"; then
		echo "server did not start:"
		cat "$work/server.log"
		exit 1
	fi
	url="http://$(cat "$work/port")"
}

# stop_server: SIGTERM, a wait bounded by STOP_GRACE seconds (default
# 10); a non-zero exit (sanitizer report or leak) fails the test.
stop_server() {
	local i rc
	kill -TERM "$srv_pid" 2>/dev/null
	for i in $(seq 1 $((${STOP_GRACE:-10} * 10))); do
		kill -0 "$srv_pid" 2>/dev/null || break
		sleep 0.1
	done
	if kill -0 "$srv_pid" 2>/dev/null; then
		fail "server did not stop on SIGTERM"
		kill -KILL "$srv_pid"
	fi
	wait "$srv_pid"
	rc=$?
	if [ "$rc" -ne 0 ]; then
		fail "server exited with $rc"
		tail -n 40 "$work/server.log"
	fi
	if grep -qE "AddressSanitizer|LeakSanitizer|runtime error" \
	    "$work/server.log"; then
		fail "sanitizer report in the server log"
		grep -A20 -E "AddressSanitizer|LeakSanitizer|runtime error" \
		    "$work/server.log" | head -60
	fi
}

refresh() { curl -s -m 5 -o /dev/null -X POST "$url/v1/admin/refresh"; }

# body_field FILE KEY: the value of "KEY value" in a note body.
body_field() { sed -n "s/^$2 //p" "$1" | head -n 1; }

ts_file() { echo "$work/data/v1/channels/${1:-stable}/timestamp.note"; }

# ts_release CHANNEL: the release seq the timestamp names.
ts_release() {
	body_field "$(ts_file "$1")" release 2>/dev/null | cut -d' ' -f1
}

ts_is() { test "$(ts_release "$1")" = "$2"; }

# wait_published CHANNEL SEQ
wait_published() { wait_until 30 ts_is "$1" "$2"; }

# evlog: every acknowledged evidence entry, one line each, as a file
# (lockstep evidence cat reads the store while the server runs).
evlog() {
	"$ls" evidence cat "$work/data" >"$work/evlog.jsonl" 2>/dev/null
	echo "$work/evlog.jsonl"
}
# evgrep PATTERN: some acknowledged evidence entry matches.
evgrep() { "$ls" evidence cat "$work/data" 2>/dev/null | grep -q -- "$1"; }

http_code() { curl -s -m 10 -o /dev/null -w '%{http_code}' "$@"; }

# report AGENT SEQ KEYFILE: a signed lockstep/report/v1 note on stdout
# naming release 1 (v1.0.0) of stable; its body is left in $work/body.
report() {
	local sha
	sha=$(body_field "$work/data/v1/channels/stable/releases/1.note" bundle |
	    sed 's/^sha256:\([0-9a-f]*\) .*/\1/')
	printf 'lockstep/report/v1\nagent %s\nchannel stable\nseq %s\nroot 1\ntimestamp 1\nrelease 1\nbundle sha256:%s\nversion v1.0.0\ntime %s\nstate active\n' \
	    "$1" "$2" "$sha" "$(date -u +%Y-%m-%dT%H:%M:%SZ)" >"$work/body"
	"$ls" note sign "$3" --in "$work/body"
}

# post FILE: POST it to /v1/reports; the HTTP code on stdout, the answer
# in $work/answer.
post() {
	curl -s -m 5 -o "$work/answer" -w '%{http_code}' -X POST \
	    --data-binary @"$1" "$url/v1/reports"
}

# refused_start WHAT PATTERN ARGS...: lockstep-server with ARGS exits
# non-zero at once, saying PATTERN.
refused_start() {
	local what=$1 pattern=$2 out rc
	shift 2
	out=$(timeout 20 "$srv" --repo "$work/repo" --keys "$work/keys" \
	    --data "$work/data" --listen 127.0.0.1:0 "$@" 2>&1)
	rc=$?
	if [ "$rc" -ne 0 ] && [ "$rc" -ne 124 ] &&
	    printf '%s' "$out" | grep -q -- "$pattern"; then
		ok "$what ($out)"
	else
		fail "$what: exit $rc, said: $out"
	fi
}

finish() {
	if [ "$fails" -ne 0 ]; then
		echo "--- server log"
		tail -n 40 "$work/server.log"
		echo "$fails failure(s)"
		exit 1
	fi
	echo "all passed"
	exit 0
}
