#!/bin/sh
# Exit 0 when CC (default clang) can link a libFuzzer program with ASan and
# UBSan, i.e. clang and its fuzzer runtime (Debian: clang,
# libclang-rt-dev) are installed; else print the reason and exit 1.
cc=${1:-clang}
if ! command -v "$cc" >/dev/null 2>&1; then
	echo "no $cc on PATH (Debian package clang)"
	exit 1
fi
tmp=$(mktemp -d /tmp/lockstep-havefuzz.XXXXXX) || exit 1
trap 'rm -rf "$tmp"' EXIT
printf '%s\n' '#include <stddef.h>' '#include <stdint.h>' \
    'int LLVMFuzzerTestOneInput(const uint8_t *d, size_t n);' \
    'int LLVMFuzzerTestOneInput(const uint8_t *d, size_t n)' \
    '{ return (int)(d == NULL && n > 0); }' >"$tmp/t.c"
if ! "$cc" -fsanitize=fuzzer,address,undefined -o "$tmp/t" "$tmp/t.c" \
    >"$tmp/log" 2>&1; then
	echo "$cc cannot link -fsanitize=fuzzer (Debian package libclang-rt-dev):" \
	    "$(head -n 1 "$tmp/log")"
	exit 1
fi
exit 0
