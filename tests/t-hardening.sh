#!/bin/sh
# t-hardening: what a supervisor must survive from its surroundings.
# Closed descriptors 0-2 at start and descriptors inherited by -f
# (autossh(1) -f), SIGHUP/SIGALRM while ssh is not proven yet, a stalled
# reader of the log or of the sd_notify socket, planted temporary names
# beside the pidfile and status file, and an exec failure beside an
# existing pidfile. Uses tests/stub-ssh; a socat forwarder from P to P+1
# stands in for ssh's loop (-L P ... -R P:...:P+1) where a probe must pass.
set -eu
# shellcheck source=tests/lib.sh disable=SC1091
. tests/lib.sh
lib_init hardening

# fake_loop P: what ssh's two forwards do in loop mode, without ssh.
fake_loop() {
	socat "TCP-LISTEN:$1,bind=127.0.0.1,reuseaddr,fork" "TCP:127.0.0.1:$(($1 + 1))" \
		</dev/null >/dev/null 2>>"$T/socat.log" &
	track_pid "$!"
	wait_for 5 _listening "$1"
}

# bg_pid NAME: the background autossh's pid from $T/NAME.pid (tracked).
bg_pid() {
	wait_for 5 pidfile_pid "$T/$1.pid" >/dev/null || return 1
	B=$(pidfile_pid "$T/$1.pid")
	track_pid "$B"
}

stop_bg() {
	[ -n "${1:-}" ] || return 0
	kill -TERM "$1" 2>/dev/null || :
	wait_gone 10 "$1" || :
}

size_at_least() { [ "$(wc -c <"$1")" -ge "$2" ]; }

runs_at_least() { [ "$(stub_runs "$1")" -ge "$2" ]; }

pid_in() { [ "$(pidfile_pid "$1" 2>/dev/null)" = "$2" ]; }

fd_target() { readlink "/proc/$1/fd/$2" 2>/dev/null || echo closed; }

# ---------------------------------------------------------------- descriptors 0-2

# closed_case TAG REDIRECTION: autossh -f -M P with that descriptor closed
# at start: a probe passes, and 0-2 of the background are /dev/null.
closed_case() {
	name="fds: autossh -f -M P with $2 at start: monitoring works, 0-2 are /dev/null"
	WHY=
	P=$(free_port)
	set -- "$1" AUTOSSH_PATH="$STUB" AUTOSSH_DEBUG=1 AUTOSSH_LOGFILE="$T/$1.log" AUTOSSH_PIDFILE="$T/$1.pid" \
		AUTOSSH_POLL=600 "$AUTOSSH" -f -M "$P" host
	tag=$1
	shift
	case $tag in
	in) env "$@" <&- ;;
	out) env "$@" >&- ;;
	err) env "$@" 2>&- ;;
	all) env "$@" <&- >&- 2>&- ;;
	esac || WHY="autossh -f failed"
	B=
	if [ -z "$WHY" ] && ! bg_pid "$tag"; then
		WHY="no pidfile"
	fi
	if [ -z "$WHY" ]; then
		fake_loop "$P" || WHY="socat did not listen on $P"
	fi
	if [ -z "$WHY" ] && ! wait_log 8 "$T/$tag.log" 'connection ok'; then
		WHY="no probe passed in 8 s"
	fi
	if [ -z "$WHY" ]; then
		for fd in 0 1 2; do
			[ "$(fd_target "$B" "$fd")" = /dev/null ] || WHY="fd $fd of the background is $(fd_target "$B" "$fd")"
		done
	fi
	stop_bg "$B"
	report "$name" "$T/$tag.log"
}

closed_case in '<&-'
closed_case out '>&-'
closed_case err '2>&-'
closed_case all '<&- >&- 2>&-'

# ssh's fd 2 is the pipe autossh reads its standard error from (autossh(1) LOGGING).
name="fds: with 0-2 closed and no -f, the log file is not put on 0-2 (ssh gets /dev/null there, its stderr pipe on 2)"
WHY=
bg_run AUTOSSH_PATH="$STUB" STUB_LOG="$T/nof.stub" STUB_FDS="$T/nof.fds" AUTOSSH_GATETIME=0 \
	AUTOSSH_LOGFILE="$T/nof.log" "$AUTOSSH" -M 0 host <&- >&- 2>&-
A=$BG_PID
if ! wait_for 5 log_has "$T/nof.stub" .; then
	WHY="ssh never started"
elif [ "$(awk '$1 <= 1 && $2 != "/dev/null" || $1 == 2 && $2 !~ /^pipe:/' "$T/nof.fds")" != "" ]; then
	WHY="ssh inherited: $(tr '\n' ' ' <"$T/nof.fds")"
elif ! log_has "$T/nof.log" 'ssh child pid is'; then
	WHY="log file lacks 'ssh child pid is'"
fi
for fd in 0 1 2; do
	[ -n "$WHY" ] || [ "$(fd_target "$A" "$fd")" = /dev/null ] || WHY="autossh fd $fd is $(fd_target "$A" "$fd")"
done
stop_bg "$A"
report "$name" "$T/nof.log"

name="fds: x=\$(autossh -f ...) returns at once even with the pipe also on fd 3"
WHY=
t0=$(now_ms)
x=$(AUTOSSH_PATH="$STUB" AUTOSSH_PIDFILE="$T/sub.pid" AUTOSSH_LOGFILE="$T/sub.log" AUTOSSH_MAXLIFETIME=8 \
	"$AUTOSSH" -f -M 0 host 3>&1 4>&1) || WHY="autossh -f failed: $x"
elapsed=$(($(now_ms) - t0))
B=
bg_pid sub || :
if [ -z "$WHY" ] && [ "$elapsed" -gt 4000 ]; then
	WHY="returned after $elapsed ms (the background held the caller's pipe)"
elif [ -z "$WHY" ] && [ -z "$B" ]; then
	WHY="no background process"
fi
stop_bg "$B"
report "$name" "$T/sub.log"

# ---------------------------------------------------------------- HUP, ALRM before proof

# An ssh still connecting: the stub runs but forwards nothing, so every
# probe fails. A signal-triggered probe must be an early one.
probe_signal_case() {
	name="signals: SIG$1 while ssh is not proven runs an early probe: no restart"
	WHY=
	P=$(free_port)
	bg_run AUTOSSH_PATH="$STUB" STUB_LOG="$T/$1.stub" AUTOSSH_GATETIME=0 AUTOSSH_DEBUG=1 \
		AUTOSSH_LOGFILE="$T/$1.log" AUTOSSH_POLL=600 "$AUTOSSH" -M "$P" host >/dev/null 2>&1
	A=$BG_PID
	if ! wait_for 5 log_has "$T/$1.stub" .; then
		WHY="ssh never started"
	else
		kill -s "$1" "$A"
		if ! wait_log 3 "$T/$1.log" 'probing now on request'; then
			WHY="no probe on SIG$1"
		elif ! wait_log 3 "$T/$1.log" 'early probe failed'; then
			WHY="the probe was not an early one"
		else
			sleep 1
			if log_has "$T/$1.log" 'port down'; then
				WHY="'port down' logged"
			elif [ "$(stub_runs "$T/$1.stub")" != 1 ]; then
				WHY="ssh restarted ($(stub_runs "$T/$1.stub") runs)"
			fi
		fi
	fi
	stop_bg "$A"
	report "$name" "$T/$1.log"
}

probe_signal_case HUP
probe_signal_case ALRM

# ---------------------------------------------------------------- stalled log readers

# stalled_case TAG VAR=VAL...: stderr is a FIFO whose reader is stopped and
# whose buffer is full before autossh starts. A kill -9 of ssh must still
# restart it; once the reader runs again, the dropped lines are counted.
stalled_case() {
	tag=$1
	shift
	name="log: a full stderr pipe whose reader is stopped does not stop a restart ($*)"
	WHY=
	mkfifo "$T/$tag.fifo"
	cat "$T/$tag.fifo" >"$T/$tag.read" &
	R=$!
	track_pid "$R"
	# Opening our end waits for cat's: then it can be stopped, and the pipe
	# filled with non-blocking writes.
	exec 8>"$T/$tag.fifo"
	kill -STOP "$R"
	wait_for 5 stopped "$R" || WHY="the reader (cat) did not stop"
	timeout 5 dd if=/dev/zero bs=4096 count=1024 oflag=nonblock >&8 2>/dev/null || :
	bg_run AUTOSSH_PATH="$STUB" STUB_LOG="$T/$tag.stub" AUTOSSH_GATETIME=0 "$@" "$AUTOSSH" -M 0 host \
		2>"$T/$tag.fifo"
	A=$BG_PID
	exec 8>&-
	if ! wait_for 5 log_has "$T/$tag.stub" .; then
		WHY="ssh never started (autossh blocked writing its log?)"
	else
		kill -KILL "$(stub_pid "$T/$tag.stub")"
		if ! wait_for 5 runs_at_least "$T/$tag.stub" 2; then
			WHY="ssh not restarted within 5 s of kill -9"
		fi
	fi
	kill -CONT "$R"
	if [ -z "$WHY" ]; then
		# Once the reader has drained the filling, the next line fits.
		wait_for 15 size_at_least "$T/$tag.read" 65536 || :
		kill -USR1 "$A"
		if ! wait_for 15 grep -aq 'log lines dropped' "$T/$tag.read"; then
			WHY="no '<n> log lines dropped' line once the reader ran again"
		fi
	fi
	stop_bg "$A"
	kill -TERM "$R" 2>/dev/null || :
	tr -d '\000' <"$T/$tag.read" >"$T/$tag.lines" 2>/dev/null || :
	report "$name" "$T/$tag.lines"
}

stalled_case lstderr AUTOSSH_LOGFILE=-
stalled_case ldebug AUTOSSH_DEBUG=1

name="notify: a stalled NOTIFY_SOCKET reader does not stop supervision (MAXLIFETIME still ends it)"
WHY=
socat -u UNIX-RECV:"$T/stall.sock" /dev/null </dev/null 2>/dev/null &
N=$!
track_pid "$N"
if ! wait_for 5 test -S "$T/stall.sock"; then
	WHY="socat did not create the socket"
else
	kill -STOP "$N"
	# WATCHDOG=1 every millisecond fills the receiver's queue at once;
	# nothing but the clock then asks autossh to act.
	bg_run NOTIFY_SOCKET="$T/stall.sock" WATCHDOG_USEC=2000 AUTOSSH_PATH="$STUB" STUB_LOG="$T/stall.stub" \
		AUTOSSH_GATETIME=0 AUTOSSH_MAXLIFETIME=2 AUTOSSH_LOGFILE="$T/stall.log" "$AUTOSSH" -M 0 host \
		>/dev/null 2>&1
	A=$BG_PID
	if ! wait_for 5 log_has "$T/stall.stub" .; then
		WHY="ssh never started"
	elif ! wait_exit 6 "$A"; then
		WHY="autossh still runs 6 s after a 2 s MAXLIFETIME"
	elif [ "$EXIT_STATUS" != 0 ]; then
		WHY="exit status $EXIT_STATUS, want 0"
	fi
	stop_bg "$A"
fi
kill -CONT "$N" 2>/dev/null || :
report "$name" "$T/stall.log"

# ---------------------------------------------------------------- files

name="files: planted guesses of temporary names beside the pidfile and status file do not stop a start"
WHY=
mkdir "$T/plant"
for f in a.pid a.status; do
	mkdir "$T/plant/$f.new"
	last=$(cat /proc/sys/kernel/ns_last_pid)
	i=1
	while [ "$i" -le 300 ]; do
		: >"$T/plant/$f.$((last + i)).probe"
		i=$((i + 1))
	done
done
bg_run AUTOSSH_PATH="$STUB" STUB_LOG="$T/plant.stub" AUTOSSH_GATETIME=0 AUTOSSH_LOGFILE="$T/plant.log" \
	AUTOSSH_PIDFILE="$T/plant/a.pid" AUTOSSH_STATUSFILE="$T/plant/a.status" "$AUTOSSH" -M 0 host \
	>"$T/plant.out" 2>&1
A=$BG_PID
if ! wait_for 5 log_has "$T/plant.stub" .; then
	WHY="ssh never started: $(head -n 2 "$T/plant.out" | tr '\n' '|')"
elif ! wait_for 5 pid_in "$T/plant/a.pid" "$A"; then
	WHY="pidfile does not hold $A: $(head -n 2 "$T/plant.out" | tr '\n' '|')"
elif ! wait_for 5 grep -q "^pid=$A\$" "$T/plant/a.status"; then
	WHY="status file does not hold pid=$A"
fi
stop_bg "$A"
report "$name" "$T/plant.log" "$T/plant.out"

name="files: an exec failure leaves an existing pidfile byte-identical"
WHY=
printf '#!/nonexistent/interpreter\n' >"$T/bad-ssh"
chmod 755 "$T/bad-ssh"
printf '4711\nnot ours\n' >"$T/ex.pid"
touch -d '2001-01-01 00:00:00' "$T/ex.pid"
before=$(stat -c '%s %Y %i' "$T/ex.pid")$(md5sum <"$T/ex.pid")
bg_run AUTOSSH_PATH="$T/bad-ssh" AUTOSSH_GATETIME=0 AUTOSSH_LOGFILE="$T/ex.log" AUTOSSH_PIDFILE="$T/ex.pid" \
	"$AUTOSSH" -M 0 host >"$T/ex.out" 2>&1
A=$BG_PID
if ! wait_exit 5 "$A"; then
	WHY="autossh still runs"
elif [ "$EXIT_STATUS" != 1 ]; then
	WHY="exit status $EXIT_STATUS, want 1"
elif [ ! -f "$T/ex.pid" ]; then
	WHY="pidfile removed"
elif [ "$(stat -c '%s %Y %i' "$T/ex.pid")$(md5sum <"$T/ex.pid")" != "$before" ]; then
	WHY="pidfile changed: $(tr '\n' '|' <"$T/ex.pid")"
fi
report "$name" "$T/ex.log" "$T/ex.out"
