#!/usr/bin/env bash
# server_enrol.sh - single-use enrolment tokens bound to one name and
# expiring; removal of a key; the shared token only when explicitly
# allowed; the per-key write budget (429, and the log stops growing).
set -u
. "$(dirname "$0")/lib_server.sh"

make_keys
make_repo
tag_repo v1.0.0
printf 'admin-token\n' >"$work/admin.token"
printf 'shared-token\n' >"$work/shared.token"
chmod 600 "$work/admin.token" "$work/shared.token"

# The shared token is refused at start unless explicitly allowed.
refused_start "shared enrolment token refused without the flag" \
    "--allow-shared-enroll-token" --enroll-token-file "$work/shared.token"

start_server --admin-token-file "$work/admin.token" --agent-writes-per-min 5
check "published" wait_published stable 1
api=(--server "$url" --token-file "$work/admin.token")
for n in victim mallory; do
	"$ls" keygen "$n" -o "$work/$n" >/dev/null
done
"$ls" keygen victim -o "$work/victim2" >/dev/null	# same name, other key
"$ls" keygen victim -o "$work/evil" >/dev/null	# mallory's key named victim

token() {	# token NAME [TTL] -> the token on stdout
	"$ls" agent token "$1" --ttl "${2:-1h}" "${api[@]}" 2>/dev/null
}
enroll() {	# enroll TOKEN PUBFILE -> HTTP code (answer in $work/answer)
	curl -s -m 5 -o "$work/answer" -w '%{http_code}' -X POST \
	    ${1:+-H "X-Lockstep-Enroll-Token: $1"} --data-binary @"$2" \
	    "$url/v1/enroll"
}
tv=$(token victim)
tm=$(token mallory)
check "tokens issued" test -n "$tv" -a -n "$tm" -a "$tv" != "$tm"
check "the token is not kept in clear on the server" \
    sh -c "! grep -rqF '$tv' '$work/data'"
check "victim's name with mallory's token: 403" \
    test "$(enroll "$tm" "$work/evil/victim.pub")" = 403
check "the answer says whose token it is" grep -q "for agent mallory" "$work/answer"
check "no key enrolled for victim" test ! -e "$work/data/agents/victim.pub"
check "victim enrols with its token: 201" \
    test "$(enroll "$tv" "$work/victim/victim.pub")" = 201
check "same token, same key again (a retry): 200" \
    test "$(enroll "$tv" "$work/victim/victim.pub")" = 200
check "same token, another key: 403" \
    test "$(enroll "$tv" "$work/evil/victim.pub")" = 403
check "the answer says it was used" grep -q "used already" "$work/answer"
check "mallory enrols with its own token: 201" \
    test "$(enroll "$tm" "$work/mallory/mallory.pub")" = 201
check "no token: 403" test "$(enroll '' "$work/victim2/victim.pub")" = 403
check "unknown token: 403" \
    test "$(enroll lse_0000 "$work/victim2/victim.pub")" = 403

# Expired tokens are refused.
te=$(token victim 1s)
sleep 2.2
check "remove victim" "$ls" agent remove victim "${api[@]}"
check "the key file is gone" test ! -e "$work/data/agents/victim.pub"
check "expired token: 403" test "$(enroll "$te" "$work/victim2/victim.pub")" = 403
check "the answer says it expired" grep -q "expired" "$work/answer"
# A token works once: after the removal its name is free, yet the used
# token still enrols nothing.
check "used token after removal: 403" \
    test "$(enroll "$tv" "$work/victim2/victim.pub")" = 403
t2=$(token victim)
check "a fresh token enrols the new key: 201" \
    test "$(enroll "$t2" "$work/victim2/victim.pub")" = 201
"$ls" evidence cat "$work/data" >"$work/ev.jsonl"
check "remove and token creation are evidence" sh -c \
    "grep -q '\"action\":\"remove\"' '$work/ev.jsonl' &&
     grep -q '\"action\":\"enroll-token\"' '$work/ev.jsonl'"
check "remove of an unknown agent fails" \
    sh -c "! '$ls' agent remove nobody --server '$url' --token-file '$work/admin.token' 2>/dev/null"

# Write budget: 5 writes a minute per key.
before=$("$ls" evidence cat "$work/data" | wc -l)
n202=0
n429=0
for i in $(seq 1 20); do
	report victim "$i" "$work/victim2/victim.key" >"$work/r$i"
	case $(post "$work/r$i") in
	202) n202=$((n202 + 1)) ;;
	429) n429=$((n429 + 1)) ;;
	esac
done
after=$("$ls" evidence cat "$work/data" | wc -l)
# 5 a minute, refilled continuously: a run of a few seconds gains < 1.
check "flood: at most 6 of 20 accepted ($n202), the rest 429 ($n429)" \
    test "$n202" -ge 5 -a "$n202" -le 6 -a $((n202 + n429)) -eq 20
check "the log grew by the accepted reports only ($before -> $after)" \
    test $((after - before)) -eq "$n202"
check "429 names the budget" grep -q "write budget" "$work/answer"
report mallory 1 "$work/mallory/mallory.key" >"$work/m1"
check "another key's budget is its own: 202" test "$(post "$work/m1")" = 202
check "remove mallory" "$ls" agent remove mallory "${api[@]}"
report mallory 2 "$work/mallory/mallory.key" >"$work/m2"
check "report from the removed key: 403" test "$(post "$work/m2")" = 403

# A name enrolled anew starts its seqs over, also after a restart (the
# old key's seqs in the log do not count against the new key).
"$ls" keygen zed -o "$work/zed1" >/dev/null
"$ls" keygen zed -o "$work/zed2" >/dev/null
enroll "$(token zed)" "$work/zed1/zed.pub" >/dev/null
for i in 1 2 3; do
	report zed "$i" "$work/zed1/zed.key" >"$work/z$i"
	post "$work/z$i" >/dev/null
done
"$ls" agent remove zed "${api[@]}"
check "zed re-enrolled with a new key: 201" \
    test "$(enroll "$(token zed)" "$work/zed2/zed.pub")" = 201
report zed 1 "$work/zed2/zed.key" >"$work/zz1"
check "the new key's seq 1: 202" test "$(post "$work/zz1")" = 202
stop_server
start_server --admin-token-file "$work/admin.token" --agent-writes-per-min 5
report zed 2 "$work/zed2/zed.key" >"$work/zz2"
check "after a restart, the new key's seq 2: 202" test "$(post "$work/zz2")" = 202
check "and its replayed seq 1: 409" test "$(post "$work/zz1")" = 409
stop_server

# Explicitly allowed, the shared token works, with a warning in the log.
start_server --admin-token-file "$work/admin.token" \
    --enroll-token-file "$work/shared.token" --allow-shared-enroll-token
"$ls" keygen shared-1 -o "$work/s1" >/dev/null
check "shared token when allowed: 201" \
    test "$(enroll shared-token "$work/s1/shared-1.pub")" = 201
check "the shared token's length matters: 403" \
    test "$(enroll shared-tokenX "$work/s1/shared-1.pub")" = 403
check "warning in the log" grep -q "allow-shared-enroll-token" "$work/server.log"
stop_server
finish
