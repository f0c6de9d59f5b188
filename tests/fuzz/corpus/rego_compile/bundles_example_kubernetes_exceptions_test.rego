# Exceptions from lockstep/data.json are honoured, only for exactly what
# they name, and stay visible in `waived`.
package kubernetes.exceptions_test

import data.kubernetes.admission

exporter := {
	"name": "node-exporter",
	"image": "quay.io/prometheus/node-exporter:v1.8.2",
	"securityContext": {"runAsNonRoot": true, "runAsUser": 65534},
	"resources": {"limits": {"cpu": "250m", "memory": "180Mi"}},
	"volumeMounts": [{"name": "proc", "mountPath": "/host/proc", "readOnly": true}],
}

daemonset(name) := {"request": {
	"uid": "0f1b9d5e-2c3a-4b57-9a43-6f1d2c7e8a90",
	"kind": {"group": "apps", "version": "v1", "kind": "DaemonSet"},
	"namespace": "monitoring",
	"operation": "CREATE",
	"object": {
		"metadata": {"name": name, "labels": {"owner": "sre-observability", "data-classification": "internal"}},
		"spec": {"template": {"spec": {
			"containers": [exporter],
			"volumes": [{"name": "proc", "hostPath": {"path": "/proc"}}],
		}}},
	},
}}

test_exception_allows_node_exporter if {
	req := daemonset("node-exporter")
	admission.allow with input as req
}

test_exception_recorded_as_waived if {
	req := daemonset("node-exporter")
	w := admission.waived with input as req
	some x in w
	x.exception == "EXC-2026-001"
	x.ticket == "SEC-4711"
	x.msg == "host-path: volume 'proc' mounts the host path '/proc'"
}

test_exception_only_for_the_named_workload if {
	req := daemonset("other-exporter")
	msgs := admission.deny with input as req
	msgs["host-path: volume 'proc' mounts the host path '/proc'"]
}

test_without_exceptions_node_exporter_denied if {
	req := daemonset("node-exporter")
	not admission.allow with input as req with data.lockstep.exceptions as []
}

test_exception_for_another_check_does_not_apply if {
	other := [{"id": "EXC-X", "owner": "o", "ticket": "T-1", "reason": "r", "expires": "2027-12-31", "exempts": {"check": "privileged", "namespace": "monitoring", "name": "node-exporter"}}]
	req := daemonset("node-exporter")
	not admission.allow with input as req with data.lockstep.exceptions as other
}
