#!/usr/bin/env bash
# server_decisions.sh - POST /v1/decisions with real batches (gzip JSON
# Lines, a note signed by `lockstep note sign` with an enrolled agent key):
# accepted, resent (duplicate), and each refusal (forged, replayed, gap,
# removed key, over the caps, malformed, over budget) answered with its
# 4xx, storing none of its records and recorded as "refused".  Chain
# state and exception counts survive restarts; `lockstep overrides` and
# /metrics count exception uses; an exception ending within 14 days is a
# warning in the build evidence.
set -u
. "$(dirname "$0")/lib_server.sh"
. "$(dirname "$0")/lib_decisions.sh"

make_keys
make_repo
soon=$(date -u -d '+7 days' +%Y-%m-%d)
later=$(date -u -d '+60 days' +%Y-%m-%d)
mkdir -p "$work/repo/lockstep"
cat >"$work/repo/lockstep/data.json" <<JSON
{"controls": {"data.policy.admission": ["soc2:CC6.1"]},
 "exceptions": [
  {"id": "EXC-SOON", "owner": "alice@example.org", "ticket": "SEC-1",
   "reason": "migration", "expires": "$soon", "exempts": {"name": "a"}},
  {"id": "EXC-LATER", "owner": "bob@example.org", "ticket": "SEC-2",
   "reason": "vendor", "expires": "$later", "exempts": {"name": "b"}}]}
JSON
git_q add -A
git_q commit -qm "exceptions"
tag_repo v1.0.0
echo "admin-token" >"$work/admin.token"
chmod 600 "$work/admin.token"	# secrets are refused when others can read them
start_server --admin-token-file "$work/admin.token"
check "published" wait_published stable 1
for a in a1 a2; do
	"$ls" keygen "$a" -o "$work/k-$a" >/dev/null
	"$ls" agent add "$a" "$work/k-$a/$a.pub" --server "$url" \
	    --token-file "$work/admin.token" || fail "enrol $a"
done
"$ls" keygen a1 -o "$work/evil" >/dev/null	# same name, other key
k1=$work/k-a1/a1.key
k2=$work/k-a2/a2.key

# The 14-day warning in the build evidence.
curl -s -m 5 "$url/v1/evidence?kind=build" >"$work/builds"
check "build evidence warns about EXC-SOON" grep -q \
    "\"warnings\":\[{\"exception\":\"EXC-SOON\".*expires $soon: [67] days left" \
    "$work/builds"
check "no warning for EXC-LATER" sh -c "! grep -q 'exception EXC-LATER' '$work/builds'"
check "the build passed" grep -q '"result":"passed"' "$work/builds"

b=$work/b
# expect_refused NAME CODE AGENT: the POST gets CODE, one more "refused"
# entry, no new decision or batch entry.
expect_refused() {
	local name=$1 want=$2 r0 d0 bt0 code
	r0=$(count_kind refused)
	d0=$(count_kind decision)
	bt0=$(count_kind batch)
	code=$(post_batch "$b.$name")
	check "$name: $want (got $code: $(head -c 200 "$b.$name.answer"))" test "$code" = "$want"
	check "$name: recorded as refused" test "$(count_kind refused)" -eq $((r0 + 1))
	check "$name: no records stored" test "$(count_kind decision)" -eq "$d0"
	check "$name: no batch stored" test "$(count_kind batch)" -eq "$bt0"
}

# 1. Accepted, then resent byte for byte.
recs a1 1 5 >"$b.l1"
batch "$b.1" a1 "$k1" "$zeros" "$b.l1"
check "batch 1..5: 200" test "$(post_batch "$b.1")" = 200
check "answer names 5 accepted" grep -q '"accepted":5,"first":1,"last":5' "$b.1.answer"
check "5 decision entries" test "$(count_kind decision a1)" -eq 5
check "1 batch entry with the signed note" test "$(ev_entries batch | grep -c 'lockstep/decisions/v1')" -eq 1
idx1=$(sed 's/.*"index":\([0-9]*\).*/\1/' "$b.1.answer")
check "the index points at the batch entry" test "$(ev_entries | sed -n "$((idx1 + 1))p" | grep -c '"kind":"batch"')" -eq 1
check "resend: 200" test "$(post_batch "$b.1")" = 200
check "resend: duplicate" grep -q '"duplicate":true' "$b.1.answer"
check "resend: no new entries" test "$(count_kind decision a1)" -eq 5
sha1=$(cat "$b.1.sha")

# 2. Refusals.
recs a1 6 8 >"$b.l2"
batch "$b.forged" a1 "$work/evil/a1.key" "$sha1" "$b.l2"
expect_refused forged 403
recs a1 1 5 | sed 's/"latency_us":17/"latency_us":18/' >"$b.l1x"
batch "$b.replay" a1 "$k1" "$zeros" "$b.l1x"
expect_refused replay 409
recs a1 10 12 >"$b.l3"
batch "$b.gap" a1 "$k1" "$sha1" "$b.l3"
expect_refused gap 409
batch "$b.fork" a1 "$k1" "$zeros" "$b.l2"
expect_refused fork 409
sed 's/"latency_us":17/"latency_us":99/' "$b.l2" >"$b.l2bad"
batch "$b.badbody" a1 "$k1" "$sha1" "$b.l2"
gzip -n -c "$b.l2bad" >"$b.badbody.gz"
expect_refused badbody 400	# bytes differ from the signed sha256
printf 'not gzip' >"$b.notgz.raw"
batch "$b.notgz" a1 "$k1" "$sha1" "$b.l2"
cp "$b.notgz.raw" "$b.notgz.gz"
expect_refused notgz 400
batch "$b.nohdr" a1 "$k1" "$sha1" "$b.l2"
: >"$b.nohdr.hdr"
expect_refused nohdr 400
batch "$b.huge" a1 "$k1" "$sha1" "$b.l2"
head -c $((9 * 1024 * 1024)) /dev/urandom >"$b.huge.gz"
expect_refused huge 413
head -c $((33 * 1024 * 1024)) /dev/zero >"$b.bomb.lines"
batch "$b.bomb" a1 "$k1" "$sha1" "$b.bomb.lines" 6 8 3
expect_refused bomb 413
rec a1 6 | sed "s/\"input\":{\"n\":6}/\"input\":$(printf '[%.0s' $(seq 40))$(printf ']%.0s' $(seq 40))/" >"$b.ldeep"
batch "$b.deep" a1 "$k1" "$sha1" "$b.ldeep"
expect_refused deep 400	# nested deeper than 32: a cap, not a size
batch "$b.many" a1 "$k1" "$sha1" "$b.l2" 6 200006 200001
expect_refused many 400	# more than 200,000 lines
long=$(head -c 300000 /dev/zero | tr '\0' a)
line=$(rec a1 6)
printf '%s\n' "${line/\"n\":6/\"n\":\"$long\"}" >"$b.llong"
batch "$b.long" a1 "$k1" "$sha1" "$b.llong"
expect_refused long 413	# one line over 256 KiB
check "the refusals are counted" grep -q \
    'lockstep_decision_batches_total{result="refused"} 12' \
    <(curl -s "$url/metrics")
ev_entries refused >"$work/refused"
check "a refusal names agent, reason and the note's fields" grep -q \
    '"agent":"a1","details":{"agent":"a1","first":10,"last":12,.*"reason":"gap: seqs 6..9' \
    "$work/refused"

# 3. A gap covered by a dropped line: seqs 6..9 lost, announced by 10.
{ dropline a1 10 6 9; recs a1 11 12; } >"$b.l4"
batch "$b.4" a1 "$k1" "$sha1" "$b.l4"
check "gap covered by a dropped line: 200" test "$(post_batch "$b.4")" = 200
check "3 more entries" test "$(count_kind decision a1)" -eq 8
check "the 4 lost records are counted" grep -qx \
    'lockstep_decision_records_dropped_total{reason="queue"} 4' <(curl -s "$url/metrics")
sha4=$(cat "$b.4.sha")
{ dropline a1 13 14 15; recs a1 17 17; } >"$b.l4g"
batch "$b.gap2" a1 "$k1" "$sha4" "$b.l4g"
expect_refused gap2 409	# 16 neither a line nor dropped

# Two gzip members (as gunzip(1) reads them) are one body; garbage after
# the gzip is not.
recs a1 13 13 >"$b.m1"
recs a1 14 14 >"$b.m2"
cat "$b.m1" "$b.m2" >"$b.l45"
batch "$b.45" a1 "$k1" "$sha4" "$b.l45"
{ gzip -n -c "$b.m1"; printf 'junk'; } >"$b.trail.gz"
cp "$b.45.hdr" "$b.trail.hdr"
expect_refused trail 400
{ gzip -n -c "$b.m1"; gzip -n -c "$b.m2"; } >"$b.45.gz"
check "two gzip members: 200" test "$(post_batch "$b.45")" = 200
sha4=$(cat "$b.45.sha")

# 4. Exception uses.
w1='[{"id":"EXC-SOON","owner":"alice@example.org","ticket":"SEC-1","expires":"'$soon'","rule":"data.policy.admission.deny","controls":["soc2:CC6.1","soc2:CC8.1"]}]'
w2='[{"id":"EXC-LATER","owner":"bob@example.org","ticket":"SEC-2","expires":"'$later'","rule":"data.policy.admission.deny","controls":[]}]'
{ rec a1 15 "$w1"; rec a1 16 "$w1"; rec a1 17 "$w1"; rec a1 18 "$w2"; } >"$b.l5"
batch "$b.5" a1 "$k1" "$sha4" "$b.l5"
check "batch with waived records: 200" test "$(post_batch "$b.5")" = 200
sha5=$(cat "$b.5.sha")
metric_is() {
	curl -s -m 5 "$url/metrics" | grep -qx "lockstep_exception_uses_total{exception=\"$1\",rule=\"data.policy.admission.deny\",control=\"$2\"} $3"
}
check "EXC-SOON on soc2:CC6.1 counted 3" metric_is EXC-SOON soc2:CC6.1 3
check "EXC-SOON on soc2:CC8.1 counted 3" metric_is EXC-SOON soc2:CC8.1 3
check "EXC-LATER counted 1" metric_is EXC-LATER none 1
"$ls" overrides --since "$(date -u +%Y-%m-%d)" --server "$url" \
    --token-file "$work/admin.token" >"$work/ov" 2>&1
check "overrides: most used first, with owner, ticket, sunset, days left" \
    grep -qP "^3\tEXC-SOON\tdata.policy.admission.deny\tsoc2:CC6.1,soc2:CC8.1\talice\@example.org\tSEC-1\t$soon\t[67]$" <(sed -n 2p "$work/ov")
check "overrides: then EXC-LATER" grep -qP "^1\tEXC-LATER\t.*\t$later\t(59|60)$" <(sed -n 3p "$work/ov")
"$ls" overrides --since 2020-01-01 --server "$url" >/dev/null 2>&1
check "overrides needs the admin token" test $? -ne 0
check "overrides since tomorrow: none" test "$("$ls" overrides --since "$(date -u -d tomorrow +%Y-%m-%d)" --server "$url" --token-file "$work/admin.token" | wc -l)" -eq 1

# 5. a2 gets a batch in, then its key is removed; chain state, exception
# counts and the resend memory survive a kill -9.
recs a2 1 3 >"$b.l6"
batch "$b.6" a2 "$k2" "$zeros" "$b.l6"
check "a2 batch: 200" test "$(post_batch "$b.6")" = 200
{ kill -KILL "$srv_pid"; wait "$srv_pid"; } 2>/dev/null
rm -f "$work/data/agents/a2.pub"
start_server --admin-token-file "$work/admin.token"
recs a2 4 5 >"$b.l7"
batch "$b.removed" a2 "$k2" "$(cat "$b.6.sha")" "$b.l7"
expect_refused removed 403
# Enrolled again with a new key (a rebuilt host): a new chain from seq 1,
# which survives a kill -9; the old key writes nothing.
"$ls" keygen a2 -o "$work/k-a2new" >/dev/null
"$ls" agent add a2 "$work/k-a2new/a2.pub" --server "$url" \
    --token-file "$work/admin.token" || fail "enrol a2 again"
recs a2 1 2 >"$b.l11"
batch "$b.11" a2 "$work/k-a2new/a2.key" "$zeros" "$b.l11"
check "new key, new chain from seq 1: 200" test "$(post_batch "$b.11")" = 200
check "... resend: duplicate" test "$(post_batch "$b.11")" = 200 -a \
    "$(grep -c '"duplicate":true' "$b.11.answer")" = 1
expect_refused removed 403	# the old key, once more
{ kill -KILL "$srv_pid"; wait "$srv_pid"; } 2>/dev/null
start_server --admin-token-file "$work/admin.token"
recs a2 3 4 >"$b.l12"
batch "$b.12" a2 "$work/k-a2new/a2.key" "$(cat "$b.11.sha")" "$b.l12"
check "after kill -9 the new chain goes on: 200" test "$(post_batch "$b.12")" = 200
check "after kill -9: a1 resend is still a duplicate" test "$(post_batch "$b.5")" = 200
check "... answered as duplicate" grep -q '"duplicate":true' "$b.5.answer"
check "after kill -9: counts kept" metric_is EXC-SOON soc2:CC6.1 3
recs a1 15 18 >"$b.l5x"
batch "$b.replay2" a1 "$k1" "$sha4" "$b.l5x"
expect_refused replay2 409
recs a1 19 20 >"$b.l8"
batch "$b.8" a1 "$k1" "$sha5" "$b.l8"
check "after kill -9: the next batch extends the chain" test "$(post_batch "$b.8")" = 200
check "20 seqs of a1: 16 entries (6..9 announced as dropped)" test "$(count_kind decision a1)" -eq 16

# 6. The write budget: 429, recorded, nothing stored.
# The budget counts uncompressed bytes: three times the first batch's gzip
# size lets it in, but its JSON Lines are larger than that, so the second
# (as small) is over.
recs a1 21 32 >"$b.l9"
batch "$b.9" a1 "$k1" "$(cat "$b.8.sha")" "$b.l9"
recs a1 33 42 >"$b.l10"
batch "$b.budget" a1 "$k1" "$(cat "$b.9.sha")" "$b.l10"
gz9=$(stat -c %s "$b.9.gz")
check "test premise: lines > 3 x gzip > gzip of the next" test \
    "$(stat -c %s "$b.l9")" -gt $((3 * gz9)) -a \
    $((2 * gz9)) -gt "$(stat -c %s "$b.budget.gz")"
stop_server
start_server --admin-token-file "$work/admin.token" \
    --agent-bytes-per-min $((3 * gz9))
check "first batch within the budget: 200" test "$(post_batch "$b.9")" = 200
expect_refused budget 429

# A flood of junk: refusals are recorded at most 20 a second (bursts of
# 200); the rest are counted, in /metrics and in the next one recorded.
r0=$(count_kind refused)
t0=$SECONDS
curl -s -m 60 -o /dev/null -X POST -H 'Lockstep-Batch: AAAA' --data-binary x \
    $(for i in $(seq 1 400); do printf '%s/v1/decisions ' "$url"; done) >/dev/null
secs=$((SECONDS - t0 + 1))
recorded=$(($(count_kind refused) - r0))
unrec() { curl -s -m 5 "$url/metrics" | sed -n 's/^lockstep_decision_refusals_unrecorded_total //p'; }
check "flood: $recorded recorded in ${secs}s, within 200 + 20/s" \
    test "$recorded" -le $((200 + 20 * secs))
check "flood: each of the 400 recorded or counted" test $((recorded + $(unrec))) -eq 400
if [ "$(unrec)" -gt 0 ]; then
	sleep 0.2
	check "next refusal: 400" test "$(post_batch "$b.nohdr")" = 400
	check "the refusals recorded name all $(unrec) left out" test \
	    "$(ev_entries refused |
	    python3 -c 'import json, sys; print(sum(json.loads(l)["details"].get("suppressed_before", 0) for l in sys.stdin))')" -eq "$(unrec)"
fi
stop_server

# 7. overrides on the data folder (server stopped) agree.
"$ls" overrides --since 2020-01-01 --data "$work/data" >"$work/ov2" 2>&1
check "overrides --data agrees with the server" diff "$work/ov" "$work/ov2"
check "evidence chain intact" "$ls" evidence verify "$work/data"
finish
