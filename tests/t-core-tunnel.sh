#!/bin/sh
# t-core-tunnel: a real `-M 0` tunnel through a throwaway sshd: traffic
# passes, and comes back after ssh is killed or the server drops the session
# (autossh(1) RESTARTS); ssh exiting 0 ends autossh; -f (autossh(1) FILES); log format
# (autossh(1) LOGGING).
set -eu
# shellcheck source=tests/lib.sh disable=SC1091
. tests/lib.sh
lib_init core-tunnel

LOGLINE='^[0-9]{4}/[0-9]{2}/[0-9]{2} [0-9]{2}:[0-9]{2}:[0-9]{2} autossh\[[0-9]+\]: '

start_sshd
target=$(free_port)
start_target "$target"

# ---------------------------------------------------------------- -M 0 tunnel

lp=$(free_port)
bg_run AUTOSSH_LOGFILE="$T/tun.log" AUTOSSH_GATETIME=0 \
	"$AUTOSSH" -M 0 -N -F "$SSH_CFG" -o ExitOnForwardFailure=yes \
	-L "$lp:127.0.0.1:$target" testhost >"$T/tun.out" 2>&1
A=$BG_PID

up=
name="tunnel: -M 0 tunnel comes up and traffic passes"
if wait_for 15 tunnel_ok "$lp"; then
	ok "$name"
	up=1
else
	not_ok "$name" "no hello-from-target through 127.0.0.1:$lp within 15 s"
	diag "$T/tun.log" "$T/tun.out" "$T/sshd.log"
fi

# new_ssh OLD: autossh ($A) has a live ssh child other than OLD; sets NEW.
NEW=
new_ssh() {
	NEW=$(ssh_children "$A" | head -n 1)
	[ -n "$NEW" ] && [ "$NEW" != "$1" ]
}

name="tunnel: ssh killed with SIGKILL is restarted and traffic passes again"
old=$(ssh_children "$A" | head -n 1)
if [ -z "$up" ] || [ -z "$old" ]; then
	not_ok "$name" "no running tunnel to break"
else
	kill -KILL "$old"
	if ! wait_for 10 new_ssh "$old"; then
		not_ok "$name" "no new ssh pid within 10 s"
	elif ! wait_for 15 tunnel_ok "$lp"; then
		not_ok "$name" "tunnel did not come back within 15 s"
	elif ! log_has "$T/tun.log" ': ssh exited on signal 9, restarting ssh$'; then
		not_ok "$name" "log lacks 'ssh exited on signal 9, restarting ssh'"
	else
		ok "$name"
	fi
fi

name="tunnel: server dropping the session restarts ssh (status 255) and the tunnel comes back"
old=$(ssh_children "$A" | head -n 1)
sessions=$(sshd_sessions)
if [ -z "$old" ] || [ -z "$sessions" ]; then
	not_ok "$name" "no running tunnel or no server session (ssh '$old', sessions '$sessions')"
else
	# shellcheck disable=SC2086
	kill -KILL $sessions
	if ! wait_log 15 "$T/tun.log" ': ssh exited with error status 255; restarting ssh$'; then
		not_ok "$name" "log lacks 'ssh exited with error status 255; restarting ssh'"
		diag "$T/tun.log"
	elif ! wait_for 10 new_ssh "$old"; then
		not_ok "$name" "no new ssh pid within 10 s"
	elif ! wait_for 15 tunnel_ok "$lp"; then
		not_ok "$name" "tunnel did not come back within 15 s"
	else
		ok "$name"
	fi
fi

name="log: every log file line has the 1.4g format"
kill -TERM "$A"
wait_exit 5 "$A" || :
bad=$(grep -Evc "$LOGLINE" "$T/tun.log" || :)
if [ ! -s "$T/tun.log" ]; then
	not_ok "$name" "empty log"
elif [ "$bad" != 0 ]; then
	not_ok "$name" "$bad lines do not match, e.g. [$(grep -Ev "$LOGLINE" "$T/tun.log" | head -n 1)]"
elif ! grep -q "autossh\[$A\]: " "$T/tun.log"; then
	not_ok "$name" "lines do not carry autossh's pid $A"
else
	ok "$name"
fi

# ---------------------------------------------------------------- ssh exits 0

name="exit: ssh exiting 0 (remote command true) makes autossh exit 0"
bg_run AUTOSSH_LOGFILE="$T/true.log" AUTOSSH_GATETIME=0 \
	"$AUTOSSH" -M 0 -F "$SSH_CFG" testhost true >"$T/true.out" 2>&1
if ! wait_exit 20 "$BG_PID"; then
	not_ok "$name" "autossh still running after 20 s"
elif [ "$EXIT_STATUS" != 0 ]; then
	not_ok "$name" "exit status $EXIT_STATUS, want 0"
	diag "$T/true.log" "$T/true.out"
elif ! log_has "$T/true.log" ': ssh exited with status 0; autossh exiting$'; then
	not_ok "$name" "log lacks 'ssh exited with status 0; autossh exiting'"
else
	ok "$name"
fi

# ---------------------------------------------------------------- -f

name="-f: returns at once with 0; pidfile names the background autossh; tunnel up"
mkdir "$T/start"
lp2=$(free_port)
t0=$(now_ms)
cd "$T/start"
bg_run AUTOSSH_PIDFILE=rel.pid AUTOSSH_LOGFILE=rel.log \
	"$AUTOSSH" -f -M 0 -N -F "$SSH_CFG" -L "$lp2:127.0.0.1:$target" testhost \
	>"$T/f.out" 2>&1
cd "$TOP"
fg=$BG_PID
bgpid=
fok=
if ! wait_exit 5 "$fg"; then
	not_ok "$name" "foreground still running after 5 s"
else
	took=$(($(now_ms) - t0))
	bgpid=$(pidfile_pid "$T/start/rel.pid") || :
	[ -z "$bgpid" ] || track_pid "$bgpid"
	if [ "$EXIT_STATUS" != 0 ]; then
		not_ok "$name" "foreground exit status $EXIT_STATUS, want 0"
	elif [ "$took" -gt 3000 ]; then
		not_ok "$name" "foreground took $took ms"
	elif [ -z "$bgpid" ]; then
		not_ok "$name" "no pid in \$start/rel.pid (relative to the start directory)"
	elif [ "$bgpid" = "$fg" ]; then
		not_ok "$name" "pidfile holds the foreground pid"
	elif ! pid_alive "$bgpid" || [ "$(cat "/proc/$bgpid/comm" 2>/dev/null)" != autossh ]; then
		not_ok "$name" "pid $bgpid from the pidfile is not a running autossh"
	elif ! wait_for 15 tunnel_ok "$lp2"; then
		not_ok "$name" "no traffic through the tunnel within 15 s"
		diag "$T/start/rel.log"
	elif ! log_has "$T/start/rel.log" ": starting ssh \(count 1\)\$"; then
		not_ok "$name" "log not written to \$start/rel.log (relative to the start directory)"
	else
		ok "$name"
		fok=1
	fi
fi

name="-f: SIGTERM stops the background autossh, its ssh and removes the pidfile"
if [ -z "$fok" ]; then
	not_ok "$name" "no background autossh to stop"
else
	bssh=$(ssh_children "$bgpid" | head -n 1)
	kill -TERM "$bgpid"
	if ! wait_gone 5 "$bgpid"; then
		not_ok "$name" "background autossh still running 5 s after SIGTERM"
	elif [ -n "$bssh" ] && pid_alive "$bssh"; then
		not_ok "$name" "its ssh (pid $bssh) still runs"
	elif [ -e "$T/start/rel.pid" ]; then
		not_ok "$name" "pidfile not removed"
	elif tunnel_ok "$lp2"; then
		not_ok "$name" "tunnel still passes traffic"
	else
		ok "$name"
	fi
fi

# ---------------------------------------------------------------- 1.4g format

# Same scenario through Debian's autossh 1.4g (black box) and ours: the log
# lines must be the same apart from time stamps and pids.
name="log: same lines as autossh 1.4g for a short ssh run"
old_autossh=/usr/lib/autossh/autossh
if [ ! -x "$old_autossh" ]; then
	skip "$name" "no $old_autossh (Debian package autossh)"
else
	for which in old new; do
		if [ "$which" = old ]; then bin=$old_autossh; else bin=$AUTOSSH; fi
		bg_run AUTOSSH_PATH="$STUB" STUB_LOG="$T/cmp.$which.stub" STUB_EXITS="255 0" AUTOSSH_GATETIME=0 \
			AUTOSSH_LOGFILE="$T/cmp.$which.log" "$bin" -M 0 host >/dev/null 2>&1
		wait_exit 10 "$BG_PID" || kill -KILL "$BG_PID"
	done
	norm() {
		sed -E 's/^[0-9]{4}\/[0-9]{2}\/[0-9]{2} [0-9]{2}:[0-9]{2}:[0-9]{2} autossh\[[0-9]+\]: //
			s/[0-9]{2,}/N/g' "$1"
	}
	if ! grep -Eq "$LOGLINE" "$T/cmp.old.log"; then
		not_ok "$name" "1.4g's log does not match the format regex: [$(head -n 1 "$T/cmp.old.log")]"
	elif [ "$(norm "$T/cmp.old.log")" != "$(norm "$T/cmp.new.log")" ]; then
		not_ok "$name" "1.4g: [$(norm "$T/cmp.old.log" | tr '\n' '|')] ours: [$(norm "$T/cmp.new.log" | tr '\n' '|')]"
	else
		ok "$name"
	fi
fi
