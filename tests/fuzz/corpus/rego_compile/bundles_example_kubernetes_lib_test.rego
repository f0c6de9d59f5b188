# The pod spec and containers are found for every workload kind.
package kubernetes.lib_test

import data.kubernetes.lib

c1 := {"name": "a"}

c2 := {"name": "b"}

request(kind, spec) := {"request": {"kind": {"kind": kind}, "namespace": "ns", "object": {"metadata": {"name": "x"}, "spec": spec}}}

test_pod_containers_and_init_containers if {
	req := request("Pod", {"containers": [c1], "initContainers": [c2]})
	cs := lib.containers with input as req
	cs == {c1, c2}
}

template_containers(kind) := cs if {
	req := request(kind, {"template": {"spec": {"containers": [c1]}}})
	cs := lib.containers with input as req
}

test_template_kinds if {
	every kind in ["Deployment", "StatefulSet", "DaemonSet", "ReplicaSet", "Job"] {
		template_containers(kind) == {c1}
	}
}

test_cronjob if {
	spec := {"jobTemplate": {"spec": {"template": {"spec": {"containers": [c2]}}}}}
	req := request("CronJob", spec)
	cs := lib.containers with input as req
	cs == {c2}
}

test_no_pod_spec_for_other_kinds if {
	req1 := request("ConfigMap", {"containers": [c1]})
	not lib.pod_spec with input as req1
	req2 := request("ConfigMap", {})
	count(lib.containers) == 0 with input as req2
}

test_violation_message_names_check if {
	lib.violation("privileged", "x") == {"check": "privileged", "msg": "privileged: x"}
}
