package docker

deny contains msg if {
	some cmd in input
	cmd.Cmd == "from"
	endswith(cmd.Value[0], ":latest")
	msg := sprintf("stage %d uses a latest base image: %s", [cmd.Stage, cmd.Value[0]])
}

warn_exec_form contains msg if {
	some cmd in input
	cmd.Cmd == "entrypoint"
	not cmd.JSON
	msg := "ENTRYPOINT should use the exec form"
}
