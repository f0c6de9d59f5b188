package cov

default allow := false

allow if {
	input.user == "admin"
	input.method == "GET"
}

deny contains msg if {
	some x
	x = input.items[_]
	x > 10
	msg := sprintf("big %d", [x])
}

grade(n) := "a" if {
	n > 90
} else := "b" if {
	n > 50
} else := "c"

evens := [v | some v in [1, 2, 3, 4]; v % 2 == 0]

unused if {
	input.never
}
