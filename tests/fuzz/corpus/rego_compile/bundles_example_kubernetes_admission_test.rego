# Tests of the admission decision, as `opa test` and `lockstep test` run
# them: every rule has an allowed and a denied case.
package kubernetes.admission_test

import data.kubernetes.admission

limits := {"limits": {"cpu": "500m", "memory": "256Mi"}, "requests": {"cpu": "100m", "memory": "128Mi"}}

good_labels := {"owner": "team-payments", "data-classification": "confidential", "app": "api"}

api := {
	"name": "api",
	"image": "registry.example.com/payments/api:1.4.2",
	"securityContext": {"runAsNonRoot": true, "privileged": false, "allowPrivilegeEscalation": false},
	"resources": limits,
}

sidecar := {
	"name": "proxy",
	"image": "ghcr.io/example-org/envoy:1.30.1",
	"securityContext": {"runAsNonRoot": true},
	"resources": limits,
}

review(kind, ns, metadata, spec) := {
	"apiVersion": "admission.k8s.io/v1",
	"kind": "AdmissionReview",
	"request": {
		"uid": "705ab4f5-6393-11e8-b7cc-42010a800002",
		"kind": {"group": "", "version": "v1", "kind": kind},
		"namespace": ns,
		"operation": "CREATE",
		"object": {"apiVersion": "v1", "kind": kind, "metadata": metadata, "spec": spec},
	},
}

pod(containers) := review("Pod", "payments", {"name": "api", "namespace": "payments", "labels": good_labels}, {"containers": containers})

test_allow_compliant_pod if {
	req := pod([api, sidecar])
	admission.allow with input as req
	count(admission.deny) == 0 with input as req
}

test_allow_compliant_deployment if {
	spec := {"replicas": 3, "template": {"metadata": {"labels": good_labels}, "spec": {"containers": [api]}}}
	req := review("Deployment", "payments", {"name": "api", "labels": good_labels}, spec)
	admission.allow with input as req
}

test_deny_privileged if {
	c := {"name": "debug", "image": "registry.example.com/tools/debug:2.1", "securityContext": {"runAsNonRoot": true, "privileged": true}, "resources": limits}
	req := pod([api, c])
	msgs := admission.deny with input as req
	msgs["privileged: container 'debug' runs privileged"]
	count(msgs) == 1
	not admission.allow with input as req
}

test_deny_privileged_init_container if {
	spec := {"initContainers": [{"name": "setup", "image": "registry.example.com/tools/setup:1", "securityContext": {"privileged": true, "runAsNonRoot": true}, "resources": limits}], "containers": [api]}
	req := review("Pod", "payments", {"name": "api", "labels": good_labels}, spec)
	msgs := admission.deny with input as req
	msgs["privileged: container 'setup' runs privileged"]
}

test_deny_missing_run_as_non_root if {
	c := {"name": "worker", "image": "registry.example.com/payments/worker:3", "resources": limits}
	req := pod([c])
	msgs := admission.deny with input as req
	msgs["run-as-non-root: container 'worker' must set securityContext.runAsNonRoot: true"]
	count(msgs) == 1
}

test_allow_run_as_non_root_from_pod if {
	c := {"name": "worker", "image": "registry.example.com/payments/worker:3", "resources": limits}
	spec := {"securityContext": {"runAsNonRoot": true}, "containers": [c]}
	req := review("Pod", "payments", {"name": "w", "labels": good_labels}, spec)
	admission.allow with input as req
}

test_deny_container_overrides_pod_non_root if {
	c := {"name": "worker", "image": "registry.example.com/payments/worker:3", "securityContext": {"runAsNonRoot": false}, "resources": limits}
	spec := {"securityContext": {"runAsNonRoot": true}, "containers": [c]}
	req := review("Pod", "payments", {"name": "w", "labels": good_labels}, spec)
	msgs := admission.deny with input as req
	msgs["run-as-non-root: container 'worker' must set securityContext.runAsNonRoot: true"]
}

test_deny_run_as_user_zero if {
	c := {"name": "worker", "image": "registry.example.com/payments/worker:3", "securityContext": {"runAsNonRoot": true, "runAsUser": 0}, "resources": limits}
	req := pod([c])
	msgs := admission.deny with input as req
	msgs["run-as-non-root: container 'worker' runs as user 0"]
}

test_deny_unapproved_registry if {
	c := {"name": "api", "image": "docker.io/library/nginx:1.27", "securityContext": {"runAsNonRoot": true}, "resources": limits}
	req := pod([c])
	msgs := admission.deny with input as req
	msgs["image-registry: container 'api' uses image 'docker.io/library/nginx:1.27' from a registry that is not approved"]
	count(msgs) == 1
}

test_deny_lookalike_registry if {
	c := {"name": "api", "image": "registry.example.com.evil.io/payments/api:1.4.2", "securityContext": {"runAsNonRoot": true}, "resources": limits}
	req := pod([c])
	msgs := admission.deny with input as req
	count(msgs) == 1
}

test_deny_missing_labels if {
	input_review := review("Pod", "payments", {"name": "api", "labels": {"app": "api"}}, {"containers": [api]})
	msgs := admission.deny with input as input_review
	msgs["required-labels: Pod 'api' lacks the required label 'owner'"]
	msgs["required-labels: Pod 'api' lacks the required label 'data-classification'"]
	count(msgs) == 2
}

test_deny_unknown_classification if {
	labels := {"owner": "team-payments", "data-classification": "secret-ish"}
	req := review("Pod", "payments", {"name": "api", "labels": labels}, {"containers": [api]})
	msgs := admission.deny with input as req
	msgs["required-labels: label data-classification is 'secret-ish', want one of public, internal, confidential, restricted"]
	count(msgs) == 1
}

test_deny_host_path if {
	spec := {"containers": [api], "volumes": [{"name": "logs", "hostPath": {"path": "/var/log"}}, {"name": "tmp", "emptyDir": {}}]}
	req := review("Pod", "payments", {"name": "api", "labels": good_labels}, spec)
	msgs := admission.deny with input as req
	msgs["host-path: volume 'logs' mounts the host path '/var/log'"]
	count(msgs) == 1
}

test_deny_missing_limits if {
	c := {"name": "api", "image": "registry.example.com/payments/api:1.4.2", "securityContext": {"runAsNonRoot": true}, "resources": {"limits": {"cpu": "1"}}}
	req := pod([c])
	msgs := admission.deny with input as req
	msgs["resource-limits: container 'api' has no memory limit"]
	count(msgs) == 1
}

test_deny_every_rule_at_once if {
	c := {"name": "bad", "image": "evil.example.net/miner:latest", "securityContext": {"privileged": true}}
	spec := {"containers": [c], "volumes": [{"name": "root", "hostPath": {"path": "/"}}]}
	req := review("Pod", "default", {"name": "bad"}, spec)
	msgs := admission.deny with input as req
	count(msgs) == 8
}

test_deny_cronjob_template if {
	c := {"name": "report", "image": "registry.example.com/payments/report:7", "resources": limits}
	spec := {"schedule": "0 3 * * *", "jobTemplate": {"spec": {"template": {"spec": {"containers": [c], "restartPolicy": "OnFailure"}}}}}
	req := review("CronJob", "payments", {"name": "report", "labels": good_labels}, spec)
	msgs := admission.deny with input as req
	msgs["run-as-non-root: container 'report' must set securityContext.runAsNonRoot: true"]
}

test_deny_not_an_admission_review if {
	msgs := admission.deny with input as {"kind": "Pod"}
	msgs["request: input is not an AdmissionReview request with an object"]
	not admission.allow with input as {"kind": "Pod"}
}

test_allow_other_kinds_without_pods if {
	req := review("ConfigMap", "payments", {"name": "settings"}, {})
	admission.allow with input as req
}
