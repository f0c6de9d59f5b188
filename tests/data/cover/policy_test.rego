package cov_test

import data.cov

test_allow if {
	cov.allow with input as {"user": "admin", "method": "GET"}
}

test_deny if {
	cov.deny == {"big 11"} with input as {"items": [11, 3]}
}

test_grade if {
	cov.grade(60) == "b"
}
