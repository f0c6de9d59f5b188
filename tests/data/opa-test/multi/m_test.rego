package m

test_m if true
