#!/usr/bin/env python3
"""Write the AdmissionReview inputs in this directory, and expected.json
with the decision bundles/example must reach on each (worked out by hand
from the policy, not by running an engine).

    tests/data/admission/gen-admission.py
"""
import copy
import json
import os

HERE = os.path.dirname(os.path.abspath(__file__))
LIMITS = {"limits": {"cpu": "500m", "memory": "256Mi"},
          "requests": {"cpu": "100m", "memory": "128Mi"}}
LABELS = {"app.kubernetes.io/name": "payments-api", "owner": "team-payments",
          "data-classification": "confidential"}


def container(name, image, **extra):
    c = {"name": name, "image": image,
         "ports": [{"containerPort": 8080, "protocol": "TCP"}],
         "securityContext": {"runAsNonRoot": True, "privileged": False,
                             "allowPrivilegeEscalation": False,
                             "readOnlyRootFilesystem": True,
                             "capabilities": {"drop": ["ALL"]}},
         "resources": copy.deepcopy(LIMITS)}
    c.update(extra)
    return c


def review(uid, kind, group, ns, name, labels, spec, template=True):
    obj = {"apiVersion": "apps/v1" if group == "apps" else "v1",
           "kind": kind,
           "metadata": {"name": name, "namespace": ns, "labels": labels,
                        "annotations": {"kubernetes.io/change-cause":
                                        "release 2026.11.3"}},
           "spec": spec}
    if kind != "Pod" and template:
        obj["spec"] = {"replicas": 3,
                       "selector": {"matchLabels": {"app": name}},
                       "template": {"metadata": {"labels": {"app": name}},
                                    "spec": spec}}
    return {"apiVersion": "admission.k8s.io/v1", "kind": "AdmissionReview",
            "request": {
                "uid": uid,
                "kind": {"group": group, "version": "v1", "kind": kind},
                "resource": {"group": group, "version": "v1",
                             "resource": kind.lower() + "s"},
                "namespace": ns, "operation": "CREATE",
                "userInfo": {"username": "system:serviceaccount:ci:deployer",
                             "groups": ["system:serviceaccounts"]},
                "object": obj, "dryRun": False}}


def api_image(n):
    return "registry.example.com/payments/api:1.4.%d" % n


CASES = {}
EXPECT = {}


def case(name, doc, deny):
    CASES[name] = doc
    EXPECT[name] = {"allow": not deny, "deny": sorted(deny)}


case("allowed-pod.json",
     review("b0f4c1de-0001-4a6e-9f00-000000000001", "Pod", "", "payments",
            "payments-api", LABELS,
            {"securityContext": {"runAsNonRoot": True, "runAsUser": 10001},
             "containers": [container("api", api_image(2))]}), [])

exporter = container("node-exporter", "quay.io/prometheus/node-exporter:v1.8.2",
                     volumeMounts=[{"name": "proc", "mountPath": "/host/proc",
                                    "readOnly": True}])
case("allowed-node-exporter-exception.json",
     review("b0f4c1de-0002-4a6e-9f00-000000000002", "DaemonSet", "apps",
            "monitoring", "node-exporter",
            {"owner": "sre-observability", "data-classification": "internal"},
            {"hostNetwork": True, "containers": [exporter],
             "volumes": [{"name": "proc", "hostPath": {"path": "/proc"}},
                         {"name": "sys", "hostPath": {"path": "/sys"}}]}), [])

case("denied-privileged.json",
     review("b0f4c1de-0003-4a6e-9f00-000000000003", "Pod", "", "payments",
            "debug-shell", LABELS,
            {"containers": [container("api", api_image(2)),
                            container("debug", "registry.example.com/tools/debug:2.1",
                                      securityContext={"privileged": True,
                                                       "runAsNonRoot": True})]}),
     ["privileged: container 'debug' runs privileged"])

case("denied-registry.json",
     review("b0f4c1de-0004-4a6e-9f00-000000000004", "Deployment", "apps",
            "payments", "payments-web", LABELS,
            {"containers": [container("web", "docker.io/library/nginx:1.27"),
                            container("api", "registry.example.com.evil.io/payments/api:1.4.2")]}),
     ["image-registry: container 'web' uses image 'docker.io/library/nginx:1.27' "
      "from a registry that is not approved",
      "image-registry: container 'api' uses image "
      "'registry.example.com.evil.io/payments/api:1.4.2' from a registry that "
      "is not approved"])

case("denied-labels-hostpath.json",
     review("b0f4c1de-0005-4a6e-9f00-000000000005", "Deployment", "apps",
            "payments", "log-shipper", {"app": "log-shipper"},
            {"containers": [container("shipper", "ghcr.io/example-org/shipper:0.9")],
             "volumes": [{"name": "varlog", "hostPath": {"path": "/var/log",
                                                         "type": "Directory"}}]}),
     ["required-labels: Deployment 'log-shipper' lacks the required label 'owner'",
      "required-labels: Deployment 'log-shipper' lacks the required label "
      "'data-classification'",
      "host-path: volume 'varlog' mounts the host path '/var/log'"])

root = container("db", "registry.example.com/platform/postgres:16.4",
                 securityContext={"runAsUser": 0},
                 resources={"requests": {"cpu": "1", "memory": "2Gi"}})
case("denied-root-limits-statefulset.json",
     review("b0f4c1de-0006-4a6e-9f00-000000000006", "StatefulSet", "apps",
            "payments", "ledger-db",
            dict(LABELS, **{"data-classification": "top-secret"}),
            {"containers": [root]}),
     ["run-as-non-root: container 'db' must set securityContext.runAsNonRoot: true",
      "run-as-non-root: container 'db' runs as user 0",
      "resource-limits: container 'db' has no cpu limit",
      "resource-limits: container 'db' has no memory limit",
      "required-labels: label data-classification is 'top-secret', want one of "
      "public, internal, confidential, restricted"])

many = [container("svc-%02d" % i, api_image(i),
                  env=[{"name": "SHARD", "value": str(i)},
                       {"name": "LOG_LEVEL", "value": "info"}],
                  volumeMounts=[{"name": "cache", "mountPath": "/cache"}])
        for i in range(18)]
many.append(container("proxy", "ghcr.io/example-org/envoy:1.30.1"))
many.append(container("metrics", "quay.io/prometheus/statsd-exporter:v0.27.1"))
case("large-deployment-20.json",
     review("b0f4c1de-0007-4a6e-9f00-000000000007", "Deployment", "apps",
            "payments", "payments-shards", LABELS,
            {"securityContext": {"runAsNonRoot": True, "fsGroup": 2000},
             "initContainers": [container("migrate", api_image(99))],
             "containers": many,
             "volumes": [{"name": "cache", "emptyDir": {"sizeLimit": "1Gi"}}]}),
     [])

if __name__ == "__main__":
    for name, doc in CASES.items():
        with open(os.path.join(HERE, name), "w") as f:
            json.dump(doc, f, indent=2, sort_keys=True)
            f.write("\n")
    with open(os.path.join(HERE, "expected.json"), "w") as f:
        json.dump({"query": "data.kubernetes.admission", "cases": EXPECT},
                  f, indent=2, sort_keys=True)
        f.write("\n")
