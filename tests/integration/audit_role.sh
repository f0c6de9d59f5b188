#!/usr/bin/env bash
# audit_role.sh - the auditor token on a real server: read-only access to
# evidence, proofs, the fleet status and the audit package; refused on
# every admin route; each auditor query recorded as evidence (who by the
# token's id, never the token), reads of the checkpoint and tiles once an
# hour; the package from the server verifies offline.
set -u
. "$(dirname "$0")/lib_server.sh"
. "$(dirname "$0")/lib_audit.sh"

audit_repo
cp "$work/auditor.token" "$work/loose.token" && chmod 644 "$work/loose.token"
refused_start "auditor token file 0644 refused" "loose.token" \
    --auditor-token-file "$work/loose.token"
seeded_store 3 600 3 2
start_server --admin-token-file "$work/admin.token" \
    --auditor-token-file "$work/auditor.token"

aud=(-H "Authorization: Bearer auditor-token-abcdefghij")
adm=(-H "Authorization: Bearer admin-token-0123456789")
check "evidence without a token: 401" test "$(http_code "$url/v1/evidence?kind=report")" = 401
check "evidence with a wrong token: 401" test "$(http_code -H 'Authorization: Bearer nope' "$url/v1/evidence")" = 401
check "evidence with the auditor token: 200" test "$(http_code "${aud[@]}" "$url/v1/evidence?kind=report")" = 200
check "evidence with the admin token: 200" test "$(http_code "${adm[@]}" "$url/v1/evidence?kind=report")" = 200
check "proof with the auditor token: 200" test "$(http_code "${aud[@]}" "$url/v1/evidence/proof?index=0")" = 200
check "checkpoint with the auditor token: 200" test "$(http_code "${aud[@]}" "$url/v1/evidence/checkpoint")" = 200
check "fleet status with the auditor token: 200" test "$(http_code "${aud[@]}" "$url/v1/audit/status")" = 200
check "fleet status names agent-1" sh -c "curl -s -m 10 -H 'Authorization: Bearer auditor-token-abcdefghij' '$url/v1/audit/status' | grep -q '\"agent-1\"'"
check "fleet status without a token: 401" test "$(http_code "$url/v1/audit/status")" = 401
check "the page without a token: 401" test "$(http_code "$url/audit/")" = 401
check "the page with the auditor cookie: 200" test "$(http_code -b 'lockstep_auditor=auditor-token-abcdefghij' "$url/audit/")" = 200
check "the token form is public: 200" test "$(http_code "$url/audit/login")" = 200
check "health and metrics stay public" test "$(http_code "$url/metrics")" = 200

# Every admin route refuses the auditor token.
check "GET /v1/admin/status: auditor refused" sh -c "c=\$(curl -s -m 10 -o /dev/null -w '%{http_code}' -H 'Authorization: Bearer auditor-token-abcdefghij' '$url/v1/admin/status'); test \$c = 401 -o \$c = 403"
for r in agents agents/remove tokens pin rollback unpin; do
	c=$(curl -s -m 10 -o /dev/null -w '%{http_code}' -X POST "${aud[@]}" \
	    --data '{"name":"agent-1","ttl":60,"channel":"stable","version":"v1.0.0","owner":"x","reason":"y","until":"2030-01-01"}' \
	    "$url/v1/admin/$r")
	check "POST /v1/admin/$r: auditor refused ($c)" test "$c" = 401 -o "$c" = 403
done
check "agent-1 still enrolled" test -f "$work/data/agents/agent-1.pub"
check "no pin was made" sh -c "! grep -q '\"action\":\"pin\"' '$(evlog)'"

# The package, built and signed by the server.
check "lockstep audit --server" "$ls" audit --control soc2:CC6.1 --since "$since" \
    --until "$until" -o "$work/pkg" --server "$url" --token-file "$work/auditor.token"
check "server package verifies offline" "$ls" audit verify "$work/pkg"
check "server package has the 600 decisions" python3 -c 'import json,sys; assert json.load(open(sys.argv[1]))["decisions"]["total"] == 600' "$work/pkg/summary.json"
echo "wrong" >"$work/wrong.token"; chmod 600 "$work/wrong.token"
check "package with a wrong token refused" sh -c "! '$ls' audit --control soc2:CC6.1 --since '$since' --until '$until' -o '$work/pkg2' --server '$url' --token-file '$work/wrong.token' 2>/dev/null"
check "package bad period: 400" test "$(http_code "${aud[@]}" "$url/v1/audit/package?control=soc2:CC6.1&since=2026-13-01&until=$until")" = 400

# Who looked at what, when: recorded, without the token.
check "auditor queries recorded" grep -q '"kind":"audit_query".*"who":"auditor:[0-9a-f]\{16\}".*"path":"/v1/audit/package"' "$(evlog)"
check "the control asked for is in the record" grep -q '"kind":"audit_query".*"control":"soc2:CC6.1"' "$(evlog)"
check "admin queries recorded as admin" grep -q '"kind":"audit_query".*"who":"admin"' "$(evlog)"
check "the token is nowhere in the log" sh -c "! grep -q 'auditor-token-abcdefghij' '$(evlog)'"
check "each answered query recorded (at least 8)" sh -c "test \$(grep -c '\"kind\":\"audit_query\"' '$(evlog)') -ge 8"

# The log's own structure (checkpoint, tiles, consistency proofs) is what
# monitors poll: the first read of each hour by each role is recorded, the
# others only counted, so that reading the log does not grow it.
for k in 1 2 3 4 5; do
	curl -s -m 10 -o /dev/null "${aud[@]}" "$url/v1/evidence/checkpoint"
	curl -s -m 10 -o /dev/null "${aud[@]}" "$url/v1/evidence/tile/0/000"
done
logreads() { grep '"kind":"audit_query"' "$(evlog)" | grep -c '"path":"/v1/evidence/\(checkpoint\|tile/\)'; }
n=$(logreads)
check "11 reads of checkpoint and tiles: $n recorded, 1 or 2 (an hour may begin)" test "$n" -ge 1 -a "$n" -le 2
check "a recorded one says it is the hour's first" grep -q '"first_of_hour":true' "$(evlog)"
check "the others counted in /metrics" sh -c "curl -s -m 10 '$url/metrics' | grep -q '^lockstep_auditor_requests_total{result=\"counted\"} [1-9]'"
stop_server

# Over HTTPS (--cacert), and refused on plain HTTP with --admin-https-only.
T=$work/tls
mkdir -p "$T"
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes \
    -keyout "$T/ca.key" -out "$T/ca.pem" -days 2 -subj /CN=audit-test-ca 2>/dev/null
openssl req -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes \
    -keyout "$T/srv.key" -out "$T/srv.csr" -subj /CN=127.0.0.1 2>/dev/null
printf 'subjectAltName=IP:127.0.0.1\nextendedKeyUsage=serverAuth\n' >"$T/ext"
openssl x509 -req -in "$T/srv.csr" -CA "$T/ca.pem" -CAkey "$T/ca.key" \
    -CAcreateserial -out "$T/srv.pem" -days 2 -extfile "$T/ext" 2>/dev/null
chmod 600 "$T/srv.key"
start_server --admin-token-file "$work/admin.token" \
    --auditor-token-file "$work/auditor.token" --tls-cert "$T/srv.pem" \
    --tls-key "$T/srv.key" --listen-http 127.0.0.1:0 \
    --http-port-file "$work/http.port" --admin-https-only
https_url="https://$(cat "$work/port")"
check "plain listener up" wait_until 10 test -s "$work/http.port"
check "package over https with --cacert" "$ls" audit --control soc2:CC6.1 \
    --since "$since" --until "$until" -o "$work/pkg-tls" --server "$https_url" \
    --token-file "$work/auditor.token" --cacert "$T/ca.pem"
check "https package verifies" "$ls" audit verify "$work/pkg-tls"
check "unknown CA refused" sh -c "! '$ls' audit --control soc2:CC6.1 --since '$since' --until '$until' -o '$work/pkg-tls2' --server '$https_url' --token-file '$work/auditor.token' 2>/dev/null"
check "audit routes refused on plain HTTP with --admin-https-only" test \
    "$(http_code "${aud[@]}" "http://$(cat "$work/http.port")/v1/audit/status")" = 403
stop_server

start_server --admin-token-file "$work/admin.token"
check "no auditor role: evidence public" test "$(http_code "$url/v1/evidence?kind=report")" = 200
check "no auditor role: audit routes need the admin token" test "$(http_code "$url/v1/audit/status")" = 401
check "no auditor role: the admin token opens them" test "$(http_code "${adm[@]}" "$url/v1/audit/status")" = 200
stop_server
finish
