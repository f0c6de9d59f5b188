package vendor

# not valid Rego: the test passes only when --ignore skips it
x := [
