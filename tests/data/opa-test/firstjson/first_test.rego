package first

# opa decodes the first JSON value of a data file and ignores the rest
test_first_value if data.fixtures == {"a": 1, "s": "}{"}
