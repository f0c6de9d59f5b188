package table

cases := [
	{"note": "one", "a": 1, "want": 2},
	{"note": "two", "a": 2, "want": 4},
	# fails after its name is bound: must show as FAIL, not vanish
	{"note": "three is wrong", "a": 3, "want": 7},
]

test_double[tc.note] if {
	some tc in cases
	tc.a * 2 == tc.want
}

test_positive[tc.note] if {
	some tc in cases
	tc.a > 0
}

both(x, y) if {
	x == "q"
	y == "2"
}

test_grid[x][y] if {
	some x in ["p", "q"]
	some y in ["1", "2"]
	not both(x, y)
}

# a name defined twice is two tests, as opa renames the second test_twice#01
test_twice if true

test_twice if false
