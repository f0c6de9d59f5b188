# Conftest-style rules for lockstep check's tests (written for them).
package main

deny contains msg if {
	input.kind == "Deployment"
	not input.spec.template.spec.securityContext.runAsNonRoot
	msg := sprintf("%s %s: containers must not run as root", [input.kind, input.metadata.name])
}

deny_latest contains {"msg": msg, "container": c.name} if {
	input.kind == "Deployment"
	some c in input.spec.template.spec.containers
	endswith(c.image, ":latest")
	msg := sprintf("%s uses a latest tag", [c.name])
}

warn contains msg if {
	input.kind == "Service"
	msg := sprintf("service %s is exposed", [input.metadata.name])
}

exception contains rules if {
	input.metadata.name == "legacy"
	rules := ["latest"]
}
