#!/bin/sh
# t-systemd: systemd and containers. The notify protocol (autossh(1) SYSTEMD AND CONTAINERS; a
# socat datagram listener stands in for systemd), what ssh inherits,
# -f and MAINPID, the status file (autossh(1) FILES), --check, logging
# to stderr and the journal (autossh(1) LOGGING) and contrib/autossh@.service.
set -eu
# shellcheck source=tests/lib.sh disable=SC1091
. tests/lib.sh
lib_init systemd

# Every key of autossh(1) FILES, in the order the man page lists them.
STATUS_KEYS='state pid ssh_pid starts last_exit since last_probe_ok last_probe_rtt_ms monitor poll first_poll net_timeout_ms'

# ---------------------------------------------------------------- notify listener

# notify_listen NAME ADDRESS: receive datagrams on a socat ADDRESS
# (UNIX-RECV:path or ABSTRACT-RECV:name). socat -v writes a header with the
# length of every datagram it reads to $T/NAME.raw, which notify_msgs turns
# back into one message per line. Waits until the socket exists.
notify_listen() {
	socat -u -v "$2" /dev/null </dev/null 2>"$T/$1.raw" &
	track_pid "$!"
	case $2 in
	UNIX-RECV:*) wait_for 5 test -S "${2#UNIX-RECV:}" ;;
	ABSTRACT-RECV:*) wait_for 5 grep -qF " @${2#ABSTRACT-RECV:}" /proc/net/unix ;;
	esac
}

# notify_msgs NAME: the datagrams received so far, one per line, in order.
# The raw file holds, per datagram, a line "> DATE TIME  length=N from=A
# to=B" and then N bytes of data, directly followed by the next header.
notify_msgs() {
	[ -f "$T/$1.raw" ] || return 0
	awk '
	function header(s) {
		if (s !~ /^> .* length=[0-9]+ from=[0-9]+ to=[0-9]+$/)
			return
		sub(/.* length=/, "", s)
		sub(/ .*/, "", s)
		need = s + 0
		buf = ""
		if (need == 0)
			print ""
	}
	{
		s = $0
		if (need > 0) {
			if (length(s) >= need) {
				print buf substr(s, 1, need)
				s = substr(s, need + 1)
				need = 0
			} else {
				# the datagram held a newline: keep collecting
				buf = buf s "\n"
				need -= length(s) + 1
				if (need <= 0) {
					print buf
					need = 0
				}
				next
			}
		}
		header(s)
	}' "$T/$1.raw"
}

# notify_has NAME ERE: some datagram matches.
notify_has() { notify_msgs "$1" | grep -Eq -- "$2"; }

# notify_count NAME ERE: how many datagrams match.
notify_count() { notify_msgs "$1" | grep -Ec -- "$2" || :; }

# notify_at_least NAME N ERE: at least N datagrams match.
notify_at_least() { [ "$(notify_count "$1" "$3")" -ge "$2" ]; }

wait_msg() { wait_for "$1" notify_has "$2" "$3"; }

# notify_seq NAME: the messages as letters, WATCHDOG pings left out:
# S STATUS=starting, C STATUS=connected, B STATUS=backoff, X STATUS=stopping,
# R READY=1, P STOPPING=1, M MAINPID=, ? anything else.
notify_seq() {
	notify_msgs "$1" | awk '
		/^WATCHDOG=1$/ { next }
		/^STATUS=starting/ { s = s "S"; next }
		/^STATUS=connected/ { s = s "C"; next }
		/^STATUS=backoff/ { s = s "B"; next }
		/^STATUS=stopping/ { s = s "X"; next }
		/^READY=1$/ { s = s "R"; next }
		/^STOPPING=1$/ { s = s "P"; next }
		/^MAINPID=/ { s = s "M"; next }
		{ s = s "?" }
		END { print s }'
}

# show_msgs NAME: the datagrams as diagnostic comment lines.
show_msgs() {
	printf '# --- datagrams on %s\n' "$1"
	notify_msgs "$1" | sed 's/^/# /'
}

# echo_ok PORT: a line sent to 127.0.0.1:PORT comes back (echo service
# behind the tunnel).
echo_ok() {
	_eo_want="through-the-tunnel-$$"
	_eo_got=$(printf '%s\n' "$_eo_want" |
		timeout 5 socat -T 3 - "TCP:127.0.0.1:$1,connect-timeout=2" 2>/dev/null) || :
	[ "$_eo_got" = "$_eo_want" ]
}

# connect_failures PORT: sshd's count of failed forwards to 127.0.0.1:PORT
# (one per probe attempt that reached the server while nothing listens).
connect_failures() {
	grep -c "connect_to 127.0.0.1 port $1: failed" "$T/sshd.log" || :
}

_failures_at_least() { [ "$(connect_failures "$1")" -ge "$2" ]; }

# stop_autossh PID: SIGTERM, wait up to 10 s (sets EXIT_STATUS).
stop_autossh() {
	kill -TERM "$1" 2>/dev/null || :
	wait_exit 10 "$1" || :
}

ms_since() { echo $(($(now_ms) - $1)); }

# stop_notified NAME: SIGTERM autossh $A; sets why unless it exits within
# 10 s and the datagrams on NAME are STATUS=starting first, READY=1 and
# STATUS=connected next (no order is promised between the two), then
# STATUS=stopping (optional) and STOPPING=1 last.
stop_notified() {
	stop_autossh "$A"
	if [ -z "$EXIT_STATUS" ]; then
		why="autossh still runs 10 s after SIGTERM"
	elif ! wait_msg 5 "$1" '^STOPPING=1$'; then
		why="no STOPPING=1 after SIGTERM"
	else
		_sn_seq=$(notify_seq "$1")
		case $_sn_seq in
		SRCP | SCRP | SRCXP | SCRXP) ;;
		*) why="datagram sequence $_sn_seq (S=STATUS=starting R=READY C=STATUS=connected X=STATUS=stopping P=STOPPING), want S, R and C in either order, X optional, P last" ;;
		esac
	fi
}

# ================================================================ notify, echo mode

start_sshd

name="notify: echo mode sends STATUS=starting, READY=1 only once the tunnel carries data, STATUS=connected, STOPPING=1 at exit"
P=$(free_port)
E=$(free_port)
notify_listen n1 "UNIX-RECV:$T/n1.sock"
# FIRST_POLL is long, so only the early probes (autossh(1) MONITORING) run: the echo
# service is down, they fail without a restart, and READY must wait.
bg_run NOTIFY_SOCKET="$T/n1.sock" AUTOSSH_POLL=2 AUTOSSH_FIRST_POLL=120 AUTOSSH_GATETIME=0 \
	AUTOSSH_LOGFILE="$T/n1.log" AUTOSSH_DEBUG=1 \
	"$AUTOSSH" -M "$P:$E" -N -F "$SSH_CFG" testhost >"$T/n1.out" 2>&1
A=$BG_PID
why=
if ! wait_msg 10 n1 '^STATUS=starting'; then
	why="no STATUS=starting within 10 s"
elif ! wait_for 20 _failures_at_least "$E" 4; then
	why="the server never saw two probes fail (sshd log: $(connect_failures "$E") failed forwards to port $E)"
elif notify_has n1 '^READY=1$'; then
	why="READY=1 while the echo service behind the tunnel is down"
else
	start_echo "$E"
	if ! wait_msg 15 n1 '^READY=1$'; then
		why="no READY=1 within 15 s of starting the echo service"
	elif ! echo_ok "$P"; then
		why="READY=1 arrived but the tunnel does not echo"
	elif ! wait_msg 5 n1 '^STATUS=connected'; then
		why="no STATUS=connected"
	else
		stop_notified n1
	fi
fi
if [ -n "$why" ]; then
	not_ok "$name" "$why"
	show_msgs n1
	diag "$T/n1.log"
else
	ok "$name"
fi
stop_autossh "$A"

# ================================================================ notify, -M 0

# Without TCP evidence (autossh(1) TCP EVIDENCE) -M 0 keeps the 2 s rule;
# t-tcp tests READY from the evidence.
name="notify: -M 0, AUTOSSH_TCP_EVIDENCE=0: READY=1 about 2 s after ssh starts, tunnel usable"
LP=$(free_port)
TP=$(free_port)
start_target "$TP"
notify_listen n2 "UNIX-RECV:$T/n2.sock"
bg_run NOTIFY_SOCKET="$T/n2.sock" AUTOSSH_GATETIME=0 AUTOSSH_LOGFILE="$T/n2.log" AUTOSSH_TCP_EVIDENCE=0 \
	"$AUTOSSH" -M 0 -N -F "$SSH_CFG" -L "$LP:127.0.0.1:$TP" testhost >"$T/n2.out" 2>&1
A=$BG_PID
why=
if ! wait_msg 10 n2 '^STATUS=starting'; then
	why="no STATUS=starting within 10 s"
else
	t0=$(now_ms)
	if ! wait_msg 10 n2 '^READY=1$'; then
		why="no READY=1 within 10 s"
	else
		took=$(ms_since "$t0")
		if ! tunnel_ok "$LP"; then
			why="READY=1 arrived but the tunnel does not work"
		elif [ "$took" -lt 1200 ] || [ "$took" -gt 5000 ]; then
			why="READY=1 came $took ms after STATUS=starting, want about 2000"
		elif ! wait_msg 5 n2 '^STATUS=connected'; then
			why="no STATUS=connected"
		else
			stop_notified n2
		fi
	fi
fi
if [ -n "$why" ]; then
	not_ok "$name" "$why"
	show_msgs n2
	diag "$T/n2.log"
else
	ok "$name (READY after ${took} ms)"
fi
stop_autossh "$A"

# ================================================================ watchdog

name="notify: WATCHDOG_USEC=1000000 sends WATCHDOG=1 every 0.5 s"
notify_listen wd "UNIX-RECV:$T/wd.sock"
bg_run NOTIFY_SOCKET="$T/wd.sock" WATCHDOG_USEC=1000000 AUTOSSH_PATH="$STUB" AUTOSSH_GATETIME=0 \
	AUTOSSH_LOGFILE="$T/wd.log" "$AUTOSSH" -M 0 host >"$T/wd.out" 2>&1
A=$BG_PID
why=
if ! wait_msg 5 wd '^WATCHDOG=1$'; then
	why="no WATCHDOG=1 within 5 s"
else
	# Time six more pings: 3 s at 0.5 s each; 4..8 pings per 3 s allowed.
	t0=$(now_ms)
	c0=$(notify_count wd '^WATCHDOG=1$')
	if ! wait_for 10 notify_at_least wd $((c0 + 6)) '^WATCHDOG=1$'; then
		why="only $(($(notify_count wd '^WATCHDOG=1$') - c0)) more pings in 10 s, want 6 in about 3 s"
	else
		took=$(ms_since "$t0")
		if [ "$took" -lt 2250 ] || [ "$took" -gt 4500 ]; then
			why="6 pings took $took ms, want 2250..4500 (4 to 8 per 3 s)"
		fi
	fi
fi
if [ -n "$why" ]; then
	not_ok "$name" "$why"
	show_msgs wd
else
	ok "$name (6 pings in $took ms)"
fi
stop_autossh "$A"

name="notify: WATCHDOG_PID naming another process: no WATCHDOG=1"
notify_listen wo "UNIX-RECV:$T/wo.sock"
# $$ (this shell) is surely not autossh.
bg_run NOTIFY_SOCKET="$T/wo.sock" WATCHDOG_USEC=1000000 WATCHDOG_PID=$$ AUTOSSH_PATH="$STUB" \
	AUTOSSH_GATETIME=0 AUTOSSH_LOGFILE="$T/wo.log" "$AUTOSSH" -M 0 host >"$T/wo.out" 2>&1
A=$BG_PID
why=
# READY=1 comes 2 s after ssh starts: by then four pings would have come.
if ! wait_msg 10 wo '^READY=1$'; then
	why="no READY=1 within 10 s"
else
	stop_autossh "$A"
	if ! wait_msg 5 wo '^STOPPING=1$'; then
		why="no STOPPING=1 after SIGTERM"
	elif notify_has wo '^WATCHDOG='; then
		why="got $(notify_count wo '^WATCHDOG=') WATCHDOG=1 pings"
	fi
fi
if [ -n "$why" ]; then
	not_ok "$name" "$why"
	show_msgs wo
else
	ok "$name"
fi
stop_autossh "$A"

name="notify: WATCHDOG_PID naming autossh itself: WATCHDOG=1 pings"
notify_listen ws "UNIX-RECV:$T/ws.sock"
# sh execs autossh, so $$ in that sh is autossh's pid.
# shellcheck disable=SC2016
bg_run NOTIFY_SOCKET="$T/ws.sock" WATCHDOG_USEC=1000000 AUTOSSH_PATH="$STUB" AUTOSSH_GATETIME=0 \
	AUTOSSH_LOGFILE="$T/ws.log" sh -c 'WATCHDOG_PID=$$; export WATCHDOG_PID; exec "$@"' sh \
	"$AUTOSSH" -M 0 host >"$T/ws.out" 2>&1
A=$BG_PID
if wait_for 5 notify_at_least ws 2 '^WATCHDOG=1$'; then
	ok "$name"
else
	not_ok "$name" "fewer than 2 WATCHDOG=1 within 5 s"
	show_msgs ws
fi
stop_autossh "$A"

# ================================================================ abstract socket

name="notify: abstract NOTIFY_SOCKET=@name gets READY=1"
abstract="autossh-test-$$-${T##*.}"
notify_listen ab "ABSTRACT-RECV:$abstract"
bg_run NOTIFY_SOCKET="@$abstract" AUTOSSH_PATH="$STUB" AUTOSSH_GATETIME=0 \
	AUTOSSH_LOGFILE="$T/ab.log" "$AUTOSSH" -M 0 host >"$T/ab.out" 2>&1
A=$BG_PID
if wait_msg 10 ab '^READY=1$'; then
	ok "$name"
else
	not_ok "$name" "no READY=1 within 10 s"
	show_msgs ab
	diag "$T/ab.log"
fi
stop_autossh "$A"

# ================================================================ -f and MAINPID

name="notify: -f sends MAINPID=<background pid> (the pidfile's) before READY=1"
notify_listen bg "UNIX-RECV:$T/bg.sock"
bg_run NOTIFY_SOCKET="$T/bg.sock" AUTOSSH_PATH="$STUB" STUB_LOG="$T/bg.stub" STUB_ENV="$T/bg.env" \
	NOTIFY_TEST_MARK=kept WATCHDOG_USEC=600000000 AUTOSSH_PIDFILE="$T/bg.pid" \
	AUTOSSH_LOGFILE="$T/bg.log" "$AUTOSSH" -f -M 0 host >"$T/bg.out" 2>&1
F=$BG_PID
B=
why=
if ! wait_exit 10 "$F"; then
	why="the foreground still runs after 10 s"
elif [ "$EXIT_STATUS" != 0 ]; then
	why="the foreground exited $EXIT_STATUS, want 0"
elif ! B=$(pidfile_pid "$T/bg.pid"); then
	why="no pid in the pidfile"
else
	track_pid "$B"
	if ! wait_msg 5 bg '^MAINPID='; then
		why="no MAINPID= datagram"
	else
		got=$(notify_msgs bg | sed -n 's/^MAINPID=//p' | head -n 1)
		if [ "$got" != "$B" ]; then
			why="MAINPID=$got, pidfile says $B (foreground was $F)"
		elif [ "$B" = "$F" ]; then
			why="the pidfile names the foreground process $F"
		elif ! pid_alive "$B"; then
			why="the background process $B does not run"
		elif ! wait_msg 10 bg '^READY=1$'; then
			why="no READY=1 from the background process"
		else
			# READY=1 from a pid systemd does not know yet as the main pid
			# would be dropped (NotifyAccess=main), and the start time out.
			case $(notify_seq bg) in
			*M*R*) ;;
			*) why="READY=1 came before MAINPID= ($(notify_seq bg)): systemd would drop it" ;;
			esac
		fi
	fi
fi
if [ -n "$why" ]; then
	not_ok "$name" "$why"
	show_msgs bg
	diag "$T/bg.log" "$T/bg.out"
else
	ok "$name"
fi

# ================================================================ ssh's environment

# ssh_env_case NAME ENVFILE: the stub's environment lacks the systemd
# variables but keeps the others.
ssh_env_case() {
	if ! wait_for 10 test -s "$2"; then
		not_ok "$1" "ssh never started (no $2)"
	elif grep -Eq '^(NOTIFY_SOCKET|WATCHDOG_USEC|WATCHDOG_PID)=' "$2"; then
		not_ok "$1" "ssh got: $(grep -E '^(NOTIFY_SOCKET|WATCHDOG_)' "$2" | tr '\n' ' ')"
	elif ! grep -qx 'NOTIFY_TEST_MARK=kept' "$2"; then
		not_ok "$1" "ssh lost the other variables (no NOTIFY_TEST_MARK=kept)"
	else
		ok "$1"
	fi
}

ssh_env_case "env: with -f, ssh inherits neither NOTIFY_SOCKET nor WATCHDOG_USEC" "$T/bg.env"
if [ -n "$B" ]; then
	kill -TERM "$B" 2>/dev/null || :
	wait_gone 10 "$B" || :
fi

bg_run NOTIFY_SOCKET="$T/nobody-listens.sock" WATCHDOG_USEC=1000000 WATCHDOG_PID=$$ \
	NOTIFY_TEST_MARK=kept AUTOSSH_PATH="$STUB" STUB_ENV="$T/env.env" AUTOSSH_GATETIME=0 \
	AUTOSSH_STATUSFILE="$T/env.status" AUTOSSH_LOGFILE="$T/env.log" \
	"$AUTOSSH" -M 0 host >"$T/env.out" 2>&1
A=$BG_PID
ssh_env_case "env: ssh inherits neither NOTIFY_SOCKET, WATCHDOG_USEC nor WATCHDOG_PID" "$T/env.env"
name="notify: a NOTIFY_SOCKET nobody listens on is ignored"
# STATUS=starting and READY=1 (with state=connected, 2 s after ssh starts)
# go nowhere; autossh must carry on.
if wait_for 10 log_has "$T/env.status" '^state=connected$' && pid_alive "$A"; then
	ok "$name"
else
	not_ok "$name" "no state=connected in the status file, or autossh exited"
	diag "$T/env.status" "$T/env.log" "$T/env.out"
fi
stop_autossh "$A"

# ================================================================ status file

# status_get FILE KEY: the value of KEY in a status file.
status_get() { sed -n "s/^$2=//p" "$1" 2>/dev/null | head -n 1; }

# status_is FILE KEY=VALUE...: every pair holds.
status_is() {
	_si_f=$1
	shift
	for _si_kv in "$@"; do
		[ "$(status_get "$_si_f" "${_si_kv%%=*}")" = "${_si_kv#*=}" ] || return 1
	done
}

# status_missing FILE: print the status-file keys FILE lacks.
status_missing() {
	for _sm_k in $STATUS_KEYS; do
		grep -q "^$_sm_k=" "$1" 2>/dev/null || printf ' %s' "$_sm_k"
	done
}

# status_reader FILE OUT STOPFLAG (run in the background): read FILE over
# and over until STOPFLAG exists; every read must find the file and all
# keys, newline-terminated. Writes "READS BAD" to OUT, bad reads to OUT.bad.
status_reader() {
	set +e
	_sr_reads=0
	_sr_bad=0
	: >"$2.bad"
	while [ ! -e "$3" ]; do
		_sr_keys=
		_sr_l=
		if { while IFS= read -r _sr_l; do
			_sr_keys="$_sr_keys ${_sr_l%%=*}"
			_sr_l=
		done; } 2>/dev/null <"$1"; then
			_sr_miss=
			for _sr_k in $STATUS_KEYS; do
				case "$_sr_keys " in
				*" $_sr_k "*) ;;
				*) _sr_miss="$_sr_miss $_sr_k" ;;
				esac
			done
			if [ -n "$_sr_miss" ] || [ -n "$_sr_l" ]; then
				_sr_bad=$((_sr_bad + 1))
				printf 'partial file: missing%s; unterminated last line "%s"\n' \
					"$_sr_miss" "$_sr_l" >>"$2.bad"
			fi
		else
			_sr_bad=$((_sr_bad + 1))
			echo "status file missing" >>"$2.bad"
		fi
		_sr_reads=$((_sr_reads + 1))
		echo "$_sr_reads" >"$2.count"
		sleep 0.01
	done
	echo "$_sr_reads $_sr_bad" >"$2"
}

# reader_has_read N: the status reader has read the file at least N times.
reader_has_read() {
	[ "$(cat "$T/reader.count" 2>/dev/null)" -ge "$1" ] 2>/dev/null
}

ST=$T/status
P=$(free_port)
E=$(free_port)
start_echo "$E"
bg_run AUTOSSH_STATUSFILE="$ST" AUTOSSH_POLL=2 AUTOSSH_GATETIME=0 AUTOSSH_LOGFILE="$T/st.log" \
	"$AUTOSSH" -M "$P:$E" -N -F "$SSH_CFG" testhost >"$T/st.out" 2>&1
A=$BG_PID

name="statusfile: connected tunnel: state, pid, ssh_pid, starts=1, last_exit=none, monitor=P:E, every key"
S1=
why=
if ! wait_for 15 status_is "$ST" state=connected; then
	why="no state=connected within 15 s (state=$(status_get "$ST" state))"
else
	S1=$(ssh_children "$A")
	missing=$(status_missing "$ST")
	now=$(date +%s)
	since=$(status_get "$ST" since)
	okt=$(status_get "$ST" last_probe_ok)
	rtt=$(status_get "$ST" last_probe_rtt_ms)
	if [ -n "$missing" ]; then
		why="keys missing:$missing"
	elif [ "$(status_get "$ST" pid)" != "$A" ]; then
		why="pid=$(status_get "$ST" pid), autossh is $A"
	elif [ -z "$S1" ] || [ "$(status_get "$ST" ssh_pid)" != "$S1" ]; then
		why="ssh_pid=$(status_get "$ST" ssh_pid), ssh is '$S1'"
	elif ! status_is "$ST" starts=1 last_exit=none "monitor=$P:$E" poll=2 first_poll=2; then
		why="want starts=1 last_exit=none monitor=$P:$E poll=2 first_poll=2"
	elif ! echo_ok "$P"; then
		why="state=connected but the tunnel does not echo"
	else
		case "$since.$okt.$rtt" in
		*[!0-9.]* | .* | *..* | *.)
			why="since=$since last_probe_ok=$okt last_probe_rtt_ms=$rtt: want numbers"
			;;
		*)
			if [ "$since" -lt $((now - 60)) ] || [ "$since" -gt "$now" ] ||
				[ "$okt" -lt "$since" ] || [ "$okt" -gt "$now" ]; then
				why="since=$since last_probe_ok=$okt, now is $now"
			fi
			;;
		esac
	fi
fi
if [ -n "$why" ]; then
	not_ok "$name" "$why"
	diag "$ST" "$T/st.log"
else
	ok "$name"
fi

name="statusfile: after SIGKILL of ssh: starts=2, last_exit=signal 9, the new ssh_pid"
name2="statusfile: replaced atomically (new inode; every read during the restart complete)"
inode1=
why=
why2=
if [ -z "$S1" ] || [ ! -f "$ST" ]; then
	why="no connected tunnel to start from"
	why2=$why
else
	inode1=$(stat -c %i "$ST")
	status_reader "$ST" "$T/reader" "$T/reader.stop" &
	R=$!
	track_pid "$R"
	kill -KILL "$S1"
	if ! wait_for 20 status_is "$ST" state=connected starts=2; then
		why="no state=connected with starts=2 within 20 s"
	else
		S2=$(ssh_children "$A")
		if ! status_is "$ST" "last_exit=signal 9"; then
			why="last_exit=$(status_get "$ST" last_exit), want 'signal 9'"
		elif [ -z "$S2" ] || [ "$S2" = "$S1" ]; then
			why="no new ssh (old $S1, now '$S2')"
		elif [ "$(status_get "$ST" ssh_pid)" != "$S2" ]; then
			why="ssh_pid=$(status_get "$ST" ssh_pid), new ssh is $S2"
		elif [ "$(status_get "$ST" pid)" != "$A" ]; then
			why="pid=$(status_get "$ST" pid), autossh is $A"
		fi
	fi
	# On a loaded machine the restart can be over after a few reads: let
	# the reader go on (bounded) until it has read the file 20 times.
	wait_for 15 reader_has_read 20 || :
	: >"$T/reader.stop"
	if ! wait_gone 5 "$R" || [ ! -s "$T/reader" ]; then
		why2="the reader did not finish"
	else
		read -r reads bad <"$T/reader"
		inode2=$(stat -c %i "$ST" 2>/dev/null || echo none)
		if [ "$bad" != 0 ]; then
			why2="$bad of $reads reads saw a partial or missing file: $(sort -u "$T/reader.bad" | head -n 3 | tr '\n' ' ')"
		elif [ "$reads" -lt 20 ]; then
			why2="only $reads reads during the restart"
		elif [ "$inode1" = "$inode2" ]; then
			why2="same inode $inode1 before and after the restart: rewritten in place"
		fi
	fi
fi
if [ -n "$why" ]; then
	not_ok "$name" "$why"
	diag "$ST" "$T/st.log"
else
	ok "$name"
fi
if [ -n "$why2" ]; then
	not_ok "$name2" "$why2"
else
	ok "$name2 ($reads reads)"
fi

# ================================================================ --check

# check_is WANT [FILE]: autossh --check FILE (default $ST) exits WANT and
# prints exactly one line on stdout. Leaves its status in CHECK_RC and its
# output in CHECK_OUT.
CHECK_RC=none
CHECK_OUT=
check_is() {
	CHECK_RC=0
	CHECK_OUT=$("$AUTOSSH" --check "${2:-$ST}" 2>"$T/check.err") || CHECK_RC=$?
	[ "$CHECK_RC" = "$1" ] || return 1
	[ -n "$CHECK_OUT" ] && [ "$(printf '%s\n' "$CHECK_OUT" | wc -l)" = 1 ]
}

# connected_and_healthy: state=connected and --check says 0 (a probe may
# have failed on a loaded machine just before; wait for it to settle).
connected_and_healthy() {
	status_is "$ST" state=connected && check_is 0
}

name="check: healthy tunnel: exit 0, one line"
if wait_for 15 connected_and_healthy; then
	cp "$ST" "$T/status.copy"
	ok "$name"
else
	not_ok "$name" "exit $CHECK_RC, stdout '$CHECK_OUT' (state=$(status_get "$ST" state))"
	diag "$ST" "$T/check.err"
fi

name="check: server frozen (SIGSTOP): probes fail, state leaves connected, exit 1"
frozen=$(sshd_sessions)
if [ -z "$frozen" ]; then
	not_ok "$name" "no sshd session to freeze"
else
	# The listener too, so that the next ssh cannot connect either.
	frozen="$frozen $SSHD_PID"
	for p in $frozen; do kill -STOP "$p" 2>/dev/null || :; done
	t0=$(now_ms)
	if wait_for 20 check_is 1; then
		state=$(status_get "$ST" state)
		if [ "$state" = connected ]; then
			# a stale probe time, not a state change: not what autossh(1) SYSTEMD AND CONTAINERS wants here
			not_ok "$name" "exit 1 ('$CHECK_OUT') but state=connected"
		else
			ok "$name (after $(ms_since "$t0") ms: $CHECK_OUT)"
		fi
	else
		not_ok "$name" "still exit $CHECK_RC ('$CHECK_OUT') 20 s after freezing the server"
		diag "$ST" "$T/st.log"
	fi
	for p in $frozen; do kill -CONT "$p" 2>/dev/null || :; done
fi

name="check: healthy again once the server resumes"
if wait_for 30 check_is 0; then
	ok "$name"
else
	not_ok "$name" "exit $CHECK_RC ('$CHECK_OUT') 30 s after SIGCONT"
	diag "$ST" "$T/st.log"
fi

name="statusfile: removed when autossh exits"
existed=no
[ ! -f "$ST" ] || existed=yes
stop_autossh "$A"
if [ "$existed" = no ]; then
	not_ok "$name" "there was no status file before SIGTERM"
elif [ -z "$EXIT_STATUS" ]; then
	not_ok "$name" "autossh still runs 10 s after SIGTERM"
elif [ -e "$ST" ]; then
	not_ok "$name" "$ST still exists"
elif [ -n "$(find "$T" -maxdepth 1 -name 'status?*' ! -name status.copy)" ]; then
	not_ok "$name" "left behind: $(find "$T" -maxdepth 1 -name 'status?*' ! -name status.copy | tr '\n' ' ')"
else
	ok "$name"
fi

name="check: autossh gone: exit 1, one line"
if [ ! -f "$T/status.copy" ]; then
	not_ok "$name" "no copy of a healthy status file"
elif check_is 1 "$T/status.copy"; then
	ok "$name"
else
	not_ok "$name" "exit $CHECK_RC, stdout '$CHECK_OUT'"
fi

name="check: missing status file: exit 1, one line"
if check_is 1 "$T/no-such-status"; then
	ok "$name"
else
	not_ok "$name" "exit $CHECK_RC, stdout '$CHECK_OUT'"
fi

# ================================================================ AUTOSSH_LOGFILE=-

# log_case OUT [VAR=VAL...]: autossh (stub ssh) with AUTOSSH_LOGFILE=-,
# stderr to $T/OUT, run from $T (so a file named "-" would show there).
# Waits for the "ssh child pid is" line, then stops it. Sets A.
log_case() {
	_lg_out=$T/$1
	shift
	bg_run --chdir="$T" AUTOSSH_LOGFILE=- AUTOSSH_PATH="$STUB" AUTOSSH_GATETIME=0 "$@" \
		"$AUTOSSH" -M 0 host >"$_lg_out.stdout" 2>>"$_lg_out"
	A=$BG_PID
	wait_log 10 "$_lg_out" 'ssh child pid is [0-9]+$' || :
	stop_autossh "$A"
}

name="log: AUTOSSH_LOGFILE=- writes 'YYYY/MM/DD HH:MM:SS autossh[pid]: message' to stderr"
: >"$T/other"
# A JOURNAL_STREAM naming another file must not switch to the journal format.
: >"$T/lf.err"
log_case lf.err JOURNAL_STREAM="$(stat -c '%d:%i' "$T/other")"
re="^[0-9]{4}/[0-1][0-9]/[0-3][0-9] [0-2][0-9]:[0-5][0-9]:[0-6][0-9] autossh\\[$A\\]: "
if ! log_has "$T/lf.err" "${re}ssh child pid is [0-9]+\$"; then
	not_ok "$name" "no 'ssh child pid is' line in that format"
	diag "$T/lf.err"
elif grep -Evq "$re" "$T/lf.err"; then
	not_ok "$name" "other lines: $(grep -Ev "$re" "$T/lf.err" | head -n 2 | tr '\n' ' ')"
elif [ -e "$T/-" ]; then
	not_ok "$name" "created a file named '-'"
elif [ -s "$T/lf.err.stdout" ]; then
	not_ok "$name" "wrote to stdout: $(head -n 1 "$T/lf.err.stdout")"
else
	ok "$name"
fi

name="log: JOURNAL_STREAM matching stderr: '<6>message' lines without timestamp"
: >"$T/js.err"
log_case js.err JOURNAL_STREAM="$(stat -c '%d:%i' "$T/js.err")"
if ! log_has "$T/js.err" '^<6>ssh child pid is [0-9]+$'; then
	not_ok "$name" "no '<6>ssh child pid is N' line"
	diag "$T/js.err"
elif ! log_has "$T/js.err" '^<6>received signal to exit \(15\)$'; then
	not_ok "$name" "no '<6>received signal to exit (15)' line"
	diag "$T/js.err"
elif grep -Evq '^<[0-7]>[^ <]' "$T/js.err"; then
	not_ok "$name" "other lines: $(grep -Ev '^<[0-7]>[^ <]' "$T/js.err" | head -n 2 | tr '\n' ' ')"
else
	ok "$name"
fi

# ================================================================ unit file

name="unit: contrib/autossh@.service passes systemd-analyze verify"
unit=$TOP/contrib/autossh@.service
if [ ! -f "$unit" ]; then
	not_ok "$name" "no $unit"
elif ! command -v systemd-analyze >/dev/null 2>&1; then
	skip "$name" "systemd-analyze not installed"
elif ! grep -q '^ExecStart=/usr/bin/autossh ' "$unit"; then
	not_ok "$name" "no 'ExecStart=/usr/bin/autossh ...' line to point at the built binary"
else
	mkdir "$T/unit"
	sed "s|^ExecStart=/usr/bin/autossh |ExecStart=$AUTOSSH |" "$unit" >"$T/unit/autossh@test.service"
	vrc=0
	(cd "$T/unit" && systemd-analyze verify --man=no autossh@test.service) >"$T/verify.out" 2>&1 || vrc=$?
	if grep -q 'autossh@' "$T/verify.out"; then
		not_ok "$name" "$(grep 'autossh@' "$T/verify.out" | head -n 3 | tr '\n' ' ')"
		diag "$T/verify.out"
	elif [ "$vrc" != 0 ]; then
		not_ok "$name" "systemd-analyze verify exited $vrc"
		diag "$T/verify.out"
	else
		ok "$name"
	fi
fi
