# No privileged containers, and nothing runs as root.
# Controls: PCI-DSS 2.2.1 (secure configuration), SOC 2 CC6.1 (logical
# access), see lockstep/data.json.
package kubernetes.checks.security

import data.kubernetes.lib

violation contains v if {
	some c in lib.containers
	c.securityContext.privileged == true
	v := lib.violation("privileged", sprintf("container '%s' runs privileged", [c.name]))
}

violation contains v if {
	some c in lib.containers
	not runs_as_non_root(c)
	v := lib.violation("run-as-non-root", sprintf("container '%s' must set securityContext.runAsNonRoot: true", [c.name]))
}

violation contains v if {
	some c in lib.containers
	c.securityContext.runAsUser == 0
	v := lib.violation("run-as-non-root", sprintf("container '%s' runs as user 0", [c.name]))
}

# Set on the container, or on the pod and not switched off by the container.
runs_as_non_root(c) if c.securityContext.runAsNonRoot == true

runs_as_non_root(c) if {
	lib.pod_spec.securityContext.runAsNonRoot == true
	not c.securityContext.runAsNonRoot == false
}
