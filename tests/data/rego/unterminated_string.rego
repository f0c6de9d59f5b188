package bad

p := "no end
