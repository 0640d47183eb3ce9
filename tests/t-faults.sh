#!/bin/sh
# t-faults: reliability against real faults (README "Reliability"), with a
# real sshd: ssh killed, server frozen, sshd down, forward port taken, an ssh
# that ignores SIGTERM, a bad AUTOSSH_PATH, the log directory removed or
# unwritable or a FIFO, every non-exit signal in every state, a signal
# storm, autossh itself stopped or killed. After each fault the tunnel must
# carry traffic again and autossh must have leaked nothing: no zombie
# children, the same number of open descriptors (/proc/PID/fd).
# autossh(1) MONITORING, RESTARTS, SIGNALS, LOGGING; every wait is bounded.
# Runs about 80 s.
set -eu
# shellcheck source=tests/lib.sh disable=SC1091
. tests/lib.sh
lib_init faults

FAULT=$TOP/tests/fault-ssh
if [ ! -x "$FAULT" ]; then
	cp "$FAULT" "$T/fault-ssh"
	chmod +x "$T/fault-ssh"
	FAULT=$T/fault-ssh
fi
TICKS=$(getconf CLK_TCK 2>/dev/null || echo 100)

if ! start_sshd >"$T/start_sshd.out" 2>&1; then
	cat "$T/start_sshd.out"
	skip "faults: all" "could not start sshd"
	exit 0
fi
TP=$(free_port)
start_target "$TP"

# ---------------------------------------------------------------- helpers

count_lines() { grep -Ec -- "$2" "$1" 2>/dev/null || :; }

_fds_are() { [ "$(fd_count "$1")" = "$2" ]; }

# The one ssh child of autossh $A, or nothing.
ssh_pid() { ssh_children "$A" | head -n 1; }
# Some ssh other than OLD runs under autossh.
_other_ssh() {
	_os=$(ssh_pid)
	[ -n "$_os" ] && [ "$_os" != "$1" ]
}
# A new ssh (not OLD) runs under autossh and the tunnel works through it.
_new_ssh_works() {
	_ns=$(ssh_pid)
	[ -n "$_ns" ] && [ "$_ns" != "$1" ] && tunnel_ok "$LP"
}

# start_tunnel NAME MONITOR EXTRA [VAR=VAL...]: autossh -M MONITOR -N with
# the local forward 127.0.0.1:LP -> target and EXTRA (unquoted, split on
# blanks) before the host; log in $LOG, gate off. Sets A and LP and waits
# up to 20 s for the tunnel. Returns 1 if it never worked.
start_tunnel() {
	_st_name=$1
	_st_mon=$2
	_st_extra=$3
	shift 3
	LP=$(free_port)
	LOG=$T/$_st_name.log
	# shellcheck disable=SC2086
	bg_run AUTOSSH_LOGFILE="$LOG" AUTOSSH_GATETIME=0 "$@" \
		"$AUTOSSH" -M "$_st_mon" -N -F "$SSH_CFG" $_st_extra \
		-L "127.0.0.1:$LP:127.0.0.1:$TP" testhost >"$T/$_st_name.out" 2>&1
	A=$BG_PID
	wait_for 20 tunnel_ok "$LP"
}

# leak_check PID BASE_FDS: sets WHY if PID has zombie children or a number
# of open descriptors other than BASE_FDS (both polled: a child may be
# between exit and reaping, a spawn may hold a pipe for a moment).
leak_check() {
	if ! wait_for 5 _no_zombies "$1"; then
		WHY="$(zombie_count "$1") zombie children of autossh"
	elif [ -z "$2" ]; then
		WHY="no descriptor baseline"
	elif ! wait_for 5 _fds_are "$1" "$2"; then
		WHY="autossh has $(fd_count "$1") descriptors, had $2: $(fd_list "$1")"
	fi
}

# stop_autossh: SIGTERM autossh $A; sets WHY unless it dies by SIGTERM
# within 10 s leaving no ssh behind.
stop_autossh() {
	_sa_ssh=$(ssh_pid)
	kill -TERM "$A" 2>/dev/null || :
	if ! wait_exit 10 "$A"; then
		WHY="${WHY:-autossh still running 10 s after SIGTERM}"
	elif [ "$EXIT_STATUS" != 143 ]; then
		WHY="${WHY:-autossh exit status $EXIT_STATUS after SIGTERM, want 143}"
	elif [ -n "$_sa_ssh" ] && ! wait_gone 3 "$_sa_ssh"; then
		WHY="${WHY:-ssh $_sa_ssh left running after autossh exited}"
	fi
}

# grace_list LOG: the "sleeping for grace time N secs" values, in order.
grace_list() {
	sed -n 's/.*: sleeping for grace time \([0-9]*\) secs$/\1/p' "$1" | tr '\n' ' '
}

# autossh(1) RESTARTS with POLL 30: the waits after the nine quick starts.
GRACE_POLL30="1 2 3 4 6 8 10 12 14 16 19 22 25 28 30 30 30 30 30 30 "

# grace_check GRACES: sets WHY unless the waits GRACES (grace_list) are a
# prefix of GRACE_POLL30.
grace_check() {
	case $GRACE_POLL30 in
	"$1"*) ;;
	*) WHY="grace waits '$1', want a prefix of '$GRACE_POLL30' (autossh(1) RESTARTS, POLL 30)" ;;
	esac
}

BASE_FDS=

# ---------------------------------------------------------------- SIGKILL x5

name="faults: ssh killed with SIGKILL 5 times: restarted each time, tunnel works, nothing leaked"
WHY=
if ! start_tunnel kill 0 "" AUTOSSH_POLL=30; then
	WHY="tunnel never came up"
else
	BASE_FDS=$(fd_baseline "$A")
	i=0
	while [ "$i" -lt 5 ] && [ -z "$WHY" ]; do
		i=$((i + 1))
		old=$(ssh_pid)
		if [ -z "$old" ]; then
			WHY="no ssh child before kill $i"
			break
		fi
		kill -KILL "$old"
		if ! wait_for 20 _new_ssh_works "$old"; then
			WHY="kill $i: no new working ssh within 20 s"
		elif ! pid_alive "$A"; then
			WHY="kill $i: autossh died"
		fi
	done
	if [ -z "$WHY" ]; then
		n=$(count_lines "$LOG" ': ssh exited on signal 9, restarting ssh$')
		if [ "$n" != 5 ]; then
			WHY="log has $n 'ssh exited on signal 9, restarting ssh' lines, want 5"
		elif ! log_has "$LOG" ': starting ssh \(count 6\)$'; then
			WHY="log lacks 'starting ssh (count 6)'"
		elif log_has "$LOG" 'sleeping for grace time'; then
			WHY="backoff wait within the nine quick starts of POLL 30"
		fi
	fi
	[ -n "$WHY" ] || leak_check "$A" "$BASE_FDS"
	stop_autossh
fi
report "$name" "$LOG"

# ---------------------------------------------------------------- frozen server

# thaw: SIGCONT every process we stopped.
FROZEN=
thaw() {
	for _th_p in $FROZEN; do
		kill -CONT "$_th_p" 2>/dev/null || :
	done
	FROZEN=
}

name="faults: server frozen (SIGSTOP) with -M 0 and ServerAlive: ssh exits 255, autossh restarts, tunnel works"
WHY=
if ! start_tunnel freeze 0 "-o ServerAliveInterval=1 -o ServerAliveCountMax=2" AUTOSSH_POLL=30; then
	WHY="tunnel never came up"
else
	base=$(fd_baseline "$A")
	old=$(ssh_pid)
	# The session processes below the listening sshd, and theirs.
	FROZEN=$(_descendants "$SSHD_PID" | tr '\n' ' ')
	if [ -z "$FROZEN" ]; then
		WHY="no sshd session process to freeze"
	else
		# shellcheck disable=SC2086
		kill -STOP $FROZEN
		t0=$(now_ms)
		if ! wait_log 20 "$LOG" ': ssh exited with error status 255; restarting ssh$'; then
			WHY="no 'ssh exited with error status 255; restarting ssh' within 20 s of the freeze"
		elif ! wait_for 20 _new_ssh_works "$old"; then
			WHY="no new working ssh within 20 s after ssh gave up"
		else
			took=$(($(now_ms) - t0))
			echo "# frozen server: tunnel back after $took ms"
		fi
	fi
	thaw
	[ -n "$WHY" ] || leak_check "$A" "$base"
	stop_autossh
fi
thaw
report "$name" "$LOG"

# ---------------------------------------------------------------- sshd down 20 s

_autossh_gone() { ! pid_alive "$A"; }

# The session dies with sshd: ssh is restarted at once, and refused; from
# then on each start waits for a test connect that completes (one a second,
# autossh(1) TCP EVIDENCE), not 1.4g's quick starts and backoff.
name="faults: sshd down for 20 s: after a refused start the next waits for a test connect, reconnects as sshd returns"
WHY=
if ! start_tunnel down 0 "" AUTOSSH_POLL=30 AUTOSSH_DEBUG=1; then
	WHY="tunnel never came up"
else
	base=$(fd_baseline "$A")
	starts0=$(count_lines "$LOG" ': starting ssh \(count [0-9]+\)$')
	stop_sshd
	# The outage lasts 20 s; the only thing to watch for meanwhile is
	# autossh giving up.
	if wait_for 20 _autossh_gone; then
		WHY="autossh exited while sshd was down"
	fi
	starts=$(($(count_lines "$LOG" ': starting ssh \(count [0-9]+\)$') - starts0))
	restart_sshd
	t1=$(now_ms)
	if [ -n "$WHY" ]; then
		:
	elif [ "$starts" -lt 1 ] || [ "$starts" -gt 3 ]; then
		WHY="$starts ssh starts in the 20 s outage, want 1 to 3 (then the starts wait for a test connect)"
	elif ! log_has "$LOG" ': path to [^ ]+ down: ssh starts once a test connect completes$'; then
		WHY="no 'path to ... down: ssh starts once a test connect completes' line"
	fi
	if [ -z "$WHY" ]; then
		if ! wait_for 10 tunnel_ok "$LP"; then
			WHY="tunnel not back within 10 s of sshd's return"
		elif ! log_has "$LOG" ': path to [^ ]+ works again \(a test connect completed( after [^)]*)?\): starting ssh$'; then
			WHY="no 'path to ... works again (a test connect completed): starting ssh' line"
		else
			echo "# sshd down: $starts starts in 20 s; tunnel back $(($(now_ms) - t1)) ms after sshd returned"
			[ -n "$(ssh_pid)" ] || WHY="tunnel works but autossh has no ssh child"
		fi
	fi
	[ -n "$WHY" ] || leak_check "$A" "$base"
	stop_autossh
fi
report "$name" "$LOG"

# ---------------------------------------------------------------- forward port taken

_port_free() { ! _listening "$1"; }

name="faults: local forward port taken (ExitOnForwardFailure): backoff per autossh(1) RESTARTS, no busy loop, recovers"
WHY=
LP=$(free_port)
LOG=$T/taken.log
socat "TCP-LISTEN:$LP,bind=127.0.0.1,reuseaddr,fork" SYSTEM:"echo port-blocker" \
	</dev/null >/dev/null 2>>"$T/socat.log" &
BLOCKER=$!
track_pid "$BLOCKER"
if ! wait_for 5 _listening "$LP"; then
	WHY="could not occupy port $LP"
else
	bg_run AUTOSSH_LOGFILE="$LOG" AUTOSSH_GATETIME=0 AUTOSSH_POLL=30 AUTOSSH_DEBUG=1 \
		"$AUTOSSH" -M 0 -N -F "$SSH_CFG" -o ExitOnForwardFailure=yes \
		-L "127.0.0.1:$LP:127.0.0.1:$TP" testhost >"$T/taken.out" 2>&1
	A=$BG_PID
	# Nine quick starts, then waits of 1, 2, 3 s: "4 secs" comes ~10 s in.
	if ! wait_log 40 "$LOG" ': sleeping for grace time 4 secs$'; then
		WHY="no 'sleeping for grace time 4 secs' within 40 s"
	fi
	cpu=$(cpu_ticks "$A" 2>/dev/null || echo 0)
	first_grace=$(grep -n ': sleeping for grace time' "$LOG" | head -n 1 | cut -d: -f1)
	quick=$(head -n "${first_grace:-1}" "$LOG" | grep -Ec ': starting ssh \(count [0-9]+\)$' || :)
	graces=$(grace_list "$LOG")
	if [ -n "$WHY" ]; then
		:
	elif [ "$cpu" -ge "$TICKS" ]; then
		WHY="autossh used $cpu ticks of CPU in the backoff window (>= 1 s): busy loop"
	elif [ "$quick" != 9 ]; then
		WHY="$quick starts before the first backoff wait, want 9 (autossh(1) RESTARTS, POLL 30)"
	else
		grace_check "$graces"
	fi
	if [ -z "$WHY" ] && ! log_has "$LOG" ': ssh exited with error status 255; restarting ssh$'; then
		WHY="log lacks 'ssh exited with error status 255; restarting ssh'"
	fi
	echo "# port taken: $quick quick starts, waits '$graces', autossh CPU $cpu ticks (of $TICKS/s)"
	kill -TERM "$BLOCKER" 2>/dev/null || :
	if [ -z "$WHY" ]; then
		if ! wait_for 5 _port_free "$LP"; then
			WHY="could not free port $LP"
		elif ! wait_for 30 tunnel_ok "$LP"; then
			WHY="tunnel not up within 30 s of the port being freed"
		fi
	fi
	[ -n "$WHY" ] || leak_check "$A" "$BASE_FDS"
	stop_autossh
fi
report "$name" "$LOG"

# ---------------------------------------------------------------- ssh ignores SIGTERM

# start_ignterm NAME: autossh -M 0 over a stub ssh that ignores SIGTERM,
# log $LOG=$T/NAME.log, runs in $T/NAME.stub; sets A, and S to the stub's
# pid once it runs (within 10 s; else WHY).
start_ignterm() {
	LOG=$T/$1.log
	bg_run AUTOSSH_PATH="$STUB" STUB_LOG="$T/$1.stub" STUB_IGNORE_TERM=1 \
		AUTOSSH_LOGFILE="$LOG" AUTOSSH_GATETIME=0 "$AUTOSSH" -M 0 host >"$T/$1.out" 2>&1
	A=$BG_PID
	if ! wait_for 10 log_has "$T/$1.stub" .; then
		WHY="stub ssh never started"
	else
		S=$(stub_pid "$T/$1.stub")
	fi
}

name="faults: ssh ignoring SIGTERM: stopping autossh kills it after ~2 s with the warning"
WHY=
start_ignterm ignterm
if [ -z "$WHY" ]; then
	t0=$(now_ms)
	kill -TERM "$A"
	if ! wait_exit 10 "$A"; then
		WHY="autossh still running 10 s after SIGTERM"
	else
		took=$(($(now_ms) - t0))
		if pid_alive "$S"; then
			WHY="ssh $S still runs"
		elif [ "$EXIT_STATUS" != 143 ]; then
			WHY="exit status $EXIT_STATUS, want 143"
		elif [ "$took" -lt 1800 ] || [ "$took" -gt 6000 ]; then
			WHY="autossh took $took ms to stop, want about 2000"
		elif [ "$(count_lines "$LOG" ': ssh did not exit 2 s after SIGTERM; sending SIGKILL$')" != 1 ]; then
			WHY="log lacks exactly one 'ssh did not exit 2 s after SIGTERM; sending SIGKILL'"
		fi
	fi
fi
report "$name" "$LOG"

name="faults: ssh ignoring SIGTERM: SIGUSR1 restart kills it after ~2 s and starts a new one"
WHY=
start_ignterm ignterm2
_two_stubs() { [ "$(stub_runs "$T/ignterm2.stub")" -ge 2 ]; }
if [ -z "$WHY" ]; then
	base=$(fd_baseline "$A")
	t0=$(now_ms)
	kill -USR1 "$A"
	if ! wait_for 10 _two_stubs; then
		WHY="no new ssh within 10 s of SIGUSR1"
	else
		took=$(($(now_ms) - t0))
		if pid_alive "$S"; then
			WHY="old ssh $S still runs"
		elif [ "$took" -lt 1800 ]; then
			WHY="new ssh after $took ms: the old one was not given 2 s"
		elif ! log_has "$LOG" ': ssh did not exit 2 s after SIGTERM; sending SIGKILL$'; then
			WHY="log lacks 'ssh did not exit 2 s after SIGTERM; sending SIGKILL'"
		elif ! pid_alive "$(stub_pid "$T/ignterm2.stub")"; then
			WHY="new ssh not running"
		else
			leak_check "$A" "$base"
		fi
	fi
fi
stop_autossh
report "$name" "$LOG"

# ---------------------------------------------------------------- bad AUTOSSH_PATH

: >"$T/not-executable"
chmod 644 "$T/not-executable"
for what in missing not-executable; do
	name="faults: AUTOSSH_PATH to a $what file: exit 1, one stderr line"
	WHY=
	rc=0
	AUTOSSH_PATH=$T/$what AUTOSSH_GATETIME=0 timeout 10 "$AUTOSSH" -M 0 -N -F "$SSH_CFG" testhost \
		</dev/null >"$T/path.out" 2>"$T/path.err" || rc=$?
	if [ "$rc" != 1 ]; then
		WHY="exit status $rc, want 1"
	elif [ "$(wc -l <"$T/path.err" | tr -d ' ')" != 1 ]; then
		WHY="$(wc -l <"$T/path.err" | tr -d ' ') stderr lines, want 1: $(tr '\n' '|' <"$T/path.err")"
	elif ! grep -q "^autossh: .*$T/$what" "$T/path.err"; then
		WHY="stderr does not name the path: $(cat "$T/path.err")"
	elif [ -s "$T/path.out" ]; then
		WHY="unexpected stdout: $(head -n 2 "$T/path.out")"
	fi
	report "$name" "$T/path.err"
done

# ---------------------------------------------------------------- log trouble

name="faults: log file's directory removed while running: supervision goes on"
WHY=
mkdir "$T/logdir"
if ! start_tunnel logdir 0 "" AUTOSSH_POLL=30 AUTOSSH_LOGFILE="$T/logdir/autossh.log"; then
	WHY="tunnel never came up"
else
	base=$(fd_baseline "$A")
	rm -rf "$T/logdir"
	for round in 1 2; do
		old=$(ssh_pid)
		kill -KILL "$old"
		if ! wait_for 20 _new_ssh_works "$old"; then
			WHY="round $round: no new working ssh within 20 s of killing ssh"
			break
		fi
		# SIGHUP reopens the log: the directory is gone, keep going.
		kill -HUP "$A"
	done
	if [ -z "$WHY" ] && ! pid_alive "$A"; then
		WHY="autossh died"
	fi
	[ -n "$WHY" ] || leak_check "$A" "$base"
	stop_autossh
fi
report "$name"

name="faults: log writes failing (AUTOSSH_LOGFILE=/dev/full): supervision goes on"
WHY=
if ! start_tunnel full 0 "" AUTOSSH_POLL=30 AUTOSSH_LOGFILE=/dev/full; then
	WHY="tunnel never came up"
else
	base=$(fd_baseline "$A")
	old=$(ssh_pid)
	kill -KILL "$old"
	if ! wait_for 20 _new_ssh_works "$old"; then
		WHY="no new working ssh within 20 s of killing ssh"
	else
		leak_check "$A" "$base"
	fi
	stop_autossh
fi
report "$name"

# ---------------------------------------------------------------- signals in every state

# Running: echo-mode monitoring, so SIGHUP and SIGALRM show up as an
# immediate probe (autossh(1) SIGNALS); USR2 and PIPE are ignored.
name="faults: SIGHUP SIGALRM SIGUSR2 SIGPIPE while running: same ssh, autossh alive; SIGUSR1 restarts"
WHY=
EP=$(free_port)
start_echo "$EP"
MP=$(free_port)
_oks() { [ "$(count_lines "$LOG" ': connection ok$')" -ge "$1" ]; }
if ! start_tunnel sigrun "$MP:$EP" "" AUTOSSH_POLL=600 AUTOSSH_DEBUG=1; then
	WHY="tunnel never came up"
else
	base=$(fd_baseline "$A")
	S=$(ssh_pid)
	kill -HUP "$A"
	if ! wait_for 10 _oks 1; then
		WHY="SIGHUP while running: no probe ('connection ok') within 10 s"
	fi
	if [ -z "$WHY" ]; then
		kill -ALRM "$A"
		wait_for 10 _oks 2 || WHY="SIGALRM while running: no probe within 10 s"
	fi
	if [ -z "$WHY" ]; then
		# Signals are handled in order: once the ALRM's probe passed,
		# USR2 and PIPE have been handled too.
		kill -USR2 "$A"
		kill -PIPE "$A"
		kill -ALRM "$A"
		wait_for 10 _oks 3 || WHY="no probe after SIGUSR2 SIGPIPE SIGALRM"
	fi
	if [ -z "$WHY" ]; then
		if ! pid_alive "$A"; then
			WHY="autossh died"
		elif [ "$(ssh_pid)" != "$S" ]; then
			WHY="ssh changed from $S to $(ssh_pid)"
		elif ! tunnel_ok "$LP"; then
			WHY="tunnel broken after the signals"
		elif log_has "$LOG" 'port down|restarting'; then
			WHY="unexpected restart in the log"
		fi
	fi
	if [ -z "$WHY" ]; then
		kill -USR1 "$A"
		if ! wait_for 20 _new_ssh_works "$S"; then
			WHY="SIGUSR1: no new working ssh within 20 s"
		elif ! log_has "$LOG" ': signalled to kill and restart ssh$'; then
			WHY="log lacks 'signalled to kill and restart ssh'"
		fi
	fi
	[ -n "$WHY" ] || leak_check "$A" "$base"
	stop_autossh
fi
report "$name" "$LOG"

# Backoff: fault-ssh fails runs 1-7 at once; POLL 3000 gives six quick
# starts, then a 10 s wait (tries 6), then 40 s (tries 7). USR2, PIPE and
# ALRM are ignored in the wait; HUP and USR1 start ssh now (autossh(1) RESTARTS, SIGNALS).
name="faults: SIGUSR2 SIGPIPE SIGALRM ignored in the backoff wait; SIGHUP/SIGUSR1 start ssh now, tunnel works"
WHY=
LP=$(free_port)
LOG=$T/sigwait.log
COUNT=$T/sigwait.count
bg_run AUTOSSH_PATH="$FAULT" FAULT_COUNT="$COUNT" FAULT_FAIL_RUNS=7 AUTOSSH_LOGFILE="$LOG" \
	AUTOSSH_GATETIME=0 AUTOSSH_POLL=3000 AUTOSSH_DEBUG=1 \
	"$AUTOSSH" -M 0 -N -F "$SSH_CFG" -L "127.0.0.1:$LP:127.0.0.1:$TP" testhost >"$T/sigwait.out" 2>&1
A=$BG_PID
runs() { stub_runs "$COUNT"; }
_runs_are() { [ "$(runs)" -ge "$1" ]; }
if ! wait_log 20 "$LOG" ': sleeping for grace time 10 secs$'; then
	WHY="no 'sleeping for grace time 10 secs' within 20 s"
elif [ "$(runs)" != 6 ]; then
	WHY="$(runs) ssh runs before the 10 s wait, want 6"
else
	kill -USR2 "$A"
	kill -PIPE "$A"
	kill -ALRM "$A"
	kill -HUP "$A"
	if ! wait_log 10 "$LOG" ': sleeping for grace time 40 secs$'; then
		WHY="SIGHUP in the wait: run 7 did not start at once (no 40 s wait logged)"
	elif [ "$(runs)" != 7 ]; then
		WHY="$(runs) runs after SIGUSR2 SIGPIPE SIGALRM SIGHUP in the wait, want 7 (only HUP starts ssh)"
	else
		kill -USR2 "$A"
		kill -PIPE "$A"
		kill -ALRM "$A"
		kill -USR1 "$A"
		if ! wait_for 20 tunnel_ok "$LP"; then
			WHY="SIGUSR1 in the 40 s wait: no working tunnel within 20 s"
		elif [ "$(runs)" != 8 ]; then
			WHY="$(runs) runs, want 8"
		elif ! pid_alive "$A"; then
			WHY="autossh died"
		fi
	fi
fi
[ -n "$WHY" ] || leak_check "$A" "$BASE_FDS"
stop_autossh
report "$name" "$LOG"

# Stopping: the real ssh ignores SIGTERM (fault-ssh), so after SIGUSR1
# autossh spends 2 s stopping it; every signal then is ignored (HUP only
# reopens the log), then SIGKILL and exactly one new ssh.
name="faults: SIGHUP SIGUSR1 SIGUSR2 SIGPIPE SIGALRM while stopping ssh: ignored, one new ssh, tunnel works"
WHY=
if ! start_tunnel sigstop 0 "" AUTOSSH_PATH="$FAULT" FAULT_IGNORE_TERM=1 AUTOSSH_POLL=30; then
	WHY="tunnel never came up"
else
	base=$(fd_baseline "$A")
	S=$(ssh_pid)
	kill -USR1 "$A"
	if ! wait_log 5 "$LOG" ': signalled to kill and restart ssh$'; then
		WHY="no 'signalled to kill and restart ssh'"
	else
		for sig in HUP USR1 USR2 PIPE ALRM; do
			kill -s "$sig" "$A"
		done
		if ! wait_log 10 "$LOG" ': ssh did not exit 2 s after SIGTERM; sending SIGKILL$'; then
			WHY="no SIGKILL warning within 10 s"
		elif ! wait_for 20 _new_ssh_works "$S"; then
			WHY="no new working ssh within 20 s"
		elif log_has "$LOG" ': starting ssh \(count 3\)$'; then
			WHY="a third ssh was started: a signal while stopping was not ignored"
		elif [ "$(count_lines "$LOG" ': signalled to kill and restart ssh$')" != 1 ]; then
			WHY="SIGUSR1 while stopping was acted on"
		elif ! pid_alive "$A"; then
			WHY="autossh died"
		fi
	fi
	[ -n "$WHY" ] || leak_check "$A" "$base"
	stop_autossh
fi
report "$name" "$LOG"

# ---------------------------------------------------------------- more faults

# A storm of ignored signals (two senders, 3 s) while ssh is killed twice:
# no signal may be lost to the flood, ssh's exits included (autossh(1) SIGNALS).
storm() {
	_sm_end=$(($(date +%s) + 3))
	while [ "$(date +%s)" -lt "$_sm_end" ]; do
		kill -USR2 "$1" 2>/dev/null || return 0
		kill -PIPE "$1" 2>/dev/null || return 0
		kill -ALRM "$1" 2>/dev/null || return 0
	done
}

name="faults: storm of SIGUSR2/SIGPIPE/SIGALRM while ssh is killed twice: every exit seen, tunnel works"
WHY=
if ! start_tunnel storm 0 "" AUTOSSH_POLL=30; then
	WHY="tunnel never came up"
else
	base=$(fd_baseline "$A")
	storm "$A" &
	s1=$!
	storm "$A" &
	s2=$!
	track_pid "$s1"
	track_pid "$s2"
	for round in 1 2; do
		old=$(ssh_pid)
		kill -KILL "$old"
		if ! wait_for 20 _other_ssh "$old"; then
			WHY="round $round: no new ssh within 20 s during the storm"
			break
		fi
	done
	wait_gone 10 "$s1" || :
	wait_gone 10 "$s2" || :
	if [ -z "$WHY" ]; then
		if ! wait_for 20 tunnel_ok "$LP"; then
			WHY="tunnel not working after the storm"
		elif [ "$(count_lines "$LOG" ': ssh exited on signal 9, restarting ssh$')" != 2 ]; then
			WHY="log has $(count_lines "$LOG" ': ssh exited on signal 9, restarting ssh$') 'exited on signal 9' lines, want 2"
		else
			leak_check "$A" "$base"
		fi
	fi
	stop_autossh
fi
report "$name" "$LOG"

# autossh stopped (SIGSTOP) while its ssh dies: the exit is handled on SIGCONT.
_is_zombie() { [ "$(proc_state "$1")" = Z ]; }
name="faults: ssh dies while autossh is stopped (SIGSTOP): handled on SIGCONT, tunnel works"
WHY=
if ! start_tunnel stopped 0 "" AUTOSSH_POLL=30; then
	WHY="tunnel never came up"
else
	base=$(fd_baseline "$A")
	old=$(ssh_pid)
	kill -STOP "$A"
	kill -KILL "$old"
	if ! wait_for 10 _is_zombie "$old"; then
		WHY="ssh $old did not become a zombie under the stopped autossh"
	fi
	kill -CONT "$A"
	if [ -z "$WHY" ]; then
		if ! wait_for 20 _new_ssh_works "$old"; then
			WHY="no new working ssh within 20 s of SIGCONT"
		else
			leak_check "$A" "$base"
		fi
	fi
	stop_autossh
fi
report "$name" "$LOG"

# autossh killed outright: ssh must not be orphaned (autossh(1) SIGNALS:
# parent-death signal on Linux).
name="faults: autossh killed with SIGKILL: its ssh exits too (parent-death signal)"
WHY=
if ! start_tunnel orphan 0 "" AUTOSSH_POLL=30; then
	WHY="tunnel never came up"
else
	old=$(ssh_pid)
	kill -KILL "$A"
	wait_exit 5 "$A" || :
	if [ -z "$old" ]; then
		WHY="no ssh child"
	elif ! wait_gone 10 "$old"; then
		WHY="ssh $old still runs 10 s after autossh was killed"
	fi
fi
report "$name" "$LOG"

# A log path naming a FIFO nobody reads: whatever autossh makes of it
# (refuse it, or log into it), it must not hang before starting ssh
# (every wait is bounded).
name="faults: AUTOSSH_LOGFILE is a FIFO without a reader: autossh does not hang"
WHY=
mkfifo "$T/fifo"
rm -f "$T/fifo.stub"
bg_run AUTOSSH_PATH="$STUB" STUB_LOG="$T/fifo.stub" AUTOSSH_GATETIME=0 AUTOSSH_LOGFILE="$T/fifo" \
	"$AUTOSSH" -M 0 host >"$T/fifo.out" 2>&1
A=$BG_PID
_settled() { log_has "$T/fifo.stub" . || ! pid_alive "$A"; }
if ! wait_for 10 _settled; then
	WHY="after 10 s autossh neither started ssh nor exited (blocked opening the FIFO?)"
	if [ -r "/proc/$A/wchan" ]; then
		WHY="$WHY; wchan $(cat "/proc/$A/wchan" 2>/dev/null || :)"
	fi
elif ! pid_alive "$A"; then
	wait_exit 5 "$A" || :
	if [ "$EXIT_STATUS" != 1 ] || [ "$(grep -c '^autossh: ' "$T/fifo.out" || :)" != 1 ]; then
		WHY="refused the FIFO but with status $EXIT_STATUS and stderr: $(tr '\n' '|' <"$T/fifo.out")"
	fi
fi
kill -KILL "$A" 2>/dev/null || :
report "$name" "$T/fifo.out"

# The same on SIGHUP: a reopen that blocks would stop all supervision. With
# echo-mode monitoring probes are timer-driven (no signal comes to break a
# blocked open()), so they must keep reaching the echo service.
name="faults: log file replaced by a FIFO without a reader, then SIGHUP: probes go on"
WHY=
EP=$(free_port)
start_echo "$EP"
MP=$(free_port)
_probes_seen() { [ "$(grep -c . "$T/echo.$EP.log" 2>/dev/null || :)" -ge "$1" ]; }
if ! start_tunnel fiforeopen "$MP:$EP" "" AUTOSSH_POLL=2 AUTOSSH_FIRST_POLL=1; then
	WHY="tunnel never came up"
elif ! wait_for 20 _probes_seen 1; then
	WHY="no probe reached the echo service"
else
	mv "$LOG" "$LOG.old"
	mkfifo "$LOG"
	kill -HUP "$A"
	n=$(grep -c . "$T/echo.$EP.log")
	if ! wait_for 20 _probes_seen $((n + 3)); then
		WHY="probes stopped after SIGHUP with a FIFO at the log path"
		if [ -r "/proc/$A/wchan" ]; then
			WHY="$WHY (autossh wchan: $(cat "/proc/$A/wchan" 2>/dev/null || :))"
		fi
	elif ! tunnel_ok "$LP"; then
		WHY="tunnel broken"
	fi
fi
stop_autossh
pid_alive "$A" && kill -KILL "$A" 2>/dev/null
rm -f "$LOG"
report "$name" "$LOG.old"
