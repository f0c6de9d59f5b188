#!/usr/bin/env bash
# server_http.sh - strong ETags and 304s, cache headers, long polls (held
# until the timestamp changes, or 304 when the wait ends), timestamp
# re-signing before expiry, OPA-compatible /bundles, /health, /metrics.
set -u
. "$(dirname "$0")/lib_server.sh"

make_keys
make_repo
tag_repo v1.0.0
repo_url="file://$work/repo"	# the repository as a clone URL
start_server --timestamp-ttl 6
check "v1.0.0 published" wait_published stable 1

t=$url/v1/channels/stable/timestamp.note
curl -s -m 5 -D "$work/h1" -o "$work/b1" "$t"
etag=$(sed -n 's/^ETag: \(.*\)\r$/\1/Ip' "$work/h1")
check "timestamp has a strong ETag" sh -c "echo '$etag' | grep -qE '^\"[0-9a-f]{64}\"$'"
check "timestamp is no-cache" grep -qi '^Cache-Control: no-cache' "$work/h1"
check "served bytes equal the file" cmp -s "$work/b1" "$(ts_file stable)"
check "If-None-Match gives 304" test "$(http_code -H "If-None-Match: $etag" "$t")" = 304
check "another ETag gives 200" test "$(http_code -H 'If-None-Match: "x"' "$t")" = 200

rel=$url/v1/channels/stable/releases/1.note
curl -s -m 5 -D "$work/h2" -o /dev/null "$rel"
check "release note is immutable" grep -qi \
    '^Cache-Control: public, max-age=31536000, immutable' "$work/h2"
retag=$(sed -n 's/^ETag: \(.*\)\r$/\1/Ip' "$work/h2")
check "release 304" test "$(http_code -H "If-None-Match: $retag" "$rel")" = 304
sha=$(body_field "$work/data/v1/channels/stable/releases/1.note" bundle | \
    sed 's/^sha256:\([0-9a-f]*\) .*/\1/')
b=$url/v1/bundles/$sha.tar.gz
curl -s -m 5 -D "$work/h3" -o "$work/bundle" "$b"
check "bundle downloads intact" test "$(sha256sum <"$work/bundle" | cut -d' ' -f1)" = "$sha"
check "bundle is immutable" grep -qi 'immutable' "$work/h3"
check "bundle ETag is its sha256" grep -qi "^ETag: \"$sha\"" "$work/h3"
check "root note served" test "$(http_code "$url/v1/root/1.note")" = 200
check "unknown file 404" test "$(http_code "$url/v1/bundles/$(printf '0%.0s' $(seq 64)).tar.gz")" = 404
check "path games 404" test "$(http_code "$url/v1/channels/stable/../../../lock")" = 404
check "unknown channel 404" test "$(http_code "$url/v1/channels/nope/timestamp.note")" = 404
check "DELETE is 405" test "$(http_code -X DELETE "$t")" = 405
check "/health" test "$(curl -s -m 5 "$url/health")" = ok

# OPA-compatible bundle endpoint with ETag/304.
curl -s -m 5 -D "$work/h4" -o "$work/opa" "$url/bundles/stable"
check "OPA bundle is the current bundle" cmp -s "$work/opa" "$work/bundle"
check "OPA bundle 304" test "$(http_code -H "If-None-Match: \"$sha\"" "$url/bundles/stable")" = 304

# Several requests on one kept-alive connection.
n=$(curl -s -m 5 -v -o /dev/null -o /dev/null -o /dev/null "$t" "$t" "$t" 2>&1 | grep -c 'Re-using existing connection')
check "keep-alive reuses the connection ($n)" test "$n" -ge 2

# Long poll answered 304 when the wait ends (the timestamp is re-signed
# every ttl/2 = 3 s, so ask for less than that right after a re-sign).
curl -s -m 5 -D "$work/h1" -o /dev/null "$t"
etag=$(sed -n 's/^ETag: \(.*\)\r$/\1/Ip' "$work/h1")
start=$(date +%s%N)
code=$(curl -s -m 10 -D "$work/h5" -o /dev/null -w '%{http_code}' \
    -H "If-None-Match: $etag" -H 'Prefer: wait=1' "$t")
ms=$((($(date +%s%N) - start) / 1000000))
if [ "$code" = 200 ]; then
	ok "long poll woke on a re-sign (race with the 3 s re-sign, fine)"
else
	check "held long poll ends in 304 ($code)" test "$code" = 304
	check "held for about 1 s ($ms ms)" test "$ms" -ge 900 -a "$ms" -lt 3000
	check "Preference-Applied: wait=1" grep -qi '^Preference-Applied: wait=1' "$work/h5"
fi

# Long poll answered as soon as a new release is published.
curl -s -m 5 -D "$work/h1" -o /dev/null "$t"
etag=$(sed -n 's/^ETag: \(.*\)\r$/\1/Ip' "$work/h1")
curl -s -m 60 -D "$work/h6" -o "$work/b6" -H "If-None-Match: $etag" \
    -H 'Prefer: wait=50' "$t" &
lp=$!
pids+=("$lp")
sleep 0.3
tag_repo v1.1.0 policy/data.json '{"limits": {"cpu": 8}}'
refresh
start=$(date +%s)
wait "$lp"
secs=$(($(date +%s) - start))
check "long poll answered within 10 s of the tag ($secs s)" test "$secs" -lt 10
check "long poll got 200" grep -q '^HTTP/1.1 200' "$work/h6"
check "long poll got a new timestamp" sh -c "! grep -q '$etag' '$work/h6'"

# Freshness: the timestamp is re-signed before it expires.
exp1=$(body_field "$(ts_file stable)" expires)
seq1=$(body_field "$(ts_file stable)" seq)
sleep 4
exp2=$(body_field "$(ts_file stable)" expires)
seq2=$(body_field "$(ts_file stable)" seq)
check "timestamp re-signed ($seq1 -> $seq2, $exp1 -> $exp2)" \
    test "$seq2" -gt "$seq1" -a "$exp2" \> "$exp1"
check "re-signed timestamp still names release 2" ts_is stable 2

curl -s -m 5 "$url/metrics" >"$work/metrics"
check "metrics: 304s counted" grep -qE '^lockstep_http_not_modified_total [1-9]' "$work/metrics"
check "metrics: long polls counted" grep -qE '^lockstep_longpolls_total [1-9]' "$work/metrics"
check "metrics: builds by result" grep -qE '^lockstep_builds_total\{result="ok"\} 2' "$work/metrics"
check "metrics: publishes" grep -qE '^lockstep_publishes_total 2' "$work/metrics"
check "metrics: requests by status" grep -qE '^lockstep_http_responses_total\{code="404"\} [1-9]' "$work/metrics"

# A long poll held while the server stops is answered, not dropped.
curl -s -m 5 -D "$work/h1" -o /dev/null "$t"
etag=$(sed -n 's/^ETag: \(.*\)\r$/\1/Ip' "$work/h1")
curl -s -m 30 -o /dev/null -w '%{http_code}' -H "If-None-Match: $etag" \
    -H 'Prefer: wait=20' "$t" >"$work/code7" &
lp=$!
pids+=("$lp")
sleep 0.5
stop_server
wait "$lp"
check "held long poll answered at shutdown ($(cat "$work/code7"))" \
    grep -qE '^(304|200)$' "$work/code7"
finish
