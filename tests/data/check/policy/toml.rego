package toml

deny contains msg if {
	some c in input.tls.ciphers
	startswith(c, "TLS_RSA_")
	msg := sprintf("cipher %s has no forward secrecy", [c])
}
