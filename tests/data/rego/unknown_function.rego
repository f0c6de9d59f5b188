package bad

p if nosuch.fn(1)
