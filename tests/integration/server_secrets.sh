#!/usr/bin/env bash
# server_secrets.sh - secret files and tokens: a key or token file that
# group or others can read is refused by every program, naming the file and
# its mode; admin tokens are compared whole (a prefix or an extension of
# the token is refused).
set -u
. "$(dirname "$0")/lib_server.sh"

make_keys
make_repo
tag_repo v1.0.0
printf 'the-admin-token\n' >"$work/admin.token"
chmod 644 "$work/admin.token"

refused_start "server refuses a 0644 admin token file" \
    "admin.token: permissions 0644 are too open" \
    --admin-token-file "$work/admin.token"
chmod 600 "$work/admin.token"
chmod 644 "$work/keys/release.key"
refused_start "server refuses a 0644 release key" \
    "release.key: permissions 0644 are too open"
chmod 600 "$work/keys/release.key"

printf 'lockstep/test\nhello\n' >"$work/body"
chmod 640 "$work/keys/log.key"
out=$("$ls" note sign "$work/keys/log.key" --in "$work/body" 2>&1)
check "lockstep note sign refuses a 0640 key, naming it" \
    sh -c "! printf '%s' '$out' | grep -q '^lockstep/test' &&
	printf '%s' '$out' | grep -q 'log.key: permissions 0640'"
chmod 600 "$work/keys/log.key"

start_server --admin-token-file "$work/admin.token"
check "published" wait_published stable 1
admin() {	# admin TOKEN -> HTTP code of GET /v1/admin/status
	http_code -H "Authorization: Bearer $1" "$url/v1/admin/status"
}
check "the admin token: 200" test "$(admin the-admin-token)" = 200
check "a prefix of the token: 401" test "$(admin the-admin-toke)" = 401
check "the token and one more byte: 401" test "$(admin the-admin-tokenn)" = 401
check "empty token: 401" test "$(admin '')" = 401
printf 'the-admin-token\n' >"$work/cli.token"
chmod 604 "$work/cli.token"
out=$("$ls" status --server "$url" --token-file "$work/cli.token" 2>&1)
check "lockstep refuses a 0604 --token-file, naming it" \
    sh -c "printf '%s' '$out' | grep -q 'cli.token: permissions 0604'"
stop_server
finish
