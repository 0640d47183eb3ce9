#!/bin/sh
# t-systemd-real: contrib/autossh@.service under a real systemd. The
# machine's own systemd boots as PID 1 of a throwaway container
# (systemd-nspawn, root on a fresh tmpfs, /usr and /etc read-only from the
# host, only a loopback network); the binary under test and this test's temp
# dir are bound in. Inside: an sshd with its own keys, a target and an echo
# service on the container's loopback, the unit in /run/systemd/system with
# a drop-in per instance that points it at the bound binary and an
# environment file, and short restart and watchdog times (only where the
# shipped unit has a watchdog at all). Instances: "t" (-M 0) and "e" (an
# echo-mode monitor port). Needs root and systemd-nspawn (Debian:
# systemd-container); skipped otherwise.
#
# TEST_AUTOSSH_UNIT=FILE tests another unit file instead of the shipped one.
set -eu
# shellcheck source=tests/lib.sh disable=SC1091
. tests/lib.sh

name_all="systemd-real: all"
if [ "$(id -u)" != 0 ]; then
	skip "$name_all" "needs root (systemd-nspawn boots a container)"
	exit 0
fi
if ! command -v systemd-nspawn >/dev/null 2>&1 || ! command -v nsenter >/dev/null 2>&1; then
	skip "$name_all" "systemd-nspawn not installed (Debian: systemd-container)"
	exit 0
fi
if [ ! -x /usr/lib/systemd/systemd ] && [ ! -x /lib/systemd/systemd ]; then
	skip "$name_all" "no systemd on this machine to boot in a container"
	exit 0
fi

lib_init systemd-real
UNIT=${TEST_AUTOSSH_UNIT:-$TOP/contrib/autossh@.service}
C=/autossh-test          # $T as the container sees it
MACHINE=autossh-test-$$
NSPAWN_PID=
LEADER=
SSHD_PORT=2222
TARGET_PORT=7001
ECHO_PORT=7007

# ---------------------------------------------------------------- container

# in_ct CMD...: run CMD inside the container (its mount, pid and network view).
in_ct() { nsenter -t "$LEADER" -m -u -i -n -p -- "$@"; }

_find_leader() {
	LEADER=$(ps -o pid=,comm= --ppid "$NSPAWN_PID" 2>/dev/null | awk '$2 == "systemd" { print $1; exit }')
	[ -n "$LEADER" ]
}

_booted() {
	pid_alive "$NSPAWN_PID" || return 1
	_find_leader || return 1
	case $(in_ct systemctl is-system-running 2>/dev/null) in
	running | degraded) return 0 ;;
	esac
	return 1
}

# container_start: boot the container; 1 if it does not reach running/degraded.
container_start() {
	cp "$AUTOSSH" "$T/autossh"
	# --register=no and --keep-unit: no machined or system bus needed on
	# the host; --link-journal=no: the container shares the host's machine id.
	systemd-nspawn -q -D / --volatile=yes --bind-ro=/etc --private-network \
		--register=no --keep-unit --link-journal=no -M "$MACHINE" \
		--bind="$T:$C" -b systemd.firstboot=off systemd.show_status=false \
		</dev/null >"$T/nspawn.log" 2>&1 &
	NSPAWN_PID=$!
	track_pid "$NSPAWN_PID"
	wait_for 60 _booted
}

# container_stop: shut the container down (SIGTERM to nspawn is a clean
# poweroff), SIGKILL to it and its init if that takes too long.
container_stop() {
	[ -n "$NSPAWN_PID" ] || return 0
	kill -TERM "$NSPAWN_PID" 2>/dev/null || :
	if ! wait_gone 20 "$NSPAWN_PID"; then
		[ -z "$LEADER" ] || kill -KILL "$LEADER" 2>/dev/null || :
		kill -KILL "$NSPAWN_PID" 2>/dev/null || :
		wait_gone 5 "$NSPAWN_PID" || :
	fi
	wait "$NSPAWN_PID" 2>/dev/null || :
	[ -z "$LEADER" ] || wait_gone 5 "$LEADER" || :
	rmdir "/run/systemd/nspawn/propagate/$MACHINE" 2>/dev/null || :
	NSPAWN_PID=
}

trap 'container_stop; lib_cleanup' EXIT
trap 'container_stop; lib_cleanup; trap - EXIT; exit 130' INT
trap 'container_stop; lib_cleanup; trap - EXIT; exit 143' TERM
trap 'container_stop; lib_cleanup; trap - EXIT; exit 129' HUP

# ---------------------------------------------------------------- inside

_ct_listening() { [ -n "$(in_ct ss -Hltn "( sport = :$1 )" 2>/dev/null)" ]; }

# ct_service UNIT PORT CMD...: CMD as a transient service listening on PORT.
ct_service() {
	_cs_unit=$1
	_cs_port=$2
	shift 2
	in_ct systemd-run --quiet --unit="$_cs_unit" "$@" >>"$T/setup.log" 2>&1 &&
		wait_for 10 _ct_listening "$_cs_port"
}

setup_services() {
	ssh-keygen -q -t ed25519 -N '' -C testhost -f "$T/ssh_host_ed25519_key" &&
		ssh-keygen -q -t ed25519 -N '' -C testuser -f "$T/id_ed25519" || return 1
	cp "$T/id_ed25519.pub" "$T/authorized_keys"
	cat >"$T/sshd_config" <<EOF
ListenAddress 127.0.0.1
Port $SSHD_PORT
HostKey $C/ssh_host_ed25519_key
PidFile none
AuthorizedKeysFile $C/authorized_keys
PermitRootLogin prohibit-password
StrictModes no
PasswordAuthentication no
KbdInteractiveAuthentication no
UsePAM no
AllowTcpForwarding yes
UseDNS no
EOF
	# No LogLevel: ssh's "Permanently added" line must reach the journal.
	cat >"$T/ssh_config" <<EOF
Host testhost
	HostName 127.0.0.1
	Port $SSHD_PORT
	User root
	IdentityFile $C/id_ed25519
	IdentitiesOnly yes
	BatchMode yes
	ConnectTimeout 5
EOF
	in_ct mkdir -p /run/sshd /run/systemd/system || return 1
	ct_service autossh-test-sshd "$SSHD_PORT" /usr/sbin/sshd -D -e -f "$C/sshd_config" &&
		ct_service autossh-test-target "$TARGET_PORT" \
			socat "TCP-LISTEN:$TARGET_PORT,bind=127.0.0.1,reuseaddr,fork" "SYSTEM:echo hello-from-target" &&
		ct_service autossh-test-echo "$ECHO_PORT" \
			socat "TCP-LISTEN:$ECHO_PORT,bind=127.0.0.1,reuseaddr,fork" "SYSTEM:exec tee -a $C/echo.log"
}

# install_instance NAME TUNNEL_ARGS [VAR=VAL...]: the unit, and a drop-in
# for autossh@NAME: the environment file (the shipped path is under the
# read-only /etc), ExecStart on the bound binary, short restart and watchdog.
install_instance() {
	_ii=$1
	_ii_args=$2
	shift 2
	cp "$UNIT" "$T/autossh@.service"
	{
		printf 'TUNNEL_ARGS=%s\n' "$_ii_args"
		for _ii_v in "$@"; do printf '%s\n' "$_ii_v"; done
	} >"$T/env.$_ii"
	_ii_exec=$(sed -n 's|^ExecStart=[^ ]*autossh |ExecStart='"$C"'/autossh |p' "$UNIT")
	{
		printf '[Service]\nEnvironmentFile=\nEnvironmentFile=%s/env.%%i\n' "$C"
		printf 'ExecStart=\n%s\nRestartSec=1s\n' "$_ii_exec"
		grep -q '^WatchdogSec=' "$UNIT" && printf 'WatchdogSec=3s\n'
	} >"$T/dropin.conf"
	in_ct sh -c "cp $C/autossh@.service /run/systemd/system/ &&
		mkdir -p /run/systemd/system/autossh@$_ii.service.d &&
		cp $C/dropin.conf /run/systemd/system/autossh@$_ii.service.d/test.conf &&
		systemctl daemon-reload"
}

ssh_opts="-F $C/ssh_config -o ExitOnForwardFailure=yes \
-o UserKnownHostsFile=/var/lib/autossh/known_hosts -o StrictHostKeyChecking=accept-new"

# ---------------------------------------------------------------- probes

prop() { in_ct systemctl show -p "$2" --value "$1" 2>/dev/null || :; }
main_pid() { prop "autossh@$1" MainPID; }
ct_ssh_of() { in_ct pgrep -P "$1" -x ssh 2>/dev/null | head -n 1; }
ct_tunnel_ok() {
	[ "$(in_ct timeout 5 socat -T 3 -u "TCP:127.0.0.1:$1,connect-timeout=2" STDOUT 2>/dev/null)" = hello-from-target ]
}
status_key() { in_ct sed -n "s/^$2=//p" "/run/autossh/$1/status" 2>/dev/null || :; }

# ct_diag NAME: the instance's journal and status, for a failure.
ct_diag() {
	in_ct journalctl -q --no-pager -u "autossh@$1" -n 30 -o short-monotonic 2>&1 | sed 's/^/# /'
	in_ct systemctl status --no-pager "autossh@$1" 2>&1 | sed 's/^/# /' | head -n 15
}

# start_timed NAME: systemctl start; sets START_MS (how long it blocked).
start_timed() {
	_st_t0=$(now_ms)
	_st_rc=0
	in_ct timeout 30 systemctl start "autossh@$1" >"$T/start.$1" 2>&1 || _st_rc=$?
	START_MS=$(($(now_ms) - _st_t0))
	return "$_st_rc"
}

# ---------------------------------------------------------------- the shipped unit

WHY=
grep -qx 'Type=notify' "$UNIT" || WHY="no Type=notify line in $UNIT"
report "systemd-real: the unit is Type=notify"
WHY=
grep -Eq '^WatchdogSec=[1-9]' "$UNIT" || WHY="no WatchdogSec= line in $UNIT"
report "systemd-real: the unit sets WatchdogSec="

if ! container_start; then
	if [ -z "$LEADER" ] && ! pid_alive "$NSPAWN_PID"; then
		# nspawn gave up before starting init: this machine (e.g. an
		# unprivileged CI container) cannot run containers.
		skip "$name_all" "systemd-nspawn cannot start a container here: $(grep -v '^$' "$T/nspawn.log" | tail -n 1)"
	else
		not_ok "$name_all" "container did not boot within 60 s"
		diag "$T/nspawn.log"
	fi
	exit 0
fi
if ! setup_services; then
	not_ok "$name_all" "sshd or the test services did not start in the container"
	diag "$T/setup.log"
	exit 0
fi

# ---------------------------------------------------------------- t: -M 0

n="systemd-real: systemctl start returns once the tunnel carries traffic"
install_instance t "$ssh_opts -L 7101:127.0.0.1:$TARGET_PORT testhost" AUTOSSH_LOGLEVEL=7
WHY=
if ! start_timed t; then
	WHY="systemctl start failed: $(head -n 1 "$T/start.t")"
elif ! ct_tunnel_ok 7101; then
	# Checked once, right away: Type=notify means start waited for READY.
	WHY="no traffic through the tunnel when start returned (after $START_MS ms)"
fi
report "$n"
[ -z "$WHY" ] || ct_diag t

n="systemd-real: StatusText says connected; 0 restarts"
_status_is() { [ "$(prop autossh@t StatusText)" = "$1" ]; }
WHY=
wait_for 5 _status_is "connected; 0 restarts" || WHY="StatusText is '$(prop autossh@t StatusText)'"
report "$n"

n="systemd-real: kill -9 of ssh: unit stays active, new ssh, 1 restart"
WHY=
pid_t=$(main_pid t)
old_ssh=$(ct_ssh_of "$pid_t")
_new_ssh() {
	new_ssh=$(ct_ssh_of "$pid_t")
	[ -n "$new_ssh" ] && [ "$new_ssh" != "$old_ssh" ]
}
if [ -z "$old_ssh" ]; then
	WHY="no ssh below autossh (pid $pid_t in the container)"
else
	in_ct kill -KILL "$old_ssh"
	if ! wait_for 15 _new_ssh; then
		WHY="no new ssh within 15 s"
	elif ! wait_for 15 _status_is "connected; 1 restart"; then
		WHY="StatusText is '$(prop autossh@t StatusText)'"
	elif [ "$(prop autossh@t ActiveState)" != active ] || [ "$(main_pid t)" != "$pid_t" ]; then
		WHY="unit $(prop autossh@t ActiveState), main pid $(main_pid t) (was $pid_t)"
	elif ! wait_for 10 ct_tunnel_ok 7101; then
		WHY="no traffic through the new ssh"
	fi
fi
report "$n"
[ -z "$WHY" ] || ct_diag t

n="systemd-real: watchdog restarts a frozen autossh (SIGSTOP)"
WHY=
pid_t=$(main_pid t)
_replaced() {
	_r=$(main_pid t)
	[ -n "$_r" ] && [ "$_r" != 0 ] && [ "$_r" != "$pid_t" ] && [ "$(prop autossh@t ActiveState)" = active ]
}
in_ct kill -STOP "$pid_t"
if ! wait_for 20 _replaced; then
	WHY="main pid still $(main_pid t), state $(prop autossh@t ActiveState) 20 s after SIGSTOP"
	in_ct kill -CONT "$pid_t" 2>/dev/null || :
elif ! wait_for 10 ct_tunnel_ok 7101; then
	WHY="no traffic through the restarted unit"
fi
report "$n"
[ -z "$WHY" ] || ct_diag t

n="systemd-real: journal holds autossh's and ssh's lines at their priorities"
WHY=
jr() { in_ct journalctl -q --no-pager -u autossh@t -o cat "$@" 2>/dev/null; }
jr -p info..info >"$T/j.info"
jr -p debug..debug >"$T/j.debug"
jr >"$T/j.all"
if ! grep -q '^starting ssh (count 1)' "$T/j.info"; then
	WHY="no 'starting ssh (count 1)' at priority info"
elif ! grep -q '^ssh exited on signal 9, restarting ssh' "$T/j.info"; then
	WHY="no 'ssh exited on signal 9, restarting ssh' at priority info"
elif ! grep -q 'Permanently added' "$T/j.info"; then
	WHY="ssh's 'Permanently added' line not in the journal at info"
elif ! [ -s "$T/j.debug" ] || grep -q '^starting ssh' "$T/j.debug"; then
	WHY="autossh's debug lines missing or info lines at debug"
elif grep -q '^<[0-7]>' "$T/j.all"; then
	WHY="a '<N>' level prefix left in a message: $(grep -m 1 '^<[0-7]>' "$T/j.all")"
fi
report "$n" "$T/j.all"

n="systemd-real: systemctl stop ends inactive (not failed), ssh gone"
WHY=
pid_t=$(main_pid t)
ssh_t=$(ct_ssh_of "$pid_t")
rc=0
in_ct timeout 30 systemctl stop autossh@t >"$T/stop.t" 2>&1 || rc=$?
state=$(prop autossh@t ActiveState)
if [ "$rc" != 0 ]; then
	WHY="systemctl stop exited $rc: $(head -n 1 "$T/stop.t")"
elif [ "$state" != inactive ]; then
	WHY="state $state, result $(prop autossh@t Result)"
elif [ -n "$ssh_t" ] && in_ct kill -0 "$ssh_t" 2>/dev/null; then
	WHY="ssh $ssh_t still runs"
elif in_ct pgrep -x ssh >/dev/null 2>&1; then
	WHY="an ssh still runs in the container"
fi
report "$n"
[ -z "$WHY" ] || ct_diag t

# ---------------------------------------------------------------- e: echo mode

n="systemd-real: echo-mode monitor: READY only after the first probe passed"
install_instance e "-M 7200:$ECHO_PORT $ssh_opts -L 7102:127.0.0.1:$TARGET_PORT testhost"
WHY=
if ! start_timed e; then
	WHY="systemctl start failed: $(head -n 1 "$T/start.e")"
else
	# Read right away: the probe must have passed before start returned.
	probe_ok=$(status_key e last_probe_ok)
	case $probe_ok in
	'' | 0) WHY="last_probe_ok is '$probe_ok' when start returned (after $START_MS ms)" ;;
	*) grep -q . "$T/echo.log" 2>/dev/null || WHY="the echo service saw no probe" ;;
	esac
	[ -n "$WHY" ] || ct_tunnel_ok 7102 || WHY="no traffic through the tunnel"
fi
report "$n"
[ -z "$WHY" ] || ct_diag e

n="systemd-real: systemctl reload probes at once, same main pid"
WHY=
pid_e=$(main_pid e)
before=$(status_key e last_probe_ok)
_moved() {
	_m=$(status_key e last_probe_ok)
	[ -n "$_m" ] && [ "$_m" != "$before" ]
}
# last_probe_ok is in whole seconds: let the clock pass it first.
_next_second() { [ "$(date +%s)" -gt "${before:-0}" ]; }
wait_for 3 _next_second || :
if ! in_ct timeout 10 systemctl reload autossh@e >"$T/reload.e" 2>&1; then
	WHY="systemctl reload failed: $(head -n 1 "$T/reload.e")"
elif ! wait_for 5 _moved; then
	WHY="last_probe_ok stayed $before after reload"
elif [ "$(main_pid e)" != "$pid_e" ]; then
	WHY="main pid changed from $pid_e to $(main_pid e)"
fi
report "$n"
[ -z "$WHY" ] || ct_diag e

n="systemd-real: network watching active (status file watch=netlink...)"
watch=$(status_key e watch)
if ! in_ct grep -q '^watch=' /run/autossh/e/status 2>/dev/null; then
	skip "$n" "this autossh writes no watch= key"
else
	case $watch in
	netlink*) ok "$n" ;;
	*) not_ok "$n" "watch=$watch" ;;
	esac
fi

# ---------------------------------------------------------------- both: the fleet's view

n="systemd-real: two instances: autossh --list shows both, exit 0"
WHY=
_ct_list() {
	LIST_RC=0
	in_ct "$C/autossh" --list >"$T/list.out" 2>&1 || LIST_RC=$?
	[ "$LIST_RC" = 0 ] && grep -q '^t  *connected ' "$T/list.out" && grep -q '^e  *connected ' "$T/list.out"
}
if ! start_timed t; then
	WHY="systemctl start autossh@t failed: $(head -n 1 "$T/start.t")"
elif ! wait_for 10 _ct_list; then
	WHY="exit $LIST_RC: $(tr '\n' '|' <"$T/list.out")"
elif [ "$(wc -l <"$T/list.out")" != 2 ]; then
	WHY="$(wc -l <"$T/list.out") lines: $(tr '\n' '|' <"$T/list.out")"
fi
report "$n" "$T/list.out"

n="systemd-real: the unit's UMask=0077: an ordinary user's --list shows unreadable, exit 1"
WHY=
rc=0
in_ct sh -c "cp $C/autossh /tmp/autossh-list && chmod 755 /tmp/autossh-list" || :
in_ct setpriv --reuid=65534 --regid=65534 --clear-groups /tmp/autossh-list --list >"$T/list.nobody" 2>&1 || rc=$?
if [ "$rc" != 1 ] || [ "$(grep -c ' unreadable ' "$T/list.nobody")" != 2 ]; then
	WHY="exit $rc: $(tr '\n' '|' <"$T/list.nobody")"
fi
report "$n" "$T/list.nobody"

n="systemd-real: stopping one instance leaves the other's status file"
WHY=
in_ct timeout 30 systemctl stop autossh@t >/dev/null 2>&1 || :
if in_ct test -e /run/autossh/t/status; then
	WHY="t's status file is still there"
elif ! in_ct test -s /run/autossh/e/status; then
	WHY="e's status file is gone"
elif ! in_ct "$C/autossh" --list >"$T/list.out" 2>&1 || [ "$(wc -l <"$T/list.out")" != 1 ] ||
	! grep -q '^e  *connected ' "$T/list.out"; then
	WHY="--list: $(tr '\n' '|' <"$T/list.out")"
fi
report "$n" "$T/list.out"

in_ct timeout 30 systemctl stop autossh@e >/dev/null 2>&1 || :

# ---------------------------------------------------------------- cleanup

n="systemd-real: container, its processes and mounts gone afterwards"
leader=$LEADER
container_stop
WHY=
if pgrep -a systemd-nspawn | grep -q -- "$MACHINE"; then
	WHY="systemd-nspawn still runs"
elif pid_alive "$leader"; then
	WHY="the container's init ($leader) still runs"
elif findmnt -rn -o TARGET | grep -q -- "$MACHINE"; then
	WHY="mounts left: $(findmnt -rn -o TARGET | grep -- "$MACHINE" | head -n 1)"
elif [ -e "/run/systemd/nspawn/propagate/$MACHINE" ]; then
	WHY="/run/systemd/nspawn/propagate/$MACHINE left"
fi
report "$n" "$T/nspawn.log"
