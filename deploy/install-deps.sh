#!/bin/sh
# Install the Debian packages Lockstep needs to build, test, demo and bench
# (nodejs and npm: the DuckDB test installs @duckdb/node-api with npm).
# Only missing packages are installed; running it twice is harmless.
# Usage: deploy/install-deps.sh [--bench | --browser]
set -eu

PKGS="build-essential pkg-config git curl ca-certificates
libgit2-dev libsodium-dev libarchive-dev libmicrohttpd-dev
libcurl4-openssl-dev libjansson-dev libcmocka-dev libpcre2-dev libssl-dev zlib1g-dev
libyaml-dev libgnutls28-dev nettle-dev libsqlite3-dev
python3 clang libclang-rt-dev"
# A node that brings its own npm (e.g. NodeSource's) is fine as it is.
if ! command -v npm >/dev/null 2>&1; then
	PKGS="$PKGS nodejs npm"
fi
if [ "${1:-}" = "--bench" ]; then
	PKGS="$PKGS nginx-light wrk"
fi
PKGS="$PKGS zlib1g-dev libdeflate-dev"	# decision batches are gzip (agent/decupload.c, server/decisions.c)
PKGS="$PKGS python3-jsonschema"	# SARIF (cli_check.sh) and OSCAL (audit_package.sh) schema checks
if [ "${1:-}" = "--browser" ]; then	# the auditor page's test
	PKGS="$PKGS chromium python3-websockets"
fi

missing=""
for p in $PKGS; do
	if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "ok installed"; then
		missing="$missing $p"
	fi
done
[ -z "$missing" ] && exit 0

if [ "$(id -u)" -eq 0 ]; then
	SUDO=""
elif command -v sudo >/dev/null 2>&1; then
	SUDO="sudo"
else
	echo "install-deps.sh: missing packages:$missing; run as root or install sudo" >&2
	exit 1
fi

echo "install-deps.sh: installing$missing" >&2
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq
# shellcheck disable=SC2086
$SUDO apt-get install -y -qq --no-install-recommends $missing >/dev/null
