package ini

deny contains msg if {
	input.server.protocol == "http"
	msg := "server must not speak plain http"
}

deny_port contains msg if {
	input.server.http_port < 1024
	msg := sprintf("port %d needs root", [input.server.http_port])
}
