# The admission decision.  deny holds one message per violation that no
# exception covers; allow is true only for an admission request with no
# such message.  Exceptions come from data.lockstep.exceptions (the file
# lockstep/data.json); the build fails while any of them is expired, so
# the policy only has to match them.
package kubernetes.admission

import data.kubernetes.lib

# Every violation any check found.
violations contains v if {
	some v in data.kubernetes.checks.security.violation
}

violations contains v if {
	some v in data.kubernetes.checks.images.violation
}

violations contains v if {
	some v in data.kubernetes.checks.labels.violation
}

violations contains v if {
	some v in data.kubernetes.checks.volumes.violation
}

violations contains v if {
	some v in data.kubernetes.checks.resources.violation
}

deny contains msg if {
	some v in violations
	not exempted(v)
	msg := v.msg
}

deny contains "request: input is not an AdmissionReview request with an object" if {
	not input.request.object
}

# What an exception waived, and under which ticket: kept visible so the
# decision log shows it.
waived contains w if {
	some v in violations
	some e in data.lockstep.exceptions
	covers(e, v)
	w := {"exception": e.id, "owner": e.owner, "ticket": e.ticket, "msg": v.msg}
}

exempted(v) if {
	some e in data.lockstep.exceptions
	covers(e, v)
}

covers(e, v) if {
	e.exempts.check == v.check
	e.exempts.namespace == lib.namespace
	e.exempts.name == lib.name
}

default allow := false

allow if {
	input.request.object
	count(deny) == 0
}
