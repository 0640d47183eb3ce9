#!/bin/sh
# tests/demo.sh (`make demo`): watch autossh bring a tunnel back after ssh dies.
#
# Starts a throwaway sshd on 127.0.0.1 with its own keys (nothing outside a
# temporary directory is touched), opens a tunnel through it with
# `./autossh -M 0`, sends a line through, kills ssh with SIGKILL and times how
# long autossh takes to bring the tunnel back. Everything is cleaned up at
# the end. Needs openssh-server, openssh-client, socat, iproute2, procps.
set -eu

cd "$(dirname "$0")/.."

say() { printf '%s\n' "$*"; }
step() { printf '\n==> %s\n' "$*"; }

# ---------------------------------------------------------------- dependencies

# Names what is missing (or installs it, as root on Debian) and stops.
sh tests/prereq.sh demo

if [ -z "${TEST_AUTOSSH:-}" ] && [ ! -x ./autossh ]; then
	say "./autossh is not built; run 'make' first (or just 'make demo')." >&2
	exit 1
fi

# shellcheck source=tests/lib.sh disable=SC1091
. tests/lib.sh
lib_init demo

# ---------------------------------------------------------------- setup

step "Starting a private sshd (own host key and user key, in $T)"
start_sshd
say "    sshd pid $SSHD_PID listening on $SSHD_ADDR:$SSHD_PORT"

target=$(free_port)
start_target "$target"
say "    a small service on 127.0.0.1:$target answers every connection with 'hello-from-target'"

local_port=$(free_port)
step "Opening a tunnel: 127.0.0.1:$local_port -> (ssh to the private sshd) -> 127.0.0.1:$target"
say "    command: ./autossh -M 0 -N -F \$T/ssh_config -o ServerAliveInterval=5 \\"
say "                 -o ExitOnForwardFailure=yes -L $local_port:127.0.0.1:$target testhost"
AUTOSSH_LOGFILE=$T/autossh.log AUTOSSH_GATETIME=0 \
	"$AUTOSSH" -M 0 -N -F "$SSH_CFG" -o ServerAliveInterval=5 -o ExitOnForwardFailure=yes \
	-L "$local_port:127.0.0.1:$target" testhost </dev/null &
autossh_pid=$!
track_pid "$autossh_pid"
say "    autossh pid $autossh_pid; its log is $T/autossh.log"

fail() {
	say ""
	say "DEMO FAILED: $*"
	say "autossh log:"
	sed 's/^/    /' "$T/autossh.log" 2>/dev/null || :
	exit 1
}

if ! wait_for 15 tunnel_ok "$local_port"; then
	fail "the tunnel did not come up within 15 s"
fi
reply=$(timeout 5 socat -T 3 -u "TCP:127.0.0.1:$local_port" STDOUT)
say "    sent a connection through the tunnel, got back: '$reply'"

# ---------------------------------------------------------------- break it

old_ssh=$(ssh_children "$autossh_pid" | head -n 1)
[ -n "$old_ssh" ] || fail "cannot find autossh's ssh process"
step "Killing ssh (pid $old_ssh) with SIGKILL, as if it had crashed"
start_ms=$(now_ms)
kill -KILL "$old_ssh"

new_ssh=
_new_ssh() {
	new_ssh=$(ssh_children "$autossh_pid" | head -n 1)
	[ -n "$new_ssh" ] && [ "$new_ssh" != "$old_ssh" ]
}
wait_for 15 _new_ssh || fail "autossh did not start a new ssh within 15 s"
wait_for 15 tunnel_ok "$local_port" || fail "the tunnel did not come back within 15 s"
took=$(($(now_ms) - start_ms))
say "    autossh started a new ssh (pid $new_ssh)"
say "    traffic passes again: the tunnel was back after $took ms"

step "What autossh logged"
sed 's/^/    /' "$T/autossh.log"

# ---------------------------------------------------------------- clean up

step "Stopping autossh with SIGTERM (it stops ssh first)"
kill -TERM "$autossh_pid"
wait_gone 10 "$autossh_pid" || fail "autossh did not exit within 10 s of SIGTERM"
status=0
wait "$autossh_pid" || status=$?
if [ "$status" = 143 ]; then
	say "    autossh stopped ssh and exited by SIGTERM (status 143), as it should"
else
	say "    autossh exited with status $status (expected 143: died by SIGTERM)"
fi
pid_alive "$new_ssh" && say "    (ssh $new_ssh still running; cleanup will stop it)"

step "Cleaning up (sshd, the service, temporary keys and files)"
lib_cleanup
say "    done. Demo finished: the tunnel recovered from a killed ssh in $took ms."
