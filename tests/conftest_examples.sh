#!/usr/bin/env bash
# conftest_examples.sh TREE - run `lockstep check` on Conftest's own
# examples (an exported tree of open-policy-agent/conftest, never
# committed here) and compare with what Conftest's acceptance tests
# (acceptance.bats) document for them: exit codes, messages and summary
# lines.  Prints one line per case and "N passed, M failed".
set -u
tree=${1:?usage: conftest_examples.sh CONFTEST_TREE}
ls=${LOCKSTEP_BIN:-build/bin}/lockstep
cd "$tree" || exit 2
pass=0
failn=0

# case NAME WANT_EXIT [--has TEXT | --lacks TEXT | --summary LINE]... -- ARGS...
case_() {
	local name=$1 want=$2 got out checks=()
	shift 2
	while [ "$1" != "--" ]; do checks+=("$1" "$2"); shift 2; done
	shift
	out=$("$ls" check --no-color "$@" 2>&1)
	got=$?
	local bad=""
	[ "$got" -eq "$want" ] || bad="exit $got, want $want"
	local i
	for ((i = 0; i < ${#checks[@]}; i += 2)); do
		case ${checks[i]} in
		--has) grep -qF -- "${checks[i + 1]}" <<<"$out" || bad="$bad; missing '${checks[i + 1]}'" ;;
		--lacks) grep -qF -- "${checks[i + 1]}" <<<"$out" && bad="$bad; has '${checks[i + 1]}'" ;;
		--summary) [ "$(tail -n 1 <<<"$out")" = "${checks[i + 1]}" ] || bad="$bad; summary '$(tail -n 1 <<<"$out")'" ;;
		esac
	done
	if [ -z "$bad" ]; then
		echo "PASS $name"
		pass=$((pass + 1))
	else
		echo "FAIL $name: $bad"
		failn=$((failn + 1))
	fi
}

case_ "service passes" 0 -- -p examples/kubernetes/policy examples/kubernetes/service.yaml
case_ "blank file name ignored" 0 -- -p examples/kubernetes/policy examples/kubernetes/service.yaml ""
case_ "deployment with root containers fails" 1 -- -p examples/kubernetes/policy examples/kubernetes/deployment.yaml
case_ "service warnings fail with --fail-on-warn" 1 -- --fail-on-warn -p examples/kubernetes/policy examples/kubernetes/service.yaml
case_ "no policies path fails" 1 -- -p internal/ examples/kubernetes/deployment.yaml
case_ "blank namespace passes" 0 -- --namespace notpresent -p examples/kubernetes/policy examples/kubernetes/deployment.yaml
case_ "YAML on stdin" 0 -- -p examples/kubernetes/policy - <examples/kubernetes/service.yaml
case_ "YAML on stdin with --parser yaml" 0 -- --parser yaml -p examples/kubernetes/policy - <examples/kubernetes/service.yaml
case_ "TOML and YAML together" 0 --has "Found service hello-kubernetes but services are not allowed" -- \
    examples/traefik/traefik.toml examples/kubernetes/service.yaml -p examples/kubernetes/policy
case_ "all namespaces" 1 --has 'unallowed image found ["openjdk:8-jdk-alpine"]' \
    --has 'unallowed commands found ["apk add --no-cache python3 python3-dev build-base && pip3 install awscli==1.18.1"]' -- \
    -p examples/docker/policy examples/docker/Dockerfile --all-namespaces
case_ "namespace matched literally" 1 --has "unallowed image found" --lacks "unallowed commands found" -- \
    -p examples/docker/policy examples/docker/Dockerfile --namespace main
case_ "namespace wildcard *" 1 --has "unallowed image found" --has "unallowed commands found" -- \
    -p examples/docker/policy examples/docker/Dockerfile --namespace '*'
case_ "namespace wildcard c*" 1 --lacks "unallowed image found" --has "unallowed commands found" -- \
    -p examples/docker/policy examples/docker/Dockerfile --namespace 'c*'
case_ "toml parsed" 1 -- -p examples/traefik/policy examples/traefik/traefik.toml
case_ "ini parsed" 1 --has "Users should verify their e-mail address" -- -p examples/ini/policy examples/ini/grafana.ini
case_ "ini on stdin" 1 --has "Users should verify their e-mail address" --lacks "Basic auth should be enabled" -- \
    -p examples/ini/policy --parser ini - <examples/ini/grafana.ini
case_ "docker file parsed" 1 --has 'unallowed image found ["openjdk:8-jdk-alpine"]' -- -p examples/docker/policy examples/docker/Dockerfile
case_ "compose file fails" 1 --summary "2 tests, 0 passed, 0 warnings, 2 failures, 0 exceptions" -- \
    -p examples/compose/policy examples/compose/docker-compose.yml
case_ "multi-file fails when the last is fine" 1 -- -p examples/kubernetes/policy examples/kubernetes/deployment.yaml examples/kubernetes/service.yaml
case_ "tap output" 1 --has "not ok" -- -p examples/kubernetes/policy/ -o tap examples/kubernetes/deployment.yaml
echo "$pass passed, $failn failed"
[ "$failn" -eq 0 ]
