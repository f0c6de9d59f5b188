# No hostPath volumes: a pod that mounts the node's file system escapes
# its isolation.  Controls: PCI-DSS 2.2.1, SOC 2 CC6.1.
package kubernetes.checks.volumes

import data.kubernetes.lib

violation contains v if {
	some vol in lib.pod_spec.volumes
	vol.hostPath
	path := object.get(vol.hostPath, "path", "")
	v := lib.violation("host-path", sprintf("volume '%s' mounts the host path '%s'", [vol.name, path]))
}
