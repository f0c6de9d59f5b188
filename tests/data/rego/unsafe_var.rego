package bad

deny contains msg if {
	msg := sprintf("%v", [x])
}
