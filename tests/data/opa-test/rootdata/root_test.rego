package r

test_rooted if data.rooted.v == 1
