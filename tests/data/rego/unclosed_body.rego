package bad

allow if {
	input.user == "admin"
