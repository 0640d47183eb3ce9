#!/bin/sh
# t-tcp: autossh reads ssh's own TCP connection (autossh(1) TCP EVIDENCE),
# against a real sshd in a network namespace. ServerAlive is 60 x 3, so
# the old fallback needs minutes: a dead flow must bring the `stalled`
# line and a new ssh within 20 s; a slow, briefly interrupted or frozen
# one must not. The scenarios run side by side, each with its own
# namespace and sshd; the longest waits 70 s on an idle tunnel.
# Runs about 80 s, most of it the 70 s idle wait of one scenario.
set -eu
# shellcheck source=tests/lib.sh disable=SC1091
. tests/lib.sh
# shellcheck source=tests/monitor-lib.sh disable=SC1091
. tests/monitor-lib.sh
lib_init tcp

SA60="-o ServerAliveInterval=60 -o ServerAliveCountMax=3"
STALLED='ssh connection to [0-9a-f.:[]+\]?:[0-9]+ stalled: no ACK for [0-9]+ ms after [0-9]+ retransmissions(; a new connection works)?$'

# ---------------------------------------------------------------- helpers

# tunnel MONITOR EXTRA PORT [VAR=VAL...]: autossh -M MONITOR -N with EXTRA
# ssh options (split on blanks), -L LP to 127.0.0.1:PORT on the server side,
# host $HOST (default testhost); log $T/a.log. Sets A and LP.
tunnel() {
	_tu_mon=$1
	_tu_extra=$2
	_tu_port=$3
	shift 3
	LP=$(free_port)
	LOG=$T/a.log
	# shellcheck disable=SC2086
	bg_run AUTOSSH_LOGFILE="$LOG" AUTOSSH_DEBUG=${TDEBUG:-} AUTOSSH_GATETIME=0 AUTOSSH_STATUSFILE="$T/status" \
		"$@" "$AUTOSSH" -M "$_tu_mon" -N -F "$SSH_CFG" $_tu_extra \
		-L "127.0.0.1:$LP:127.0.0.1:$_tu_port" "${HOST:-testhost}" >"$T/a.out" 2>&1
	A=$BG_PID
}

# An ssh other than $1 runs and the log has the stalled line, then port down.
_stalled_and_new() {
	_sn=$(ssh_pid)
	[ -n "$_sn" ] && [ "$_sn" != "$1" ] && log_has "$LOG" "$STALLED" &&
		log_has "$LOG" ': port down, restarting ssh$'
}

# stall_check OLD: ssh's flow is dead (kill_flow) and a trickle runs: sets
# WHY unless the stalled line and a new ssh come within 20 s, and the
# tunnel carries traffic within 20 s.
stall_check() {
	if ! wait_for 20 _stalled_and_new "$1"; then
		WHY="no 'stalled' line and new ssh within 20 s of the flow's death"
	else
		lift_flow
		if ! wait_for 20 echo_ok "$LP"; then
			WHY="no traffic within 20 s of the new ssh"
		elif ! grep "$(re_escape "$SSHD_ADDR")" "$LOG" | grep -Eq "$STALLED"; then
			WHY="the stalled line does not name $SSHD_ADDR: $(grep -E "$STALLED" "$LOG" | head -n 1)"
		fi
	fi
}

no_restart() {
	if [ "$(ssh_pid)" != "$1" ]; then
		WHY="ssh was restarted"
	elif log_has "$LOG" "$STALLED|restarting ssh"; then
		WHY="log: $(grep -E "$STALLED|restarting ssh" "$LOG" | head -n 1)"
	fi
}

# ---------------------------------------------------------------- dead path

# trickle_blackhole: once the tunnel just started carries an echo, a trickle
# of traffic through it, then ssh's flow dies (kill_flow); sets WHY
# unless stall_check finds the 'stalled' line and a new ssh.
trickle_blackhole() {
	if ! wait_for 20 echo_ok "$LP"; then
		WHY="tunnel never came up"
		return 0
	fi
	trickle_start "$LP"
	if ! trickle_flows "$ECHO_LOG"; then
		WHY="the trickle does not flow"
		return 0
	fi
	old=$(ssh_pid)
	kill_flow || WHY="could not kill ssh's flow"
	[ -n "$WHY" ] || stall_check "$old"
}

blackhole_case() {
	name="tcp: ssh's flow dead (server side) with a trickle of traffic, -M 0, ServerAlive 60x3: 'stalled' line and new ssh within 20 s, traffic"
	setup "$name" || return 0
	WHY=
	tunnel 0 "$SA60" "$EP" AUTOSSH_POLL=600
	trickle_blackhole
	report "$name" "$LOG"
	stop_autossh "$A"
}

idle_case() {
	name="tcp: idle healthy tunnel: no restart over 62 s, at most 2 CPU ticks"
	name2="tcp: ssh's flow dead after 70 s idle, then traffic: 'stalled' line and new ssh within 20 s, traffic"
	setup "$name" || return 0
	WHY=
	tunnel 0 "$SA60" "$EP" AUTOSSH_POLL=600
	if ! wait_for 20 echo_ok "$LP"; then
		WHY="tunnel never came up"
	else
		old=$(ssh_pid)
		c0=$(cpu_ticks "$A")
		sleep 62
		c1=$(cpu_ticks "$A")
		no_restart "$old"
		[ -n "$WHY" ] || [ $((c1 - c0)) -le 2 ] || WHY="autossh used $((c1 - c0)) CPU ticks in 62 s idle"
	fi
	report "$name" "$LOG"
	[ -z "$WHY" ] || {
		not_ok "$name2" "no healthy idle tunnel"
		stop_autossh "$A"
		return 0
	}
	sleep 8
	kill_flow || WHY="could not kill ssh's flow"
	trickle_start "$LP"
	[ -n "$WHY" ] || stall_check "$old"
	report "$name2" "$LOG"
	stop_autossh "$A"
}

# ---------------------------------------------------------------- live paths

lifted_case() {
	name="tcp: blackhole lifted after 2 s with traffic running: no restart, traffic flows"
	setup "$name" || return 0
	WHY=
	tunnel 0 "$SA60" "$EP" AUTOSSH_POLL=600
	if ! wait_for 20 echo_ok "$LP"; then
		WHY="tunnel never came up"
	else
		trickle_start "$LP"
		trickle_flows "$ECHO_LOG" || WHY="the trickle does not flow"
		old=$(ssh_pid)
		blackhole_client
		sleep 2
		lift_blackhole
		sleep 8
		no_restart "$old"
		[ -n "$WHY" ] || trickle_flows "$ECHO_LOG" || WHY="the trickle stopped"
	fi
	report "$name" "$LOG"
	stop_autossh "$A"
}

# A sink on the server side that writes what it gets to $T/received.
start_sink() {
	ip netns exec "$NS" socat -u "TCP-LISTEN:$1,bind=127.0.0.1,reuseaddr" "CREATE:$T/received" \
		</dev/null >/dev/null 2>>"$T/socat.log" &
	track_pid "$!"
	wait_for 5 _listening "$1" "$NS"
}

tbf_case() {
	name="tcp: rate-limited path (tc tbf 2 mbit) with a 1.5 MB upload through the tunnel: no restart, data intact"
	setup "$name" || return 0
	WHY=
	SP=$(free_port)
	start_sink "$SP"
	tunnel 0 "$SA60" "$SP" AUTOSSH_POLL=600
	head -c 1500000 /dev/urandom >"$T/bulk"
	if ! wait_for 20 _listening "$LP"; then
		WHY="tunnel never came up"
	elif ! tc qdisc add dev "$VETH" root tbf rate 2mbit burst 8kb latency 50ms 2>"$T/tc.err"; then
		WHY="tc: $(cat "$T/tc.err")"
	else
		old=$(ssh_pid)
		timeout 60 socat -u "OPEN:$T/bulk" "TCP:127.0.0.1:$LP" 2>"$T/upload.err" || WHY="upload failed"
		if [ -z "$WHY" ] && ! wait_for 30 cmp -s "$T/bulk" "$T/received"; then
			WHY="the server got $(wc -c <"$T/received" 2>/dev/null || echo 0) bytes, not the 1500000 sent"
		fi
		[ -n "$WHY" ] || no_restart "$old"
	fi
	report "$name" "$LOG"
	stop_autossh "$A"
}

frozen_case() {
	name="tcp: frozen server (sshd session stopped), -M P, POLL=5: the probe decides, 'still acknowledges' line, no 'stalled' line"
	setup "$name" || return 0
	WHY=
	TP=$(free_port)
	start_target "$TP" "$NS"
	tunnel "$(free_port)" "" "$TP" AUTOSSH_POLL=5
	if ! wait_for 20 tunnel_ok "$LP"; then
		WHY="tunnel never came up"
	elif ! wait_for 10 grep -q '^last_probe_ok=[1-9]' "$T/status"; then
		WHY="no probe passed"
	elif ! freeze_sessions; then
		WHY="no sshd session to freeze"
	elif ! wait_log 25 "$LOG" ': port down, restarting ssh$'; then
		WHY="the probe never failed"
	elif ! log_has "$LOG" ": path to $(re_escape "$SSHD_ADDR:$SSHD_PORT") still acknowledges: the fault is beyond it$"; then
		WHY="no 'path to $SSHD_ADDR:$SSHD_PORT still acknowledges: the fault is beyond it' line"
	elif log_has "$LOG" "$STALLED"; then
		WHY="log: $(grep -E "$STALLED" "$LOG" | head -n 1)"
	fi
	kill_frozen
	report "$name" "$LOG"
	stop_autossh "$A"
}

# ---------------------------------------------------------------- through a jump host

# A second sshd in the namespace, on its loopback only: reached through the first.
start_inner_sshd() {
	INNER_PORT=$(free_port)
	sed -e "s/^ListenAddress .*/ListenAddress 127.0.0.1/" -e "s/^Port .*/Port $INNER_PORT/" \
		"$T/sshd_config" >"$T/sshd2_config"
	ip netns exec "$NS" /usr/sbin/sshd -D -e -f "$T/sshd2_config" </dev/null 2>>"$T/sshd2.log" &
	track_pid "$!"
	wait_for 10 _listening "$INNER_PORT" "$NS" || return 1
	sed -n '/^Host testhost/,$p' "$SSH_CFG" >"$T/inner_host"
	sed -e 's/^Host testhost/Host inner/' -e 's/HostName .*/HostName 127.0.0.1/' \
		-e "s/Port .*/Port $INNER_PORT/" "$T/inner_host" >>"$SSH_CFG"
	printf '\tProxyJump testhost\n' >>"$SSH_CFG"
}

jump_case() {
	name="tcp: ProxyJump through a second sshd: the jump host's flow dead gives the 'stalled' line and a new ssh within 20 s"
	setup "$name" || return 0
	WHY=
	if ! start_inner_sshd; then
		WHY="the inner sshd did not start"
	else
		HOST=inner tunnel 0 "$SA60" "$EP" AUTOSSH_POLL=600
		trickle_blackhole
	fi
	report "$name" "$LOG" "$T/a.out"
	stop_autossh "$A"
}

# ---------------------------------------------------------------- -M 0 readiness

notify_listen() {
	socat -u -v "UNIX-RECV:$T/n.sock" /dev/null </dev/null 2>"$T/n.raw" &
	track_pid "$!"
	wait_for 5 test -S "$T/n.sock"
}

ready_sent() { grep -q 'READY=1' "$T/n.raw" 2>/dev/null; }

ready_case() {
	name="tcp: -M 0 READY=1 and state=connected come when ssh's connection is up and its -L port listens"
	# A forward that cannot listen is a failed start (autossh(1) CAUSES): ssh is restarted, never connected.
	name2="tcp: -M 0 with its -L port taken by another process: no READY=1, never connected"
	start_sshd >"$T/sshd.out" 2>&1 || {
		not_ok "$name" "sshd did not start"
		return 0
	}
	TP=$(free_port)
	start_target "$TP"
	WHY=
	notify_listen
	NOTIFY_SOCKET=$T/n.sock tunnel 0 "" "$TP"
	if ! wait_for 10 ready_sent; then
		WHY="no READY=1 within 10 s"
	elif ! _listening "$LP"; then
		WHY="READY=1 came before the -L port $LP listened"
	elif ! grep -qx 'state=connected' "$T/status"; then
		WHY="status: $(grep '^state=' "$T/status")"
	elif ! tunnel_ok "$LP"; then
		WHY="the tunnel does not work"
	fi
	report "$name" "$LOG"
	stop_autossh "$A"

	WHY=
	rm -f "$T/n.sock"
	notify_listen
	taken=$(free_port)
	socat "TCP-LISTEN:$taken,bind=127.0.0.1,reuseaddr,fork" /dev/null </dev/null >/dev/null 2>&1 &
	track_pid "$!"
	wait_for 5 _listening "$taken" || :
	LOG=$T/b.log
	bg_run AUTOSSH_LOGFILE="$LOG" AUTOSSH_GATETIME=0 AUTOSSH_STATUSFILE="$T/status2" NOTIFY_SOCKET="$T/n.sock" \
		"$AUTOSSH" -M 0 -N -F "$SSH_CFG" -L "127.0.0.1:$taken:127.0.0.1:$TP" testhost >"$T/b.out" 2>&1
	A=$BG_PID
	if ! wait_for 10 grep -qx 'state=starting' "$T/status2"; then
		WHY="no status file with state=starting"
	else
		sleep 5
		if ready_sent; then
			WHY="READY=1 although ssh could not listen on $taken"
		elif grep -qx 'state=connected' "$T/status2"; then
			WHY="status: state=connected"
		fi
	fi
	report "$name2" "$LOG"
	stop_autossh "$A"
}

# ---------------------------------------------------------------- turned off

off_case() {
	name="tcp: AUTOSSH_TCP_EVIDENCE=0: no inet_diag socket, status says watch=netlink, no 'stalled' line under a blackhole"
	setup "$name" || return 0
	WHY=
	tunnel 0 "$SA60" "$EP" AUTOSSH_POLL=600 AUTOSSH_TCP_EVIDENCE=0
	if ! wait_for 20 echo_ok "$LP"; then
		WHY="tunnel never came up"
	else
		protos=$(netlink_protocols "$A" | tr '\n' ' ')
		case " $protos" in
		*" 4 "*) WHY="autossh holds a sock_diag socket (netlink protocols: $protos)" ;;
		esac
		if [ -z "$WHY" ] && ! grep -qx 'watch=netlink' "$T/status"; then
			WHY="status file: $(grep '^watch=' "$T/status" 2>/dev/null || echo 'no watch key'), want watch=netlink"
		fi
		if [ -z "$WHY" ]; then
			trickle_start "$LP"
			blackhole_client
			sleep 8
			lift_blackhole
			! log_has "$LOG" "$STALLED" || WHY="log: $(grep -E "$STALLED" "$LOG" | head -n 1)"
		fi
	fi
	report "$name" "$LOG"
	stop_autossh "$A"
}

# ---------------------------------------------------------------- run

scenario idle idle_case
scenario blackhole blackhole_case
scenario lifted lifted_case
scenario tbf tbf_case
scenario frozen frozen_case
scenario jump jump_case
scenario ready ready_case
scenario off off_case
scenarios_wait
