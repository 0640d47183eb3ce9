#!/bin/sh
# t-netwatch: autossh acts on changes of the host's network (autossh(1)
# NETWORK CHANGES), against a real sshd in a network namespace. The
# settings are those where the old fallback needs a minute or more
# (ServerAliveInterval 60 x 3, AUTOSSH_POLL=600): the mechanism must bring
# "a new ssh, the `network changed` line, traffic again" within 20 s.
# The scenarios run side by side, each with its own namespace and sshd.
# Runs about 15 s (more on a loaded machine).
set -eu
# shellcheck source=tests/lib.sh disable=SC1091
. tests/lib.sh
# shellcheck source=tests/monitor-lib.sh disable=SC1091
. tests/monitor-lib.sh
lib_init netwatch

SA60="-o ServerAliveInterval=60 -o ServerAliveCountMax=3"

# ---------------------------------------------------------------- helpers

# tunnel NAME MONITOR EXTRA [VAR=VAL...]: autossh -M MONITOR -N, -L LP to
# the target in $NS (TP), EXTRA ssh options (split on blanks); log $T/a.log.
# Sets A and LP; waits up to 20 s for traffic (1 if none).
tunnel() {
	_tu_mon=$2
	_tu_extra=$3
	shift 3
	LP=$(free_port)
	LOG=$T/a.log
	# shellcheck disable=SC2086
	bg_run AUTOSSH_LOGFILE="$LOG" AUTOSSH_DEBUG=${TDEBUG:-} AUTOSSH_GATETIME=0 AUTOSSH_STATUSFILE="$T/status" "$@" \
		"$AUTOSSH" -M "$_tu_mon" -N -F "$SSH_CFG" $_tu_extra \
		-L "127.0.0.1:$LP:127.0.0.1:$TP" testhost >"$T/a.out" 2>&1
	A=$BG_PID
	wait_for 20 tunnel_ok "$LP"
}

# A new ssh (not $1) runs under autossh and the tunnel works through it.
_new_ssh_works() {
	_nsw=$(ssh_pid)
	[ -n "$_nsw" ] && [ "$_nsw" != "$1" ] && tunnel_ok "$LP"
}

# setup NAME: namespace sshd and target; prints skip / not ok and fails without.
setup() {
	netns_sshd_for "$1" || return 1
	TP=$(free_port)
	start_target "$TP" "$NS"
}

status_has() { grep -qx -- "$2" "$1" 2>/dev/null; }

# ---------------------------------------------------------------- address swapped

# swap_case NAME MONITOR EXTRA [VAR=VAL...]: the client's address is
# replaced; ssh must be restarted with the line, and carry traffic.
swap_case() {
	_sw_name=$1
	shift
	setup "$_sw_name" || return 0
	WHY=
	case $1 in
	*:*) start_echo "${1#*:}" "$NS" ;;
	esac
	if ! tunnel "$_sw_name" "$@" AUTOSSH_POLL=600; then
		WHY="tunnel never came up"
	else
		old=$(ssh_pid)
		swap_client_address || WHY="could not change the client's address"
		esc=$(re_escape "$(client_addr)")
		if [ -n "$WHY" ]; then
			:
		elif ! wait_for 20 _new_ssh_works "$old"; then
			WHY="no new working ssh within 20 s of the address change"
		elif ! log_has "$LOG" ": (network changed \(address $esc removed\)|port down), restarting ssh$"; then
			# Either line is true: the address went away, or the probe the
			# change triggered found the old connection dead first.
			WHY="no 'network changed (address $(client_addr) removed), restarting ssh' or 'port down, restarting ssh' line"
		fi
	fi
	report "$_sw_name" "$LOG"
	if [ -n "${CHECK_WATCH:-}" ]; then
		WHY=
		protos=$(netlink_protocols "$A" | sort | tr '\n' ' ')
		if [ "$protos" != "0 4 " ]; then
			WHY="netlink sockets of autossh: protocols '$protos', want route (0) and sock_diag (4)"
		elif ! status_has "$T/status" 'watch=netlink tcp'; then
			WHY="status file: $(grep '^watch=' "$T/status" 2>/dev/null || echo 'no watch key')"
		fi
		report "netwatch: -M 0 holds the route and inet_diag sockets, status says watch=netlink tcp" "$T/status"
	fi
	stop_autossh "$A"
}

# ---------------------------------------------------------------- link down, then up

# The link set down: ssh is restarted, the new one cannot connect, so the
# next start waits for the path (a test connect a second; on the 1.4g
# schedule with POLL 9000, 6 quick starts would make the wait 30 s).
link_case() {
	name="netwatch: link set down 12 s, then up: ssh restarted, the next start waits for the path, starts at once when it is up"
	setup "$name" || return 0
	WHY=
	if ! tunnel link 0 "$SA60 -o ConnectTimeout=1" AUTOSSH_POLL=9000; then
		WHY="tunnel never came up"
	else
		old=$(ssh_pid)
		ip link set "$VETH" down
		if ! wait_log 15 "$LOG" ': path to [^ ]+ down: ssh starts once a test connect completes$'; then
			WHY="no 'path to ... down: ssh starts once a test connect completes' line while the link was down"
		else
			sleep 10
			ip link set "$VETH" up
			if ! wait_for 5 _new_ssh_works "$old"; then
				WHY="no working ssh within 5 s of the link coming up"
			elif ! sed -n '/ssh starts once a test connect completes/,$p' "$LOG" | grep -q ': network changed: '; then
				WHY="no 'network changed: ...' line during the wait"
			elif ! log_has "$LOG" ': network changed \(link [^ ]+ down\), restarting ssh$'; then
				WHY="no 'network changed (link ... down), restarting ssh' line"
			fi
		fi
	fi
	report "$name" "$LOG"
	stop_autossh "$A"
}

# ---------------------------------------------------------------- no-op events

# 100 address changes on lo in one ip -batch run.
burst() {
	_bu_i=1
	while [ "$_bu_i" -le 50 ]; do
		printf 'addr add 127.77.%s.%s/32 dev lo\n' "$1" "$_bu_i"
		_bu_i=$((_bu_i + 1))
	done
	_bu_i=1
	while [ "$_bu_i" -le 50 ]; do
		printf 'addr del 127.77.%s.%s/32 dev lo\n' "$1" "$_bu_i"
		_bu_i=$((_bu_i + 1))
	done
}

noop_case() {
	name="netwatch: unrelated address and link changes, own address removed and re-added at once, a burst of 100: no restart, no extra start, few CPU ticks"
	setup "$name" || return 0
	WHY=
	x=${SSHD_ADDR%.*}
	x=${x##*.}
	other=vno$x-$$
	other=$(printf '%s' "$other" | cut -c1-15)
	if ! tunnel noop 0 "$SA60" AUTOSSH_POLL=600; then
		WHY="tunnel never came up"
	elif ! ip link add "$other" type veth peer name "${other}p"; then
		WHY="cannot add a second veth pair"
	else
		printf '%s\n' "$other" >>"$T/.lib/links"
		old=$(ssh_pid)
		c0=$(cpu_ticks "$A")
		ip addr add "10.233.$x.1/24" dev "$other"
		ip addr del "10.233.$x.1/24" dev "$other"
		printf 'addr del %s/30 dev %s\naddr add %s/30 dev %s\n' "$(client_addr)" "$VETH" \
			"$(client_addr)" "$VETH" | ip -batch -
		ip link set "$other" up
		ip link set "${other}p" up
		ip link set "$other" down
		burst "$x" | ip -batch -
		# Past the hold (1 s) and the repeat limit of the last events.
		sleep 3
		c1=$(cpu_ticks "$A")
		if [ "$(ssh_pid)" != "$old" ]; then
			WHY="ssh was restarted"
		elif log_has "$LOG" 'restarting ssh|starting ssh \(count 2\)'; then
			WHY="log: $(grep -E 'restarting ssh|starting ssh' "$LOG" | tail -n 1)"
		elif [ $((c1 - c0)) -gt 5 ]; then
			WHY="autossh used $((c1 - c0)) CPU ticks for the events, want at most 5"
		elif ! tunnel_ok "$LP"; then
			WHY="the tunnel no longer works"
		fi
	fi
	report "$name" "$LOG"
	stop_autossh "$A"
}

# ---------------------------------------------------------------- churn in a backoff wait

# A server that refuses, and 12 s of changes that leave the path to it
# alone (addresses on lo, a link of its own): each start fails as the last
# did, so none may come before its backoff wait ends. POLL=30 allows 13
# starts by then (9 quick ones, then waits of 1, 2, 3, 4 s).
churn_case() {
	name="netwatch: churn that leaves the path alone during backoff waits (refused server, 12 s): starts keep to the backoff schedule"
	setup "$name" || return 0
	WHY=
	x=${SSHD_ADDR%.*}
	x=${x##*.}
	other=vch$x-$$
	other=$(printf '%s' "$other" | cut -c1-15)
	LOG=$T/a.log
	bg_run AUTOSSH_LOGFILE="$LOG" AUTOSSH_DEBUG=1 AUTOSSH_GATETIME=0 AUTOSSH_POLL=30 \
		"$AUTOSSH" -M 0 -N -F "$SSH_CFG" -o Port="$(free_port)" testhost >"$T/a.out" 2>&1
	A=$BG_PID
	if ! ip link add "$other" type veth peer name "${other}p"; then
		WHY="cannot add a second veth pair"
	elif ! printf '%s\n' "$other" >>"$T/.lib/links" || ! wait_log 10 "$LOG" 'sleeping for grace time'; then
		WHY="no backoff wait within 10 s"
	else
		end=$(($(now_ms) + 12000))
		i=0
		while [ "$(now_ms)" -lt "$end" ]; do
			i=$((i % 200 + 1))
			printf 'addr add 127.78.%s.%s/32 dev lo\naddr del 127.78.%s.%s/32 dev lo\nlink set %s up\nlink set %s down\n' \
				"$x" "$i" "$x" "$i" "$other" "$other" | ip -batch -
			sleep 0.3
		done
		starts=$(grep -c 'starting ssh (count' "$LOG" || :)
		if [ "$starts" -gt 14 ]; then
			WHY="$starts starts in the first 12 s of backoff waits; the schedule allows 13"
			grep -E 'starting ssh|sleeping|network changed|exited' "$LOG" >"$T/starts.log"
		elif ! log_has "$LOG" 'the path to the server did not: the wait goes on'; then
			WHY="no debug line saying a change was seen and the wait goes on"
		fi
	fi
	report "$name" "$T/starts.log"
	stop_autossh "$A"
}

# ---------------------------------------------------------------- turned off

off_case() {
	name="netwatch: AUTOSSH_NETWATCH=0: no route socket, no 'network changed' line, status says watch=tcp"
	setup "$name" || return 0
	WHY=
	if ! tunnel off 0 "$SA60" AUTOSSH_NETWATCH=0 AUTOSSH_POLL=600; then
		WHY="tunnel never came up"
	else
		protos=$(netlink_protocols "$A" | tr '\n' ' ')
		case " $protos" in
		*" 0 "*) WHY="autossh holds a NETLINK_ROUTE socket (netlink protocols: $protos)" ;;
		esac
		if [ -z "$WHY" ] && ! status_has "$T/status" 'watch=tcp'; then
			WHY="status file: $(grep '^watch=' "$T/status" 2>/dev/null || echo 'no watch key'), want watch=tcp"
		fi
		if [ -z "$WHY" ]; then
			swap_client_address || WHY="could not change the client's address"
			sleep 4
			if log_has "$LOG" 'network changed'; then
				WHY="log: $(grep 'network changed' "$LOG" | head -n 1)"
			fi
		fi
	fi
	report "$name" "$LOG"
	stop_autossh "$A"
}

# ---------------------------------------------------------------- isolation

isolation_case() {
	name="netwatch: each scenario's client side runs in a network namespace of its own, not the host's"
	if [ "$(id -u)" != 0 ]; then
		skip "$name" "network namespaces need root"
		return 0
	fi
	WHY=
	mine=$(readlink /proc/self/ns/net)
	host=$(readlink /proc/1/ns/net 2>/dev/null || echo unknown)
	[ "$mine" != "$host" ] || WHY="the scenario runs in the host's namespace $host"
	report "$name"
}

# ---------------------------------------------------------------- the unit

name="netwatch: contrib/autossh@.service allows AF_NETLINK (route socket, inet_diag)"
if grep -Eq '^RestrictAddressFamilies=.*AF_NETLINK' "$TOP/contrib/autossh@.service"; then
	ok "$name"
else
	not_ok "$name" "$(grep '^RestrictAddressFamilies=' "$TOP/contrib/autossh@.service")"
fi

# ---------------------------------------------------------------- run

CHECK_WATCH=1 scenario swap0 swap_case \
	"netwatch: client address swapped under -M 0 with ServerAlive 60x3: new ssh, the line, traffic within 20 s" \
	0 "$SA60"
scenario swap0n swap_case \
	"netwatch: client address swapped under -M 0 without ServerAlive: new ssh, the line, traffic within 20 s" \
	0 ""
scenario swapP swap_case \
	"netwatch: client address swapped under -M P (loop), POLL=600: new ssh, the line, traffic within 20 s" \
	"$(free_port)" ""
scenario swapE swap_case \
	"netwatch: client address swapped under -M P:E (echo), POLL=600: new ssh, the line, traffic within 20 s" \
	"$(free_port):$(free_port)" ""
scenario link link_case
scenario noop noop_case
scenario churn churn_case
scenario off off_case
scenario isolation isolation_case
scenarios_wait
