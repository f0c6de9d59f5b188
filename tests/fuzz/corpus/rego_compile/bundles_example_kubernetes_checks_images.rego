# Images only from approved registries (data.admission.approved_registries,
# each ending in "/" so that "registry.example.com.evil.io" does not pass).
# Control: SOC 2 CC6.8 (unauthorised software).
package kubernetes.checks.images

import data.kubernetes.lib

violation contains v if {
	some c in lib.containers
	not approved(c.image)
	v := lib.violation("image-registry", sprintf("container '%s' uses image '%s' from a registry that is not approved", [c.name, c.image]))
}

approved(image) if {
	some prefix in data.admission.approved_registries
	startswith(image, prefix)
}
