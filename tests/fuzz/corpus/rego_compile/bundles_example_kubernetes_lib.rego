# Helpers shared by the checks: what is being admitted, its pod spec and
# its containers, whatever the workload kind.
package kubernetes.lib

kind := input.request.kind.kind

namespace := object.get(input.request, "namespace", "")

metadata := object.get(input.request.object, "metadata", {})

name := object.get(metadata, "name", "")

labels := object.get(metadata, "labels", {})

# Workloads that carry a pod template at spec.template.
template_kinds := {"Deployment", "StatefulSet", "DaemonSet", "ReplicaSet", "Job"}

pod_spec := input.request.object.spec if kind == "Pod"

pod_spec := input.request.object.spec.template.spec if template_kinds[kind]

pod_spec := input.request.object.spec.jobTemplate.spec.template.spec if kind == "CronJob"

# Every container that runs, init containers included.
containers contains c if {
	some c in pod_spec.containers
}

containers contains c if {
	some c in pod_spec.initContainers
}

# A violation: the check that failed (what exceptions name) and a message
# that starts with that check.
violation(check, msg) := {"check": check, "msg": sprintf("%s: %s", [check, msg])}
