# libpids.sh - killing a test's own processes by PID, and no one else's
# (sourced by lib_server.sh and libagent.sh).
#
# A test keeps the PIDs of the processes it started and kills them at
# exit, including those it already stopped and reaped.  By then such a
# number may belong to another process: a whole CI run starts more
# processes than pid_max (32768 here), and tests run side by side.  A
# SIGTERM from one test's cleanup once reached a curl of another
# (server_git_input, "Terminated").  So a PID is signalled only while it
# is still a child of this test's shell.

# ours PID: PID is a child of this shell (a live or unreaped one).
ours() {
	[ "$(awk '/^PPid:/ { print $2 }' "/proc/$1/status" 2>/dev/null)" = "$$" ]
}

# kill_ours SIGNAL PID...: send SIGNAL to each PID that is ours.
kill_ours() {
	local sig=$1 p
	shift
	for p in "$@"; do
		ours "$p" && kill "-$sig" "$p" 2>/dev/null
	done
	return 0
}
