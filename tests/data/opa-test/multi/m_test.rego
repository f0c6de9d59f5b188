package m

# two.yaml holds two documents: OPA's loader reads the first.
test_m if {
	data.a == 1
	not data.b
}
