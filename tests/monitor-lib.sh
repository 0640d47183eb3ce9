# shellcheck shell=sh
# tests/monitor-lib.sh: helpers shared by the monitor and network tests
# (POSIX sh, sourced after tests/lib.sh and lib_init).
#
#   count FILE REGEX         lines of FILE matching the ERE REGEX (0 if no file)
#   at_least N FILE REGEX    count FILE REGEX >= N
#   time_reached MS          now_ms >= MS (for wait_for)
#   tree_of PID...           the pids and all their descendants
#   freeze_sessions          SIGSTOP every server-side session (and children);
#                            the pids go to FROZEN
#   thaw_sessions            SIGCONT the FROZEN pids
#   kill_frozen              SIGKILL the FROZEN pids (server frees their ports)
#   ns_listens PORT          something listens on TCP PORT inside $NS
#   ns_tunnel_ok PORT        127.0.0.1:PORT inside $NS yields hello-from-target
#   new_ssh APID OLDPID      APID has a live ssh child other than OLDPID;
#                            sets NEW_SSH
#   first_ssh APID           APID has a live ssh child; sets SSH1
#   probe_in_flight APID P   APID holds an established connection to port P
#   stop_autossh PID         SIGTERM PID (our background child), wait <= 10 s
#   re_escape TEXT           TEXT with ERE metacharacters escaped
#   netns_sshd               start_sshd_netns; sets NETNS_WHY (empty if it runs)
#   need_netns NAME          without a namespace sshd: skip / not ok NAME, 1
#   ssh_pid                  the ssh autossh $A runs now
#   echo_ok PORT             a line sent to 127.0.0.1:PORT comes back
#   netns_sshd_for NAME      netns_sshd, tried again on a subnet clash; need_netns NAME
#   setup NAME               namespace sshd and an echo service on EP (skip/not ok, 1)
#   ssh_client_port          the local port of ssh's connection to the server
#   kill_flow / lift_flow    the server drops / again sends what it sends on
#                            ssh's connection only (new connections still work)

# Variables set here are for the sourcing script.
# shellcheck disable=SC2034

FROZEN=

count() {
	if [ -f "$1" ]; then
		grep -Ec -- "$2" "$1" || :
	else
		echo 0
	fi
}

at_least() { [ "$(count "$2" "$3")" -ge "$1" ]; }

time_reached() { [ "$(now_ms)" -ge "$1" ]; }

tree_of() {
	[ $# -gt 0 ] || return 0
	printf '%s\n' "$@"
	_descendants "$@"
}

freeze_sessions() {
	# shellcheck disable=SC2046
	FROZEN=$(tree_of $(sshd_sessions) | tr '\n' ' ')
	[ -n "$FROZEN" ] || return 1
	# shellcheck disable=SC2086
	kill -STOP $FROZEN
}

thaw_sessions() {
	[ -n "$FROZEN" ] || return 0
	# shellcheck disable=SC2086
	kill -CONT $FROZEN 2>/dev/null || :
}

kill_frozen() {
	[ -n "$FROZEN" ] || return 0
	# shellcheck disable=SC2086
	kill -KILL $FROZEN 2>/dev/null || :
	# shellcheck disable=SC2086
	kill -CONT $FROZEN 2>/dev/null || :
	FROZEN=
}

ns_listens() {
	[ -n "$(ip netns exec "$NS" ss -Hltn "( sport = :$1 )" 2>/dev/null)" ]
}

ns_tunnel_ok() {
	_nt_out=$(timeout 5 ip netns exec "$NS" socat -T 3 -u \
		"TCP:127.0.0.1:$1,connect-timeout=2" STDOUT 2>/dev/null) || :
	[ "$_nt_out" = hello-from-target ]
}

new_ssh() {
	NEW_SSH=$(ssh_children "$1" | grep -vx -- "$2" | head -n 1) || :
	[ -n "$NEW_SSH" ]
}

first_ssh() {
	SSH1=$(ssh_children "$1" | head -n 1)
	[ -n "$SSH1" ]
}

probe_in_flight() {
	ss -Htnp state established "( dport = :$2 )" 2>/dev/null | grep -q "pid=$1,"
}

stop_autossh() {
	kill -TERM "$1" 2>/dev/null || :
	wait_exit 10 "$1" || :
}

re_escape() {
	printf '%s' "$1" | sed 's/[][\.^$*+?(){}|/]/\\&/g'
}

# netns_sshd: start_sshd_netns; NETNS_WHY says why there is no namespace
# sshd (empty if there is one), netns_rc is its status (2: unavailable).
netns_sshd() {
	netns_rc=0
	start_sshd_netns || netns_rc=$?
	NETNS_WHY=
	if [ "$netns_rc" = 2 ]; then
		NETNS_WHY="network namespaces unavailable (need root and a working 'ip netns')"
	elif [ "$netns_rc" != 0 ]; then
		NETNS_WHY="sshd in a network namespace did not start"
	fi
}

# need_netns NAME: print skip / not ok and return 1 without a namespace sshd.
need_netns() {
	[ -n "$NETNS_WHY" ] || return 0
	if [ "$netns_rc" = 2 ]; then
		skip "$1" "$NETNS_WHY"
	else
		not_ok "$1" "$NETNS_WHY"
		diag "$T/sshd.log"
	fi
	return 1
}

# ---- one tunnel to a namespace sshd (t-tcp, t-outage, t-netwatch)

# ssh_pid: the ssh that autossh $A runs now.
ssh_pid() { ssh_children "$A" | head -n 1; }

# echo_ok PORT: a line sent to 127.0.0.1:PORT comes back.
echo_ok() {
	_eo=$(printf 'ping\n' | timeout 5 socat -T 3 - "TCP:127.0.0.1:$1,connect-timeout=2" 2>/dev/null) || :
	[ "$_eo" = ping ]
}

# netns_sshd_for NAME: netns_sshd, again if scenarios set up side by side
# picked the same free subnet; without one: skip / not ok NAME, 1.
netns_sshd_for() {
	for _su_try in 1 2 3 4 5; do
		netns_sshd
		[ "${netns_rc:-0}" = 2 ] || break
	done
	need_netns "$1"
}

# setup NAME: namespace sshd with an echo service on EP; skip / not ok without.
setup() {
	netns_sshd_for "$1" || return 1
	EP=$(free_port)
	start_echo "$EP" "$NS"
	ECHO_LOG=$T/echo.$EP.log
}

# ssh_client_port: the local port of ssh's connection to the server.
ssh_client_port() {
	ss -Htn state established "( dst $SSHD_ADDR and dport = :$SSHD_PORT )" 2>/dev/null |
		awk '{ n = split($(NF - 1), a, ":"); print a[n]; exit }'
}

# kill_flow: the server drops what it sends on ssh's connection only (a NAT
# that forgot it): new connections still work, so a restart helps.
kill_flow() {
	_kf_port=$(ssh_client_port)
	[ -n "$_kf_port" ] &&
		ip netns exec "$NS" ip rule add sport "$SSHD_PORT" dport "$_kf_port" table 201 &&
		ip netns exec "$NS" ip route add blackhole default table 201
}
lift_flow() { ip netns exec "$NS" ip route del blackhole default table 201 2>/dev/null || :; }
