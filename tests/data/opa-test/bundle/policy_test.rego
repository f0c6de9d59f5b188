package b

test_allow { allow }

test_names { names == {"x", "y y"} }
