# lib_ingest.sh - signed decision batches for the ingest benchmarks
# (sourced by bench/ingest.sh and bench/evidence.sh; needs $bin).
#
# make_batches DIR UPLOADERS BATCHES RECORDS: keys DIR/k<u>/b<u>.key and
# .pub and, for uploader u (agent "b<u>"), DIR/u<u>/<b>.gz (gzip JSON
# Lines), .raw (the lines) and .hdr (the Lockstep-Batch header: the
# lockstep/decisions/v1 note signed by the real CLI), a chain of BATCHES
# batches of RECORDS records each.  The records name soc2:CC6.1 and
# soc2:CC6.8 and carry today's time.
make_batches() {
	local dir=$1 up=$2 nb=$3 nr=$4 u b
	for u in $(seq 1 "$up"); do
		"$bin/lockstep" keygen "b$u" -o "$dir/k$u" >/dev/null || return 1
		python3 - "$dir/u$u" "b$u" "$nb" "$nr" <<'PY' || return 1
import gzip, hashlib, os, sys, time
out, agent, nb, nr = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4])
os.makedirs(out)
prev, seq = "0" * 64, 1
t = time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime())
for b in range(nb):
    lines = "".join(
        '{"id":"%s-%d","seq":%d,"time":"%s.000001Z","agent":"%s","door":"api",'
        '"channel":"stable","release":1,"bundle":"%s","version":"v1.0.0",'
        '"path":"kubernetes/admission/deny","input_sha256":"%s","input":'
        '{"kind":"Pod","name":"app-%d","image":"registry.example.com/app:%d"},'
        '"outcome":"allow","violations":[],"waived":[],"controls":'
        '["soc2:CC6.1","soc2:CC6.8"],"latency_us":%d}\n'
        % (agent, s, s, t, agent, "ab" * 32, hashlib.sha256(b"%d" % s).hexdigest(),
           s, s % 97, 40 + s % 13) for s in range(seq, seq + nr)).encode()
    sha = hashlib.sha256(lines).hexdigest()
    open("%s/%d.gz" % (out, b), "wb").write(gzip.compress(lines, 6, mtime=0))
    open("%s/%d.raw" % (out, b), "wb").write(lines)
    open("%s/%d.body" % (out, b), "w").write(
        "lockstep/decisions/v1\nagent %s\nfirst %d\nlast %d\ncount %d\n"
        "sha256 %s\nprev %s\ndropped 0\ntime %sZ\n"
        % (agent, seq, seq + nr - 1, nr, sha, prev, t))
    prev, seq = sha, seq + nr
PY
		for b in $(seq 0 $((nb - 1))); do
			"$bin/lockstep" note sign "$dir/k$u/b$u.key" \
			    --in "$dir/u$u/$b.body" | base64 -w0 \
			    >"$dir/u$u/$b.hdr" || return 1
		done
	done
}

# enrol_batches DIR UPLOADERS URL ADMIN_TOKEN_FILE: enrol every b<u>.
enrol_batches() {
	local u
	for u in $(seq 1 "$2"); do
		"$bin/lockstep" agent add "b$u" "$1/k$u/b$u.pub" --server "$3" \
		    --token-file "$4" || return 1
	done
}
