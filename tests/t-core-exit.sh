#!/bin/sh
# t-core-exit: how ssh's exit decides autossh's fate (autossh(1) RESTARTS) and
# the limits (autossh(1) SCHEDULE AND TIMEOUTS). Uses tests/stub-ssh; no sshd needed.
set -eu
# shellcheck source=tests/lib.sh disable=SC1091
. tests/lib.sh
lib_init core-exit

# run_case NAME: start autossh with the stub (variables as arguments) and
# wait up to 15 s for it to exit; sets EXIT_STATUS, or prints not ok and
# returns 1. Files: $T/NAME.log (autossh log), $T/NAME.stub (STUB_LOG).
run_case() {
	_rc_n=$1
	shift
	bg_run AUTOSSH_PATH="$STUB" STUB_LOG="$T/$_rc_n.stub" AUTOSSH_LOGFILE="$T/$_rc_n.log" \
		"$@" >"$T/$_rc_n.out" 2>&1
	if ! wait_exit 15 "$BG_PID"; then
		return 1
	fi
	return 0
}

# expect NAME STATUS RUNS REGEX...: check the last run_case NAME.
expect() {
	_ex_name=$1
	_ex_file=$2
	_ex_status=$3
	_ex_runs=$4
	shift 4
	_ex_why=
	if [ -z "$EXIT_STATUS" ]; then
		_ex_why="autossh still running after 15 s"
	elif [ "$EXIT_STATUS" != "$_ex_status" ]; then
		_ex_why="exit status $EXIT_STATUS, want $_ex_status"
	elif [ "$(stub_runs "$T/$_ex_file.stub")" != "$_ex_runs" ]; then
		_ex_why="ssh started $(stub_runs "$T/$_ex_file.stub") times, want $_ex_runs"
	else
		for _ex_re in "$@"; do
			if ! log_has "$T/$_ex_file.log" "$_ex_re"; then
				_ex_why="log lacks /$_ex_re/"
				break
			fi
		done
	fi
	if [ -n "$_ex_why" ]; then
		not_ok "$_ex_name" "$_ex_why"
		diag "$T/$_ex_file.log"
	else
		ok "$_ex_name"
	fi
}

# ---------------------------------------------------------------- gate

run_case gate STUB_EXIT=255 AUTOSSH_GATETIME=5 "$AUTOSSH" -M 0 host || :
expect "gate: first ssh failing inside the gate time makes autossh exit 1" gate 1 1 \
	': ssh exited prematurely with status 255; autossh exiting$'

run_case gate0 STUB_EXITS="255 0" AUTOSSH_GATETIME=0 "$AUTOSSH" -M 0 host || :
expect "gate: AUTOSSH_GATETIME=0 retries a failing first ssh" gate0 0 2 \
	': ssh exited with error status 255; restarting ssh$' \
	': ssh exited with status 0; autossh exiting$'

# -f: default gate (30 s) is forced to 0. The foreground returns at once;
# follow the background through its log.
name="gate: with -f a failing first ssh is retried"
rc=0
AUTOSSH_PATH=$STUB STUB_LOG=$T/gatef.stub STUB_EXITS="255 0" AUTOSSH_LOGFILE=$T/gatef.log \
	AUTOSSH_PIDFILE=$T/gatef.pid timeout 10 "$AUTOSSH" -f -M 0 -F "$T/none" host \
	</dev/null >"$T/gatef.out" 2>&1 || rc=$?
bgpid=$(pidfile_pid "$T/gatef.pid" 2>/dev/null) && track_pid "$bgpid"
if [ "$rc" != 0 ]; then
	not_ok "$name" "foreground exit status $rc, want 0"
elif ! wait_log 10 "$T/gatef.log" ': ssh exited with status 0; autossh exiting$'; then
	not_ok "$name" "background autossh did not end with ssh's status 0"
	diag "$T/gatef.log"
elif [ "$(stub_runs "$T/gatef.stub")" != 2 ]; then
	not_ok "$name" "ssh started $(stub_runs "$T/gatef.stub") times, want 2"
elif log_has "$T/gatef.log" 'prematurely'; then
	not_ok "$name" "gate applied with -f"
else
	ok "$name"
fi

# ---------------------------------------------------------------- exit table

run_case row5 STUB_EXITS="1 2 0" AUTOSSH_GATETIME=0 "$AUTOSSH" -M 0 host || :
expect "exit: status 1 and 2 restart when the gate is off" row5 0 3 \
	': ssh exited with error status 1; restarting ssh$' \
	': ssh exited with error status 2; restarting ssh$'

run_case row6 STUB_EXIT=1 STUB_SLEEP=1.5 AUTOSSH_GATETIME=1 "$AUTOSSH" -M 0 host || :
expect "exit: first ssh exiting 1 after the gate time makes autossh exit 1" row6 1 1 \
	': ssh exited with status 1; autossh exiting$'

run_case row7 STUB_EXITS="255 3" AUTOSSH_GATETIME=0 "$AUTOSSH" -M 0 host || :
expect "exit: any other status (3) makes autossh exit 1" row7 1 2 \
	': ssh exited with status 3; autossh exiting$'

run_case row4 STUB_EXIT=0 AUTOSSH_GATETIME=0 "$AUTOSSH" -M 0 host || :
expect "exit: ssh exiting 0 makes autossh exit 0" row4 0 1 \
	': ssh exited with status 0; autossh exiting$'

# ---------------------------------------------------------------- limits

run_case maxstart STUB_EXIT=255 AUTOSSH_GATETIME=0 AUTOSSH_MAXSTART=2 "$AUTOSSH" -M 0 host || :
expect "limits: AUTOSSH_MAXSTART=2 starts ssh exactly twice, exit 0" maxstart 0 2 \
	': starting ssh \(count 1 of 2\)$' ': starting ssh \(count 2 of 2\)$' \
	': max start count reached; exiting$'

run_case maxstart0 STUB_EXIT=255 AUTOSSH_GATETIME=0 AUTOSSH_MAXSTART=0 "$AUTOSSH" -M 0 host || :
expect "limits: AUTOSSH_MAXSTART=0 starts nothing, exit 0" maxstart0 0 0

name="limits: AUTOSSH_MAXLIFETIME=5 ends autossh and ssh after about 5 s, exit 0"
t0=$(now_ms)
bg_run AUTOSSH_PATH="$STUB" STUB_LOG="$T/life.stub" AUTOSSH_LOGFILE="$T/life.log" \
	AUTOSSH_GATETIME=0 AUTOSSH_MAXLIFETIME=5 "$AUTOSSH" -M 0 host >"$T/life.out" 2>&1
life=$BG_PID
if ! wait_for 5 log_has "$T/life.stub" .; then
	not_ok "$name" "ssh never started"
elif ! wait_exit 10 "$life"; then
	not_ok "$name" "autossh still running after 10 s"
else
	took=$(($(now_ms) - t0))
	sp=$(stub_pid "$T/life.stub") || :
	if [ "$EXIT_STATUS" != 0 ]; then
		not_ok "$name" "exit status $EXIT_STATUS, want 0"
	elif [ "$took" -lt 4000 ] || [ "$took" -gt 8000 ]; then
		not_ok "$name" "exited after $took ms, want 4000..8000"
	elif pid_alive "$sp"; then
		not_ok "$name" "ssh (pid $sp) still runs"
	elif ! log_has "$T/life.log" ': exceeded maximum time to live, shutting down$'; then
		not_ok "$name" "log lacks 'exceeded maximum time to live, shutting down'"
		diag "$T/life.log"
	else
		ok "$name"
	fi
fi
