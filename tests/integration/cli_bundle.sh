#!/usr/bin/env bash
# cli_bundle.sh - `lockstep bundle build|inspect|extract` end to end:
# reproducible bytes whatever the file times and directory order, and every
# hostile archive refused with a one-line error, a non-zero exit and
# nothing written anywhere.
set -euo pipefail
: "${LOCKSTEP_BIN:?}" "${LOCKSTEP_ROOT:?}"
L="$LOCKSTEP_BIN/lockstep"
T=$(mktemp -d /tmp/lockstep-cli-bundle.XXXXXX)
trap 'rm -rf "$T"' EXIT
fail() { echo "FAIL: $*" >&2; exit 1; }

# --- help and usage ---
"$L" bundle --help | grep -q "bundle build SRC_DIR -o OUT.tar.gz" ||
	fail "bundle --help"
if "$L" bundle build 2>"$T/err"; then fail "build without args succeeded"; fi
[ "$(wc -l <"$T/err")" -eq 1 ] || fail "usage error is not one line"

# --- reproducible build ---
src="$LOCKSTEP_ROOT/bundles/example"
cp -a "$src" "$T/copy1"
out=$("$L" bundle build "$T/copy1" -o "$T/one.tar.gz")
[ -z "$out" ] || fail "build printed something: $out"
find "$T/copy1" -exec touch -d '2001-02-03 04:05:06' {} +
touch -d '2031-01-01' "$T/copy1/data.json"
"$L" bundle build "$T/copy1" -o "$T/two.tar.gz"
cmp "$T/one.tar.gz" "$T/two.tar.gz" || fail "file times changed the bytes"
# Files created in another order (so readdir order differs), other modes.
mkdir "$T/copy2"
(cd "$src" && find . -type f | sort -r) | while read -r f; do
	mkdir -p "$T/copy2/$(dirname "$f")"
	cp "$src/$f" "$T/copy2/$f"
	chmod 0600 "$T/copy2/$f"
done
"$L" bundle build "$T/copy2" -o "$T/three.tar.gz"
cmp "$T/one.tar.gz" "$T/three.tar.gz" || fail "file order or mode changed the bytes"
# A change of content does change the bytes.
echo '# edit' >>"$T/copy2/kubernetes/lib.rego"
"$L" bundle build "$T/copy2" -o "$T/four.tar.gz"
if cmp -s "$T/one.tar.gz" "$T/four.tar.gz"; then fail "edit not in bundle"; fi
echo "reproducible: sha256 $(sha256sum "$T/one.tar.gz" | cut -c1-16)..."

# --- inspect ---
"$L" bundle inspect "$T/one.tar.gz" >"$T/inspect"
grep -q "^sha256: $(sha256sum "$T/one.tar.gz" | cut -d' ' -f1)$" "$T/inspect" ||
	fail "inspect sha256"
rego_sha=$(sha256sum "$src/kubernetes/admission.rego" | cut -d' ' -f1)
grep -q "^file: kubernetes/admission.rego [0-9]* sha256:$rego_sha$" "$T/inspect" ||
	fail "inspect file line"
grep -q '^manifest: root "kubernetes"$' "$T/inspect" || fail "inspect manifest"
grep -q '^control: soc2:CC6.1$' "$T/inspect" || fail "inspect controls"
grep -q '^exception: EXC-2026-001 owner .* ticket SEC-4711 expires 2027-12-31' \
    "$T/inspect" || fail "inspect exceptions"
# A bundle whose controls file is invalid: inspect names the field, exits 1.
mkdir -p "$T/badctl/lockstep"
echo '{"exceptions": [{"id": "E1"}]}' >"$T/badctl/lockstep/data.json"
"$L" bundle build "$T/badctl" -o "$T/badctl.tar.gz"
if "$L" bundle inspect "$T/badctl.tar.gz" >/dev/null 2>"$T/err"; then
	fail "inspect accepted an invalid controls file"
fi
grep -q "exceptions\[0\].owner: missing" "$T/err" || fail "controls message: $(cat "$T/err")"

# --- extract ---
"$L" bundle extract "$T/one.tar.gz" "$T/ex"
diff -r "$src" "$T/ex" || fail "extracted tree differs from the source"
if "$L" bundle extract "$T/one.tar.gz" "$T/ex" 2>"$T/err"; then
	fail "extract into an existing directory succeeded"
fi
grep -q "already exists" "$T/err" || fail "existing dir message: $(cat "$T/err")"
if "$L" bundle extract "$T/absent.tar.gz" "$T/ex2" 2>"$T/err"; then
	fail "extract of a missing file succeeded"
fi
grep -q "absent.tar.gz" "$T/err" || fail "missing file not named"

# --- hostile archives ---
python3 "$LOCKSTEP_ROOT/tests/data/archives/gen-hostile.py" --bomb "$T/bomb.tar.gz"
mkdir -p "$T/sentinel/inside"
echo keep >"$T/sentinel/inside/file"
# Every entry below the target's parent, with its time; the parent's own
# mtime is left out: creating (and on refusal removing) the fresh target
# inside it is what extraction is for.
snapshot() { (cd "$T" && find sentinel -mindepth 1 -printf '%p %y %s %T@\n' | sort); }
escape_before=$(ls -d /tmp/lockstep-escape.txt /tmp/escape.txt 2>/dev/null || true)
n=0
for a in "$LOCKSTEP_ROOT"/tests/data/archives/*.tar.gz "$T/bomb.tar.gz"; do
	before=$(snapshot)
	rc=0
	timeout 60 "$L" bundle extract "$a" "$T/sentinel/out" 2>"$T/err" || rc=$?
	name=$(basename "$a")
	[ "$rc" -ne 0 ] || fail "$name: extract succeeded"
	[ "$rc" -ne 124 ] || fail "$name: extract hung"
	[ "$(wc -l <"$T/err")" -eq 1 ] || fail "$name: error is not one line"
	grep -q "^lockstep bundle extract: .*$name: " "$T/err" ||
		fail "$name: error does not name the file: $(cat "$T/err")"
	[ ! -e "$T/sentinel/out" ] || fail "$name: left the target directory"
	[ "$before" = "$(snapshot)" ] || fail "$name: sentinel directory changed"
	echo "refused $name: $(cut -d: -f3- "$T/err")"
	n=$((n + 1))
done
[ "$n" -ge 14 ] || fail "only $n hostile archives tried"
escape_after=$(ls -d /tmp/lockstep-escape.txt /tmp/escape.txt 2>/dev/null || true)
[ "$escape_before" = "$escape_after" ] || fail "a file escaped into /tmp"
# inspect applies the same checks
if "$L" bundle inspect "$LOCKSTEP_ROOT/tests/data/archives/symlink.tar.gz" \
    >/dev/null 2>"$T/err"; then
	fail "inspect accepted a symlink"
fi
grep -q "symbolic link" "$T/err" || fail "inspect message"
echo "cli_bundle: ok ($n hostile archives refused)"
