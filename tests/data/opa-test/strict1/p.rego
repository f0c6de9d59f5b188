package s

# v0 syntax under a manifest that says v1: refused even with --v0-compatible
p[x] { x := 1 }
