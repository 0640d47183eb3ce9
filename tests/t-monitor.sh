#!/bin/sh
# t-monitor: link monitoring (autossh(1) MONITORING): what ssh receives, the
# monitor ports, loop and echo probes against a real sshd in a
# network namespace, failure detection (frozen server, black-holed
# link) and signals while a probe is in flight (autossh(1) SIGNALS).
set -eu
# shellcheck source=tests/lib.sh disable=SC1091
. tests/lib.sh
lib_init monitor own-netns
# shellcheck source=tests/monitor-lib.sh disable=SC1091
. tests/monitor-lib.sh

# ---------------------------------------------------------------- what ssh receives

p=$(free_port)
args_case "monitor args: -M P inserts -L P:127.0.0.1:P -R P:127.0.0.1:P+1 where -M stood" \
	"$(quote_args -p 2 -L "$p:127.0.0.1:$p" -R "$p:127.0.0.1:$((p + 1))" -N -o ControlMaster=no -o ControlPath=none testhost)" \
	-- -p 2 -M "$p" -N testhost

p=$(free_port)
args_case "monitor args: -M P:7 (echo mode) inserts only -L P:127.0.0.1:7" \
	"$(quote_args -N -L "$p:127.0.0.1:7" -o ControlMaster=no -o ControlPath=none testhost ls)" \
	-- -N -M "$p:7" testhost ls

p=$(free_port)
args_case "monitor args: AUTOSSH_PORT puts the forwards first" \
	"$(quote_args -L "$p:127.0.0.1:$p" -R "$p:127.0.0.1:$((p + 1))" -p 2 -N -o ControlMaster=no -o ControlPath=none testhost)" \
	AUTOSSH_PORT="$p" -- -p 2 -N testhost

p=$(free_port)
q=$(free_port)
args_case "monitor args: -M beats AUTOSSH_PORT (autossh(1) DIFFERENCES FROM AUTOSSH 1.4G)" \
	"$(quote_args -N -L "$p:127.0.0.1:$p" -R "$p:127.0.0.1:$((p + 1))" -o ControlMaster=no -o ControlPath=none testhost)" \
	AUTOSSH_PORT="$q" -- -N -M "$p" testhost

# ---------------------------------------------------------------- busy monitor ports

# busy_case NAME BUSYPORT WANT_LINE ARG...: something listens on
# 127.0.0.1:BUSYPORT; autossh ARG... must exit 1 at once with exactly
# WANT_LINE on stderr and never start ssh.
busy_case() {
	_bc_name=$1
	_bc_busy=$2
	_bc_want=$3
	shift 3
	rm -f "$T/busy.stub"
	if ! start_target "$_bc_busy"; then
		not_ok "$_bc_name" "could not listen on 127.0.0.1:$_bc_busy"
		return 0
	fi
	_bc_t0=$(now_ms)
	bg_run AUTOSSH_PATH="$STUB" STUB_LOG="$T/busy.stub" AUTOSSH_GATETIME=0 \
		AUTOSSH_LOGFILE="$T/busy.log" "$AUTOSSH" "$@" >"$T/busy.out" 2>"$T/busy.err"
	_bc_a=$BG_PID
	if ! wait_exit 5 "$_bc_a"; then
		not_ok "$_bc_name" "autossh still running 5 s later ($(stub_runs "$T/busy.stub") ssh runs)"
		stop_autossh "$_bc_a"
		return 0
	fi
	_bc_took=$(($(now_ms) - _bc_t0))
	# The reason is the C library's strerror(EADDRINUSE): glibc says
	# "Address already in use", musl (the static build) "Address in use".
	_bc_err=$(sed 's/: Address in use$/: Address already in use/' "$T/busy.err")
	if [ "$EXIT_STATUS" != 1 ]; then
		not_ok "$_bc_name" "exit status $EXIT_STATUS, want 1"
	elif [ "$_bc_err" != "$_bc_want" ]; then
		not_ok "$_bc_name" "stderr [$(printf '%s' "$_bc_err" | tr '\n' '|')], want [$_bc_want]"
	elif [ -e "$T/busy.stub" ]; then
		not_ok "$_bc_name" "ssh was started $(stub_runs "$T/busy.stub") times"
	elif [ "$_bc_took" -gt 2000 ]; then
		not_ok "$_bc_name" "took $_bc_took ms to exit, want at once"
	else
		ok "$_bc_name"
	fi
}

p=$(free_port)
busy_case "busy port: -M P with 127.0.0.1:P taken exits 1 at once, no ssh" "$p" \
	"autossh: monitor port 127.0.0.1:$p: Address already in use" -M "$p" -N testhost

p=$(free_port)
busy_case "busy port: -M P with 127.0.0.1:P+1 taken exits 1 at once, no ssh" "$((p + 1))" \
	"autossh: echo port 127.0.0.1:$((p + 1)) (monitor port $p + 1): Address already in use" -M "$p" -N testhost

p=$(free_port)
e=$(free_port)
busy_case "busy port: -M P:E with 127.0.0.1:P taken exits 1 at once, no ssh" "$p" \
	"autossh: monitor port 127.0.0.1:$p: Address already in use" -M "$p:$e" -N testhost

# ---------------------------------------------------------------- loopback listener

name="listener: loop mode listens on 127.0.0.1:P+1 only, P left free"
p=$(free_port)
bg_run AUTOSSH_PATH="$STUB" STUB_LOG="$T/lo.stub" AUTOSSH_GATETIME=0 AUTOSSH_LOGFILE="$T/lo.log" \
	"$AUTOSSH" -M "$p" -N testhost >"$T/lo.out" 2>&1
a=$BG_PID
if ! wait_for 5 log_has "$T/lo.stub" .; then
	not_ok "$name" "ssh (stub) never started"
	diag "$T/lo.out" "$T/lo.log"
else
	listeners=$(ss -Hltnp "( sport = :$((p + 1)) )" 2>/dev/null)
	locals=$(printf '%s\n' "$listeners" | awk 'NF { print $4 }' | tr '\n' ' ')
	if [ "$locals" != "127.0.0.1:$((p + 1)) " ]; then
		not_ok "$name" "listening sockets on port $((p + 1)): [$locals], want [127.0.0.1:$((p + 1))]"
	elif ! printf '%s\n' "$listeners" | grep -q "pid=$a,"; then
		not_ok "$name" "port $((p + 1)) is not held by autossh: $listeners"
	elif [ -n "$(ss -Hltn "( sport = :$p )" 2>/dev/null)" ]; then
		not_ok "$name" "something listens on port $p: $(ss -Hltnp "( sport = :$p )")"
	else
		ok "$name"
	fi
fi
stop_autossh "$a"

# ---------------------------------------------------------------- real sshd in a namespace

netns_sshd

# start_tunnel NAME MONITOR [VAR=VAL...]: autossh -M MONITOR (debug, gate
# off, log $T/NAME.log) with -L $lp to the target on $tp in the namespace;
# sets a. why stays empty if the tunnel passes traffic within 15 s and
# autossh has an ssh child (SSH1).
start_tunnel() {
	_st_name=$1
	_st_mon=$2
	shift 2
	bg_run AUTOSSH_LOGFILE="$T/$_st_name.log" AUTOSSH_DEBUG=1 "$@" AUTOSSH_GATETIME=0 \
		"$AUTOSSH" -M "$_st_mon" -N -F "$SSH_CFG" -L "$lp:127.0.0.1:$tp" testhost >"$T/$_st_name.out" 2>&1
	a=$BG_PID
	why=
	if ! wait_for 15 tunnel_ok "$lp"; then
		why="the -L tunnel never passed traffic"
	elif ! first_ssh "$a"; then
		why="no ssh child"
	fi
}

# ---- loop mode, healthy link

name="loop mode: a healthy link passes probes (3 x 'connection ok'), no restart"
if need_netns "$name"; then
	p=$(free_port)
	bg_run AUTOSSH_LOGFILE="$T/loop.log" AUTOSSH_DEBUG=1 AUTOSSH_POLL=2 AUTOSSH_FIRST_POLL=5 \
		AUTOSSH_GATETIME=0 "$AUTOSSH" -M "$p" -N -F "$SSH_CFG" testhost >"$T/loop.out" 2>&1
	a=$BG_PID
	if ! wait_for 40 at_least 3 "$T/loop.log" ': connection ok$'; then
		not_ok "$name" "$(count "$T/loop.log" ': connection ok$') passed probes in 40 s, want 3"
		diag "$T/loop.log"
	elif [ "$(count "$T/loop.log" ': starting ssh ')" != 1 ] ||
		! log_has "$T/loop.log" ': starting ssh \(count 1\)$'; then
		not_ok "$name" "ssh was restarted"
		diag "$T/loop.log"
	elif log_has "$T/loop.log" 'port down'; then
		not_ok "$name" "a probe failed"
		diag "$T/loop.log"
	else
		ok "$name"
	fi
	stop_autossh "$a"
fi

# ---- echo mode, the probe message

name="echo mode: the echo service gets '<node> autossh <pid> <n> <message>\\r\\n'"
if need_netns "$name"; then
	p=$(free_port)
	e=$(free_port)
	msg='probe from  t-monitor, with spaces'
	if ! start_echo "$e" "$NS"; then
		not_ok "$name" "echo service did not start"
	else
		bg_run AUTOSSH_LOGFILE="$T/echo.log" AUTOSSH_DEBUG=1 AUTOSSH_POLL=2 AUTOSSH_FIRST_POLL=5 \
			AUTOSSH_GATETIME=0 AUTOSSH_MESSAGE="$msg" \
			"$AUTOSSH" -M "$p:$e" -N -F "$SSH_CFG" testhost >"$T/echo.out" 2>&1
		a=$BG_PID
		elog=$T/echo.$e.log
		node=$(uname -n | cut -c1-64)
		cr=$(printf '\r')
		re="^$(re_escape "$node") autossh $a [0-9]+ $(re_escape "$msg")$cr\$"
		if ! wait_for 40 at_least 2 "$T/echo.log" ': connection ok$'; then
			not_ok "$name" "$(count "$T/echo.log" ': connection ok$') passed probes in 40 s, want 2"
			diag "$T/echo.log" "$elog"
		else
			stop_autossh "$a"
			lines=$(wc -l <"$elog" | tr -d ' ')
			good=$(count "$elog" "$re")
			# The probe number: field 4; each probe gets a new one.
			numbers=$(awk '{ print $4 }' "$elog" | sort -u | wc -l | tr -d ' ')
			if [ "$lines" -lt 2 ] || [ "$good" != "$lines" ]; then
				not_ok "$name" "$good of $lines lines match /$re/"
				diag "$elog"
			elif [ "$(tail -c 2 "$elog" | od -An -c | tr -d ' ')" != '\r\n' ]; then
				not_ok "$name" "the echo log does not end in CR LF"
				diag "$elog"
			elif [ "$numbers" != "$lines" ]; then
				not_ok "$name" "probe numbers repeat ($numbers distinct in $lines probes)"
				diag "$elog"
			elif awk '$4 > 2147483647 { bad = 1 } END { exit !bad }' "$elog"; then
				not_ok "$name" "probe number above 2147483647"
				diag "$elog"
			else
				ok "$name"
			fi
		fi
		stop_autossh "$a"
	fi
fi

# ---- frozen server

name="frozen server: 'port down' within 14 s (before POLL + T), new ssh, -L tunnel back after SIGCONT"
if need_netns "$name"; then
	p=$(free_port)
	lp=$(free_port)
	tp=$(free_port)
	poll=10
	# POLL 10 < 30: T = 5000 ms. The first regular probe comes at most
	# POLL s after the freeze and, with round trips known from the early
	# probe, fails when its short window (1 s) passes clean: well before
	# 1.4g's POLL + T = 15 s. Bound 14 s.
	bound=14000
	if ! start_target "$tp" "$NS"; then
		not_ok "$name" "target service did not start"
	else
		start_tunnel frozen "$p" AUTOSSH_POLL=$poll
		if [ -z "$why" ]; then
			s1=$SSH1
			# Freeze one second after the tunnel came up.
			wait_for 2 time_reached $(($(now_ms) + 1000)) || :
			if ! freeze_sessions; then
				why="no server-side session to freeze"
			fi
		fi
		if [ -z "$why" ]; then
			t_freeze=$(now_ms)
			if ! wait_log $((bound / 1000 + 10)) "$T/frozen.log" ': port down, restarting ssh$'; then
				why="no 'port down, restarting ssh' within $((bound / 1000 + 10)) s of the freeze"
			else
				t_down=$(($(now_ms) - t_freeze))
				if ! wait_for 10 new_ssh "$a" "$s1"; then
					why="no new ssh within 10 s of 'port down'"
				else
					t_new=$(($(now_ms) - t_freeze))
					thaw_sessions
					t_cont=$(now_ms)
					if ! wait_for 15 tunnel_ok "$lp"; then
						why="the -L tunnel passes no traffic 15 s after SIGCONT"
					else
						t_back=$(($(now_ms) - t_cont))
						echo "# frozen server: port down ${t_down} ms after the freeze (bound $bound)," \
							"new ssh after ${t_new} ms, tunnel back ${t_back} ms after SIGCONT"
						if [ "$t_down" -gt "$bound" ]; then
							why="'port down' came $t_down ms after the freeze, want <= $bound"
						elif [ "$t_back" -gt 5000 ]; then
							why="tunnel back only $t_back ms after SIGCONT, want <= 5000"
						elif ! log_has "$T/frozen.log" ': timeout polling to accept read connection$'; then
							why="log lacks 'timeout polling to accept read connection'"
						elif log_has "$T/frozen.log" ': ssh exited'; then
							why="ssh exited on its own instead of being stopped by autossh"
						fi
					fi
				fi
			fi
		fi
		thaw_sessions
		if [ -n "$why" ]; then
			not_ok "$name" "$why"
			diag "$T/frozen.log"
		else
			ok "$name"
		fi
		stop_autossh "$a"
	fi
fi

# ---- black-holed link

name="black hole: echo mode detects a downed link ('port down'), tunnel back once it is up"
if need_netns "$name"; then
	p=$(free_port)
	e=$(free_port)
	lp=$(free_port)
	tp=$(free_port)
	poll=10
	# Echo mode: a missing reply gets a second attempt, so up to 2 T (5 s
	# each) after the probe, which comes at most POLL s after the link
	# went down. Margin 5 s.
	bound=$((poll * 1000 + 2 * 5000 + 5000))
	if ! start_echo "$e" "$NS" || ! start_target "$tp" "$NS"; then
		not_ok "$name" "echo or target service did not start"
	else
		# The probe's own test: the network watch (our side of the veth
		# loses its carrier) and TCP evidence would restart ssh first;
		# t-netwatch and t-tcp test those.
		start_tunnel hole "$p:$e" AUTOSSH_POLL=$poll AUTOSSH_NETWATCH=0 AUTOSSH_TCP_EVIDENCE=0
		if [ -z "$why" ]; then
			s1=$SSH1
			t_hole=$(now_ms)
			if ! ip netns exec "$NS" ip link set "$VETH_NS" down; then
				why="could not set $VETH_NS down"
			elif ! wait_log $((bound / 1000 + 10)) "$T/hole.log" ': port down, restarting ssh$'; then
				why="no 'port down, restarting ssh' within $((bound / 1000 + 10)) s"
			else
				t_down=$(($(now_ms) - t_hole))
				t_up=$(now_ms)
				if ! ip netns exec "$NS" ip link set "$VETH_NS" up; then
					why="could not set $VETH_NS up"
				elif ! wait_for 40 tunnel_ok "$lp"; then
					why="the -L tunnel passes no traffic 40 s after the link came back"
				elif ! new_ssh "$a" "$s1"; then
					why="no new ssh"
				else
					t_back=$(($(now_ms) - t_up))
					echo "# black hole: port down ${t_down} ms after the link went down (bound $bound)," \
						"tunnel back ${t_back} ms after the link came up"
					if [ "$t_down" -gt "$bound" ]; then
						why="'port down' came $t_down ms after the link went down, want <= $bound"
					fi
				fi
			fi
		fi
		# Whatever happened, the link goes back up (a no-op if it is).
		ip netns exec "$NS" ip link set "$VETH_NS" up 2>/dev/null || :
		if [ -n "$why" ]; then
			not_ok "$name" "$why"
			diag "$T/hole.log"
		else
			ok "$name"
		fi
		stop_autossh "$a"
	fi
fi

# ---- signals while a probe is in flight

# A loop-mode probe waits up to T = 15 s (POLL 60) for the looped connection
# that a frozen server never makes: the probe is then "in flight" (autossh
# holds an established connection to 127.0.0.1:P).
name_usr1="probe in flight: SIGUSR1 restarts ssh at once"
name_term="probe in flight: SIGTERM ends autossh within ~1 s (signal 15)"
if [ -n "$NETNS_WHY" ]; then
	need_netns "$name_usr1" || :
	need_netns "$name_term" || :
else
	p=$(free_port)
	lp=$(free_port)
	tp=$(free_port)
	start_target "$tp" "$NS" || :
	start_tunnel flight "$p" AUTOSSH_POLL=60 AUTOSSH_FIRST_POLL=5
	if [ -n "$why" ]; then
		:
	elif ! freeze_sessions; then
		why="no server-side session to freeze"
	elif ! wait_for 15 probe_in_flight "$a" "$p"; then
		why="no probe in flight within 15 s"
	fi
	if [ -n "$why" ]; then
		not_ok "$name_usr1" "$why"
		diag "$T/flight.log"
	else
		s1=$SSH1
		t0=$(now_ms)
		kill -USR1 "$a"
		if ! wait_for 5 new_ssh "$a" "$s1"; then
			not_ok "$name_usr1" "no new ssh within 5 s of SIGUSR1"
			diag "$T/flight.log"
			why=failed
		else
			took=$(($(now_ms) - t0))
			echo "# probe in flight: new ssh $took ms after SIGUSR1"
			if [ "$took" -gt 1500 ]; then
				not_ok "$name_usr1" "new ssh $took ms after SIGUSR1, want at once (<= 1500)"
			elif ! log_has "$T/flight.log" ': signalled to kill and restart ssh$'; then
				not_ok "$name_usr1" "log lacks 'signalled to kill and restart ssh'"
				diag "$T/flight.log"
			elif ! wait_gone 3 "$s1"; then
				not_ok "$name_usr1" "old ssh $s1 still runs"
			else
				ok "$name_usr1"
			fi
		fi
	fi
	# The new ssh's -L P leads to the frozen session's -R listener: its
	# first probe (5 s after start) waits in vain for the looped connection.
	why_term=$why
	if [ -z "$why_term" ]; then
		s2=$NEW_SSH
		if ! wait_for 15 probe_in_flight "$a" "$p"; then
			why_term="no probe in flight on the new ssh within 15 s"
		else
			t0=$(now_ms)
			kill -TERM "$a"
			if ! wait_exit 10 "$a"; then
				why_term="autossh still runs 10 s after SIGTERM"
			else
				took=$(($(now_ms) - t0))
				echo "# probe in flight: autossh gone $took ms after SIGTERM"
				if [ "$EXIT_STATUS" != 143 ]; then
					why_term="exit status $EXIT_STATUS, want 143 (signal 15)"
				elif [ "$took" -gt 1500 ]; then
					why_term="took $took ms, want ~1 s (<= 1500)"
				elif pid_alive "$s2"; then
					why_term="ssh $s2 still runs"
				elif ! log_has "$T/flight.log" ': received signal to exit \(15\)$'; then
					why_term="log lacks 'received signal to exit (15)'"
				fi
			fi
		fi
		if [ -n "$why_term" ]; then
			not_ok "$name_term" "$why_term"
			diag "$T/flight.log"
		else
			ok "$name_term"
		fi
	else
		not_ok "$name_term" "not reached: $why_term"
	fi
	thaw_sessions
	stop_autossh "$a"
fi
