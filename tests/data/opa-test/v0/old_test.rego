package old

deny[msg] { input.x > 1; msg := "big" }

test_old_syntax { deny["big"] with input as {"x": 2} }
