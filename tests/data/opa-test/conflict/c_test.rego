package c

test_c if true
