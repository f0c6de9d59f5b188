#!/usr/bin/env bash
# cli_keys_notes.sh - lockstep keygen, init and note sign|cosign|verify,
# run as a user would: real files, real exit codes, real stderr lines.
set -u
: "${LOCKSTEP_BIN:?set LOCKSTEP_BIN to the directory holding lockstep}"
ls=$LOCKSTEP_BIN/lockstep
root=${LOCKSTEP_ROOT:-$(cd "$(dirname "$0")/../.." && pwd)}
work=$(mktemp -d /tmp/ls-cli-keys.XXXXXX)
trap 'rm -rf "$work"' EXIT
fails=0

fail() { echo "FAIL: $*"; fails=$((fails + 1)); }
ok() { echo "ok: $*"; }

# expect_refusal NAME PATTERN CMD...: non-zero exit, nothing on stdout,
# exactly one stderr line, and it matches PATTERN.
expect_refusal() {
	local name=$1 pattern=$2 rc lines
	shift 2
	"$@" >"$work/out" 2>"$work/err"
	rc=$?
	lines=$(wc -l <"$work/err")
	if [ "$rc" -eq 0 ]; then
		fail "$name: exit 0"
	elif [ -s "$work/out" ]; then
		fail "$name: wrote to stdout"
	elif [ "$lines" -ne 1 ]; then
		fail "$name: $lines stderr lines: $(cat "$work/err")"
	elif ! grep -q -- "$pattern" "$work/err"; then
		fail "$name: stderr '$(cat "$work/err")' lacks '$pattern'"
	else
		ok "$name: $(cat "$work/err")"
	fi
}

mode_of() { stat -c %a "$1"; }

# --- keygen -----------------------------------------------------------
# lockstep --help is answered by lockstep itself: no lockstep-ops beside
# it (the network and git stacks are not loaded for a help text)
mkdir -p "$work/alone"
cp "$ls" "$work/alone/lockstep"
"$work/alone/lockstep" --help >"$work/help.out" 2>&1 &&
    grep -q "lockstep audit --control" "$work/help.out" ||
	fail "lockstep --help without lockstep-ops: $(head -c 300 "$work/help.out")"
"$work/alone/lockstep" >/dev/null 2>&1
[ $? = 2 ] || fail "lockstep with no command: exit 2"
"$ls" --help | cmp -s - <("$LOCKSTEP_BIN/lockstep-ops" --help) ||
	fail "lockstep --help and lockstep-ops --help differ"
"$ls" keygen --help | grep -q "usage: lockstep keygen" ||
	fail "keygen --help"
"$ls" keygen alice -o "$work/k" || fail "keygen alice"
[ "$(mode_of "$work/k/alice.key")" = 600 ] ||
	fail "alice.key mode $(mode_of "$work/k/alice.key")"
grep -q '^PRIVATE+KEY+alice+[0-9a-f]\{8\}+' "$work/k/alice.key" ||
	fail "alice.key format"
grep -q '^alice+[0-9a-f]\{8\}+' "$work/k/alice.pub" || fail "alice.pub"
cp "$work/k/alice.key" "$work/alice.key.orig"
expect_refusal "keygen refuses overwrite" \
	"alice.key: already exists, refusing to overwrite" \
	"$ls" keygen alice -o "$work/k"
cmp -s "$work/k/alice.key" "$work/alice.key.orig" ||
	fail "keygen changed an existing key"
expect_refusal "keygen bad name" "bad key name" \
	"$ls" keygen "a+b" -o "$work/k"
expect_refusal "keygen name leaving DIR" "cannot be a file name" \
	"$ls" keygen "../up" -o "$work/k"
[ ! -e "$work/up.key" ] || fail "keygen wrote outside DIR"
expect_refusal "keygen without -o" "need NAME and -o DIR" \
	"$ls" keygen carol
"$ls" keygen bob -o "$work/k" || fail "keygen bob"
"$ls" keygen mallory -o "$work/other" || fail "keygen mallory"

# --- sign / verify roundtrip ----------------------------------------------
printf 'lockstep/test/v1\nmessage hello\n' >"$work/body"
"$ls" note sign "$work/k/alice.key" --in "$work/body" >"$work/a.note" ||
	fail "note sign"
grep -q $'^\xe2\x80\x94 alice ' "$work/a.note" || fail "signature line"
"$ls" note verify "$work/k/alice.pub" <"$work/a.note" >"$work/verified" ||
	fail "note verify of a good note"
cmp -s "$work/body" "$work/verified" && ok "verify prints the body" ||
	fail "verified body differs"
# body on stdin works too, and equals the --in result (Ed25519 is
# deterministic)
"$ls" note sign "$work/k/alice.key" <"$work/body" | cmp -s - "$work/a.note" ||
	fail "sign from stdin differs from --in"

# --- refusals the issue names -------------------------------------------
sed 's/hello/hellO/' "$work/a.note" >"$work/flipped.note"
expect_refusal "flipped body byte" "does not verify" \
	"$ls" note verify "$work/k/alice.pub" --in "$work/flipped.note"
"$ls" note sign "$work/other/mallory.key" <"$work/body" >"$work/m.note"
expect_refusal "signed by another key" "not signed by any known key" \
	"$ls" note verify "$work/k/alice.pub" --in "$work/m.note"
head -c -1 "$work/a.note" >"$work/nonl.note"
expect_refusal "missing final newline" "does not end in a newline" \
	"$ls" note verify "$work/k/alice.pub" --in "$work/nonl.note"
cat "$work/a.note" <(tail -n 1 "$work/a.note") >"$work/dup.note"
expect_refusal "duplicate signature" "two signatures from key alice" \
	"$ls" note verify "$work/k/alice.pub" --in "$work/dup.note"
expect_refusal "unsigned input" "no blank line" \
	"$ls" note verify "$work/k/alice.pub" --in "$work/body"
expect_refusal "missing verifier key file" "no-such.pub" \
	"$ls" note verify "$work/k/no-such.pub" --in "$work/a.note"
expect_refusal "secret key given as verifier key" \
	"alice.key: this is a secret key" \
	"$ls" note verify "$work/k/alice.key" --in "$work/a.note"
printf 'no newline' >"$work/badbody"
expect_refusal "sign refuses a body without final newline" \
	"does not end in a newline" \
	"$ls" note sign "$work/k/alice.key" --in "$work/badbody"
head -c 70000 /dev/zero | tr '\0' 'x' >"$work/huge"
expect_refusal "oversized note on stdin" "larger than 65536" \
	"$ls" note verify "$work/k/alice.pub" <"$work/huge"

# --- thresholds and co-signing ----------------------------------------------
"$ls" note sign "$work/k/alice.key" "$work/k/bob.key" <"$work/body" \
	>"$work/ab.note" || fail "sign with two keys"
[ "$(grep -c $'^\xe2\x80\x94 ' "$work/ab.note")" -eq 2 ] ||
	fail "two keys did not give two signatures"
"$ls" note verify "$work/k/alice.pub" "$work/k/bob.pub" --threshold 2 \
	<"$work/ab.note" >/dev/null || fail "threshold 2 of 2"
expect_refusal "threshold above the signers" "2 known keys, 3 required" \
	"$ls" note verify "$work/k/alice.pub" "$work/k/bob.pub" \
	"$work/other/mallory.pub" --threshold 3 --in "$work/ab.note"
"$ls" note cosign "$work/other/mallory.key" <"$work/ab.note" \
	>"$work/abm.note" || fail "cosign"
"$ls" note verify "$work/k/alice.pub" "$work/k/bob.pub" \
	"$work/other/mallory.pub" --threshold 3 <"$work/abm.note" >/dev/null ||
	fail "threshold 3 after cosign"
expect_refusal "bad --threshold" "want a number from 1 to 32" \
	"$ls" note verify "$work/k/alice.pub" --threshold 0 --in "$work/a.note"

# --- committed hostile fixtures -------------------------------------------
fx=$root/tests/data/notes
for f in forged-signature truncated-signature wrong-keyid \
    flipped-body-byte duplicate-signature bad-base64 missing-final-newline \
    oversized unknown-key known-key-bad-signature; do
	expect_refusal "fixture $f" "$f.note" \
		"$ls" note verify "$fx/alice.pub" "$fx/bob.pub" --in "$fx/$f.note"
done
"$ls" note verify "$fx/alice.pub" --in "$fx/good.note" >/dev/null ||
	fail "fixture good.note"

# --- init ------------------------------------------------------------------
"$ls" init --help | grep -q "usage: lockstep init" || fail "init --help"
"$ls" init "$work/keys" --origin acme || fail "init"
for r in root release timestamp log; do
	[ "$(mode_of "$work/keys/$r.key")" = 600 ] || fail "init $r.key mode"
	[ -s "$work/keys/$r.pub" ] || fail "init $r.pub"
	grep -qx "key $r $(cat "$work/keys/$r.pub")" "$work/keys/1.root.note" ||
		fail "root note lacks the $r key"
	grep -qx "threshold $r 1" "$work/keys/1.root.note" ||
		fail "root note lacks threshold $r"
done
"$ls" note verify "$work/keys/root.pub" --in "$work/keys/1.root.note" \
	>"$work/root.body" || fail "root note does not verify with root.pub"
head -n 3 "$work/root.body" | tr '\n' ' ' |
	grep -q '^lockstep/root/v1 origin acme version 1 ' ||
	fail "root body head: $(head -n 3 "$work/root.body")"
year=$(date -u +%Y)
grep -q "^expires $((year + 1))-" "$work/root.body" ||
	fail "default expiry is not next year"
expect_refusal "root note with the release key" "not signed by any" \
	"$ls" note verify "$work/keys/release.pub" --in \
	"$work/keys/1.root.note"
cp "$work/keys/1.root.note" "$work/root.orig"
expect_refusal "init refuses to overwrite" "refusing to overwrite" \
	"$ls" init "$work/keys" --origin acme
cmp -s "$work/keys/1.root.note" "$work/root.orig" ||
	fail "init changed an existing root"
"$ls" init "$work/keys2" --origin acme --expires 2031-05-06 ||
	fail "init --expires"
grep -q '^expires 2031-05-06T00:00:00Z$' "$work/keys2/1.root.note" ||
	fail "init --expires not used"
expect_refusal "init past expiry" "not a future date" \
	"$ls" init "$work/keys3" --origin acme --expires 2001-01-01
[ ! -e "$work/keys3/root.key" ] || fail "init wrote keys on a bad date"
expect_refusal "init bad origin" "not a valid name" \
	"$ls" init "$work/keys4" --origin "a b"

# --- a root rotation as an operator would script it -----------------------
# Root v2 moves the root key to root2: body from v1 with the version and the
# root key line changed, signed by the old and the new root key at once.
"$ls" keygen root2 -o "$work/keys" || fail "keygen root2"
sed -e 's/^version 1$/version 2/' \
	-e "s|^key root .*|key root $(cat "$work/keys/root2.pub")|" \
	"$work/root.body" >"$work/root2.body"
"$ls" note sign "$work/keys/root.key" "$work/keys/root2.key" \
	--in "$work/root2.body" >"$work/keys/2.root.note" || fail "sign root v2"
"$ls" note verify "$work/keys/root.pub" --in "$work/keys/2.root.note" \
	>/dev/null || fail "root v2 lacks the old root signature"
"$ls" note verify "$work/keys/root2.pub" --in "$work/keys/2.root.note" \
	>"$work/root2.verified" || fail "root v2 lacks the new root signature"
cmp -s "$work/root2.body" "$work/root2.verified" || fail "root v2 body"
grep -qx "key root $(cat "$work/keys/root2.pub")" "$work/root2.verified" ||
	fail "root v2 does not list root2"

if [ "$fails" -ne 0 ]; then
	echo "$fails check(s) failed"
	exit 1
fi
echo "all checks passed"
