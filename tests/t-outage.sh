#!/bin/sh
# t-outage: restart only when a restart helps (autossh(1) TCP EVIDENCE,
# NETWORK CHANGES), against a real sshd in a network namespace. One dead
# flow while the path works must bring a new ssh at once; an outage of the
# whole path must not (the sessions through ssh survive it), and ssh must
# start again as soon as the path returns: a test connect or the carrier
# says so. Then the reading defects that can be caused here. The
# scenarios run side by side, each with its own namespace and sshd.
# Runs about 35 s (more on a loaded machine).
set -eu
# shellcheck source=tests/lib.sh disable=SC1091
. tests/lib.sh
# shellcheck source=tests/monitor-lib.sh disable=SC1091
. tests/monitor-lib.sh
lib_init outage

SA60="-o ServerAliveInterval=60 -o ServerAliveCountMax=3"
STALLED='ssh connection to [0-9a-f.:[]+\]?:[0-9]+ stalled: no ACK for [0-9]+ ms after [0-9]+ retransmissions'

# ---------------------------------------------------------------- helpers

# tunnel MONITOR EXTRA [VAR=VAL...]: autossh -M MONITOR -N with EXTRA ssh
# options (split on blanks), -L LP to 127.0.0.1:EP on the server side;
# log $T/a.log. Sets A and LP.
tunnel() {
	_tu_mon=$1
	_tu_extra=$2
	shift 2
	LP=$(free_port)
	LOG=$T/a.log
	# shellcheck disable=SC2086
	bg_run AUTOSSH_LOGFILE="$LOG" AUTOSSH_DEBUG=1 AUTOSSH_GATETIME=0 AUTOSSH_STATUSFILE="$T/status" "$@" \
		"$AUTOSSH" -M "$_tu_mon" -N -F "$SSH_CFG" $_tu_extra \
		-L "127.0.0.1:$LP:127.0.0.1:$EP" testhost >"$T/a.out" 2>&1
	A=$BG_PID
}

# up_with_trickle: the tunnel carries an echo, then a trickle flows through
# it (one long-lived connection); sets WHY if not.
up_with_trickle() {
	if ! wait_for 20 echo_ok "$LP"; then
		WHY="tunnel never came up"
	else
		trickle_start "$LP"
		trickle_flows "$ECHO_LOG" || WHY="the trickle does not flow"
	fi
}

_new_ssh_echoes() {
	_ns=$(ssh_pid)
	[ -n "$_ns" ] && [ "$_ns" != "$1" ] && echo_ok "$LP"
}

# waited SECONDS CMD...: wait_for, and T_DONE is when CMD succeeded.
waited() { wait_for "$@" && T_DONE=$(now_ms); }

_trickle_grows() { wait_for "$2" _trickle_grew "$1" "$(_trickle_size "$1")"; }

# ---------------------------------------------------------------- one flow dead, the path works

flow_case() {
	name="outage: one flow dead while the path works: 'stalled ...; a new connection works', new ssh, traffic"
	setup "$name" || return 0
	WHY=
	tunnel 0 "$SA60" AUTOSSH_POLL=600
	up_with_trickle
	if [ -z "$WHY" ]; then
		old=$(ssh_pid)
		cport=$(ssh_client_port)
		t0=$(now_ms)
		if [ -z "$cport" ] || ! kill_flow; then
			WHY="could not kill the flow (client port '$cport')"
		elif ! waited 20 _new_ssh_echoes "$old"; then
			WHY="no new ssh carrying traffic within 20 s of the flow's death"
		elif ! log_has "$LOG" "$STALLED; a new connection works$"; then
			WHY="no 'stalled ...; a new connection works' line"
		elif ! log_has "$LOG" ': port down, restarting ssh$'; then
			WHY="no 'port down, restarting ssh' line"
		fi
	fi
	[ -n "$WHY" ] || echo "# one flow dead: traffic through a new ssh $((T_DONE - t0)) ms after"
	report "$name" "$LOG"
	# What sshd logs for a test connect: quoted in autossh(1) TCP EVIDENCE.
	grep -iE 'reset|closed|banner|kex_exchange' "$T/sshd.log" >"$T/sshd.test-connect" 2>/dev/null || :
	stop_autossh "$A"
}

# ---------------------------------------------------------------- the whole path gone for a while

# blip SECONDS: the server sends nothing to the client for SECONDS; sets
# WHY unless the long-lived connection echoes again within 15 s.
blip() {
	blackhole_client
	sleep "$1"
	lift_blackhole
	_trickle_grows "$ECHO_LOG" 15 || WHY="the long-lived connection did not echo again after the ${1} s outage"
}

blip_case() {
	name="outage: the whole path gone 4 s, then 8 s (ServerAlive 5x3, -M 0): the same connection echoes, no ssh restart, 'path ... down: keeping ssh'"
	setup "$name" || return 0
	WHY=
	tunnel 0 "-o ServerAliveInterval=5 -o ServerAliveCountMax=3" AUTOSSH_POLL=600
	up_with_trickle
	if [ -z "$WHY" ]; then
		old=$(ssh_pid)
		blip 4
		[ -n "$WHY" ] || blip 8
		if [ -n "$WHY" ]; then
			:
		elif [ "$(ssh_pid)" != "$old" ] || log_has "$LOG" 'restarting ssh|starting ssh \(count 2'; then
			WHY="ssh was restarted: $(grep -E 'restarting ssh|stalled' "$LOG" | head -n 1)"
		elif ! log_has "$LOG" ": path to $(re_escape "$SSHD_ADDR:$SSHD_PORT") down: keeping ssh$"; then
			WHY="no 'path to $SSHD_ADDR:$SSHD_PORT down: keeping ssh' line"
		fi
	fi
	report "$name" "$LOG"
	stop_autossh "$A"
}

# ---------------------------------------------------------------- an outage, then the path returns

return_case() {
	name="outage: 10 s outage (ServerAlive 1x3), then the path returns: traffic soon after, started on a completed test connect"
	setup "$name" || return 0
	WHY=
	tunnel 0 "-o ServerAliveInterval=1 -o ServerAliveCountMax=3 -o ConnectTimeout=2" AUTOSSH_POLL=600
	if ! wait_for 20 echo_ok "$LP"; then
		WHY="tunnel never came up"
	else
		old=$(ssh_pid)
		blackhole_client
		sleep 10
		lift_blackhole
		t0=$(now_ms)
		if ! waited 8 _new_ssh_echoes "$old"; then
			WHY="no new ssh carrying traffic within 8 s of the path's return"
		elif ! log_has "$LOG" ': path to [^ ]+ works again \(a test connect completed( after [^)]*)?\): starting ssh$'; then
			WHY="no 'path to ... works again (a test connect completed): starting ssh' line"
		fi
	fi
	[ -n "$WHY" ] || echo "# 10 s outage: traffic $((T_DONE - t0)) ms after the path returned"
	report "$name" "$LOG"
	stop_autossh "$A"
}

# ---------------------------------------------------------------- carrier lost, then back

carrier_case() {
	name="outage: the server's end of the link down 12 s (carrier lost), then up: no restart for the carrier loss, ssh starts at once"
	setup "$name" || return 0
	WHY=
	# POLL 9000: on the 1.4g schedule, 6 quick failed starts make the wait 30 s.
	tunnel 0 "-o ServerAliveInterval=1 -o ServerAliveCountMax=3 -o ConnectTimeout=1" AUTOSSH_POLL=9000
	if ! wait_for 20 echo_ok "$LP"; then
		WHY="tunnel never came up"
	else
		old=$(ssh_pid)
		ip netns exec "$NS" ip link set "$VETH_NS" down
		sleep 12
		ip netns exec "$NS" ip link set "$VETH_NS" up
		t0=$(now_ms)
		if ! waited 5 _new_ssh_echoes "$old"; then
			WHY="no new ssh carrying traffic within 5 s of the carrier's return"
		elif log_has "$LOG" 'network changed \(link [^ ]+ down\), restarting ssh'; then
			WHY="restarted for a carrier loss: $(grep 'network changed (link' "$LOG" | head -n 1)"
		elif ! log_has "$LOG" ': path to [^ ]+ works again \(a test connect completed( after link [^ ]+ up)?\): starting ssh$'; then
			WHY="no 'path to ... works again (a test connect completed[ after link ... up]): starting ssh' line"
		fi
	fi
	[ -n "$WHY" ] || echo "# carrier lost 12 s: traffic $((T_DONE - t0)) ms after it came back"
	report "$name" "$LOG"
	stop_autossh "$A"
}

# ---------------------------------------------------------------- reading defects

refresh_case() {
	name="outage: an address announced again (lifetime refresh) is no change: no 'network changed' line, no probe"
	setup "$name" || return 0
	WHY=
	tunnel "$(free_port)" "$SA60" AUTOSSH_POLL=600
	if ! wait_for 20 echo_ok "$LP" || ! wait_for 10 grep -q '^last_probe_ok=[1-9]' "$T/status"; then
		WHY="tunnel never came up"
	else
		ip addr change "$(client_addr)/30" dev "$VETH" valid_lft 3600 preferred_lft 3600
		ip addr replace "$(client_addr)/30" dev "$VETH"
		sleep 3
		re="(network changed: |route socket: )address $(re_escape "$(client_addr)") added"
		if log_has "$LOG" "$re"; then
			WHY="log: $(grep -E "$re" "$LOG" | head -n 1)"
		fi
	fi
	report "$name" "$LOG"
	stop_autossh "$A"
}

# ssh in the server's namespace through an AUTOSSH_PATH wrapper: autossh's
# inet_diag lookups (in its own namespace) never see its connection.
blind_case() {
	name="outage: inet_diag lookups that do not answer (ssh in another network namespace): 'no TCP evidence' line, watch drops tcp"
	setup "$name" || return 0
	WHY=
	printf '#!/bin/sh\nexec ip netns exec %s ssh "$@"\n' "$NS" >"$T/ssh-in-ns"
	chmod +x "$T/ssh-in-ns"
	tunnel 0 "$SA60" AUTOSSH_POLL=600 AUTOSSH_PATH="$T/ssh-in-ns"
	if ! wait_log 15 "$LOG" ': no TCP evidence: '; then
		WHY="no 'no TCP evidence: ...' line within 15 s"
	elif ! wait_for 5 grep -qx 'watch=netlink' "$T/status"; then
		WHY="status file: $(grep '^watch=' "$T/status" 2>/dev/null || echo 'no watch key'), want watch=netlink"
	fi
	report "$name" "$LOG"
	stop_autossh "$A"
}

# A ProxyCommand over a Unix socket (the proxy holds no TCP socket) and a
# -R forward in use (ssh's own outgoing TCP connection): that connection
# must never be taken for the server connection.
proxy_case() {
	name="outage: ProxyCommand without a TCP socket and a -R forward in use: ssh's forwarded connection is not taken for the server's, the proxy is said once"
	setup "$name" || return 0
	WHY=
	socat "UNIX-LISTEN:$T/px.sock,fork" "TCP:$SSHD_ADDR:$SSHD_PORT" </dev/null >/dev/null 2>&1 &
	track_pid "$!"
	wait_for 5 test -S "$T/px.sock" || :
	printf '\tProxyCommand socat - UNIX-CONNECT:%s\n' "$T/px.sock" >>"$SSH_CFG"
	TP=$(free_port)
	start_echo "$TP"
	RP=$(free_port)
	tunnel 0 "$SA60 -R 127.0.0.1:$RP:127.0.0.1:$TP" AUTOSSH_POLL=600
	if ! wait_for 20 echo_ok "$LP"; then
		WHY="tunnel never came up"
	else
		ip netns exec "$NS" sh -c "sleep 20 | socat - TCP:127.0.0.1:$RP" >/dev/null 2>&1 &
		track_pid "$!"
		if ! wait_log 10 "$LOG" ": ssh's proxy holds no TCP socket autossh can read"; then
			WHY="no 'ssh's proxy holds no TCP socket autossh can read ...' line within 10 s"
		else
			sleep 2
			if log_has "$LOG" "ssh's connection: .* to 127\.0\.0\.1:$TP "; then
				WHY="log: $(grep "ssh's connection: " "$LOG" | head -n 1)"
			elif [ "$(grep -c "proxy holds no TCP socket" "$LOG")" != 1 ]; then
				WHY="the proxy line came $(grep -c "proxy holds no TCP socket" "$LOG") times"
			fi
		fi
	fi
	report "$name" "$LOG"
	stop_autossh "$A"
}

# route_portid PID: the netlink port id of PID's route socket (the one
# subscribed to groups), from /proc/PID/net/netlink.
route_portid() {
	_rp_inodes=$(find "/proc/$1/fd" -mindepth 1 -maxdepth 1 -printf '%l\n' 2>/dev/null |
		sed -n 's/^socket:\[\([0-9]*\)\]$/\1/p' | tr '\n' ' ')
	awk -v inodes=" $_rp_inodes " 'NR > 1 && $2 == 0 && $4 != "00000000" && index(inodes, " " $NF " ") { print $3; exit }' \
		"/proc/$1/net/netlink"
}

# A process (not the kernel) sends autossh's route socket a "default route
# changed" message: it must not be heard.
sender_case() {
	name="outage: a route message sent by a process, not the kernel, is ignored"
	setup "$name" || return 0
	WHY=
	tunnel "$(free_port)" "$SA60" AUTOSSH_POLL=600
	portid=
	if ! wait_for 20 echo_ok "$LP" || ! wait_for 10 grep -q '^last_probe_ok=[1-9]' "$T/status"; then
		WHY="tunnel never came up"
	elif ! portid=$(route_portid "$A") || [ -z "$portid" ]; then
		WHY="no route socket found in /proc/$A/net/netlink"
	else
		# nlmsghdr (28 bytes, RTM_NEWROUTE) + rtmsg: AF_INET, /0, table main, unicast.
		printf '\034\000\000\000\030\000\000\000\000\000\000\000\000\000\000\000\002\000\000\000\376\000\000\001\000\000\000\000' \
			>"$T/newroute"
		hex=$(printf '%08x' "$portid" | sed 's/\(..\)\(..\)\(..\)\(..\)/\4\3\2\1/')
		if ! socat -u "OPEN:$T/newroute" "SOCKET-SENDTO:16:3:0:x0000${hex}00000000" 2>"$T/socat.err"; then
			WHY="could not send: $(cat "$T/socat.err")"
		else
			sleep 2
			re='(route socket|network changed): route 0\.0\.0\.0/0 changed'
			if log_has "$LOG" "$re"; then
				WHY="heard: $(grep -E "$re" "$LOG" | head -n 1)"
			fi
		fi
	fi
	report "$name" "$LOG"
	stop_autossh "$A"
}

# autossh (and ssh) run inside the server's namespace, so a burst there
# touches no other test: autossh is stopped while 3000 address changes
# overrun its route socket; once it runs again the lost changes count as
# one that may matter.
overrun_case() {
	name="outage: a route socket overrun (changes lost while autossh was stopped) is taken as a change that may matter"
	setup "$name" || return 0
	WHY=
	LOG=$T/a.log
	LP=$(free_port)
	bg_run AUTOSSH_LOGFILE="$LOG" AUTOSSH_DEBUG=1 AUTOSSH_GATETIME=0 AUTOSSH_POLL=600 \
		ip netns exec "$NS" "$AUTOSSH" -M 0 -N -F "$SSH_CFG" -L "127.0.0.1:$LP:127.0.0.1:$EP" testhost \
		>"$T/a.out" 2>&1
	A=$BG_PID
	if ! wait_log 20 "$LOG" ': state connected$'; then
		WHY="tunnel never came up"
	else
		awk 'BEGIN { for (i = 0; i < 3000; i++) printf "addr add 127.79.%d.%d/32 dev lo\n", i / 250, i % 250 + 1 }' \
			>"$T/burst"
		kill -STOP "$A"
		ip netns exec "$NS" ip -batch "$T/burst" 2>"$T/burst.err" || WHY="ip -batch: $(head -n 1 "$T/burst.err")"
		kill -CONT "$A"
		if [ -z "$WHY" ] && ! wait_log 5 "$LOG" ': route socket: overrun, changes lost$'; then
			WHY="no 'route socket: overrun, changes lost' line within 5 s"
		fi
	fi
	report "$name" "$LOG"
	stop_autossh "$A"
}

# ---------------------------------------------------------------- run

scenario flow flow_case
scenario blip blip_case
scenario return return_case
scenario carrier carrier_case
scenario refresh refresh_case
scenario blind blind_case
scenario sender sender_case
scenario proxy proxy_case
scenario overrun overrun_case
scenarios_wait
