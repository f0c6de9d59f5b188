#!/usr/bin/env bash
# server_mirror.sh - deploy/nginx-mirror.conf serves a --data folder as a
# read-only mirror: the same bytes for v1/, the right cache headers, 304s,
# and nothing outside v1/.  Needs nginx (deploy/install-deps.sh --bench);
# without it the test says SKIP.
set -u
. "$(dirname "$0")/lib_server.sh"
if ! command -v nginx >/dev/null; then
	echo "SKIP: nginx not installed"
	exit 0
fi
root=${LOCKSTEP_ROOT:-$(cd "$(dirname "$0")/../.." && pwd)}

make_keys
make_repo
tag_repo v1.0.0
start_server
check "published" wait_published stable 1
stop_server

chmod 755 "$work"	# nginx workers may run as another user
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
mkdir -p "$work/nginx"
sed -e "s|listen 80;|listen 127.0.0.1:$port;|; /listen \[::\]:80;/d" \
    -e "s|root /srv/lockstep;|root $work/data;|" \
    -e "s|access_log /var/log/nginx/lockstep-mirror.access.log;|access_log off;|" \
    "$root/deploy/nginx-mirror.conf" >"$work/nginx/mirror.conf"
printf 'pid %s/nginx/nginx.pid;\nerror_log %s/nginx/error.log;\nevents {}\nhttp { include %s/nginx/mirror.conf; }\n' \
    "$work" "$work" "$work" >"$work/nginx/nginx.conf"
nginx -p "$work/nginx" -c "$work/nginx/nginx.conf" -g 'daemon off;' \
    >"$work/nginx/stderr" 2>&1 &
pids+=("$!")
m="http://127.0.0.1:$port"
wait_until 10 curl -sf -o /dev/null "$m/v1/root/1.note" ||
	{ cat "$work/nginx/stderr" "$work/nginx/error.log"; fail "nginx did not start"; finish; }

t=/v1/channels/stable/timestamp.note
curl -s -m 5 -D "$work/h" -o "$work/ts" "$m$t"
check "mirror serves the timestamp bytes" cmp -s "$work/ts" "$(ts_file stable)"
check "timestamp no-cache on the mirror" grep -qi '^Cache-Control: no-cache' "$work/h"
etag=$(sed -n 's/^ETag: \(.*\)\r$/\1/Ip' "$work/h")
check "mirror 304" test "$(http_code -H "If-None-Match: $etag" "$m$t")" = 304
curl -s -m 5 -D "$work/h" -o /dev/null "$m/v1/channels/stable/releases/1.note"
check "release immutable on the mirror" grep -qi 'immutable' "$work/h"
sha=$(body_field "$work/data/v1/channels/stable/releases/1.note" bundle | sed 's/^sha256:\([0-9a-f]*\) .*/\1/')
curl -s -m 5 -o "$work/b" "$m/v1/bundles/$sha.tar.gz"
check "bundle intact through the mirror" test "$(sha256sum <"$work/b" | cut -d' ' -f1)" = "$sha"
ckpt=$work/data/evidence/checkpoint.note
curl -s -m 5 -o "$work/c" "$m/v1/evidence/checkpoint"
check "mirror serves the evidence checkpoint" cmp -s "$work/c" "$ckpt"
size=$(sed -n 2p "$ckpt")
curl -s -m 5 -D "$work/h" -o "$work/tile" "$m/v1/evidence/tile/0/000.p/$size"
check "mirror serves the checkpoint's tile" cmp -s "$work/tile" \
    "$work/data/evidence/tile/0/000.p/$size"
check "tile immutable on the mirror" grep -qi 'immutable' "$work/h"
for p in /evidence/log.jsonl /evidence/index.sqlite /v1/evidence/index.sqlite /v1/evidence/tile/../index.sqlite /lock /agents/ /state/ /git/config /v1/../lock; do
	check "mirror hides $p" test "$(http_code "$m$p")" = 404
done
check "mirror refuses POST" test "$(http_code -X POST "$m$t")" = 405
finish
