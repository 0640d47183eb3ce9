#!/bin/sh
# t-core-signals: signals to autossh (autossh(1) SIGNALS), stopping ssh and
# signals during the backoff wait (autossh(1) RESTARTS). Uses tests/stub-ssh.
set -eu
# shellcheck source=tests/lib.sh disable=SC1091
. tests/lib.sh
lib_init core-signals

# start_case NAME [VAR=VAL...]: autossh -M 0 with the stub (runs until
# killed), gate off, pidfile and log in $T/NAME.*; waits for the first ssh.
# Sets A (autossh pid) and S (ssh pid). Returns 1 if ssh never started.
start_case() {
	_sc_n=$1
	shift
	bg_run AUTOSSH_PATH="$STUB" STUB_LOG="$T/$_sc_n.stub" AUTOSSH_LOGFILE="$T/$_sc_n.log" \
		AUTOSSH_PIDFILE="$T/$_sc_n.pid" AUTOSSH_GATETIME=0 "$@" "$AUTOSSH" -M 0 host \
		>"$T/$_sc_n.out" 2>&1
	A=$BG_PID
	S=
	wait_for 5 log_has "$T/$_sc_n.stub" . || return 1
	S=$(stub_pid "$T/$_sc_n.stub")
}

# exit_signal_case NAME SIGNAL NUMBER: SIGNAL to autossh stops ssh, removes
# the pidfile and autossh dies by SIGNAL (status 128+NUMBER).
exit_signal_case() {
	_es_name="signals: SIG$2 stops ssh, removes the pidfile, autossh dies by SIG$2"
	if ! start_case "$1"; then
		not_ok "$_es_name" "ssh never started"
		return 0
	fi
	if ! wait_for 5 test -f "$T/$1.pid"; then
		not_ok "$_es_name" "no pidfile"
		return 0
	fi
	kill -s "$2" "$A"
	_es_why=
	if ! wait_exit 5 "$A"; then
		_es_why="autossh still running 5 s after SIG$2"
	elif [ "$EXIT_STATUS" != $((128 + $3)) ]; then
		_es_why="exit status $EXIT_STATUS, want $((128 + $3))"
	elif pid_alive "$S"; then
		_es_why="ssh (pid $S) still runs"
	elif [ -e "$T/$1.pid" ]; then
		_es_why="pidfile not removed"
	elif ! log_has "$T/$1.log" ": received signal to exit \($3\)\$"; then
		_es_why="log lacks 'received signal to exit ($3)'"
	fi
	if [ -n "$_es_why" ]; then
		not_ok "$_es_name" "$_es_why"
		diag "$T/$1.log"
	else
		ok "$_es_name"
	fi
}

exit_signal_case term TERM 15
exit_signal_case int INT 2
exit_signal_case quit QUIT 3

# ---------------------------------------------------------------- ssh ignoring TERM

name="signals: an ssh ignoring SIGTERM is killed after about 2 s with a warning"
if ! start_case ignterm STUB_IGNORE_TERM=1; then
	not_ok "$name" "ssh never started"
else
	t0=$(now_ms)
	kill -TERM "$A"
	if ! wait_exit 10 "$A"; then
		not_ok "$name" "autossh still running 10 s after SIGTERM"
	else
		took=$(($(now_ms) - t0))
		if pid_alive "$S"; then
			not_ok "$name" "ssh (pid $S) still runs"
		elif [ "$EXIT_STATUS" != 143 ]; then
			not_ok "$name" "exit status $EXIT_STATUS, want 143"
		elif [ "$took" -lt 1500 ] || [ "$took" -gt 5000 ]; then
			not_ok "$name" "autossh took $took ms, want about 2000"
		elif ! log_has "$T/ignterm.log" ': ssh did not exit 2 s after SIGTERM; sending SIGKILL$'; then
			not_ok "$name" "log lacks the SIGKILL warning"
			diag "$T/ignterm.log"
		else
			ok "$name"
		fi
	fi
fi

# ---------------------------------------------------------------- SIGUSR1

name="signals: SIGUSR1 kills ssh and starts a new one"
if ! start_case usr1; then
	not_ok "$name" "ssh never started"
else
	kill -USR1 "$A"
	_two_runs() { [ "$(stub_runs "$T/usr1.stub")" -ge 2 ]; }
	if ! wait_for 5 _two_runs; then
		not_ok "$name" "no new ssh within 5 s"
		diag "$T/usr1.log"
	elif ! wait_gone 3 "$S"; then
		not_ok "$name" "old ssh (pid $S) still runs"
	elif ! pid_alive "$A"; then
		not_ok "$name" "autossh exited"
	elif ! log_has "$T/usr1.log" ': signalled to kill and restart ssh$'; then
		not_ok "$name" "log lacks 'signalled to kill and restart ssh'"
	elif ! pid_alive "$(stub_pid "$T/usr1.stub")"; then
		not_ok "$name" "new ssh not running"
	else
		ok "$name"
	fi
	kill -TERM "$A" 2>/dev/null || :
	wait_exit 5 "$A" || :
fi

# ---------------------------------------------------------------- backoff

# An ssh that exits 255 at once: starts 1-6 are quick (tries 0..5), start 7
# waits min(POLL, POLL*1/300) s = 10 s with POLL 3000, start 8 waits 40 s
# (autossh(1) RESTARTS). SIGHUP and SIGUSR1 during those waits must start ssh now.
bg_run AUTOSSH_PATH="$STUB" STUB_LOG="$T/backoff.stub" STUB_EXIT=255 \
	AUTOSSH_LOGFILE="$T/backoff.log" AUTOSSH_DEBUG=1 AUTOSSH_POLL=3000 AUTOSSH_GATETIME=0 \
	"$AUTOSSH" -M 0 host >"$T/backoff.out" 2>&1
A=$BG_PID

# backoff_case NAME SIGNAL WAIT RUNS: once the WAIT-second grace sleep is
# logged (with RUNS ssh runs so far), SIGNAL must start run RUNS+1 within 1 s.
backoff_case() {
	_bc_name=$1
	_bc_next=$(($4 + 1))
	_bc_started() { [ "$(stub_runs "$T/backoff.stub")" -ge "$_bc_next" ]; }
	if ! wait_log 10 "$T/backoff.log" ": sleeping for grace time $3 secs\$"; then
		not_ok "$_bc_name" "no 'sleeping for grace time $3 secs' in the log"
		diag "$T/backoff.log"
		return 0
	fi
	if [ "$(stub_runs "$T/backoff.stub")" != "$4" ]; then
		not_ok "$_bc_name" "$(stub_runs "$T/backoff.stub") ssh runs before the $3 s wait, want $4"
		return 0
	fi
	kill -s "$2" "$A"
	if ! wait_for 1 _bc_started; then
		not_ok "$_bc_name" "no ssh started within 1 s of SIG$2"
		diag "$T/backoff.log"
	elif ! pid_alive "$A"; then
		not_ok "$_bc_name" "autossh died"
	else
		ok "$_bc_name"
	fi
}

backoff_case "backoff: SIGHUP during the grace wait starts ssh now" HUP 10 6
backoff_case "backoff: SIGUSR1 during the grace wait starts ssh now" USR1 40 7

name="backoff: SIGTERM during the grace wait exits by SIGTERM"
if ! wait_log 10 "$T/backoff.log" ": sleeping for grace time 90 secs\$"; then
	not_ok "$name" "no 'sleeping for grace time 90 secs' in the log"
else
	kill -TERM "$A"
	if ! wait_exit 5 "$A"; then
		not_ok "$name" "autossh still running 5 s after SIGTERM"
	elif [ "$EXIT_STATUS" != 143 ]; then
		not_ok "$name" "exit status $EXIT_STATUS, want 143"
	elif ! log_has "$T/backoff.log" ': received signal to exit \(15\)$'; then
		not_ok "$name" "log lacks 'received signal to exit (15)'"
	else
		ok "$name"
	fi
fi
