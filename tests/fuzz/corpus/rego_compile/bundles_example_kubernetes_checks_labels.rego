# Every workload names its owner and the classification of the data it
# handles.  Control: SOC 2 CC8.1 (change management: accountable owner).
package kubernetes.checks.labels

import data.kubernetes.lib

violation contains v if {
	lib.pod_spec
	some label in data.admission.required_labels
	object.get(lib.labels, label, "") == ""
	v := lib.violation("required-labels", sprintf("%s '%s' lacks the required label '%s'", [lib.kind, lib.name, label]))
}

violation contains v if {
	value := lib.labels["data-classification"]
	value != ""
	not known_classification(value)
	allowed := concat(", ", data.admission.data_classifications)
	v := lib.violation("required-labels", sprintf("label data-classification is '%s', want one of %s", [value, allowed]))
}

known_classification(value) if {
	some c in data.admission.data_classifications
	c == value
}
