#!/usr/bin/env bash
# server_tls.sh - HTTPS end to end with a test CA made here by openssl:
# the server serves --listen over TLS (1.2 or later) and a plain
# --listen-http next to it; with --admin-https-only the admin and
# enrolment endpoints refuse plain HTTP with 403; lockstep and the agent
# speak https with --cacert, and the agent fetches and enrols over it,
# also through a proxy named by https_proxy / http_proxy.
. "$(dirname "$0")/libagent.sh"
command -v openssl >/dev/null || die "openssl is needed"

T=$W/tls
mkdir -p "$T"
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes \
	-keyout "$T/ca.key" -out "$T/ca.pem" -days 2 \
	-subj /CN=lockstep-test-ca 2>/dev/null || die "openssl: CA"
openssl req -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes \
	-keyout "$T/srv.key" -out "$T/srv.csr" -subj /CN=127.0.0.1 \
	2>/dev/null || die "openssl: server key"
printf 'subjectAltName=IP:127.0.0.1\nbasicConstraints=CA:FALSE\nextendedKeyUsage=serverAuth\n' >"$T/ext"
openssl x509 -req -in "$T/srv.csr" -CA "$T/ca.pem" -CAkey "$T/ca.key" \
	-CAcreateserial -out "$T/srv.pem" -days 2 -extfile "$T/ext" \
	2>/dev/null || die "openssl: server certificate"

"$LS" init "$W/keys" --origin lockstep-test >/dev/null || die "lockstep init"
head -c 24 /dev/urandom | base64 | tr -d '/+=' >"$W/enroll.token"
head -c 24 /dev/urandom | base64 | tr -d '/+=' >"$W/admin.token"
chmod 600 "$W/enroll.token" "$W/admin.token"
make_repo
tag v1

# The TLS key is a secret file: 0644 is refused, naming it.
chmod 644 "$T/srv.key"
out=$(timeout 20 "$SERVER" --repo "$W/repo" --keys "$W/keys" --data "$W/d0" \
	--listen 127.0.0.1:0 --tls-cert "$T/srv.pem" --tls-key "$T/srv.key" 2>&1)
rc=$?
if [ "$rc" -ne 0 ] && [ "$rc" -ne 124 ] &&
	printf '%s' "$out" | grep -q "srv.key: permissions 0644"; then
	ok "0644 TLS key refused"
else
	fail "0644 TLS key: exit $rc: $out"
fi
chmod 600 "$T/srv.key"

start_server --tls-cert "$T/srv.pem" --tls-key "$T/srv.key" \
	--listen-http 127.0.0.1:0 --http-port-file "$W/http.port" \
	--admin-https-only
HTTPS="https://$(cat "$W/server.port")"
HTTP="http://$(cat "$W/http.port")"
SERVER_URL=$HTTPS
wait_until 60 published_version v1 || die "v1 not published"

code() { curl -s -m 10 -o "$W/answer" -w '%{http_code}' "$@"; }
auth=(-H "Authorization: Bearer $(cat "$W/admin.token")")
check() {	# check NAME CMD...
	local name=$1
	shift
	if "$@"; then ok "$name"; else fail "$name"; fi
}
check "https with the test CA: 200" test "$(code --cacert "$T/ca.pem" "$HTTPS/health")" = 200
check "https without the CA: refused by the client" \
	test "$(code "$HTTPS/health")" = 000
check "TLS 1.2 is spoken" test "$(code --cacert "$T/ca.pem" --tlsv1.2 --tls-max 1.2 "$HTTPS/health")" = 200
# TLS 1.1 is refused by the server (the client is told to allow it).
if echo | timeout 10 openssl s_client -connect "$(cat "$W/server.port")" \
	-tls1_1 -cipher 'DEFAULT@SECLEVEL=0' >"$W/tls11.out" 2>&1; then
	fail "TLS 1.1 handshake succeeded: $(grep -m1 Protocol "$W/tls11.out")"
else
	ok "TLS 1.1 refused"
fi
if echo | timeout 10 openssl s_client -connect "$(cat "$W/server.port")" \
	-tls1_2 -CAfile "$T/ca.pem" >"$W/tls12.out" 2>&1 &&
	grep -q "Verify return code: 0" "$W/tls12.out"; then
	ok "TLS 1.2 handshake with the test CA"
else
	fail "TLS 1.2 handshake: $(tail -n 3 "$W/tls12.out")"
fi
check "admin over https: 200" \
	test "$(code --cacert "$T/ca.pem" "${auth[@]}" "$HTTPS/v1/admin/status")" = 200
check "admin over plain http: 403" \
	test "$(code "${auth[@]}" "$HTTP/v1/admin/status")" = 403
check "the refusal says to use https" grep -q "needs HTTPS" "$W/answer"
check "enrolment over plain http: 403" test "$(code -X POST \
	-H "X-Lockstep-Enroll-Token: $(cat "$W/enroll.token")" \
	--data-binary 'x+00000000+AA' "$HTTP/v1/enroll")" = 403
check "signed static files still over plain http: 200" \
	test "$(code "$HTTP/v1/channels/stable/timestamp.note")" = 200
check "refresh (no token) over plain http: 202" \
	test "$(code -X POST "$HTTP/v1/admin/refresh")" = 202

# lockstep speaks https with --cacert; over plain http it is refused.
if "$LS" agent token alice --ttl 1h --server "$HTTPS" --cacert "$T/ca.pem" \
	--token-file "$W/admin.token" >"$W/alice.etok" 2>"$W/cli.err"; then
	ok "lockstep agent token over https"
else
	fail "lockstep agent token over https: $(cat "$W/cli.err")"
fi
chmod 600 "$W/alice.etok"
if ! "$LS" agent token bob --server "$HTTP" --token-file "$W/admin.token" \
	>/dev/null 2>"$W/cli.err" && grep -q "403.*HTTPS" "$W/cli.err"; then
	ok "lockstep over plain http: refused ($(cat "$W/cli.err"))"
else
	fail "lockstep over plain http: $(cat "$W/cli.err")"
fi

# The agent fetches, verifies and enrols over https.
run_once() {	# NAME ARGS...
	local n=$1
	shift
	"$AGENT" --server "$HTTPS" --root "$W/keys/1.root.note" \
		--state "$W/$n" --channel stable --name "$n" --listen off \
		--once "$@" >"$W/$n.once" 2>&1
}
if run_once alice --cacert "$T/ca.pem" --enroll-token-file "$W/alice.etok"; then
	ok "agent over https: enforcing v1 and enrolled"
else
	fail "agent over https: $(tail -n 5 "$W/alice.once")"
fi
check "alice's key is on the server" test -f "$W/data/agents/alice.pub"
"$LS" evidence cat "$W/data" >"$W/ev.jsonl"
check "alice's report is evidence" grep -q '"kind":"report".*"agent":"alice"' \
	"$W/ev.jsonl"
check "alice enforces v1" test "$(status alice active.version)" = v1
if ! run_once carl; then
	ok "agent without the CA: refused ($(grep -m1 -o 'SSL[^"]*\|certificate[^"]*' "$W/carl.once" | head -n 1))"
else
	fail "agent trusted an unknown CA"
fi
# A proxy named by the environment, as libcurl read it: https through a
# CONNECT tunnel (the certificate still checked end to end), http as an
# absolute URL, and no_proxy going around it.
python3 "$ROOT/tests/tools/http_proxy.py" --port-file "$W/proxy.port" \
	--log "$W/proxy.log" >>"$W/proxy.err" 2>&1 &
PIDS+=($!)
wait_until 20 test -s "$W/proxy.port" || die "proxy did not start"
proxy=http://$(cat "$W/proxy.port")
if https_proxy=$proxy run_once dave --cacert "$T/ca.pem" &&
	grep -q "^CONNECT ${HTTPS#https://}\$" "$W/proxy.log"; then
	ok "agent over https through a proxy (CONNECT ${HTTPS#https://})"
else
	fail "https through a proxy: $(tail -n 3 "$W/dave.once") / $(cat "$W/proxy.log")"
fi
if ! https_proxy=$proxy run_once erin; then
	ok "through the proxy, an unknown CA still refused"
else
	fail "through the proxy, the agent trusted an unknown CA"
fi
: >"$W/proxy.log"
if http_proxy=$proxy "$AGENT" --server "$HTTP" --root "$W/keys/1.root.note" \
	--state "$W/frank" --channel stable --listen off --once \
	>"$W/frank.once" 2>&1 &&
	grep -q "^GET $HTTP/v1/channels/stable/timestamp.note\$" "$W/proxy.log"; then
	ok "agent over http through a proxy (absolute URLs)"
else
	fail "http through a proxy: $(tail -n 3 "$W/frank.once") / $(cat "$W/proxy.log")"
fi
: >"$W/proxy.log"
if no_proxy=localhost,127.0.0.1 http_proxy=$proxy "$AGENT" --server "$HTTP" \
	--root "$W/keys/1.root.note" --state "$W/gina" --channel stable \
	--listen off --once >"$W/gina.once" 2>&1 && [ ! -s "$W/proxy.log" ]; then
	ok "no_proxy: around the proxy"
else
	fail "no_proxy: $(tail -n 3 "$W/gina.once") / $(cat "$W/proxy.log")"
fi
finish
