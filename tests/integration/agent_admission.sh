#!/usr/bin/env bash
# agent_admission.sh - the admission door over HTTPS against the real
# server and agent on bundles/example: the recorded AdmissionReviews
# answered field by field, malformed reviews, TLS 1.2 minimum, the
# certificate rotated under a stream of requests with none failing,
# client certificates for the Data API, and other clients still answered
# within their budget during a slowloris and hostile-input attack.
. "$(dirname "$0")/libagent.sh"
ADM=$ROOT/tests/data/admission

# --- a CA, a server certificate for 127.0.0.1, a client certificate ---
cert() {	# NAME USAGE: NAME.pem / NAME.key signed by the test CA
	openssl req -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes \
	    -keyout "$W/$1.key" -out "$W/$1.csr" -subj "/CN=$1" 2>/dev/null &&
	printf 'subjectAltName=IP:127.0.0.1\nextendedKeyUsage=%s\n' "$2" >"$W/$1.ext" &&
	openssl x509 -req -in "$W/$1.csr" -CA "$W/ca.pem" -CAkey "$W/ca.key" \
	    -CAcreateserial -days 2 -out "$W/$1.pem" -extfile "$W/$1.ext" 2>/dev/null &&
	chmod 600 "$W/$1.key"
}
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes \
    -keyout "$W/ca.key" -out "$W/ca.pem" -days 2 -subj /CN=lockstep-test-ca \
    2>/dev/null || die "openssl: CA"
cert server serverAuth || die "openssl: server certificate"
cert client clientAuth || die "openssl: client certificate"
for i in 1 2 3; do cert "rot$i" serverAuth || die "openssl: rotation $i"; done
mkdir -p "$W/tls"
cp "$W/server.pem" "$W/tls/tls.crt"
cp "$W/server.key" "$W/tls/tls.key"
cp "$W/server.key" "$W/open.key"
chmod 644 "$W/open.key"

# --- the example bundle, plus a rule that loops over its input ---
"$LS" init "$W/keys" --origin lockstep-test >/dev/null || die "lockstep init"
head -c 24 /dev/urandom | base64 | tr -d '/+=' >"$W/enroll.token"
head -c 24 /dev/urandom | base64 | tr -d '/+=' >"$W/admin.token"
chmod 600 "$W/enroll.token" "$W/admin.token"
cp -r "$ROOT/bundles/example" "$W/repo"
mkdir -p "$W/repo/agenttest"
cat >"$W/repo/agenttest/slow.rego" <<'EOF'
package agenttest

slow contains a if {
	some a in input.xs
	some b in input.xs
	a == b + 100000000
}

fast := input.n + 1
EOF
cat >"$W/repo/agenttest/burst.rego" <<'EOF'
package agenttest.burst

deny contains "never" if {
	some a in input.request.object.xs
	some b in input.request.object.xs
	a == b + 100000000
}
EOF
git -C "$W/repo" init -q -b main
git -C "$W/repo" -c user.email=t@example.com -c user.name=t add -A
git -C "$W/repo" -c user.email=t@example.com -c user.name=t commit -qm example
git -C "$W/repo" tag v1
start_server
wait_until 60 published_version v1 || die "v1 not published"
start_agent a "$SERVER_URL" --tls-cert "$W/tls/tls.crt" --tls-key "$W/tls/tls.key"
wait_until 60 is_version a v1 || die "agent did not activate v1"
api=https://$(cat "$W/a.port")
C=(curl -s --max-time 10 --cacert "$W/ca.pem")

# --- the recorded reviews, field by field -------------------------------
python3 - "$ADM" "$api" "$W/ca.pem" "$(status a active.sha256)" <<'EOF' || fail "recorded reviews"
import json, os, ssl, sys, urllib.request
adm, api, ca, sha = sys.argv[1:5]
ctx = ssl.create_default_context(cafile=ca)
want = json.load(open(os.path.join(adm, "expected.json")))["cases"]
bad = 0
for name, exp in sorted(want.items()):
    body = open(os.path.join(adm, name), "rb").read()
    req = urllib.request.Request(api + "/v1/admission", data=body, method="POST",
                                 headers={"Content-Type": "application/json"})
    ans = json.load(urllib.request.urlopen(req, context=ctx, timeout=10))
    rev = json.loads(body)
    r = ans["response"]
    errs = []
    if ans.get("apiVersion") != "admission.k8s.io/v1" or ans.get("kind") != "AdmissionReview":
        errs.append("envelope %r" % {k: ans.get(k) for k in ("apiVersion", "kind")})
    if r.get("uid") != rev["request"]["uid"]:
        errs.append("uid %r" % r.get("uid"))
    if r.get("allowed") != exp["allow"]:
        errs.append("allowed %r" % r.get("allowed"))
    msg = "; ".join(exp["deny"])
    if not exp["allow"] and (r.get("status", {}).get("code") != 403 or r["status"].get("message") != msg):
        errs.append("status %r, want 403 %r" % (r.get("status"), msg))
    if exp["allow"] and "status" in r:
        errs.append("status on an allowed review: %r" % r["status"])
    ann = r.get("auditAnnotations", {})
    if ann.get("bundle-version") != "v1" or ann.get("bundle-sha256") != sha \
            or not ann.get("decision-id", "").startswith("a-"):
        errs.append("auditAnnotations %r" % ann)
    print(("FAIL " if errs else "ok ") + name + (": " + "; ".join(errs) if errs else ""))
    bad += bool(errs)
sys.exit(1 if bad else 0)
EOF

# every review answered is a decision record, uploaded to the server:
# door admission, the deny messages as violations with their controls
admission_recorded() {
	"$LS" evidence cat "$W/data" | python3 -c '
import json, sys
for l in sys.stdin:
    e = json.loads(l)
    d = e.get("details") or {}
    if e.get("kind") == "decision" and d.get("door") == "admission" and \
            d.get("outcome") == "deny" and "soc2:CC6.8" in d.get("controls", []) and \
            any(v.get("msg", "").startswith("image-registry:") for v in d.get("violations", [])):
        sys.exit(0)
sys.exit(1)'
}
if wait_until 40 admission_recorded; then
	ok "admission decisions are records on the server (door admission, violations, soc2:CC6.8)"
else
	fail "no admission decision record on the server"
fi

# a DELETE carries only oldObject; the example policy refuses a review
# without an object, and says so
python3 -c '
import json, sys
r = json.load(open(sys.argv[1]))
r["request"]["operation"] = "DELETE"
r["request"]["oldObject"] = r["request"].pop("object")
r["request"]["uid"] = "delete-1"
print(json.dumps(r))' "$ADM/allowed-pod.json" >"$W/delete.json"
"${C[@]}" -X POST --data-binary @"$W/delete.json" "$api/v1/admission" >"$W/out"
python3 -c '
import json, sys
r = json.load(open(sys.argv[1]))["response"]
assert r["uid"] == "delete-1" and r["allowed"] is False, r
assert "not an AdmissionReview request with an object" in r["status"]["message"], r
' "$W/out" && ok "DELETE with oldObject answered by the policy" || fail "DELETE: $(cat "$W/out")"

# dryRun: decided the same way
python3 -c '
import json, sys
r = json.load(open(sys.argv[1]))
r["request"]["dryRun"] = True
print(json.dumps(r))' "$ADM/denied-privileged.json" >"$W/dry.json"
"${C[@]}" -X POST --data-binary @"$W/dry.json" "$api/v1/admission" |
	grep -q '"allowed":false' && ok "dryRun review decided" || fail "dryRun review"

# the rule path in the URL
"${C[@]}" -X POST --data-binary @"$ADM/allowed-pod.json" "$api/v1/admission/agenttest" >"$W/out"
grep -q 'no deny, violation, warn or allow rule at data.agenttest' "$W/out" &&
	ok "a path without admission rules is refused with the reason" ||
	fail "path without rules: $(cat "$W/out")"

# malformed reviews: a well-formed review back, never a 500
for body in 'not json' '{"kind":"AdmissionReview"}' '{"kind":"Pod","request":{"uid":"x"}}' \
    '{"kind":"AdmissionReview","request":{"uid":7}}'; do
	code=$("${C[@]}" -o "$W/out" -w '%{http_code}' -X POST --data-binary "$body" "$api/v1/admission")
	if [ "$code" = 200 ] && python3 -c '
import json, sys
d = json.load(open(sys.argv[1]))
assert d["kind"] == "AdmissionReview" and d["response"]["allowed"] is False
assert d["response"]["status"]["code"] == 400 and "malformed" in d["response"]["status"]["message"]
' "$W/out"; then ok "malformed review answered: $body"; else fail "malformed review $body: HTTP $code $(cat "$W/out")"; fi
done

# --- TLS: 1.2 minimum, plain HTTP refused -------------------------------
if openssl s_client -connect "$(cat "$W/a.port")" -tls1_1 </dev/null >/dev/null 2>&1; then
	fail "TLS 1.1 accepted"
else
	ok "TLS 1.1 refused"
fi
openssl s_client -connect "$(cat "$W/a.port")" -tls1_2 -CAfile "$W/ca.pem" </dev/null 2>/dev/null |
	grep -q 'Verify return code: 0' && ok "TLS 1.2 accepted and verified" || fail "TLS 1.2"
code=$(curl -s -o /dev/null -w '%{http_code}' --max-time 5 "http://$(cat "$W/a.port")/health")
[ "$code" != 200 ] && ok "plain HTTP refused on the TLS port ($code)" || fail "plain HTTP answered"

# --- rotation under a stream: no request fails --------------------------
python3 - "$api" "$W/ca.pem" "$W/tls" "$W" <<'EOF' && ok "certificate rotated 3 times under 300 requests, none failed" || fail "rotation"
import http.client, json, os, shutil, ssl, sys, threading, time
api, ca, tls, w = sys.argv[1:5]
host, port = api[len("https://"):].split(":")
ctx = ssl.create_default_context(cafile=ca)
body = open(os.path.join(os.environ.get("LOCKSTEP_ROOT", "."), "tests/data/admission/allowed-pod.json"), "rb").read()
errors, seen = [], set()
def rotate():
    for i in (1, 2, 3):
        time.sleep(1.0)
        for ext, src in (("key", "rot%d.key" % i), ("crt", "rot%d.pem" % i)):
            shutil.copy(os.path.join(w, src), os.path.join(tls, "tls.%s.tmp" % ext))
            os.rename(os.path.join(tls, "tls.%s.tmp" % ext), os.path.join(tls, "tls." + ext))
t = threading.Thread(target=rotate)
t.start()
conn = None
deadline = time.time() + 60
for n in range(300):
    if time.time() > deadline:
        errors.append("out of time"); break
    try:
        if conn is None or n % 10 == 0:   # some new handshakes, some keep-alive
            if conn: conn.close()
            conn = http.client.HTTPSConnection(host, int(port), context=ctx, timeout=10)
        conn.request("POST", "/v1/admission", body, {"Content-Type": "application/json"})
        r = conn.getresponse()
        d = json.loads(r.read())
        if r.status != 200 or d["response"]["allowed"] is not True:
            errors.append("HTTP %d %r" % (r.status, d))
        seen.add(conn.sock.getpeercert(binary_form=True))
    except Exception as e:
        errors.append(repr(e)); conn = None
    time.sleep(0.015)
t.join()
last = ssl.PEM_cert_to_DER_cert(open(os.path.join(w, "rot3.pem")).read())
c = http.client.HTTPSConnection(host, int(port), context=ctx, timeout=10)
c.request("GET", "/health"); c.getresponse().read()
served = c.sock.getpeercert(binary_form=True)
if errors: print("errors:", errors[:5])
if served != last: print("the last certificate is not served")
if len(seen) < 2: print("only one certificate seen during the stream")
sys.exit(1 if errors or served != last or len(seen) < 2 else 0)
EOF

# --- slowloris and hostile inputs from 127.0.0.2 -------------------------
python3 - "$(cat "$W/a.port")" <<'EOF' && ok "600 slowloris connections: other clients answered in time" || fail "slowloris"
import socket, ssl, subprocess, sys, time
port = int(sys.argv[1].split(":")[1])
socks = []
for i in range(600):
    try:
        s = socket.create_connection(("127.0.0.1", port), timeout=2, source_address=("127.0.0.2", 0))
        s.send(b"\x16\x03\x01")  # a TLS record header, then nothing
        socks.append(s)
    except OSError:
        pass
worst = 0
for i in range(5):
    t0 = time.time()
    r = subprocess.run(["curl", "-s", "-k", "-o", "/dev/null", "-w", "%{http_code}",
                        "--max-time", "10", "https://127.0.0.1:%d/health" % port],
                       capture_output=True, text=True)
    worst = max(worst, time.time() - t0)
    if r.stdout != "200":
        print("health during slowloris:", r.stdout); sys.exit(1)
for s in socks: s.close()
print("held %d slow connections; worst answer %.2f s" % (len(socks), worst))
sys.exit(0 if worst < 2.0 else 1)
EOF

python3 - "$api" "$W/ca.pem" <<'EOF' && ok "8 hostile decisions: a small decision answered within its budget" || fail "hostile inputs"
import json, ssl, threading, time, urllib.request, http.client, socket, sys
api, ca = sys.argv[1:3]
host, port = api[len("https://"):].split(":")
ctx = ssl.create_default_context(cafile=ca)
hostile = json.dumps({"input": {"xs": list(range(4000))}}).encode()
codes = []
def attack():
    class Src(http.client.HTTPSConnection):
        def connect(self):
            s = socket.create_connection((self.host, self.port), self.timeout, ("127.0.0.2", 0))
            self.sock = self._context.wrap_socket(s, server_hostname=self.host)
    c = Src(host, int(port), context=ctx, timeout=30)
    c.request("POST", "/v1/data/agenttest/slow", hostile)
    r = c.getresponse(); r.read(); codes.append(r.status)
ts = [threading.Thread(target=attack) for _ in range(8)]
for t in ts: t.start()
time.sleep(0.3)
t0 = time.time()
req = urllib.request.Request(api + "/v1/data/agenttest/fast", data=b'{"input": {"n": 41}}', method="POST")
ans = json.load(urllib.request.urlopen(req, context=ctx, timeout=10))
took = time.time() - t0
for t in ts: t.join(60)
print("small decision %r in %.2f s; hostile answers %s" % (ans, took, sorted(codes)))
ok = ans.get("result") == 42 and ans.get("decision_id") and took < 1.5 and len(codes) == 8 and all(c in (429, 500) for c in codes)
sys.exit(0 if ok else 1)
EOF

# A burst from one client (an API server sends reviews in bursts): more
# reviews than a client's decision slots, sent at once on open
# connections, all answered 200 (the rest wait for a slot, suspended),
# none refused with 429.  Each takes some milliseconds (more under the
# sanitizers on a loaded machine), far inside the wait's bound.
python3 - "$api" "$W/ca.pem" "$ADM/allowed-pod.json" <<'EOF' && ok "a burst of 16 reviews from one client: all answered 200" || fail "burst from one client"
import json, ssl, sys, threading, http.client
api, ca, review = sys.argv[1:4]
host, port = api[len("https://"):].split(":")
ctx = ssl.create_default_context(cafile=ca)
rev = json.load(open(review))
rev["request"]["object"]["xs"] = list(range(200))
body = json.dumps(rev).encode()
N = 16
conns = []
for i in range(N):
    c = http.client.HTTPSConnection(host, int(port), context=ctx, timeout=30)
    c.connect()
    conns.append(c)
go = threading.Barrier(N)
codes, allowed = [], []
def send(c):
    go.wait(10)
    c.request("POST", "/v1/admission/agenttest/burst", body,
              {"Content-Type": "application/json"})
    r = c.getresponse()
    data = r.read()
    codes.append(r.status)
    if r.status == 200:
        allowed.append(json.loads(data)["response"]["allowed"])
ts = [threading.Thread(target=send, args=(c,)) for c in conns]
for t in ts: t.start()
for t in ts: t.join(60)
print("burst answers %s, allowed %s" % (sorted(codes), allowed))
sys.exit(0 if codes == [200] * N and allowed == [True] * N else 1)
EOF

# Waiters that go away: one client fills its 3 slots with slow decisions
# and sends 3 more, which wait (suspended), then closes those three.  The
# slots the slow ones give back pass through the gone waiters and come
# back free: 6 quick decisions of the same client then all answer 200.
python3 - "$api" "$W/ca.pem" >"$W/gone.out" 2>&1 <<'EOF' && ok "waiters that went away leave no slot taken: 6 quick decisions answered 200" || fail "waiters gone: $(cat "$W/gone.out")"
import json, ssl, sys, threading, time, http.client
api, ca = sys.argv[1:3]
host, port = api[len("https://"):].split(":")
ctx = ssl.create_default_context(cafile=ca)
slow = json.dumps({"input": {"xs": list(range(3000))}}).encode()
def conn():
    c = http.client.HTTPSConnection(host, int(port), context=ctx, timeout=30)
    c.connect()
    return c
def finish(c, out):
    try:
        r = c.getresponse(); r.read(); out.append(r.status)
    except (OSError, http.client.HTTPException) as e:
        out.append(type(e).__name__)
busy, done = [conn() for _ in range(3)], []
for c in busy:
    c.request("POST", "/v1/data/agenttest/slow", slow)
time.sleep(0.2)
gone = [conn() for _ in range(3)]
for c in gone:
    c.request("POST", "/v1/data/agenttest/slow", slow)
time.sleep(0.2)
for c in gone:
    c.sock.close()
ts = [threading.Thread(target=finish, args=(c, done)) for c in busy]
for t in ts: t.start()
for t in ts: t.join(60)
codes = []
def quick(i):
    c = conn()
    c.request("POST", "/v1/data/agenttest/fast", json.dumps({"input": {"n": i}}))
    finish(c, codes)
ts = [threading.Thread(target=quick, args=(i,)) for i in range(6)]
t0 = time.time()
for t in ts: t.start()
for t in ts: t.join(60)
print("slow answers %s; quick answers %s in %.2f s" % (sorted(map(str, done)), sorted(map(str, codes)), time.time() - t0))
sys.exit(0 if codes == [200] * 6 and time.time() - t0 < 4 else 1)
EOF

# Stopping with decisions waiting for a slot (suspended connections,
# which libmicrohttpd refuses to stop with: it aborts): the agent
# resumes them, closes them and exits 0.
python3 - "$api" "$W/ca.pem" "$W/stopwait.sent" >"$W/stopwait.out" 2>&1 <<'EOF' &
import json, ssl, socket, sys, threading, http.client
api, ca, sent = sys.argv[1:4]
host, port = api[len("https://"):].split(":")
ctx = ssl.create_default_context(cafile=ca)
body = json.dumps({"input": {"xs": list(range(4000))}}).encode()
codes, lock, n = [], threading.Lock(), [0]
def send():
    try:
        c = http.client.HTTPSConnection(host, int(port), context=ctx, timeout=30)
        c.request("POST", "/v1/data/agenttest/slow", body)
        with lock:
            n[0] += 1
            if n[0] == 8:
                open(sent, "w").write("8\n")
        r = c.getresponse(); r.read(); codes.append(r.status)
    except (OSError, http.client.HTTPException) as e:
        codes.append(type(e).__name__)
ts = [threading.Thread(target=send) for _ in range(8)]
for t in ts: t.start()
for t in ts: t.join(60)
print("answers while stopping:", sorted(map(str, codes)))
EOF
waiter=$!
# killed once all 8 are sent: 3 evaluating, 5 waiting for a slot
wait_until 30 test -s "$W/stopwait.sent" || fail "the 8 slow decisions were not sent"
sleep 0.3
pid=${AGENT_PID_OF[a]}
kill "$pid"
wait_until 20 sh -c "! kill -0 $pid" || fail "agent ignored SIGTERM with decisions waiting"
wait "$pid"
rc=$?
AGENT_PID_OF[a]=""
wait "$waiter"
cat "$W/stopwait.out"
[ "$rc" = 0 ] && ! grep -qi "panic\|abort" "$W/a.log" &&
	! grep -q "ConnectionRefused" "$W/stopwait.out" &&
	ok "stopped with decisions waiting for a slot: exit 0" ||
	fail "stop with waiting decisions: exit $rc, $(grep -i 'panic\|abort' "$W/a.log" | head -n 2)"

# --- client certificates for the Data API --------------------------------
start_agent b "$SERVER_URL" --tls-cert "$W/server.pem" --tls-key "$W/server.key" \
    --tls-client-ca "$W/ca.pem"
wait_until 60 is_version b v1 || die "agent b did not activate v1"
apib=https://$(cat "$W/b.port")
code=$("${C[@]}" -o /dev/null -w '%{http_code}' -X POST -d '{"input":{"n":1}}' "$apib/v1/data/agenttest/fast")
[ "$code" = 403 ] && ok "Data API without a client certificate: 403" || fail "no client cert: $code"
out=$("${C[@]}" --cert "$W/client.pem" --key "$W/client.key" -X POST -d '{"input":{"n":1}}' "$apib/v1/data/agenttest/fast")
[ "$out" = '{"decision_id":"b-1","result":2}' ] && ok "Data API with a client certificate" || fail "client cert: $out"
"${C[@]}" -X POST --data-binary @"$ADM/allowed-pod.json" "$apib/v1/admission" | grep -q '"allowed":true' &&
	ok "admission needs no client certificate" || fail "admission with --tls-client-ca"

# --- bad TLS options are refused at start --------------------------------
timeout 20 "$AGENT" --server "$SERVER_URL" --root "$W/keys/1.root.note" --state "$W/c" \
    --channel stable --tls-cert "$W/server.pem" --tls-key "$W/client.key" \
    --listen 127.0.0.1:0 >"$W/c.out" 2>&1 && fail "a key that is not the certificate's accepted"
grep -q "not the certificate's" "$W/c.out" && ok "mismatched key refused at start, named" ||
	fail "mismatched key message: $(tail -n 3 "$W/c.out")"
timeout 20 "$AGENT" --server "$SERVER_URL" --root "$W/keys/1.root.note" --state "$W/c" \
    --channel stable --tls-cert "$W/server.pem" --tls-key "$W/open.key" \
    --listen 127.0.0.1:0 >"$W/c.out" 2>&1 && fail "a key readable by others accepted"
grep -q "open.key: permissions 0644 are too open" "$W/c.out" &&
	ok "a TLS key readable by others refused, named" ||
	fail "open key message: $(tail -n 3 "$W/c.out")"
timeout 20 "$AGENT" --server "$SERVER_URL" --root "$W/keys/1.root.note" --state "$W/c" \
    --channel stable --tls-cert "$W/server.pem" --listen 127.0.0.1:0 2>"$W/c.err" &&
	fail "--tls-cert without --tls-key accepted"
grep -q -- "--tls-cert and --tls-key go together" "$W/c.err" && ok "--tls-cert without --tls-key refused" ||
	fail "tls option message: $(cat "$W/c.err")"
finish
