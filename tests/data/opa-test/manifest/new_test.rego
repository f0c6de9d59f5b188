package mixed

test_new_syntax if data.legacy.allow with input as {"ok": true}
