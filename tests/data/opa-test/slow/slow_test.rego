package slow

test_fast if true

# about 10^8 steps of a loop that finds nothing: far past a 300ms timeout
test_slow if {
	some a in numbers.range(1, 10000)
	some b in numbers.range(1, 10000)
	a == b + 100000000
}

test_after if true
