#!/bin/sh
# t-stall: a healthy tunnel is never restarted by a local stall shorter than
# T, and a dead one is still found fast (autossh(1) MONITORING, the short
# window of a probe): loop mode against a real sshd in a network namespace,
# AUTOSSH_POLL=10 (T = 5 s).
#   - ssh SIGSTOPped for 1.5 s and 3 s, a probe started inside the stall at
#     several points of it: same ssh, no 'port down', the probes pass
#   - a bulk transfer over a rate-limited link, probes queued behind it: no
#     restart, the data arrives intact
#   - the link taken down: 'port down' well before POLL + T
#   - ssh closes our connection while we wait for it to loop back: the probe
#     fails at once, not after the timeout
set -eu
# shellcheck source=tests/lib.sh disable=SC1091
. tests/lib.sh
lib_init stall own-netns
# shellcheck source=tests/monitor-lib.sh disable=SC1091
. tests/monitor-lib.sh

netns_sshd

STALL_NAME="stall: ssh stopped 1.5 s and 3 s, probes started inside: no restart, probes pass after"
BULK_NAME="bulk: probes queued behind a transfer on a 4 Mbit/s link: no restart, data intact"
DOWN_NAME="link down: loop mode says 'port down' within 14 s (POLL + T = 15 s)"
CLOSED_NAME="closed channel: ssh closing the probe's connection fails the probe at once, not after T"

if [ -n "$NETNS_WHY" ]; then
	for n in "$STALL_NAME" "$BULK_NAME" "$DOWN_NAME" "$CLOSED_NAME"; do
		need_netns "$n" || :
	done
	exit 0
fi

BULK_BYTES=6000000

oks() { count "$T/stall.log" ': connection ok$'; }

# probe_passes_after N: a 'connection ok' beyond the first N within 8 s.
probe_passes_after() { wait_for 8 at_least $(($1 + 1)) "$T/stall.log" ': connection ok$'; }

# settle: a probe passes now (SIGALRM); S1, DOWN0 and START0 are the ssh
# and the counts of 'port down' and 'starting ssh' lines from then on.
settle() {
	_st_n=$(oks)
	kill -ALRM "$A" 2>/dev/null || :
	if ! probe_passes_after "$_st_n" || ! first_ssh "$A"; then
		WHY="no healthy tunnel to start from"
		return 1
	fi
	S1=$SSH1
	DOWN0=$(count "$T/stall.log" 'port down')
	START0=$(count "$T/stall.log" ': starting ssh ')
}

# same_ssh: autossh still runs ssh S1 and never said 'port down' since settle.
same_ssh() {
	if [ "$(count "$T/stall.log" 'port down')" != "$DOWN0" ]; then
		WHY="a probe failed: 'port down'"
	elif [ "$(count "$T/stall.log" ': starting ssh ')" != "$START0" ]; then
		WHY="ssh was restarted"
	elif ! pid_alive "$S1" || [ "$(ssh_children "$A" | head -n 1)" != "$S1" ]; then
		WHY="ssh $S1 is gone"
	fi
	[ -z "$WHY" ]
}

# stall SECONDS_STOPPED SECONDS_BEFORE_PROBE: SIGSTOP ssh, ask for a probe
# (SIGALRM: a regular probe once ssh is proven) inside the stall, SIGCONT.
stall() {
	_s_n=$(oks)
	kill -STOP "$S1"
	sleep "$2"
	kill -ALRM "$A"
	sleep "$(awk -v a="$1" -v b="$2" 'BEGIN { printf "%.2f", a - b }')"
	kill -CONT "$S1"
	if ! probe_passes_after "$_s_n"; then
		WHY="no probe passed within 8 s of the end of a $1 s stall (probe at $2 s)"
	fi
	[ -z "$WHY" ] && same_ssh
}

# One autossh for the stall, bulk and link-down cases: -L BLP to a sink in
# the namespace that stores what it receives.
p=$(free_port)
blp=$(free_port)
sp=$(free_port)
ip netns exec "$NS" socat -u "TCP-LISTEN:$sp,bind=127.0.0.1,reuseaddr" "OPEN:$T/bulk.recv,creat,trunc" \
	</dev/null >/dev/null 2>>"$T/socat.log" &
SINK=$!
track_pid "$SINK"
bg_run AUTOSSH_LOGFILE="$T/stall.log" AUTOSSH_DEBUG=1 AUTOSSH_POLL=10 AUTOSSH_GATETIME=0 \
	"$AUTOSSH" -M "$p" -N -F "$SSH_CFG" -L "$blp:127.0.0.1:$sp" testhost >"$T/stall.out" 2>&1
A=$BG_PID
WHY=
if ! wait_for 15 at_least 1 "$T/stall.log" ': connection ok$'; then
	WHY="no probe passed within 15 s of the start"
else
	settle || :
fi

# ---- stalls of ssh

t0=$(now_ms)
if [ -z "$WHY" ]; then
	for s in "1.5 0.1" "1.5 0.7" "1.5 1.4" "3 0.2" "3 1.5" "3 2.8"; do
		# shellcheck disable=SC2086
		stall $s || break
	done
fi
if [ -z "$WHY" ] && ! log_has "$T/stall.log" 'not clean \(ssh stopped'; then
	WHY="no probe window was extended for a stopped ssh: the test did not test"
fi
echo "# stalls: $(($(now_ms) - t0)) ms, $(count "$T/stall.log" 'not clean \(ssh stopped') windows extended"
report "$STALL_NAME" "$T/stall.log"

# ---- bulk transfer over a slow link

# Whatever the stalls did, start from a healthy tunnel.
WHY=
settle || :
t0=$(now_ms)
if [ -z "$WHY" ]; then
	head -c "$BULK_BYTES" /dev/urandom >"$T/bulk.src"
	if ! tc qdisc add dev "$VETH" root tbf rate 4mbit burst 32kbit latency 400ms; then
		WHY="tc could not limit $VETH"
	else
		socat -u "OPEN:$T/bulk.src" "TCP:127.0.0.1:$blp" 2>>"$T/socat.log" &
		SENDER=$!
		track_pid "$SENDER"
		# A probe every 2 s until the sink has it all (~12 s at 4 Mbit/s).
		while pid_alive "$SINK" && [ $(($(now_ms) - t0)) -lt 40000 ]; do
			sleep 2
			kill -ALRM "$A" 2>/dev/null || :
		done
		if pid_alive "$SINK"; then
			WHY="the transfer did not end within 40 s ($(wc -c <"$T/bulk.recv" | tr -d ' ') bytes arrived)"
		elif ! wait "$SENDER"; then
			WHY="the sender failed (the tunnel broke?)"
		elif [ "$(sha256sum <"$T/bulk.src")" != "$(sha256sum <"$T/bulk.recv")" ]; then
			WHY="the data arrived damaged ($(wc -c <"$T/bulk.recv" | tr -d ' ') of $BULK_BYTES bytes)"
		fi
		tc qdisc del dev "$VETH" root 2>/dev/null || :
	fi
	[ -n "$WHY" ] || same_ssh || :
	if [ -z "$WHY" ] && ! log_has "$T/stall.log" 'not clean \(ssh busy'; then
		WHY="no probe window was extended for a busy ssh: the test did not test"
	fi
fi
echo "# bulk: $(($(now_ms) - t0)) ms, $(count "$T/stall.log" 'not clean \(ssh busy') windows extended"
report "$BULK_NAME" "$T/stall.log"

# ---- the link goes down

WHY=
settle || :
if [ -z "$WHY" ]; then
	t_down=$(now_ms)
	if ! ip netns exec "$NS" ip link set "$VETH_NS" down; then
		WHY="could not set $VETH_NS down"
	elif ! wait_for 25 at_least $((DOWN0 + 1)) "$T/stall.log" ': port down, restarting ssh$'; then
		WHY="no 'port down, restarting ssh' within 25 s of the link going down"
	else
		took=$(($(now_ms) - t_down))
		echo "# link down: 'port down' after $took ms"
		[ "$took" -le 14000 ] || WHY="'port down' came $took ms after the link went down, want <= 14000"
	fi
	ip netns exec "$NS" ip link set "$VETH_NS" up 2>/dev/null || :
fi
report "$DOWN_NAME" "$T/stall.log"
stop_autossh "$A"

# ---- ssh closes our connection while we wait for the loop

# Something already listens on the server's 127.0.0.1:P and closes each
# connection at once: ssh's -R P fails, and every probe's channel ends with
# ssh closing our connection.  T = 20 s: only the closed connection, not a
# timeout, can make the first regular probe (at 3 s) fail soon.
WHY=
p=$(free_port)
if ! _svc_start "$p" "$NS" "SYSTEM:true"; then
	WHY="could not occupy 127.0.0.1:$p in the namespace"
else
	t0=$(now_ms)
	bg_run AUTOSSH_LOGFILE="$T/closed.log" AUTOSSH_DEBUG=1 AUTOSSH_POLL=10 AUTOSSH_FIRST_POLL=3 \
		AUTOSSH_NET_TIMEOUT=20000 AUTOSSH_GATETIME=0 \
		"$AUTOSSH" -M "$p" -N -F "$SSH_CFG" testhost >"$T/closed.out" 2>&1
	A=$BG_PID
	if ! wait_log 12 "$T/closed.log" ': port down, restarting ssh$'; then
		WHY="no 'port down' within 12 s (T = 20 s): the probe waited for its timeout"
	else
		echo "# closed channel: 'port down' $(($(now_ms) - t0)) ms after the start"
		if log_has "$T/closed.log" 'timeout polling to accept read connection'; then
			WHY="a probe waited for its timeout"
		elif ! log_has "$T/closed.log" 'ssh closed the connection before it looped back'; then
			WHY="log lacks 'ssh closed the connection before it looped back'"
		fi
	fi
	stop_autossh "$A"
fi
report "$CLOSED_NAME" "$T/closed.log"
