#!/usr/bin/env bash
# agent_tuf_matrix.sh - a TUF-conformance-style matrix for the agent: one
# row per client rule, with rows named after those of
# theupdateframework/tuf-conformance (expiry, thresholds, duplicate keys and
# signatures, unknown signature algorithms, rollback and fast-forward
# recovery, root rotations).  61-87 s measured on 2 cores at load 14-19.
#
# Every row gets its own repository under a static web server (python's
# http.server, no lockstep-server: the documents are forged here with the
# test's own keys through tests/tools/forge.py and `lockstep note sign`)
# and its own agent state; the real lockstep-agent runs with --once after
# each change.  Prints "PASS row" or "FAIL row: reason" per row and exits
# non-zero if any row fails.
. "$(dirname "$0")/libagent.sh"
ORIGIN=tuf-test
K=$W/k
ROWS_FAILED=0
mkdir -p "$K" "$W/www" "$W/st"

# ---- keys, bundles, the base documents --------------------------------
"$LS" init "$W/keys" --origin "$ORIGIN" >/dev/null || die "lockstep init"
for n in r0 r1 r2 r3 r4 r5 r6 t1 t2 k1 k2; do
	"$LS" keygen "$n" -o "$K" >/dev/null || die "keygen $n"
done
python3 "$FORGE" alias --key "$K/t1.key" --pub "$K/t1.pub" --name t1b \
	--out "$K" || die "alias t1b"
for v in v1 v2 v3; do
	mkdir -p "$W/src-$v/policy"
	printf 'package tuf\n\nversion := "%s"\n' "$v" >"$W/src-$v/policy/tuf.rego"
	"$LS" bundle build "$W/src-$v" -o "$W/$v.tar.gz" >/dev/null ||
		die "bundle build $v"
done
at() { date -u -d "@$(($(date +%s) + $1))" +%Y-%m-%dT%H:%M:%SZ; }
YEAR=$(at 31536000)
sha1=$(sha256sum "$W/v1.tar.gz" | cut -d' ' -f1)
printf '%s\n' "lockstep/release/v1" "origin $ORIGIN" "channel stable" \
	"seq 1" "version v1" "commit $(printf '%040d' 0)" \
	"bundle sha256:$sha1 length $(stat -c %s "$W/v1.tar.gz")" \
	"built $(at -60)" "expires $YEAR" "floor 0" \
	"tests passed 1 failed 0" >"$W/release.body"

keyargs() {	# k1,k2 -> --key K/k1.key --key K/k2.key
	local k
	IFS=, read -ra _ks <<<"$1"
	KA=()
	for k in "${_ks[@]}"; do KA+=(--key "$K/$k.key"); done
}
pubs() {	# r1,r2 -> K/r1.pub K/r2.pub
	local k out=()
	IFS=, read -ra _ps <<<"$1"
	for k in "${_ps[@]}"; do out+=("$K/$k.pub"); done
	echo "${out[@]}"
}

# anchor NAME SIGNERS ROLESPEC...: a version 1 root in $W/anchors/NAME.note;
# ROLESPEC is "ROLE THRESHOLD KEY,KEY".
anchor() {
	local name=$1 signers=$2 spec role thr keys
	shift 2
	local ra=()
	for spec in "$@"; do
		read -r role thr keys <<<"$spec"
		# shellcheck disable=SC2046
		ra+=(--role "$role" "$thr" $(pubs "$keys"))
	done
	mkdir -p "$W/anchors"
	keyargs "$signers"
	python3 "$FORGE" root --lockstep "$LS" "${KA[@]}" --out "$W/anchors/$name.note" \
		--base "$W/keys/1.root.note" --version 1 --expires "$YEAR" "${ra[@]}" ||
		die "anchor $name"
}
anchor std r0 "root 1 r0" "release 1 k1" "timestamp 1 t1"
anchor thr2 r0 "root 1 r0" "release 2 k1,k2" "timestamp 2 t1,t2"
anchor r35 r1,r2,r3 "root 3 r1,r2,r3,r4,r5" "release 1 k1" "timestamp 1 t1"
anchor r13t1 r1 "root 1 r1,r2,r3" "release 1 k1" "timestamp 1 t1"
anchor r13t2 r1,r2 "root 2 r1,r2,r3" "release 1 k1" "timestamp 1 t1"

# ---- a row's repository and agent -------------------------------------
D() { echo "$W/www/$1/v1"; }

row_new() {	# ROW ANCHOR
	local d v
	d=$(D "$1")
	mkdir -p "$d/root" "$d/channels/stable/releases" "$d/bundles"
	cp "$W/anchors/$2.note" "$d/root/1.note"
	for v in v1 v2 v3; do
		cp "$W/$v.tar.gz" "$d/bundles/$(sha256sum "$W/$v.tar.gz" | cut -d' ' -f1).tar.gz"
	done
}

# Releases and timestamps are written here (python would cost more than
# the agent on a loaded machine); roots go through forge.py.
sign_to() {	# OUT SIGNERS < BODY
	local out=$1 k ks=()
	IFS=, read -ra _sk <<<"$2"
	for k in "${_sk[@]}"; do ks+=("$K/$k.key"); done
	"$LS" note sign "${ks[@]}" >"$out" || die "note sign $out"
}

# rel ROW SEQ VERSION SIGNERS [EXPIRES_IN]: release SEQ naming bundle VERSION.
rel() {
	local b=$W/$3.tar.gz exp=${5:-31536000}
	sed -e "s/^seq .*/seq $2/" -e "s/^version .*/version $3/" \
		-e "s/^bundle .*/bundle sha256:$(sha256sum "$b" | cut -d' ' -f1) length $(stat -c %s "$b")/" \
		-e "s/^built .*/built $(at $((-${exp#-} - 60)))/" \
		-e "s/^expires .*/expires $(at "$exp")/" "$W/release.body" |
		sign_to "$(D "$1")/channels/stable/releases/$2.note" "$4"
}

# ts ROW SEQ RELEASE_SEQ SIGNERS [EXPIRES_IN]
ts() {
	local r
	r=$(D "$1")/channels/stable/releases/$3.note
	printf '%s\n' "lockstep/timestamp/v1" "origin $ORIGIN" "channel stable" \
		"seq $2" "expires $(at "${5:-3600}")" \
		"release $3 sha256:$(sha256sum "$r" | cut -d' ' -f1) length $(stat -c %s "$r")" |
		sign_to "$(D "$1")/channels/stable/timestamp.note" "$4"
}

# root ROW VERSION SIGNERS [forge root args...]: VERSION.note from the
# previous version, same keys unless --role says otherwise.
root() {
	local row=$1 v=$2
	keyargs "$3"
	shift 3
	python3 "$FORGE" root --lockstep "$LS" "${KA[@]}" \
		--out "$(D "$row")/root/$v.note" --base "$(D "$row")/root/$((v - 1)).note" \
		--version "$v" --expires "$YEAR" "$@" || die "$row: forge root $v"
}

once() {	# ROW: one update attempt; its exit status
	"$AGENT" --server "http://127.0.0.1:$PORT/$1" \
		--root "$(D "$1")/root/1.note" --state "$W/st/$1" \
		--channel stable --name "$1" --listen off --once --log-json \
		>>"$W/$1.log" 2>&1
}

st() { status "st/$1" "$2"; }	# ROW FIELD

# expect_ok ROW VERSION ROOT_VERSION: the attempt succeeds, enforcing it.
expect_ok() {
	if ! once "$1"; then
		REASON="refused: $(st "$1" last_error)"
		return 1
	fi
	if [ "$(st "$1" active.version)" != "$2" ] ||
		[ "$(st "$1" root_version)" != "$3" ]; then
		REASON="enforces '$(st "$1" active.version)' under root $(st "$1" root_version), want $2 under root $3"
		return 1
	fi
	return 0
}

# expect_refused ROW VERSION ROOT_VERSION PATTERN [STATE]: the attempt
# fails with an error matching PATTERN and nothing moves.
expect_refused() {
	local err
	if once "$1"; then
		REASON="accepted ($4 expected)"
		return 1
	fi
	err=$(st "$1" last_error)
	[ -z "${LOCKSTEP_MATRIX_VERBOSE:-}" ] || echo "  $1 refused: $err" >&2
	if ! echo "$err" | grep -Eq "$4"; then
		REASON="error '$err' lacks /$4/"
		return 1
	fi
	if [ "$(st "$1" active.version)" != "$2" ] ||
		[ "$(st "$1" root_version)" != "$3" ]; then
		REASON="after refusal enforces '$(st "$1" active.version)' under root $(st "$1" root_version), want '$2' under root $3"
		return 1
	fi
	if [ -n "${5:-}" ] && [ "$(st "$1" state)" != "$5" ]; then
		REASON="state $(st "$1" state), want $5"
		return 1
	fi
	return 0
}

# std_row ROW [ANCHOR]: release 1 (v1) and timestamp 1, applied.
std_row() {
	row_new "$1" "${2:-std}"
	rel "$1" 1 v1 k1
	ts "$1" 1 1 t1
	expect_ok "$1" v1 1
}

# ---- the rows ------------------------------------------------------------
row_root_expired() {
	std_row "$1" || return 1
	root "$1" 2 r0 --expires 2020-01-01T00:00:00Z
	rel "$1" 2 v2 k1
	ts "$1" 2 2 t1
	expect_refused "$1" v1 2 'root version 2 expired' stale || return 1
	root "$1" 3 r0
	expect_ok "$1" v2 3
}

row_root_expired_intermediate() {
	std_row "$1" || return 1
	root "$1" 2 r0 --expires 2020-01-01T00:00:00Z
	root "$1" 3 r0
	rel "$1" 2 v2 k1
	ts "$1" 2 2 t1
	expect_ok "$1" v2 3
}

row_timestamp_expired() {
	std_row "$1" || return 1
	rel "$1" 2 v2 k1
	ts "$1" 2 2 t1 -10
	expect_refused "$1" v1 1 'timestamp.*expired' stale || return 1
	ts "$1" 3 2 t1
	expect_ok "$1" v2 1
}

row_release_expired() {
	std_row "$1" || return 1
	rel "$1" 2 v2 k1 -10
	ts "$1" 2 2 t1
	expect_refused "$1" v1 1 'release: seq 2 expired' || return 1
	rel "$1" 3 v3 k1
	ts "$1" 3 3 t1
	expect_ok "$1" v3 1
}

row_timestamp_threshold_not_met() {
	row_new "$1" thr2
	rel "$1" 1 v1 k1,k2
	ts "$1" 1 1 t1
	expect_refused "$1" "" 1 'timestamp: signed by 1 known key, 2 required' ||
		return 1
	ts "$1" 1 1 t1,t2
	expect_ok "$1" v1 1
}

row_release_threshold_not_met() {
	row_new "$1" thr2
	rel "$1" 1 v1 k1
	ts "$1" 1 1 t1,t2
	expect_refused "$1" "" 1 'release: signed by 1 known key, 2 required' ||
		return 1
	rel "$1" 1 v1 k1,k2
	ts "$1" 2 1 t1,t2
	expect_ok "$1" v1 1
}

# The same signature line twice must not count as two.
row_duplicate_sig() {
	local f
	row_new "$1" thr2
	rel "$1" 1 v1 k1,k2
	ts "$1" 1 1 t1
	f=$(D "$1")/channels/stable/timestamp.note
	python3 "$FORGE" sigs --in "$f" --out "$f.dup" --dup && mv "$f.dup" "$f"
	[ "$(grep -c '^— t1 ' "$f")" = 2 ] || { REASON="no duplicate line"; return 1; }
	expect_refused "$1" "" 1 'two signatures from key t1'
}

# A root listing one key twice for a role with threshold 2.
row_duplicate_keys() {
	std_row "$1" || return 1
	# shellcheck disable=SC2046
	root "$1" 2 r0 --role timestamp 2 $(pubs t1,t1)
	rel "$1" 2 v2 k1
	ts "$1" 2 2 t1
	expect_refused "$1" v1 1 'lists a key twice for role timestamp'
}

# One key pair listed under two names (two key ids): it counts once.
row_duplicate_keys_two_names() {
	std_row "$1" || return 1
	# shellcheck disable=SC2046
	root "$1" 2 r0 --role timestamp 2 $(pubs t1,t1b)
	rel "$1" 2 v2 k1
	ts "$1" 2 2 t1,t1b
	expect_refused "$1" v1 2 'timestamp: signed by 1 known key, 2 required'
}

# A second signature under an algorithm the agent does not know is
# ignored; the known one still counts.
row_unknown_sig_alg_ignored() {
	local f
	std_row "$1" || return 1
	rel "$1" 2 v2 k1
	ts "$1" 2 2 t1
	f=$(D "$1")/channels/stable/timestamp.note
	python3 "$FORGE" sigs --in "$f" --out "$f.x" --unknown-alg "$K/t1.pub" &&
		mv "$f.x" "$f"
	expect_ok "$1" v2 1
}

# ... but it never meets a threshold by itself.
row_unknown_sig_alg_only() {
	local f
	std_row "$1" || return 1
	rel "$1" 2 v2 k1
	ts "$1" 2 2 t2	# t2 is not a timestamp key of this root
	f=$(D "$1")/channels/stable/timestamp.note
	python3 "$FORGE" sigs --in "$f" --out "$f.x" --unknown-alg "$K/t1.pub" &&
		mv "$f.x" "$f"
	expect_refused "$1" v1 1 'timestamp: not signed by any known key'
}

row_timestamp_rollback() {
	local f
	std_row "$1" || return 1
	f=$(D "$1")/channels/stable/timestamp.note
	cp "$f" "$W/$1.ts1"
	rel "$1" 2 v2 k1
	ts "$1" 2 2 t1
	expect_ok "$1" v2 1 || return 1
	cp "$W/$1.ts1" "$f"
	expect_refused "$1" v2 1 'timestamp: seq 1 is lower than 2'
}

row_release_rollback() {
	std_row "$1" || return 1
	rel "$1" 2 v2 k1
	ts "$1" 2 2 t1
	expect_ok "$1" v2 1 || return 1
	ts "$1" 3 1 t1
	expect_refused "$1" v2 1 'release: seq 1 is lower than 2'
}

# A stolen timestamp key signs seq 1000; the honest seq 2 is then a
# rollback until root 2 rotates the timestamp key.
row_timestamp_ff_recovery() {
	std_row "$1" || return 1
	ts "$1" 1000 1 t1
	expect_ok "$1" v1 1 || return 1
	rel "$1" 2 v2 k1
	ts "$1" 2 2 t1
	expect_refused "$1" v1 1 'rollback' || return 1
	# shellcheck disable=SC2046
	root "$1" 2 r0 --role timestamp 1 $(pubs t2)
	ts "$1" 2 2 t2
	expect_ok "$1" v2 2
}

# A stolen release key signs release 1000; after root 2 rotates the
# release key, the honest release 2 is accepted again.
row_release_ff_recovery() {
	std_row "$1" || return 1
	rel "$1" 1000 v2 k1
	ts "$1" 2 1000 t1
	expect_ok "$1" v2 1 || return 1
	rel "$1" 2 v3 k1
	ts "$1" 3 2 t1
	expect_refused "$1" v2 1 'rollback' || return 1
	# shellcheck disable=SC2046
	root "$1" 2 r0 --role release 1 $(pubs k2)
	rel "$1" 2 v3 k2
	ts "$1" 4 2 t1
	expect_ok "$1" v3 2
}

# 1-of-1 -> 3-of-5 (old key + three new) -> back to 1-of-1.
row_rotation_1of1_3of5_and_back() {
	std_row "$1" || return 1
	# shellcheck disable=SC2046
	root "$1" 2 r0,r1,r2,r3 --role root 3 $(pubs r1,r2,r3,r4,r5)
	expect_ok "$1" v1 2 || return 1
	# shellcheck disable=SC2046
	root "$1" 3 r3,r4,r5,r0 --role root 1 $(pubs r0)
	rel "$1" 2 v2 k1
	ts "$1" 2 2 t1
	expect_ok "$1" v2 3
}

row_rotation_3of5_to_1of1() {
	std_row "$1" r35 || return 1
	# shellcheck disable=SC2046
	root "$1" 2 r1,r2,r3,r6 --role root 1 $(pubs r6)
	expect_ok "$1" v1 2
}

row_rotation_old_sigs_missing() {	# 3-of-5 old, only 2 of them sign
	std_row "$1" r35 || return 1
	# shellcheck disable=SC2046
	root "$1" 2 r1,r2,r6 --role root 1 $(pubs r6)
	expect_refused "$1" v1 1 'not signed by the keys of trusted root version 1'
}

row_rotation_old_sig_missing_1of1() {	# only the new keys sign
	std_row "$1" || return 1
	# shellcheck disable=SC2046
	root "$1" 2 r1,r2,r3 --role root 3 $(pubs r1,r2,r3,r4,r5)
	expect_refused "$1" v1 1 'not signed by the keys of trusted root version 1'
}

row_rotation_new_sigs_missing() {	# 3-of-5 new, only 2 of them sign
	std_row "$1" || return 1
	# shellcheck disable=SC2046
	root "$1" 2 r0,r1,r2 --role root 3 $(pubs r1,r2,r3,r4,r5)
	expect_refused "$1" v1 1 'its own root keys'
}

row_threshold_increase() {	# 1-of-3 -> 2-of-3
	std_row "$1" r13t1 || return 1
	# shellcheck disable=SC2046
	root "$1" 2 r1 --role root 2 $(pubs r1,r2,r3)
	expect_refused "$1" v1 1 'its own root keys' || return 1
	# shellcheck disable=SC2046
	root "$1" 2 r1,r2 --role root 2 $(pubs r1,r2,r3)
	expect_ok "$1" v1 2
}

row_threshold_decrease() {	# 2-of-3 -> 1-of-3
	std_row "$1" r13t2 || return 1
	# shellcheck disable=SC2046
	root "$1" 2 r1 --role root 1 $(pubs r1,r2,r3)
	expect_refused "$1" v1 1 'not signed by the keys of trusted root version 1' ||
		return 1
	# shellcheck disable=SC2046
	root "$1" 2 r1,r2 --role root 1 $(pubs r1,r2,r3)
	expect_ok "$1" v1 2
}

# ---- run -----------------------------------------------------------------
python3 -u -m http.server --bind 127.0.0.1 --directory "$W/www" 0 \
	>"$W/http.log" 2>&1 &
PIDS+=("$!")
wait_until 10 grep -q ' port ' "$W/http.log" || die "http.server did not start"
PORT=$(sed -n 's/.* port \([0-9]*\) .*/\1/p' "$W/http.log" | head -n 1)

# Rows are independent (own repository, own state), so a few run at once;
# their lines are printed in order at the end.
ROW_JOBS=${LOCKSTEP_MATRIX_JOBS:-3}
ROW_PIDS=()
ROW_NAMES=()
mkdir -p "$W/rows"
run_row() {	# NAME FUNCTION
	# http.server is one of the jobs.
	while [ "$(jobs -rp | wc -l)" -gt "$ROW_JOBS" ]; do wait -n; done
	(
		REASON=""
		if "$2" "$1" && [ -z "$REASON" ]; then
			echo "PASS $1"
		else
			echo "FAIL $1: ${REASON:-setup failed}"
		fi >"$W/rows/$1"
	) &
	ROW_PIDS+=("$!")
	ROW_NAMES+=("$1")
}

run_row root-expired row_root_expired
run_row root-expired-intermediate row_root_expired_intermediate
run_row timestamp-expired row_timestamp_expired
run_row release-expired row_release_expired
run_row timestamp-threshold-not-met row_timestamp_threshold_not_met
run_row release-threshold-not-met row_release_threshold_not_met
run_row duplicate-sig-keyids row_duplicate_sig
run_row duplicate-keys-root row_duplicate_keys
run_row duplicate-keys-two-names row_duplicate_keys_two_names
run_row unknown-signature-algorithm-ignored row_unknown_sig_alg_ignored
run_row unknown-signature-algorithm-only row_unknown_sig_alg_only
run_row timestamp-rollback row_timestamp_rollback
run_row release-rollback row_release_rollback
run_row timestamp-fast-forward-recovery row_timestamp_ff_recovery
run_row release-fast-forward-recovery row_release_ff_recovery
run_row root-rotation-1-of-1-to-3-of-5-and-back row_rotation_1of1_3of5_and_back
run_row root-rotation-3-of-5-to-1-of-1 row_rotation_3of5_to_1of1
run_row root-rotation-fail-old-signatures-missing row_rotation_old_sigs_missing
run_row root-rotation-fail-not-signed-with-old-key row_rotation_old_sig_missing_1of1
run_row root-rotation-fail-new-signatures-missing row_rotation_new_sigs_missing
run_row root-threshold-increase row_threshold_increase
run_row root-threshold-decrease row_threshold_decrease

for p in "${ROW_PIDS[@]}"; do wait "$p"; done
for n in "${ROW_NAMES[@]}"; do
	if [ -s "$W/rows/$n" ]; then
		cat "$W/rows/$n"
	else
		echo "FAIL $n: the row did not finish (see $W/$n.log)"
	fi
	grep -q '^PASS ' "$W/rows/$n" 2>/dev/null || ROWS_FAILED=$((ROWS_FAILED + 1))
done
[ "$ROWS_FAILED" -eq 0 ] || FAILS=$((FAILS + ROWS_FAILED))
finish
