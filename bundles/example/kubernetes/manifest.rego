# The admission checks for a bare manifest, as CI and pre-commit see it
# (`lockstep check -n kubernetes.manifest deployment.yaml`): the manifest
# is wrapped in the AdmissionReview request that admission would receive,
# so every door answers with the same messages from the same rules.
package kubernetes.manifest

import data.kubernetes.admission

deny contains msg if {
	some msg in admission.deny with input as review
}

review := {"request": {
	"kind": {"kind": input.kind},
	"namespace": object.get(input.metadata, "namespace", "default"),
	"operation": "CREATE",
	"object": input,
}}
