#!/usr/bin/env bash
# rego.sh - Rego engine figures (issue 5): load-and-compile time of the
# example repository, and latency (p50, p99) and memory per decision of
# its admission policy on a realistic AdmissionReview (a Deployment with
# an init container and two containers, one of them violating several
# checks), measured with `lockstep eval --bench`.
set -u
: "${LOCKSTEP_BIN:?}" "${LOCKSTEP_ROOT:?}"
N=${N:-20000}
T=$(mktemp -d /tmp/lockstep-bench-rego.XXXXXX)
trap 'rm -rf "$T"' EXIT
cat >"$T/review.json" <<'JSON'
{"apiVersion": "admission.k8s.io/v1", "kind": "AdmissionReview",
 "request": {"uid": "705ab4f5-6393-11e8-b7cc-42010a800002",
  "kind": {"group": "apps", "version": "v1", "kind": "Deployment"},
  "resource": {"group": "apps", "version": "v1", "resource": "deployments"},
  "namespace": "payments", "operation": "CREATE",
  "userInfo": {"username": "ci-deployer", "groups": ["system:authenticated"]},
  "object": {"apiVersion": "apps/v1", "kind": "Deployment",
   "metadata": {"name": "checkout", "namespace": "payments",
    "labels": {"app.kubernetes.io/name": "checkout", "owner": "team-pay",
     "data-classification": "confidential"}},
   "spec": {"replicas": 3,
    "selector": {"matchLabels": {"app.kubernetes.io/name": "checkout"}},
    "template": {"metadata": {"labels": {"app.kubernetes.io/name": "checkout"}},
     "spec": {"securityContext": {"runAsNonRoot": true, "runAsUser": 1000},
      "initContainers": [{"name": "migrate",
       "image": "registry.example.com/pay/migrate:4.2.0",
       "resources": {"limits": {"cpu": "200m", "memory": "128Mi"}}}],
      "containers": [
       {"name": "app", "image": "registry.example.com/pay/checkout:4.2.0",
        "ports": [{"containerPort": 8080}],
        "resources": {"limits": {"cpu": "1", "memory": "512Mi"},
         "requests": {"cpu": "500m", "memory": "256Mi"}},
        "securityContext": {"allowPrivilegeEscalation": false}},
       {"name": "debug", "image": "docker.io/library/busybox:latest",
        "securityContext": {"privileged": true, "runAsUser": 0}}],
      "volumes": [{"name": "cache", "emptyDir": {}},
       {"name": "host", "hostPath": {"path": "/var/run"}}]}}}}}}
JSON
"$LOCKSTEP_BIN/lockstep" eval -d "$LOCKSTEP_ROOT/bundles/example" \
    -i "$T/review.json" 'data.kubernetes.admission.deny' >"$T/decision"
echo "decision: $(tr -d '\n ' <"$T/decision" | head -c 300)..."
"$LOCKSTEP_BIN/lockstep" eval -d "$LOCKSTEP_ROOT/bundles/example" \
    -i "$T/review.json" --bench "$N" 'data.kubernetes.admission.deny'
