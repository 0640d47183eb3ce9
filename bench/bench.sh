#!/bin/sh
# bench/bench.sh (`make bench`): ./autossh side by side with autossh 1.4g.
#
# Runs ./autossh ("ours") and Debian's autossh 1.4g binary ("reference",
# /usr/lib/autossh/autossh, run as a black box) alternately against the same
# real sshd (tests/lib.sh) and prints one line per figure:
#
#     name  ours  reference  ratio  [goal verdicts]
#
# ours and reference are medians of BENCH_REPS samples (default 5), ratio is
# ours/reference; raw samples are on comment lines ("#"). Goals are printed
# as PASS/FAIL for information only: the script exits 0 whatever they say.
#
# Figures (times in ms, taken by bench/benchtool.c on one CLOCK_MONOTONIC):
#   floor_bare_ssh_start  a bare `ssh -N -L` started -> bytes through it
#   kill9_recovery_ms     `-M 0 -N -L`: ssh SIGKILLed -> bytes through again
#   stop_latency_ms       SIGTERM to autossh -> autossh and ssh both gone
#   hang_detect_ms        -M (loop mode, sshd in a netns; echo mode without
#                         netns), AUTOSSH_POLL=10: server session SIGSTOPped
#                         1 s after the tunnel is up -> a new ssh runs
#   hang_traffic_ms       same SIGSTOP -> bytes through again (the server is
#                         released with SIGCONT as soon as the new ssh runs)
#   hang_cpu_ticks        utime + stime of autossh over that hang_traffic_ms
#   idle_cpu_ticks_20s    healthy monitored tunnel, AUTOSSH_POLL=10: utime +
#                         stime of autossh over 20 s
#   idle_syscalls_10s     `strace -c -p` (autossh only, not ssh) over 10 s
#   idle_vmrss_kb, idle_vmhwm_kb   /proc/PID/status after the idle run
#   starts_in_60s         server refusing connections, AUTOSSH_GATETIME=0,
#                         AUTOSSH_POLL=30: ssh starts within 60 s of the first
#   schedule_follows_spec those start times match autossh(1) RESTARTS
#   stripped_size_bytes   a stripped copy of each binary
#   stall_restarts_1500ms, stall_restarts_3000ms   both binaries side by
#                         side, each with a monitored tunnel (AUTOSSH_POLL=10,
#                         T = 5 s) whose ssh is SIGSTOPped for 1.5 s (3 s)
#                         every 2 s (3.5 s) for 30 s, so most probes start
#                         inside a stall: ssh restarts counted (goal 0)
#   frozen_cpu_ticks_3s   AUTOSSH_FIRST_POLL=1, the server session frozen as
#                         soon as ssh listens (before it is proven): utime +
#                         stime of autossh over 3 s with the probe in flight
#                         (goal 0-1)
#   addr_change_m0_ms     -M 0 with ServerAlive 5x3, sshd in a netns: the
#                         client's old address removed (a new one already
#                         added, routes both ways) -> bytes through again
#   addr_change_mp_ms     the same in loop mode, AUTOSSH_POLL=10
#   link_up_traffic_ms    -M 0, ServerAlive 5x2, AUTOSSH_POLL=60: the link
#                         down for 60 s, then up -> bytes through again
#   list_100_files_ms     `autossh --list` over 100 status files (ours only)
#   (ours and the reference run side by side against one sshd and share each
#   fault; the idle figures above are taken with every watcher on)
#
# Outages (when a restart helps): -M 0, ServerAlive 5x3, sshd in a netns,
# both binaries side by side, each to its own sshd port; BENCH_NET_REPS
# repetitions (default 3, or BENCH_REPS if smaller) of the first three:
#   flow_dead_traffic_ms  the server blackholes one flow, ssh's (policy
#                         routing: ip rule sport/dport, blackhole table; new
#                         connections pass) -> bytes through again
#   blip4_sessions_lost, blip4_restarts   a connection through the tunnel
#                         to an echo service, a line every 0.2 s; the server
#                         drops all it sends to the client for 4 s: runs in
#                         which that connection no longer echoed 14 s after
#                         the return, ssh starts meanwhile (sums; goal 0)
#   blip8_sessions_lost, blip8_restarts   the same with 8 s
#   outage30_return_ms    the same drop for 30 s, tunnels idle -> bytes
#                         through again, from the return
#   refused10_ssh_starts  sshd stopped with its sessions for 10 s (the port
#                         refuses): ssh starts meanwhile
#   refused10_return_ms   then sshd back -> bytes through again
#   carrier_back_ms       AUTOSSH_POLL=60: the server's end of the link down
#                         for BENCH_CARRIER_SECS (default 60; the client's
#                         end loses carrier, its routes stay), then up ->
#                         bytes through again
#   quiet_sshd_conns      healthy idle tunnels for BENCH_QUIET_SECS (default
#                         60): connections sshd accepts (goal 0: no test
#                         connect on a healthy tunnel)
#
# Fleet: BENCH_FLEET_N (default 30) tunnels of one binary at a time, -M 0,
# ServerAlive 5x3, each its own -L to the target, one netns sshd with
# MaxStartups 10:30:100 (OpenSSH's default, set explicitly); each fault
# hits a settled fleet, every ssh up for BENCH_FLEET_SETTLE_SECS (default
# 61: past the schedule's reset at the default POLL); 3 to 4.5 minutes
# per binary (each episode is given at most 60 s):
#   fleet_bare_ssh_ms     once, before: BENCH_FLEET_N bare `ssh -N -L`
#                         started at once to an sshd without a MaxStartups
#                         limit -> all carry bytes (the machine's floor:
#                         each login costs a key exchange at both ends)
#   fleet_idle_ticks_30s, fleet_idle_wakeups_30s   utime + stime and
#                         context switches (voluntary and not, from
#                         /proc/PID/status) of the autossh processes over
#                         BENCH_FLEET_IDLE_SECS (default 30) that end 2 s
#                         before the first fault
#   fleet_addr_change_ms  the client's address changes under all (as
#                         addr_change_m0_ms) -> every tunnel carried bytes
#                         again
#   fleet_addr_starts, fleet_addr_drops   ssh starts from the fault until
#                         then; connections sshd's log says it dropped
#                         past MaxStartups
#   fleet_addr_up         tunnels that carried bytes within 60 s (all of
#                         them, unless fleet_addr_change_ms is missing)
#   fleet_addr_cpu_ticks  CPU ticks of the autossh processes meanwhile
#   fleet_sshd_back_ms, fleet_sshd_back_up, fleet_sshd_back_starts,
#   fleet_sshd_back_drops, fleet_sshd_back_cpu_ticks   the same when sshd
#                         is killed with its sessions and back after 10 s;
#                         the time from its return
#
# Environment: BENCH_REPS (default 5; 1 for a quick run), BENCH_REF (the
# reference binary), BENCH_POLL_MS (traffic polling interval, default 2),
# BENCH_DEBUG=1 (AUTOSSH_DEBUG=1 for the hang runs), BENCH_KEEP=DIR (copy the
# autossh logs and strace outputs there), BENCH_MODE=echo (echo mode instead
# of loop mode for the monitored figures), BENCH_ONLY="GROUP ..." (only these
# groups of figures: loopback, hang, idle, sched, stall, frozen, address,
# linkup, flow, blip, outage, refused, carrier, quiet, fleet, list; default all;
# BENCH_ONLY=size prints only the size figure, in a second). Run as root from
# the repository top (make bench); without root there is no netns (echo mode
# is used), nothing is installed and the netns groups are left out. About
# 25 minutes at BENCH_REPS=5 and 16 at BENCH_REPS=1 on a loaded 2-CPU
# machine: the outage groups take about 9 minutes (5 at BENCH_REPS=1), the
# fleet 3 to 4.5 per binary, the other groups 7 (2).
set -eu

cd "$(dirname "$0")/.."

# shellcheck source=tests/lib.sh disable=SC1091
. tests/lib.sh
lib_init bench

REPS=${BENCH_REPS:-5}
case $REPS in
'' | *[!0-9]* | 0)
	echo "bench: BENCH_REPS must be a positive number" >&2
	exit 1
	;;
esac
POLL_MS=${BENCH_POLL_MS:-2}
ONLY=" $(printf '%s' "${BENCH_ONLY:-all}" | tr ',' ' ') "

# want GROUP: BENCH_ONLY selects this group of figures.
want() {
	case $ONLY in
	*" all "* | *" $1 "*) return 0 ;;
	esac
	return 1
}
REF=${BENCH_REF:-/usr/lib/autossh/autossh}
IS_ROOT=
[ "$(id -u)" != 0 ] || IS_ROOT=1

note() { printf '# %s\n' "$*"; }

# ---------------------------------------------------------------- setup

# apt_install PACKAGE: install it if we are root and apt-get exists.
apt_install() {
	[ -n "$IS_ROOT" ] && command -v apt-get >/dev/null 2>&1 || return 1
	export DEBIAN_FRONTEND=noninteractive
	apt-get install -y -q "$1" >>"$T/apt.log" 2>&1 && return 0
	apt-get update -q >>"$T/apt.log" 2>&1 && apt-get install -y -q "$1" >>"$T/apt.log" 2>&1
}

if [ ! -x "$AUTOSSH" ]; then
	echo "bench: $AUTOSSH is not built; run 'make bench'" >&2
	exit 1
fi
[ -x "$REF" ] || [ -n "${BENCH_REF:-}" ] || apt_install autossh || :
HAVE_REF=
[ -x "$REF" ] && HAVE_REF=1
command -v strace >/dev/null 2>&1 || apt_install strace || :
HAVE_STRACE=
command -v strace >/dev/null 2>&1 && HAVE_STRACE=1

BT=$T/benchtool
if ! ${CC:-cc} -std=c99 -O2 -o "$BT" bench/benchtool.c 2>"$T/cc.log"; then
	echo "bench: cannot build bench/benchtool.c:" >&2
	cat "$T/cc.log" >&2
	exit 1
fi
ln -s "$BT" "$T/ssh-stamp"
SSH=$(command -v ssh)

cpu=$(sed -n 's/^model name[[:space:]]*:[[:space:]]*//p' /proc/cpuinfo 2>/dev/null | head -n 1)
note "machine: $(uname -m), ${cpu:-unknown CPU}, $(nproc) CPUs, Linux $(uname -r)"
note "ours: $AUTOSSH ($("$AUTOSSH" -V 2>&1 | head -n 1))"
if [ -n "$HAVE_REF" ]; then
	note "reference: $REF ($("$REF" -V 2>&1 | head -n 1))"
else
	note "reference: $REF not available; printing our figures alone"
fi
note "ssh: $("$SSH" -V 2>&1)"
note "BENCH_REPS=$REPS, traffic polled every $POLL_MS ms; both binaries get the same" \
	"environment (AUTOSSH_PATH=$SSH, AUTOSSH_GATETIME=0, ...)"
[ -n "$HAVE_STRACE" ] || note "strace not available: no syscall figures"

WHICH_LIST=ours
[ -z "$HAVE_REF" ] || WHICH_LIST="ours ref"

bin_of() {
	if [ "$1" = ours ]; then
		printf '%s\n' "$AUTOSSH"
	else
		printf '%s\n' "$REF"
	fi
}

# order REP: the binaries in the order of repetition REP (ABBA, so a drift
# in the machine's load hits both alike).
order() {
	if [ -z "$HAVE_REF" ]; then
		echo ours
	elif [ $(($1 % 2)) = 1 ]; then
		echo "ours ref"
	else
		echo "ref ours"
	fi
}

# add FIGURE WHICH VALUE: record one sample.
add() { printf '%s\n' "$3" >>"$T/s.$1.$2"; }

# failed FIGURE WHICH REP WHY: a sample that could not be taken.
failed() { printf '%s %s rep %s: %s\n' "$1" "$2" "$3" "$4" >>"$T/failures"; }

# stop_autossh PID: TERM it and wait (bounded) until it is gone and reaped.
stop_autossh() {
	kill -TERM "$1" 2>/dev/null || :
	if ! wait_exit 10 "$1"; then
		kill -KILL "$1" 2>/dev/null || :
		wait_exit 5 "$1" || :
	fi
}

# tunnel_ssh PID LP SECS: the ssh child of autossh PID once 127.0.0.1:LP
# carries traffic (within SECS s); nothing if it never does.
tunnel_ssh() {
	wait_for "$3" tunnel_ok "$2" && ssh_children "$1" | head -n 1
	return 0
}

# sleep_until MS: sleep until "$BT now" reaches MS.
sleep_until() {
	_su=$(awk -v end="$1" -v now="$("$BT" now)" 'BEGIN { d = (end - now) / 1000; printf "%.3f", (d > 0 ? d : 0) }')
	sleep "$_su"
}

# ---------------------------------------------------------------- loopback figures

# floor_sample REP: a bare ssh -N -L, started -> traffic.
floor_sample() {
	_fs_lp=$(free_port)
	_fs_v=$("$BT" spawn-traffic "$T/floor.pid" "$_fs_lp" "$POLL_MS" 15000 \
		"$SSH" -N -F "$SSH_CFG" -L "$_fs_lp:127.0.0.1:$TP" testhost 2>>"$T/benchtool.err") || _fs_v=
	_fs_p=$(pidfile_pid "$T/floor.pid") || _fs_p=
	if [ -n "$_fs_p" ]; then
		track_pid "$_fs_p"
		kill -TERM "$_fs_p" 2>/dev/null || :
		wait_gone 5 "$_fs_p" || :
	fi
	rm -f "$T/floor.pid"
	if [ -n "$_fs_v" ]; then
		add floor ours "$_fs_v"
	else
		failed floor_bare_ssh_start ssh "$1" "no traffic within 15 s"
	fi
}

# kill9_stop_sample WHICH REP: -M 0 tunnel; SIGKILL ssh -> traffic; then
# SIGTERM autossh -> autossh and ssh gone.
kill9_stop_sample() {
	_ks_lp=$(free_port)
	_ks_log=$T/kill9.$1.$2
	bg_run AUTOSSH_PATH="$SSH" AUTOSSH_GATETIME=0 AUTOSSH_LOGFILE="$_ks_log.log" \
		"$(bin_of "$1")" -M 0 -N -F "$SSH_CFG" -L "$_ks_lp:127.0.0.1:$TP" testhost \
		</dev/null >"$_ks_log.out" 2>&1
	_ks_a=$BG_PID
	_ks_s=$(tunnel_ssh "$_ks_a" "$_ks_lp" 15)
	if [ -z "$_ks_s" ]; then
		failed kill9_recovery_ms "$1" "$2" "tunnel never came up"
		stop_autossh "$_ks_a"
		return 0
	fi
	if _ks_v=$("$BT" kill-traffic "$_ks_s" 9 "$_ks_lp" "$POLL_MS" 15000 2>>"$T/benchtool.err"); then
		add kill9 "$1" "$_ks_v"
	else
		failed kill9_recovery_ms "$1" "$2" "no traffic within 15 s of the SIGKILL"
	fi
	_ks_s=$(tunnel_ssh "$_ks_a" "$_ks_lp" 10)
	if [ -z "$_ks_s" ]; then
		failed stop_latency_ms "$1" "$2" "no healthy tunnel to stop"
	elif _ks_v=$("$BT" term-gone 10000 "$_ks_a" "$_ks_s" 2>>"$T/benchtool.err"); then
		add stop "$1" "$_ks_v"
	else
		failed stop_latency_ms "$1" "$2" "autossh or ssh still there 10 s after SIGTERM"
	fi
	stop_autossh "$_ks_a"
}

# ---------------------------------------------------------------- monitored figures

# start_monitored NAME WHICH [VAR=VAL...]: monitored tunnel, AUTOSSH_POLL=10,
# local port $M_LP to the target; sets M_PID (autossh) and M_LP.
start_monitored() {
	_sm_name=$1
	_sm_which=$2
	shift 2
	M_LP=$(free_port)
	_sm_mp=$(free_port)
	if [ -n "$ECHO_PORT" ]; then
		_sm_mon=$_sm_mp:$ECHO_PORT
	else
		_sm_mon=$_sm_mp
	fi
	bg_run AUTOSSH_PATH="$SSH" AUTOSSH_GATETIME=0 AUTOSSH_POLL=10 \
		AUTOSSH_LOGFILE="$T/$_sm_name.log" "$@" \
		"$(bin_of "$_sm_which")" -M "$_sm_mon" -N -F "$SSH_CFG" -L "$M_LP:127.0.0.1:$MTP" testhost \
		</dev/null >"$T/$_sm_name.out" 2>&1
	M_PID=$BG_PID
	M_MP=$_sm_mp
}

# shellcheck disable=SC2317 # called through wait_for
no_sessions() { [ -z "$(sshd_sessions)" ]; }

# hang_sample WHICH REP: freeze the server side of a healthy monitored
# tunnel 1 s after it is up; time the new ssh and the traffic.
hang_sample() {
	_hs_dbg=BENCH_NO_DEBUG=1
	[ -z "${BENCH_DEBUG:-}" ] || _hs_dbg=AUTOSSH_DEBUG=1
	start_monitored "hang.$1.$2" "$1" "$_hs_dbg"
	_hs_a=$M_PID
	_hs_s=$(tunnel_ssh "$_hs_a" "$M_LP" 15)
	if [ -z "$_hs_s" ]; then
		failed hang_detect_ms "$1" "$2" "tunnel never came up"
		stop_autossh "$_hs_a"
		return 0
	fi
	# The measurement protocol: freeze 1 s after the tunnel is up.
	sleep 1
	_hs_sess=$(sshd_sessions | tr '\n' ' ')
	# shellcheck disable=SC2086
	_hs_all="$_hs_sess $(_descendants $_hs_sess | tr '\n' ' ')"
	_hs_c=$(cpu_ticks "$_hs_a")
	# shellcheck disable=SC2086
	if _hs_v=$("$BT" hang "$_hs_a" "$_hs_s" "$M_LP" "$POLL_MS" 60000 $_hs_all 2>>"$T/benchtool.err"); then
		add hang_detect "$1" "${_hs_v% *}"
		add hang_traffic "$1" "${_hs_v#* }"
		add hang_ticks "$1" $(($(cpu_ticks "$_hs_a") - _hs_c))
	elif [ -n "$_hs_v" ]; then
		add hang_detect "$1" "${_hs_v% *}"
		failed hang_traffic_ms "$1" "$2" "no traffic within 60 s"
	else
		failed hang_detect_ms "$1" "$2" "no new ssh within 60 s"
	fi
	stop_autossh "$_hs_a"
	wait_for 10 no_sessions || :
}

# ---------------------------------------------------------------- local stalls

STALL_RUN_MS=30000

# stall_rep REP SECONDS KEY: both binaries side by side, each with its own
# monitored tunnel; each one's ssh is SIGSTOPped for SECONDS every SECONDS
# + 0.5 s for 30 s, so most probes start inside a stall; then 6 s for a
# probe still in flight to end.  Sample: ssh starts beyond the first.
stall_rep() {
	_sr_up=
	for _sr_w in $WHICH_LIST; do
		start_monitored "stall.$3.$_sr_w.$1" "$_sr_w" AUTOSSH_DEBUG=1
		printf '%s\n' "$M_PID" >"$T/stall.$_sr_w.pid"
		if [ -n "$(tunnel_ssh "$M_PID" "$M_LP" 15)" ]; then
			_sr_up="$_sr_up $_sr_w"
		else
			failed "stall_restarts_$3" "$_sr_w" "$1" "tunnel never came up"
		fi
	done
	sleep 2 # past the first probes of each
	_sr_end=$(($("$BT" now | sed 's/\..*//') + STALL_RUN_MS))
	while [ "$("$BT" now | sed 's/\..*//')" -lt "$_sr_end" ]; do
		_sr_stopped=
		for _sr_w in $_sr_up; do
			_sr_s=$(ssh_children "$(cat "$T/stall.$_sr_w.pid")" | head -n 1)
			[ -z "$_sr_s" ] || _sr_stopped="$_sr_stopped $_sr_s"
		done
		# shellcheck disable=SC2086
		[ -z "$_sr_stopped" ] || kill -STOP $_sr_stopped 2>/dev/null || :
		sleep "$2"
		# shellcheck disable=SC2086
		[ -z "$_sr_stopped" ] || kill -CONT $_sr_stopped 2>/dev/null || :
		sleep 0.5
	done
	sleep 6
	for _sr_w in $_sr_up; do
		_sr_n=$(grep -c ': starting ssh (count' "$T/stall.$3.$_sr_w.$1.log" 2>/dev/null) || _sr_n=0
		add "stall$3" "$_sr_w" $((_sr_n > 0 ? _sr_n - 1 : 0))
		[ "$_sr_w" != ours ] || note "stall $2 s ours: $(grep -c 'not clean (ssh stopped' \
			"$T/stall.$3.$_sr_w.$1.log") probe windows extended by a stopped ssh"
	done
	for _sr_w in $WHICH_LIST; do
		stop_autossh "$(cat "$T/stall.$_sr_w.pid")"
	done
	wait_for 10 no_sessions || :
}

# frozen_cpu_sample WHICH REP: AUTOSSH_FIRST_POLL=1; the server session is
# frozen as soon as ssh listens, before a probe proves it; CPU ticks of
# autossh over 3 s while its probe is in flight.
frozen_cpu_sample() {
	start_monitored "frozen.$1.$2" "$1" AUTOSSH_FIRST_POLL=1
	_fc_a=$M_PID
	if ! wait_for 15 _listening "$M_LP"; then
		failed frozen_cpu_ticks_3s "$1" "$2" "ssh never listened"
		stop_autossh "$_fc_a"
		return 0
	fi
	_fc_sess=$(sshd_sessions | tr '\n' ' ')
	# shellcheck disable=SC2086
	_fc_all="$_fc_sess $(_descendants $_fc_sess | tr '\n' ' ')"
	# shellcheck disable=SC2086
	kill -STOP $_fc_all 2>/dev/null || :
	if wait_for 5 probe_in_flight "$_fc_a" "$M_MP"; then
		_fc_c=$(cpu_ticks "$_fc_a")
		sleep 3
		add frozen_ticks "$1" $(($(cpu_ticks "$_fc_a") - _fc_c))
	else
		failed frozen_cpu_ticks_3s "$1" "$2" "no probe in flight within 5 s"
	fi
	# shellcheck disable=SC2086
	kill -CONT $_fc_all 2>/dev/null || :
	stop_autossh "$_fc_a"
	wait_for 10 no_sessions || :
}

# shellcheck disable=SC2317 # called through wait_for
probe_in_flight() {
	ss -Htnp state established "( dport = :$2 )" 2>/dev/null | grep -q "pid=$1,"
}

# strace_total FILE: the calls column of strace -c's total line.
strace_total() { awk '$NF == "total" { print $4 }' "$1"; }

# strace_top FILE: "name calls" for each syscall, most called first.
strace_top() {
	awk '$1 ~ /^[0-9.]+$/ && $NF != "total" { print $4, $NF }' "$1" | sort -rn |
		awk '{ printf "%s%s %s", sep, $2, $1; sep = ", " } END { print "" }'
}

vm_kb() { awk -v k="$2:" '$1 == k { print $2 }' "/proc/$1/status"; }

# idle_rep REP: both binaries side by side (idle, they do not compete):
# strace -c over [15 s, 25 s] after the start (one probe at ~20 s), CPU ticks
# over [25 s, 45 s] (probes at ~30 s and ~40 s), then memory.
idle_rep() {
	_ir_t0=$("$BT" now)
	_ir_up=
	for _ir_w in $WHICH_LIST; do
		start_monitored "idle.$_ir_w.$1" "$_ir_w"
		printf '%s\n' "$M_PID" >"$T/idle.$_ir_w.pid"
		printf '%s\n' "$M_LP" >"$T/idle.$_ir_w.lp"
	done
	for _ir_w in $WHICH_LIST; do
		if wait_for 15 tunnel_ok "$(cat "$T/idle.$_ir_w.lp")"; then
			_ir_up="$_ir_up $_ir_w"
		else
			failed idle "$_ir_w" "$1" "tunnel never came up"
		fi
	done
	if [ -n "$HAVE_STRACE" ]; then
		sleep_until $((${_ir_t0%.*} + 15000))
		_ir_st=
		for _ir_w in $_ir_up; do
			timeout -s INT -k 5 10 strace -c -p "$(cat "$T/idle.$_ir_w.pid")" \
				-o "$T/strace.$_ir_w.$1" 2>/dev/null &
			_ir_st="$_ir_st $!"
			track_pid "$!"
		done
		for _ir_p in $_ir_st; do
			wait "$_ir_p" || :
		done
		for _ir_w in $_ir_up; do
			_ir_n=$(strace_total "$T/strace.$_ir_w.$1" 2>/dev/null) || _ir_n=
			if [ -n "$_ir_n" ]; then
				add syscalls "$_ir_w" "$_ir_n"
				printf '%s rep %s: %s\n' "$_ir_w" "$1" "$(strace_top "$T/strace.$_ir_w.$1")" \
					>>"$T/strace.summary"
			else
				failed idle_syscalls_10s "$_ir_w" "$1" "no strace summary"
			fi
		done
	fi
	sleep_until $((${_ir_t0%.*} + 25500))
	for _ir_w in $_ir_up; do
		cpu_ticks "$(cat "$T/idle.$_ir_w.pid")" >"$T/idle.$_ir_w.ticks"
	done
	sleep 20
	for _ir_w in $_ir_up; do
		_ir_a=$(cat "$T/idle.$_ir_w.pid")
		if pid_alive "$_ir_a"; then
			add ticks "$_ir_w" $(($(cpu_ticks "$_ir_a") - $(cat "$T/idle.$_ir_w.ticks")))
			add rss "$_ir_w" "$(vm_kb "$_ir_a" VmRSS)"
			add hwm "$_ir_w" "$(vm_kb "$_ir_a" VmHWM)"
		else
			failed idle "$_ir_w" "$1" "autossh exited"
		fi
	done
	for _ir_w in $WHICH_LIST; do
		stop_autossh "$(cat "$T/idle.$_ir_w.pid")"
	done
	wait_for 10 no_sessions || :
}

# ---------------------------------------------------------------- restart schedule

SCHED_POLL=30

# sched_start: both binaries against a port nobody listens on (connection
# refused, as with sshd stopped); ssh-stamp records each ssh start.
sched_start() {
	_ss_dp=$(free_port)
	cat >"$T/dead_config" <<EOF
Host testhost
	HostName 127.0.0.1
	Port $_ss_dp
	BatchMode yes
	StrictHostKeyChecking no
	UserKnownHostsFile /dev/null
	LogLevel ERROR
	ConnectTimeout 5
EOF
	SCHED_T0=$("$BT" now)
	SCHED_PIDS=
	for _ss_w in $WHICH_LIST; do
		bg_run BENCH_STAMP="$T/stamps.$_ss_w" BENCH_SSH="$SSH" AUTOSSH_PATH="$T/ssh-stamp" \
			AUTOSSH_GATETIME=0 AUTOSSH_POLL=$SCHED_POLL AUTOSSH_LOGFILE="$T/sched.$_ss_w.log" \
			"$(bin_of "$_ss_w")" -M 0 -N -F "$T/dead_config" testhost </dev/null >/dev/null 2>&1
		SCHED_PIDS="$SCHED_PIDS $BG_PID"
	done
	# Stop them after 61 s, whatever the main line is doing then.
	(
		sleep_until $((${SCHED_T0%.*} + 61000))
		for _ss_p in $SCHED_PIDS; do
			kill -TERM "$_ss_p" 2>/dev/null || :
		done
	) &
	track_pid "$!"
}

sched_stop() {
	sleep_until $((${SCHED_T0%.*} + 61000))
	for _sp in $SCHED_PIDS; do
		stop_autossh "$_sp"
	done
}

# sched_check STAMPS: one line "offsets;count;verdict" for the start times
# (ms after the first): count of starts within 60 s, and whether each gap is
# the wait autossh(1) RESTARTS gives (ssh here dies at once, so `tries` is start number - 1):
# at least the wait, at most 700 ms more.
sched_check() {
	awk -v poll="$SCHED_POLL" '
		NR == 1 { first = $1 }
		{
			off = $1 - first
			if (off >= 60000) next
			n++
			offs = offs sep sprintf("%d", off + 0.5); sep = " "
			if (n > 1) {
				t = (n - 1) - 5
				wait = t > 0 ? int(poll * t * t / 300) : 0
				if (wait > poll) wait = poll
				gap = off - prev
				if (bad == "" && (gap < wait * 1000 - 1 || gap > wait * 1000 + 700))
					bad = sprintf("start %d came %d ms after start %d, the man page says %d s", n, gap, n - 1, wait)
			}
			prev = off
		}
		END {
			if (n < 2) bad = "fewer than 2 starts"
			printf "%s;%d;%s\n", offs, n, bad == "" ? "yes" : "no (" bad ")"
		}' "$1"
}

# ---------------------------------------------------------------- network figures

# net_start: a fresh namespace sshd (the last one stopped) and a target in it.
net_start() {
	stop_sshd
	start_sshd_netns || return 1
	NTP=$(free_port)
	start_target "$NTP" "$NS"
	NEP=$(free_port)
	start_echo "$NEP" "$NS"
}

# net_port: a free port (P + 1 free too) below the ephemeral range, so
# that no outgoing connection (a traffic check, an ssh) takes it while a
# tunnel's ssh is restarting and binds it again.
net_port() {
	_np_lo=$(awk '{ print $1 }' /proc/sys/net/ipv4/ip_local_port_range 2>/dev/null) || _np_lo=
	case $_np_lo in
	'' | *[!0-9]*) _np_lo=32768 ;;
	esac
	[ "$_np_lo" -gt 12000 ] || {
		free_port
		return
	}
	_np_i=0
	while [ "$_np_i" -lt 200 ]; do
		_np_i=$((_np_i + 1))
		_np_p=$((10000 + $(od -An -N2 -tu2 /dev/urandom | tr -d ' ') % (_np_lo - 10002)))
		grep -qx -e "$_np_p" -e "$((_np_p + 1))" -e "$((_np_p - 1))" "$T/.lib/ports" && continue
		_port_used "$_np_p" && continue
		_port_used "$((_np_p + 1))" && continue
		printf '%s\n' "$_np_p" >>"$T/.lib/ports"
		printf '%s\n' "$_np_p"
		return 0
	done
	free_port
}

# net_tunnel KEY WHICH MONITOR EXTRA PORT [VAR=VAL...]: autossh WHICH with -L
# to PORT in the namespace; pid and local port in $T/net.KEY.WHICH.{pid,lp},
# its log in net.KEY.WHICH.log, ssh's stderr in net.KEY.WHICH.stderr.log.
net_tunnel() {
	_nt_key=$1
	_nt_w=$2
	_nt_mon=$3
	_nt_extra=$4
	_nt_port=$5
	shift 5
	_nt_lp=$(net_port)
	# shellcheck disable=SC2086
	bg_run AUTOSSH_PATH="$SSH" AUTOSSH_GATETIME=0 AUTOSSH_LOGFILE="$T/net.$_nt_key.$_nt_w.log" "$@" \
		"$(bin_of "$_nt_w")" -M "$_nt_mon" -N -F "$SSH_CFG" $_nt_extra \
		-L "$_nt_lp:127.0.0.1:$_nt_port" testhost </dev/null >/dev/null 2>"$T/net.$_nt_key.$_nt_w.stderr.log"
	printf '%s\n' "$BG_PID" >"$T/net.$_nt_key.$_nt_w.pid"
	printf '%s\n' "$_nt_lp" >"$T/net.$_nt_key.$_nt_w.lp"
}

net_pid() { cat "$T/net.$1.$2.pid"; }
net_lp() { cat "$T/net.$1.$2.lp"; }

# shellcheck disable=SC2317 # called through wait_for
_net_echo_ok() {
	_ne=$(printf 'ping\n' | timeout 5 socat -T 3 - "TCP:127.0.0.1:$1,connect-timeout=2" 2>/dev/null) || :
	[ "$_ne" = ping ]
}

# net_wait_up KEYS: every tunnel of KEYS carries traffic (15 s each), else a failure.
net_wait_up() {
	for _nw_k in $1; do
		for _nw_w in $WHICH_LIST; do
			wait_for 15 tunnel_ok "$(net_lp "$_nw_k" "$_nw_w")" && continue
			failed "$_nw_k" "$_nw_w" "${rep:-1}" "tunnel never came up"
		done
	done
}

# net_measure FIGURE KEY WHICH MODE START: in the background, the time from
# START to traffic (MODE traffic) or to a new ssh (MODE newchild).
net_measure() {
	_nm_pid=$(net_pid "$2" "$3")
	if [ "$4" = traffic ]; then
		"$BT" traffic-since "$5" "$(net_lp "$2" "$3")" "$POLL_MS" 120000 >"$T/nm.$1.$3" 2>>"$T/benchtool.err" &
	else
		"$BT" newchild-since "$5" "$_nm_pid" "$(cat "$T/net.$2.$3.ssh")" 120000 >"$T/nm.$1.$3" \
			2>>"$T/benchtool.err" &
	fi
	printf '%s\n' "$!" >>"$T/nm.pids"
}

# net_collect FIGURES: wait for the measurements, record the samples.
net_collect() {
	while read -r _nc_p; do
		wait "$_nc_p" || :
	done <"$T/nm.pids"
	rm -f "$T/nm.pids"
	for _nc_f in $1; do
		for _nc_w in $WHICH_LIST; do
			_nc_v=$(cat "$T/nm.$_nc_f.$_nc_w" 2>/dev/null) || _nc_v=
			rm -f "$T/nm.$_nc_f.$_nc_w"
			if [ -n "$_nc_v" ]; then
				add "$_nc_f" "$_nc_w" "$_nc_v"
			else
				failed "$_nc_f" "$_nc_w" "${rep:-1}" "no result within 120 s"
			fi
		done
	done
}

net_stop_all() {
	for _ns_f in "$T"/net.*.pid; do
		[ -f "$_ns_f" ] || continue
		stop_autossh "$(cat "$_ns_f")"
		rm -f "$_ns_f"
	done
}

# address_rep: -M 0 and loop-mode tunnels of both binaries; one address change.
address_rep() {
	net_start || return 0
	for _ar_w in $WHICH_LIST; do
		net_tunnel a0 "$_ar_w" 0 "-o ServerAliveInterval=5 -o ServerAliveCountMax=3" "$NTP"
		net_tunnel aP "$_ar_w" "$(free_port)" "" "$NTP" AUTOSSH_POLL=10
	done
	net_wait_up "a0 aP"
	sleep 2
	_ar_x=${SSHD_ADDR%.*}
	_ar_x=${_ar_x##*.}
	ip addr add "10.232.$_ar_x.1/32" dev "$VETH"
	ip route add "$SSHD_ADDR/32" dev "$VETH" src "10.232.$_ar_x.1"
	ip netns exec "$NS" ip route add "10.232.$_ar_x.1/32" dev "$VETH_NS"
	_ar_t0=$("$BT" now)
	ip addr del "${SSHD_ADDR%.*}.1/30" dev "$VETH"
	for _ar_w in $WHICH_LIST; do
		net_measure addr_m0 a0 "$_ar_w" traffic "$_ar_t0"
		net_measure addr_mp aP "$_ar_w" traffic "$_ar_t0"
	done
	net_collect "addr_m0 addr_mp"
	net_stop_all
}

# linkup_rep: -M 0 tunnels of both binaries; the link down 60 s, then up.
linkup_rep() {
	net_start || return 0
	for _lr_w in $WHICH_LIST; do
		net_tunnel lu "$_lr_w" 0 "-o ServerAliveInterval=5 -o ServerAliveCountMax=2" "$NTP" AUTOSSH_POLL=60
	done
	net_wait_up lu
	ip link set "$VETH" down
	sleep 60
	_lr_t0=$("$BT" now)
	ip link set "$VETH" up
	for _lr_w in $WHICH_LIST; do
		net_measure linkup lu "$_lr_w" traffic "$_lr_t0"
	done
	net_collect linkup
	net_stop_all
}

# ---------------------------------------------------------------- outages (-M 0, ServerAlive 5 x 3)

# These figures ask when a restart helps (autossh(1) TCP EVIDENCE, NETWORK
# CHANGES): a dead flow on a working path, a short blip of the whole path,
# a long outage, a refusing server, a carrier loss, an idle tunnel. Both
# binaries run side by side, -M 0 with ServerAlive 5 x 3, each to its own
# port of one namespace sshd, and share each fault.

OV_ALIVE="-o ServerAliveInterval=5 -o ServerAliveCountMax=3"
NET_REPS=${BENCH_NET_REPS:-$((REPS < 3 ? REPS : 3))}
CARRIER_SECS=${BENCH_CARRIER_SECS:-60}
QUIET_SECS=${BENCH_QUIET_SECS:-60}

# ov_start [SSHD_CONFIG_LINE...]: net_start, then sshd also listens on a
# port for the reference ($OV_PORT_OURS, $OV_PORT_REF); its log names the
# port of each connection ("Connection from A port N on B port P").
ov_start() {
	net_start || return 1
	OV_PORT_OURS=$SSHD_PORT
	OV_PORT_REF=$(free_port)
	printf 'Port %s\n' "$OV_PORT_REF" >>"$T/sshd_config"
	for _os_l in "$@"; do
		printf '%s\n' "$_os_l" >>"$T/sshd_config"
	done
	restart_sshd
}

# ov_end: the tunnels stopped, then sshd, the services and the namespace
# of ov_start removed (the veth pair goes with it).
ov_end() {
	net_stop_all
	stop_sshd
	# shellcheck disable=SC2046
	_kill_all $(ip netns pids "$NS" 2>/dev/null)
	ip netns delete "$NS" 2>/dev/null || :
}

ov_port() {
	if [ "$1" = ours ]; then
		printf '%s\n' "$OV_PORT_OURS"
	else
		printf '%s\n' "$OV_PORT_REF"
	fi
}

# ov_tunnel KEY WHICH SERVICE_PORT [VAR=VAL...]: -M 0, ServerAlive 5 x 3,
# to WHICH's sshd port.
ov_tunnel() {
	_ot_k=$1
	_ot_w=$2
	_ot_p=$3
	shift 3
	net_tunnel "$_ot_k" "$_ot_w" 0 "-p $(ov_port "$_ot_w") $OV_ALIVE" "$_ot_p" "$@"
}

# ov_wait_up KEY CHECK: OV_UP gets the binaries whose tunnel KEY passes
# CHECK (tunnel_ok or _net_echo_ok) within 15 s; the others are failures.
ov_wait_up() {
	OV_UP=
	for _ow_w in $WHICH_LIST; do
		if wait_for 15 "$2" "$(net_lp "$1" "$_ow_w")"; then
			OV_UP="$OV_UP $_ow_w"
		else
			failed "$1" "$_ow_w" "${rep:-1}" "tunnel never came up"
		fi
	done
}

# ov_starts KEY WHICH: "starting ssh" lines in that autossh's log so far.
ov_starts() {
	_os_n=$(grep -c ': starting ssh (count' "$T/net.$1.$2.log" 2>/dev/null) || :
	printf '%s\n' "${_os_n:-0}"
}

# ov_conns WHICH: connections sshd accepted on WHICH's port so far.
ov_conns() {
	_ocn=$(grep -c "Connection from .* on $SSHD_ADDR port $(ov_port "$1") " "$T/sshd.log" 2>/dev/null) || :
	printf '%s\n' "${_ocn:-0}"
}

# ov_client_port KEY WHICH: the local port of the ssh of tunnel KEY.
ov_client_port() {
	_oc_s=$(ssh_children "$(net_pid "$1" "$2")" | head -n 1)
	[ -n "$_oc_s" ] || return 1
	ss -Htnp state established "( dport = :$(ov_port "$2") )" 2>/dev/null |
		awk -v p="pid=$_oc_s," 'index($0, p) { n = split($3, a, ":"); print a[n]; exit }'
}

# flow_rep: each binary's ssh connection dies alone (server-side policy
# routing blackholes that one flow; new connections pass) -> traffic again.
flow_rep() {
	ov_start || return 0
	for _fr_w in $WHICH_LIST; do
		ov_tunnel fl "$_fr_w" "$NTP"
	done
	ov_wait_up fl tunnel_ok
	sleep 1
	_fr_t0=$("$BT" now)
	_fr_tab=100
	for _fr_w in $OV_UP; do
		_fr_tab=$((_fr_tab + 1))
		_fr_cp=$(ov_client_port fl "$_fr_w") || _fr_cp=
		if [ -z "$_fr_cp" ]; then
			failed flow "$_fr_w" "$rep" "no ssh connection found"
			continue
		fi
		ip netns exec "$NS" ip rule add sport "$(ov_port "$_fr_w")" dport "$_fr_cp" table "$_fr_tab"
		ip netns exec "$NS" ip route add blackhole default table "$_fr_tab"
		net_measure flow fl "$_fr_w" traffic "$_fr_t0"
	done
	[ ! -f "$T/nm.pids" ] || net_collect flow
	ov_end
}

# blip_rep SECONDS: a connection through each tunnel to the echo service,
# a line every 0.2 s; 2 s in, the server drops everything it sends to the
# client for SECONDS; 14 s after the path returns: is that connection still
# echoing, and how many ssh starts were there?
blip_rep() {
	ov_start || return 0
	for _bl_w in $WHICH_LIST; do
		ov_tunnel "bl$1" "$_bl_w" "$NEP"
	done
	ov_wait_up "bl$1" _net_echo_ok
	sleep 1
	: >"$T/blip.pids"
	for _bl_w in $OV_UP; do
		ov_starts "bl$1" "$_bl_w" >"$T/blip.$_bl_w.n0"
		"$BT" echo-session "$(net_lp "bl$1" "$_bl_w")" $((2 + $1 + 14)) >"$T/blip.$_bl_w.out" \
			2>>"$T/benchtool.err" &
		printf '%s\n' "$!" >>"$T/blip.pids"
		track_pid "$!"
	done
	sleep 2
	blackhole_client
	sleep "$1"
	lift_blackhole
	while read -r _bl_p; do
		wait "$_bl_p" || :
	done <"$T/blip.pids"
	for _bl_w in $OV_UP; do
		_bl_r=$(cat "$T/blip.$_bl_w.out")
		note "blip $1 s $_bl_w rep $rep: session $_bl_r"
		case $_bl_r in
		alive*) add "blip$1_lost" "$_bl_w" 0 ;;
		*) add "blip$1_lost" "$_bl_w" 1 ;;
		esac
		add "blip$1_restarts" "$_bl_w" $(($(ov_starts "bl$1" "$_bl_w") - $(cat "$T/blip.$_bl_w.n0")))
	done
	ov_end
}

# outage_rep: the server drops everything it sends to the client for 30 s
# (the tunnels idle), then the path returns -> traffic again.
outage_rep() {
	ov_start || return 0
	for _ou_w in $WHICH_LIST; do
		ov_tunnel ou "$_ou_w" "$NTP"
	done
	ov_wait_up ou tunnel_ok
	sleep 1
	blackhole_client
	sleep 30
	_ou_t0=$("$BT" now)
	lift_blackhole
	for _ou_w in $OV_UP; do
		net_measure outage ou "$_ou_w" traffic "$_ou_t0"
	done
	[ ! -f "$T/nm.pids" ] || net_collect outage
	ov_end
}

# refused_rep: sshd stopped with its sessions (the port refuses) for 10 s:
# ssh starts meanwhile; then sshd back -> traffic again.
refused_rep() {
	ov_start || return 0
	for _rf_w in $WHICH_LIST; do
		ov_tunnel rf "$_rf_w" "$NTP"
	done
	ov_wait_up rf tunnel_ok
	sleep 1
	for _rf_w in $OV_UP; do
		ov_starts rf "$_rf_w" >"$T/refused.$_rf_w.n0"
	done
	stop_sshd
	sleep 10
	for _rf_w in $OV_UP; do
		add refused_starts "$_rf_w" $(($(ov_starts rf "$_rf_w") - $(cat "$T/refused.$_rf_w.n0")))
	done
	_rf_t0=$("$BT" now)
	if ! _sshd_launch "$NS"; then
		failed refused_back ours "$rep" "sshd did not start again"
		ov_end
		return 0
	fi
	for _rf_w in $OV_UP; do
		net_measure refused_back rf "$_rf_w" traffic "$_rf_t0"
	done
	[ ! -f "$T/nm.pids" ] || net_collect refused_back
	ov_end
}

# carrier_rep: the server's end of the link down for CARRIER_SECS (the
# client's end loses carrier, its routes stay), then up -> traffic again.
carrier_rep() {
	ov_start || return 0
	for _ca_w in $WHICH_LIST; do
		ov_tunnel ca "$_ca_w" "$NTP" AUTOSSH_POLL=60
	done
	ov_wait_up ca tunnel_ok
	sleep 1
	ip netns exec "$NS" ip link set "$VETH_NS" down
	sleep "$CARRIER_SECS"
	_ca_t0=$("$BT" now)
	ip netns exec "$NS" ip link set "$VETH_NS" up
	for _ca_w in $OV_UP; do
		net_measure carrier ca "$_ca_w" traffic "$_ca_t0"
	done
	[ ! -f "$T/nm.pids" ] || net_collect carrier
	ov_end
}

# quiet_rep: healthy idle tunnels for QUIET_SECS: connections sshd accepts
# meanwhile (a test connect would be one).
quiet_rep() {
	ov_start || return 0
	for _qr_w in $WHICH_LIST; do
		ov_tunnel qi "$_qr_w" "$NTP"
	done
	ov_wait_up qi tunnel_ok
	sleep 2
	for _qr_w in $OV_UP; do
		ov_conns "$_qr_w" >"$T/quiet.$_qr_w.n0"
	done
	sleep "$QUIET_SECS"
	for _qr_w in $OV_UP; do
		add quiet_conns "$_qr_w" $(($(ov_conns "$_qr_w") - $(cat "$T/quiet.$_qr_w.n0")))
	done
	ov_end
}

# outage_phase: the groups above that BENCH_ONLY selects.
outage_phase() {
	rep=1
	while [ "$rep" -le "$NET_REPS" ]; do
		! want flow || flow_rep
		if want blip; then
			blip_rep 4
			blip_rep 8
		fi
		! want outage || outage_rep
		rep=$((rep + 1))
	done
	rep=1
	! want refused || refused_rep
	! want carrier || carrier_rep
	! want quiet || quiet_rep
}

# sum_of FILE: the sum of the samples, - if none.
sum_of() {
	if [ -s "$1" ]; then
		awk '{ s += $1 } END { print s + 0 }' "$1"
	else
		echo -
	fi
}

# sum_figure NAME KEY MAX: like figure, with the sums of the samples and
# the goal "sum <= MAX".
sum_figure() {
	_sm_o=$(sum_of "$T/s.$2.ours")
	_sm_r=-
	note "$1 ours: $(samples "$T/s.$2.ours")"
	if [ -n "$HAVE_REF" ]; then
		_sm_r=$(sum_of "$T/s.$2.ref")
		note "$1 reference: $(samples "$T/s.$2.ref")"
	fi
	printf '%-22s %9s %9s %6s   goal %s over %s runs: %s\n' "$1" "$_sm_o" "$_sm_r" - "$3" \
		"$(wc -l 2>/dev/null <"$T/s.$2.ours" | tr -d ' ' || echo 0)" "$(verdict "$_sm_o" "$3")"
}

# max_of KEY: our largest sample.
max_of() { [ -s "$T/s.$1.ours" ] && sort -n "$T/s.$1.ours" | tail -n 1 || echo -; }

outage_figures() {
	note "outages: -M 0, ServerAlive 5 x 3, both binaries side by side, each fault shared;" \
		"times in ms from the fault (flow) or from its end; BENCH_NET_REPS=$NET_REPS"
	! want flow || figure flow_dead_traffic_ms flow \
		"goal <= 4500 ms: $(verdict "$(median "$T/s.flow.ours")" 4500)"
	if want blip; then
		for _of_s in 4 8; do
			sum_figure "blip${_of_s}_sessions_lost" "blip${_of_s}_lost" 0
			sum_figure "blip${_of_s}_restarts" "blip${_of_s}_restarts" 0
		done
	fi
	! want outage || figure outage30_return_ms outage \
		"goal median <= 1000 ms: $(verdict "$(median "$T/s.outage.ours")" 1000), each <= 1500 ms: $(verdict "$(max_of outage)" 1500)"
	if want refused; then
		figure refused10_ssh_starts refused_starts "(beside 1.4g's)"
		figure refused10_return_ms refused_back
	fi
	! want carrier || figure carrier_back_ms carrier \
		"after ${CARRIER_SECS} s; goal <= 1500 ms: $(verdict "$(median "$T/s.carrier.ours")" 1500)"
	! want quiet || figure quiet_sshd_conns "quiet_conns" \
		"in ${QUIET_SECS} s; goal 0: $(verdict "$(median "$T/s.quiet_conns.ours")" 0)"
}

# ---------------------------------------------------------------- fleet (30 tunnels, one sshd)

FLEET_N=${BENCH_FLEET_N:-30}
FLEET_IDLE_SECS=${BENCH_FLEET_IDLE_SECS:-30}
FLEET_SETTLE_SECS=${BENCH_FLEET_SETTLE_SECS:-61}

# fleet_ports WHICH: the local ports of WHICH's fleet.
fleet_ports() {
	_fp_i=1
	while [ "$_fp_i" -le "$FLEET_N" ]; do
		net_lp "f$_fp_i" "$1"
		_fp_i=$((_fp_i + 1))
	done | tr '\n' ' '
}

# fleet_sum WHICH WHAT: the sum over WHICH's fleet of autossh's CPU ticks
# (WHAT=ticks), context switches (WHAT=switches) or "starting ssh" lines
# (WHAT=starts).
fleet_sum() {
	_fs_i=1
	_fs_n=0
	while [ "$_fs_i" -le "$FLEET_N" ]; do
		_fs_p=$(net_pid "f$_fs_i" "$1")
		case $2 in
		ticks) _fs_v=$(cpu_ticks "$_fs_p" 2>/dev/null) || _fs_v=0 ;;
		switches) _fs_v=$(awk '/ctxt_switches:/ { s += $2 } END { print s + 0 }' "/proc/$_fs_p/status" 2>/dev/null) || _fs_v=0 ;;
		starts) _fs_v=$(ov_starts "f$_fs_i" "$1") ;;
		esac
		_fs_n=$((_fs_n + ${_fs_v:-0}))
		_fs_i=$((_fs_i + 1))
	done
	printf '%s\n' "$_fs_n"
}

# fleet_drops FROM_LINE: connections sshd dropped for MaxStartups in its
# log after line FROM_LINE.
fleet_drops() {
	_fd_n=$(tail -n "+$(($1 + 1))" "$T/sshd.log" | grep -c -e 'past MaxStartups' -e 'Exceeded MaxStartups') || :
	printf '%s\n' "${_fd_n:-0}"
}

# fleet_episode FIGURE WHICH T0: time from T0 until all of the fleet carry
# traffic; starts and MaxStartups drops since fleet_mark.
fleet_episode() {
	[ -z "${BENCH_KEEP:-}" ] || note "$1 $2: from $3 (monotonic ms)"
	# shellcheck disable=SC2046
	if _fe_v=$("$BT" traffic-all-since "$3" 100 60000 $(fleet_ports "$2") 2>>"$T/benchtool.err"); then
		add "$1" "$2" "$_fe_v"
		add "$1_up" "$2" "$FLEET_N"
	else
		add "$1_up" "$2" "${_fe_v#- }"
		failed "$1" "$2" "${rep:-1}" "not all $FLEET_N tunnels carry traffic within 60 s (${_fe_v#- } did)"
	fi
	add "$1_starts" "$2" $(($(fleet_sum "$2" starts) - FLEET_S0))
	add "$1_drops" "$2" "$(fleet_drops "$FLEET_L0")"
	add "$1_ticks" "$2" $(($(fleet_sum "$2" ticks) - FLEET_C0))
}

fleet_mark() {
	FLEET_S0=$(fleet_sum "$1" starts)
	FLEET_C0=$(fleet_sum "$1" ticks)
	FLEET_L0=$(wc -l <"$T/sshd.log")
}

# fleet_floor: FLEET_N bare `ssh -N -L` started at once to an sshd without
# a MaxStartups limit -> all carry traffic: what the machine's CPUs allow
# (each login costs both ends a key exchange), whatever supervises them.
fleet_floor() {
	ov_start "MaxStartups 1000:30:1000" || return 0
	_ff_ports=
	_ff_i=1
	while [ "$_ff_i" -le "$FLEET_N" ]; do
		_ff_ports="$_ff_ports $(net_port)"
		_ff_i=$((_ff_i + 1))
	done
	_ff_t0=$("$BT" now)
	for _ff_p in $_ff_ports; do
		bg_run "$SSH" -N -F "$SSH_CFG" -p "$OV_PORT_OURS" -L "$_ff_p:127.0.0.1:$NTP" testhost </dev/null \
			>/dev/null 2>>"$T/fleet_floor.err"
		printf '%s\n' "$BG_PID" >>"$T/fleet_floor.pids"
	done
	# shellcheck disable=SC2086
	if _ff_v=$("$BT" traffic-all-since "$_ff_t0" 100 60000 $_ff_ports 2>>"$T/benchtool.err"); then
		add floor_fleet ours "$_ff_v"
	else
		failed fleet_floor ssh 1 "not all $FLEET_N bare ssh carry traffic within 60 s"
	fi
	# shellcheck disable=SC2046
	_kill_all $(cat "$T/fleet_floor.pids")
	rm -f "$T/fleet_floor.pids"
	ov_end
}

# fleet_settle SINCE_MS: sleep until FLEET_SETTLE_SECS after SINCE_MS, so
# that every ssh has run long enough for the restart schedule to start
# over (autossh(1) RESTARTS: a run of POLL / 10 s, at least 10 s, resets
# it; 60 s at the default POLL): each episode starts from a settled fleet.
fleet_settle() { sleep_until $((${1%.*} + FLEET_SETTLE_SECS * 1000)); }

# fleet_run WHICH: FLEET_N tunnels of one binary (-M 0, ServerAlive 5 x 3,
# each its own -L to the target) to one sshd with OpenSSH's default
# MaxStartups: idle cost; the client's address changes; sshd killed with
# its sessions and back after 10 s. Each fault hits a settled fleet.
fleet_run() {
	ov_start "MaxStartups 10:30:100" || return 0
	_fr_i=1
	while [ "$_fr_i" -le "$FLEET_N" ]; do
		# With BENCH_KEEP, ssh-stamp records each ssh start of the tunnel.
		if [ -n "${BENCH_KEEP:-}" ]; then
			ov_tunnel "f$_fr_i" "$1" "$NTP" BENCH_STAMP="$T/stamps.f$_fr_i.$1" BENCH_SSH="$SSH" \
				AUTOSSH_PATH="$T/ssh-stamp"
		else
			ov_tunnel "f$_fr_i" "$1" "$NTP"
		fi
		_fr_i=$((_fr_i + 1))
	done
	# shellcheck disable=SC2046
	if ! "$BT" traffic-all-since "$("$BT" now)" 100 60000 $(fleet_ports "$1") >/dev/null 2>>"$T/benchtool.err"; then
		failed fleet "$1" 1 "not all $FLEET_N tunnels came up within 60 s"
		ov_end
		return 0
	fi
	_fr_up=$("$BT" now)
	# The idle cost over the second half of the settling, the start-up
	# (drops past MaxStartups, retries) well behind.
	sleep_until $((${_fr_up%.*} + (FLEET_SETTLE_SECS - FLEET_IDLE_SECS) * 1000 - 2000))
	_fr_c=$(fleet_sum "$1" ticks)
	_fr_x=$(fleet_sum "$1" switches)
	sleep "$FLEET_IDLE_SECS"
	add fleet_idle_ticks "$1" $(($(fleet_sum "$1" ticks) - _fr_c))
	add fleet_idle_wakeups "$1" $(($(fleet_sum "$1" switches) - _fr_x))
	fleet_settle "$_fr_up"

	fleet_mark "$1"
	_fr_t0=$("$BT" now)
	swap_client_address || :
	fleet_episode fleet_addr "$1" "$_fr_t0"
	fleet_settle "$("$BT" now)"

	fleet_mark "$1"
	stop_sshd
	sleep 10
	_fr_t0=$("$BT" now)
	if _sshd_launch "$NS"; then
		fleet_episode fleet_back "$1" "$_fr_t0"
	else
		failed fleet_back "$1" 1 "sshd did not start again"
	fi
	ov_end
}

fleet_phase() {
	rep=1
	fleet_floor
	for _fl_w in $WHICH_LIST; do
		fleet_run "$_fl_w"
	done
}

fleet_figures() {
	note "fleet: $FLEET_N tunnels of one binary at a time (-M 0, ServerAlive 5 x 3), one sshd," \
		"MaxStartups 10:30:100; starts and sshd's MaxStartups drops in the episode"
	figure fleet_bare_ssh_ms floor_fleet "$FLEET_N bare ssh at once, no MaxStartups limit (the machine's floor)"
	figure fleet_addr_change_ms fleet_addr \
		"all $FLEET_N; goal <= 3000 ms: $(verdict "$(median "$T/s.fleet_addr.ours")" 3000)"
	figure fleet_addr_up fleet_addr_up "of $FLEET_N within 60 s"
	figure fleet_addr_starts fleet_addr_starts
	figure fleet_addr_drops fleet_addr_drops
	figure fleet_addr_cpu_ticks fleet_addr_ticks "autossh processes only, fault -> all traffic"
	figure fleet_sshd_back_ms fleet_back \
		"all $FLEET_N, from sshd's return; goal <= 5000 ms: $(verdict "$(median "$T/s.fleet_back.ours")" 5000)"
	figure fleet_sshd_back_up fleet_back_up "of $FLEET_N within 60 s"
	figure fleet_sshd_back_starts fleet_back_starts \
		"goal <= 150: $(verdict "$(median "$T/s.fleet_back_starts.ours")" 150)"
	figure fleet_sshd_back_drops fleet_back_drops
	figure fleet_sshd_back_cpu_ticks fleet_back_ticks "autossh processes only"
	figure "fleet_idle_ticks_${FLEET_IDLE_SECS}s" fleet_idle_ticks "autossh processes only; keep from growing"
	figure "fleet_idle_wakeups_${FLEET_IDLE_SECS}s" fleet_idle_wakeups "context switches; keep from growing"
}

# ---------------------------------------------------------------- report helpers

median() {
	[ -s "$1" ] || {
		echo -
		return 0
	}
	sort -n "$1" | awk '{ v[NR] = $1 }
		END { if (NR % 2) print v[(NR + 1) / 2]; else printf "%g\n", (v[NR / 2] + v[NR / 2 + 1]) / 2 }'
}

samples() {
	if [ -s "$1" ]; then
		tr '\n' ' ' <"$1" | sed 's/ $//'
	else
		echo none
	fi
}

ratio() {
	awk -v a="$1" -v b="$2" 'BEGIN {
		if (a ~ /^[0-9.]+$/ && b ~ /^[0-9.]+$/ && b + 0 > 0) printf "%.2f\n", a / b; else print "-" }'
}

# verdict A MAX: PASS if A <= MAX (numbers), n/a if either is missing.
verdict() {
	awk -v a="$1" -v m="$2" 'BEGIN {
		if (a !~ /^[0-9.]+$/ || m !~ /^[0-9.]+$/) print "n/a"; else print (a + 0 <= m + 0 ? "PASS" : "FAIL") }'
}

scaled() { awk -v a="$1" -v f="$2" 'BEGIN { if (a ~ /^[0-9.]+$/) printf "%.1f\n", a * f; else print "-" }'; }

# figure NAME KEY [GOAL]: raw samples as comments, then the figure line.
figure() {
	_fg_o=$(median "$T/s.$2.ours")
	_fg_r=-
	note "$1 ours: $(samples "$T/s.$2.ours")"
	if [ -n "$HAVE_REF" ] && [ "${2#floor}" = "$2" ]; then
		_fg_r=$(median "$T/s.$2.ref")
		note "$1 reference: $(samples "$T/s.$2.ref")"
	fi
	printf '%-22s %9s %9s %6s%s\n' "$1" "$_fg_o" "$_fg_r" "$(ratio "$_fg_o" "$_fg_r")" "${3:+   $3}"
}

# ratio_goal KEY MAX: "goal <= MAXx reference: VERDICT".
ratio_goal() {
	_rg_r=-
	[ -z "$HAVE_REF" ] || _rg_r=$(ratio "$(median "$T/s.$1.ours")" "$(median "$T/s.$1.ref")")
	printf 'goal <= %sx reference: %s' "$2" "$(verdict "$_rg_r" "$2")"
}

# zero_goal KEY MAX: "goal <= MAX (every sample): VERDICT" for our samples.
zero_goal() {
	_zg=n/a
	[ ! -s "$T/s.$1.ours" ] || _zg=$(verdict "$(sort -n "$T/s.$1.ours" | tail -n 1)" "$2")
	printf 'goal <= %s (every sample): %s' "$2" "$_zg"
}

stripped_size() {
	cp "$1" "$T/strip.$2"
	if strip "$T/strip.$2" 2>/dev/null; then
		wc -c <"$T/strip.$2" | tr -d ' '
	else
		echo -
	fi
}

loopback_figures() {
	floor=$(median "$T/s.floor.ours")
	figure floor_bare_ssh_start floor
	k9=$(median "$T/s.kill9.ours")
	figure kill9_recovery_ms kill9 \
		"$(ratio_goal kill9 1.05); goal <= 1.05x floor: $(verdict "$k9" "$(scaled "$floor" 1.05)")"
	figure stop_latency_ms stop "goal <= 10 ms: $(verdict "$(median "$T/s.stop.ours")" 10)"
}

# size_figure: the stripped default build beside 1.4g's; goal at most twice
# its size with every feature in (1.4g: 30784 bytes on Debian 12 amd64).
size_figure() {
	_sf_o=$(stripped_size "$AUTOSSH" ours)
	_sf_r=-
	[ -z "$HAVE_REF" ] || _sf_r=$(stripped_size "$REF" ref)
	_sf_ratio=$(ratio "$_sf_o" "$_sf_r")
	note "stripped_size_bytes: unstripped ours $(wc -c <"$AUTOSSH" | tr -d ' ')"
	printf '%-22s %9s %9s %6s   goal <= 2x reference: %s\n' stripped_size_bytes \
		"$_sf_o" "$_sf_r" "$_sf_ratio" "$(verdict "$_sf_ratio" 2)"
}

if [ "${BENCH_ONLY:-}" = size ]; then
	size_figure
	exit 0
fi

# ---------------------------------------------------------------- run

# Loopback phase: floor, SIGKILL recovery, stop latency.
start_sshd
TP=$(free_port)
start_target "$TP"
if want loopback; then
	floor_sample 0 # warm-up (first connection costs more), not counted
	rm -f "$T/s.floor.ours"
	rep=1
	while [ "$rep" -le "$REPS" ]; do
		floor_sample "$rep"
		for w in $(order "$rep"); do
			kill9_stop_sample "$w" "$rep"
		done
		rep=$((rep + 1))
	done
fi

if [ "${BENCH_ONLY:-}" = loopback ]; then
	echo
	note "name ours reference ratio [goals]; medians of $REPS; times in ms"
	loopback_figures
	exit 0
fi

# Monitored phase: loop mode needs the server's loopback apart from ours.
stop_sshd
ECHO_PORT=
MODE=loop
netns_rc=2
[ "${BENCH_MODE:-loop}" = echo ] || {
	netns_rc=0
	start_sshd_netns || netns_rc=$?
}
if [ "$netns_rc" = 0 ]; then
	MTP=$(free_port)
	start_target "$MTP" "$NS"
else
	[ "$netns_rc" = 2 ] || exit 1
	MODE="echo"
	start_sshd
	MTP=$TP
	ECHO_PORT=$(free_port)
	start_echo "$ECHO_PORT"
fi

# The restart schedule needs 60 s of waiting: it runs meanwhile, against a
# port of its own.
! want sched || sched_start
rep=1
while [ "$rep" -le "$REPS" ]; do
	for w in $(order "$rep"); do
		! want hang || hang_sample "$w" "$rep"
		! want frozen || frozen_cpu_sample "$w" "$rep"
	done
	if want stall; then
		stall_rep "$rep" 1.5 1500
		stall_rep "$rep" 3 3000
	fi
	! want idle || idle_rep "$rep"
	rep=$((rep + 1))
done
! want sched || sched_stop

# Network phase (needs root for the namespaces): both binaries side by side.
if [ -n "$IS_ROOT" ] && { want address || want linkup; }; then
	rep=1
	while [ "$rep" -le "$REPS" ]; do
		! want address || address_rep
		! want linkup || linkup_rep
		rep=$((rep + 1))
	done
fi
OUTAGE_GROUPS=
for g in flow blip outage refused carrier quiet; do
	! want "$g" || OUTAGE_GROUPS="$OUTAGE_GROUPS $g"
done
[ -z "$IS_ROOT" ] || [ -z "$OUTAGE_GROUPS" ] || outage_phase
[ -z "$IS_ROOT" ] || ! want fleet || fleet_phase

# ---------------------------------------------------------------- report

echo
note "name ours reference ratio [goals]; medians of $REPS; times in ms"
if [ -s "$T/failures" ]; then
	sed 's/^/# sample failed: /' "$T/failures"
fi

! want loopback || loopback_figures

if want hang; then
	note "hang: $MODE mode, AUTOSSH_POLL=10, server session SIGSTOPped 1 s after the tunnel is up," \
		"SIGCONTed when the new ssh runs; both figures from the SIGSTOP"
	figure hang_detect_ms hang_detect "$(ratio_goal hang_detect 0.72)"
	figure hang_traffic_ms hang_traffic
	figure hang_cpu_ticks hang_ticks
fi

if want stall; then
	note "stalls: $MODE mode, AUTOSSH_POLL=10 (T = 5 s), ssh SIGSTOPped 1.5 s every 2 s" \
		"(3 s every 3.5 s) for 30 s; ssh restarts"
	figure stall_restarts_1500ms stall1500 "$(zero_goal stall1500 0)"
	figure stall_restarts_3000ms stall3000 "$(zero_goal stall3000 0)"
fi
if want frozen; then
	note "frozen: AUTOSSH_FIRST_POLL=1, server frozen before ssh is proven, probe in flight"
	figure frozen_cpu_ticks_3s frozen_ticks "$(zero_goal frozen_ticks 1)"
fi

if want address || want linkup; then
	note "network: sshd in a namespace, both binaries side by side, each fault shared; times from the fault"
	! want address || figure addr_change_m0_ms addr_m0 "goal <= 2000 ms: $(verdict "$(median "$T/s.addr_m0.ours")" 2000)"
	! want address || figure addr_change_mp_ms addr_mp "goal <= 2500 ms: $(verdict "$(median "$T/s.addr_mp.ours")" 2500)"
	! want linkup || figure link_up_traffic_ms linkup "goal <= 1500 ms: $(verdict "$(median "$T/s.linkup.ours")" 1500)"
fi
[ -z "$IS_ROOT" ] || [ -z "$OUTAGE_GROUPS" ] || outage_figures
[ -z "$IS_ROOT" ] || ! want fleet || fleet_figures

if want idle; then
	note "idle: healthy $MODE-mode tunnel, AUTOSSH_POLL=10, every watcher on (route socket, TCP looks)"
	ticks_goal=FAIL
	[ -s "$T/s.ticks.ours" ] || ticks_goal=n/a
	[ "$(awk '{ s += $1 } END { print s + 0 }' "$T/s.ticks.ours" 2>/dev/null)" != 0 ] || ticks_goal=PASS
	figure idle_cpu_ticks_20s ticks "goal 0 ticks (every sample): $ticks_goal"
	if [ -n "$HAVE_STRACE" ]; then
		[ ! -s "$T/strace.summary" ] || sed 's/^/# strace -c /' "$T/strace.summary"
		figure idle_syscalls_10s syscalls "$(ratio_goal syscalls 1.5)"
	fi
	figure idle_vmrss_kb rss "$(ratio_goal rss 1.05)"
	figure idle_vmhwm_kb hwm
fi

if want sched; then
	note "restart schedule: connection refused, AUTOSSH_GATETIME=0, AUTOSSH_POLL=$SCHED_POLL;" \
		"ssh start times in ms after the first start"
	sched_o=
	sched_r=-
	for w in $WHICH_LIST; do
		if [ -s "$T/stamps.$w" ]; then
			res=$(sched_check "$T/stamps.$w")
		else
			res=";0;no (ssh never started)"
		fi
		logged=$(grep -c ': starting ssh (count' "$T/sched.$w.log" 2>/dev/null) || logged=0
		who=ours
		[ "$w" = ours ] || who=reference
		note "schedule $who: ${res%%;*}"
		note "schedule $who: $logged 'starting ssh' log lines in 61 s; follows autossh(1) RESTARTS: ${res##*;}"
		count=${res#*;}
		count=${count%%;*}
		ok=${res##*;}
		ok=${ok%% *}
		if [ "$w" = ours ]; then
			sched_o=$ok
			echo "$count" >"$T/s.starts.ours"
		else
			sched_r=$ok
			echo "$count" >"$T/s.starts.ref"
		fi
	done
	expected=$(seq 1 40 | awk -v p="$SCHED_POLL" '{
		t = $1 - 1 - 5; w = t > 0 ? int(p * t * t / 300) : 0; if (w > p) w = p
		at += ($1 > 1) ? w * 1000 : 0; if (at < 60000) n++ } END { print n }')
	note "autossh(1) RESTARTS with AUTOSSH_POLL=$SCHED_POLL: $expected starts in 60 s" \
		"(9 quick, then waits of 1 2 3 4 6 8 10 12 14 ... s)"
	figure starts_in_60s starts
	printf '%-22s %9s %9s %6s\n' schedule_follows_spec "$sched_o" "$sched_r" -
fi

size_figure

# list_100_files_ms: `autossh --list DIR` over 100 status files (NAME/status,
# each naming this live shell, so every pid is looked up): median of
# BENCH_REPS runs, goal < 50 ms (autossh(1) DESCRIPTION). Ours only.
list_figure() {
	_lf_dir=$T/list100
	_lf_start=$(sed 's/^.*) //' "/proc/$$/stat" | awk '{ print $20 }')
	for _lf_i in $(seq 1 100); do
		mkdir -p "$_lf_dir/t$_lf_i"
		printf 'state=connected\npid=%s\nssh_pid=0\nstarts=1\nsince=%s\nlast_probe_ok=%s\nmonitor=20000\npoll=600\nfirst_poll=600\nnet_timeout_ms=15000\nreason=\nname=t%s\nforwards=-L 80:a:80\nremote_ports=\npid_start=%s\n' \
			"$$" "$(date +%s)" "$(date +%s)" "$_lf_i" "$_lf_start" >"$_lf_dir/t$_lf_i/status"
	done
	for _lf_r in $(seq 1 "$REPS"); do
		_lf_t0=$("$BT" now)
		"$AUTOSSH" --list "$_lf_dir" >"$T/list100.out" || note "list_100_files_ms: rep $_lf_r exited $?"
		add list100 ours "$(awk -v a="$("$BT" now)" -v b="$_lf_t0" 'BEGIN { printf "%.1f\n", a - b }')"
	done
	[ "$(wc -l <"$T/list100.out")" = 100 ] || note "list_100_files_ms: $(wc -l <"$T/list100.out") lines, not 100"
	figure list_100_files_ms list100 "goal < 50 ms: $(verdict "$(median "$T/s.list100.ours")" 49.999)"
}
! want list || list_figure

if [ -n "${BENCH_KEEP:-}" ]; then
	mkdir -p "$BENCH_KEEP"
	cp "$T"/*.log "$BENCH_KEEP"/ 2>/dev/null || :
	cp "$T"/strace.* "$T"/stamps.* "$T"/benchtool.err "$BENCH_KEEP"/ 2>/dev/null || :
	note "logs copied to $BENCH_KEEP"
fi
exit 0
