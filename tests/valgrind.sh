#!/bin/sh
# tests/valgrind.sh: tests/unit and real autossh runs under valgrind
# (`make valgrind`, which builds ./autossh and tests/unit first).
#
#   valgrind --leak-check=full --track-fds=yes --error-exitcode=1 --trace-children=no
#
# Cases, one ok/not ok line each:
#   - tests/unit;
#   - a real tunnel (lib.sh sshd): start, traffic, SIGTERM;
#   - echo-mode monitoring with probes, NOTIFY_SOCKET and a status file,
#     SIGHUP (probe now), SIGUSR1 (restart), SIGTERM;
#   - loop-mode monitoring (stub ssh, socat plays the loop): passing probes,
#     then the loop breaks, failed probe, restart, SIGTERM;
#   - -f: the foreground half and the background half (SIGTERM).
# A run passes when valgrind reports no errors, nothing definitely,
# indirectly or possibly lost, and at exit no descriptor open but 0, 1, 2,
# ones inherited from the caller, the log file, the self-pipe, the monitor
# listener and the notify socket. autossh dies by SIGTERM (autossh(1) EXIT STATUS), so
# valgrind's own exit status is 143, not --error-exitcode: the log decides.
set -eu
# shellcheck source=tests/lib.sh disable=SC1091
. tests/lib.sh
lib_init valgrind

if ! command -v valgrind >/dev/null 2>&1; then
	skip "valgrind: all" "valgrind not installed"
	exit 0
fi
VG="valgrind --leak-check=full --track-fds=yes --error-exitcode=1 --trace-children=no"

# vg_check LOG [EXPECTED_FD_FUNCTION...]: sets WHY if the valgrind LOG shows
# errors, leaks or descriptors open at exit other than 0-2, inherited ones
# and those whose allocation stack names one of the functions (default:
# open_log_file log_reopen install_signals bind_monitor_port notify_send
# go_background: the log, the self-pipe, the listener, the notify socket
# and, in the -f foreground, the ready pipe; both pipes are made by
# cloexec_pipe, called from install_signals and go_background). Each name
# must still be a function of autossh.c, so the list follows the code.
vg_check() {
	_vc_log=$1
	shift
	[ $# -gt 0 ] || set -- open_log_file log_reopen install_signals bind_monitor_port notify_send \
		go_background
	for _vc_fn in "$@"; do
		if ! grep -q "^static [^(]*[ *]$_vc_fn(" autossh.c; then
			WHY="$_vc_fn, expected to open a descriptor, is not a function of autossh.c"
			return 0
		fi
	done
	if [ ! -s "$_vc_log" ]; then
		WHY="no valgrind log"
		return 0
	fi
	if ! grep -q 'ERROR SUMMARY: 0 errors' "$_vc_log"; then
		WHY="valgrind errors: $(grep 'ERROR SUMMARY' "$_vc_log" | head -n 1 | sed 's/^==[0-9]*== //')"
		return 0
	fi
	for _vc_kind in definitely indirectly possibly; do
		if grep -Eq "$_vc_kind lost: [1-9]" "$_vc_log"; then
			WHY="$(grep -E "$_vc_kind lost: " "$_vc_log" | head -n 1 | sed 's/^==[0-9]*== *//')"
			return 0
		fi
	done
	if ! grep -q 'FILE DESCRIPTORS: ' "$_vc_log"; then
		WHY="no descriptor report (--track-fds)"
		return 0
	fi
	# Each "Open file descriptor N: ..." block ends at an empty "==pid== "
	# line; a block is fine if it is 0-2, inherited, or was opened below
	# one of the expected functions.
	_vc_bad=$(sed 's/^==[0-9]*== \{0,1\}//' "$_vc_log" | awk -v ok=" $* " '
		function flush() {
			if (fd != "" && !fine) bad = bad " " fd
			fd = ""
		}
		/^Open .*(descriptor|socket) [0-9]+/ {
			flush()
			fd = $0; sub(/^Open .*(descriptor|socket) /, "", fd); sub(/[^0-9].*/, "", fd)
			fine = (fd == "0" || fd == "1" || fd == "2")
			next
		}
		fd != "" && /<inherited from parent>/ { fine = 1 }
		fd != "" && /^ *(at|by) / {
			n = split(ok, f, " ")
			for (i = 1; i <= n; i++) if ($0 ~ (": " f[i] "[ .]")) fine = 1
		}
		/^$/ { flush() }
		END { flush(); print bad }')
	if [ -n "$(printf '%s' "$_vc_bad" | tr -d ' ')" ]; then
		WHY="unexpected descriptors open at exit:$_vc_bad"
	fi
}

# vg_stop PID: SIGTERM, wait (valgrind is slow to wind down).
vg_stop() {
	kill -TERM "$1" 2>/dev/null || :
	if ! wait_exit 60 "$1"; then
		WHY=${WHY:-"still running 60 s after SIGTERM"}
	elif [ "$EXIT_STATUS" != 143 ]; then
		WHY=${WHY:-"exit status $EXIT_STATUS after SIGTERM, want 143"}
	fi
}

# ---------------------------------------------------------------- unit

name="valgrind: tests/unit"
WHY=
if [ ! -x "$TOP/tests/unit" ]; then
	skip "$name" "tests/unit not built (make tests/unit)"
else
	rc=0
	# shellcheck disable=SC2086
	$VG --log-file="$T/vg-unit.log" "$TOP/tests/unit" >"$T/unit.out" 2>&1 || rc=$?
	if [ "$rc" != 0 ]; then
		WHY="exit status $rc"
	elif grep -q '^not ok' "$T/unit.out"; then
		WHY="unit tests failed under valgrind: $(grep '^not ok' "$T/unit.out" | head -n 3 | tr '\n' '|')"
	elif ! grep -q 'ERROR SUMMARY: 0 errors' "$T/vg-unit.log"; then
		WHY="$(grep 'ERROR SUMMARY' "$T/vg-unit.log" | sed 's/^==[0-9]*== //')"
	fi
	report "$name ($(grep -c '^ok' "$T/unit.out" || :) unit tests)" "$T/vg-unit.log"
fi

# ---------------------------------------------------------------- real tunnel

if ! start_sshd >"$T/start_sshd.out" 2>&1; then
	cat "$T/start_sshd.out"
	skip "valgrind: real tunnel" "could not start sshd"
	skip "valgrind: echo-mode probes" "could not start sshd"
else
	TP=$(free_port)
	start_target "$TP"

	name="valgrind: real tunnel start, traffic, SIGTERM"
	WHY=
	LP=$(free_port)
	# shellcheck disable=SC2086
	bg_run AUTOSSH_LOGFILE="$T/tunnel.log" AUTOSSH_GATETIME=0 $VG --log-file="$T/vg-tunnel.log" \
		"$AUTOSSH" -M 0 -N -F "$SSH_CFG" -L "127.0.0.1:$LP:127.0.0.1:$TP" testhost \
		>"$T/tunnel.out" 2>&1
	A=$BG_PID
	if ! wait_for 60 tunnel_ok "$LP"; then
		WHY="tunnel never came up"
	fi
	vg_stop "$A"
	[ -n "$WHY" ] || vg_check "$T/vg-tunnel.log"
	report "$name" "$T/vg-tunnel.log" "$T/tunnel.log"

	name="valgrind: echo-mode probes, status file, NOTIFY_SOCKET, SIGHUP, SIGUSR1, SIGTERM"
	WHY=
	LP=$(free_port)
	EP=$(free_port)
	MP=$(free_port)
	start_echo "$EP"
	_oks() { [ "$(grep -c ': connection ok$' "$T/echo.log" 2>/dev/null || :)" -ge "$1" ]; }
	# shellcheck disable=SC2086
	bg_run AUTOSSH_LOGFILE="$T/echo.log" AUTOSSH_GATETIME=0 AUTOSSH_DEBUG=1 AUTOSSH_POLL=600 \
		AUTOSSH_STATUSFILE="$T/echo.status" NOTIFY_SOCKET="@autossh-vg-nobody-$$" \
		$VG --log-file="$T/vg-echo.log" \
		"$AUTOSSH" -M "$MP:$EP" -N -F "$SSH_CFG" -L "127.0.0.1:$LP:127.0.0.1:$TP" testhost \
		>"$T/echo.out" 2>&1
	A=$BG_PID
	if ! wait_for 60 tunnel_ok "$LP"; then
		WHY="tunnel never came up"
	elif ! wait_for 30 _oks 1; then
		WHY="no early probe passed"
	else
		n=$(grep -c ': connection ok$' "$T/echo.log")
		kill -HUP "$A"
		if ! wait_for 30 _oks $((n + 1)); then
			WHY="SIGHUP: no probe"
		else
			kill -USR1 "$A"
			if ! wait_log 30 "$T/echo.log" ': starting ssh \(count 2\)$' || ! wait_for 60 tunnel_ok "$LP"; then
				WHY="SIGUSR1: no working new ssh"
			fi
		fi
	fi
	vg_stop "$A"
	[ -n "$WHY" ] || vg_check "$T/vg-echo.log"
	report "$name" "$T/vg-echo.log" "$T/echo.log"
fi

# ---------------------------------------------------------------- loop mode

name="valgrind: loop-mode probes pass, the loop breaks, restart, SIGTERM (stub ssh)"
WHY=
P=$(free_port)
# shellcheck disable=SC2086
bg_run AUTOSSH_PATH="$STUB" STUB_LOG="$T/loop.stub" AUTOSSH_LOGFILE="$T/loop.log" AUTOSSH_GATETIME=0 \
	AUTOSSH_DEBUG=1 AUTOSSH_POLL=2 AUTOSSH_FIRST_POLL=1 \
	$VG --log-file="$T/vg-loop.log" "$AUTOSSH" -M "$P" host >"$T/loop.out" 2>&1
A=$BG_PID
if ! wait_for 60 log_has "$T/loop.stub" .; then
	WHY="ssh never started"
else
	socat "TCP-LISTEN:$P,bind=127.0.0.1,reuseaddr,fork" "TCP:127.0.0.1:$((P + 1))" \
		</dev/null >/dev/null 2>>"$T/socat.log" &
	LOOP=$!
	track_pid "$LOOP"
	if ! wait_log 60 "$T/loop.log" ': connection ok$'; then
		WHY="no passing probe"
	else
		kill -TERM "$LOOP"
		if ! wait_log 60 "$T/loop.log" ': port down, restarting ssh$'; then
			WHY="no failed probe after the loop broke"
		elif ! wait_log 30 "$T/loop.log" ': starting ssh \(count 2\)$'; then
			WHY="no restart after the failed probe"
		fi
	fi
fi
vg_stop "$A"
[ -n "$WHY" ] || vg_check "$T/vg-loop.log"
report "$name" "$T/vg-loop.log" "$T/loop.log"

# ---------------------------------------------------------------- -f

name="valgrind: -f, foreground and background halves (stub ssh), SIGTERM"
WHY=
rc=0
# shellcheck disable=SC2086
AUTOSSH_PATH=$STUB STUB_LOG=$T/bg.stub AUTOSSH_LOGFILE=$T/bg.log AUTOSSH_PIDFILE=$T/bg.pid \
	timeout 60 $VG --log-file="$T/vg-bg.%p.log" "$AUTOSSH" -f -M 0 host </dev/null >"$T/bg.out" 2>&1 || rc=$?
B=$(pidfile_pid "$T/bg.pid" 2>/dev/null) || B=
[ -z "$B" ] || track_pid "$B"
if [ "$rc" != 0 ]; then
	WHY="foreground exit status $rc"
elif [ -z "$B" ]; then
	WHY="no pidfile"
elif ! wait_for 60 log_has "$T/bg.stub" .; then
	WHY="ssh never started"
else
	kill -TERM "$B"
	wait_gone 60 "$B" || WHY="background still running 60 s after SIGTERM"
fi
# One log per process: the foreground, the background, and one per forked
# ssh child that valgrind leaves at exec (a header only, no summary).
full=$(grep -l 'HEAP SUMMARY' "$T"/vg-bg.*.log 2>/dev/null || :)
for f in $full; do
	[ -n "$WHY" ] || vg_check "$f"
done
[ -n "$WHY" ] || [ "$(printf '%s\n' "$full" | grep -c .)" = 2 ] ||
	WHY="want 2 valgrind reports (foreground, background), got $(printf '%s\n' "$full" | grep -c .)"
# shellcheck disable=SC2086
report "$name" $full "$T/bg.log"
