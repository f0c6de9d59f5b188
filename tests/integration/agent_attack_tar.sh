#!/usr/bin/env bash
# agent_attack_tar.sh - hostile archives (a ../ entry, a symbolic link, a
# 300 MiB expansion) in releases signed with the real release key: the
# agent verifies the signatures, refuses the archive at extraction, writes
# nothing outside its directory, and keeps enforcing the last good bundle.
. "$(dirname "$0")/libagent.sh"
setup_world
start_agent a "$MIRROR_URL"
expect_version a v1 30 "first activation"
good=v1
n=2
for kind in dotdot symlink bomb; do
	python3 "$FORGE" tar --kind "$kind" --out "$W/$kind.tar.gz" ||
		die "forge tar $kind"
	rm -rf "$W/ov"
	forge_release_chain "$W/$kind.tar.gz" "$W/ov"
	mirror "any overlay $W/ov"
	if wait_until 30 sh -c "\"$AGENT\" --state \"$W/a\" status --json | grep -Eq '\"state\":\"error\".*(unsafe|UNSAFE|link|\\.\\.|too|cap|limit|large)'"; then
		ok "signed tar with $kind: refused ($(last_error a))"
	else
		fail "signed tar with $kind: last_error '$(last_error a)'"
	fi
	hold a "$good" 1 "signed tar with $kind"
	[ -z "$(find "$W" -name escaped.rego)" ] ||
		fail "signed tar with $kind: a file escaped"
	# A retry in flight has its fresh directory for a moment; a leftover
	# would stay, so the count must come back to the active one alone.
	wait_until 10 sh -c "[ \$(ls '$W/a/bundles' | wc -l) -eq 1 ]" ||
		fail "signed tar with $kind: leftover bundle directories"
	mirror_off
	tag "v$n"
	wait_until 60 published_version "v$n" || die "v$n not published"
	expect_version a "v$n" 30 "signed tar with $kind: after the attack"
	good=v$n
	n=$((n + 1))
done
finish
