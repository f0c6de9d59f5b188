# Every container sets CPU and memory limits, so one workload cannot
# starve its neighbours.  Control: SOC 2 A1.1 (capacity).
package kubernetes.checks.resources

import data.kubernetes.lib

violation contains v if {
	some c in lib.containers
	some r in data.admission.resource_limits
	not has_limit(c, r)
	v := lib.violation("resource-limits", sprintf("container '%s' has no %s limit", [c.name, r]))
}

has_limit(c, r) if c.resources.limits[r]
