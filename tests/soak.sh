#!/bin/sh
# tests/soak.sh: kill-and-restart cycles against one autossh, checking that
# nothing accumulates (README "Reliability"; `make soak`).
#
#   SOAK_CYCLES       cycles (default 1000)
#   SOAK_KILL_EVERY   every Nth cycle SIGKILLs ssh (the ssh-exit path and
#                     the backoff's count of quick restarts); the others send autossh
#                     SIGUSR1 (the stop path: SIGTERM, reap, start now)
#                     (default 50: 20 kills in 1000 cycles, so with POLL 1
#                     the backoff never waits, see below)
#   SOAK_HUP_EVERY    every Nth cycle also renames the log and sends SIGHUP
#                     (log reopen; default 10)
#   SOAK_NAME         name on the result lines (default "soak")
#
# ssh is tests/stub-ssh (runs until killed). AUTOSSH_GATETIME=0 and
# AUTOSSH_POLL=1: without monitoring POLL only drives the backoff, and with
# POLL 1 a start waits min(1, t*t/300) s, i.e. nothing until t = 18 (23
# quick SIGKILL restarts); SIGUSR1 restarts never wait (autossh(1) RESTARTS, SIGNALS).
#
# After a warm-up (every cycle kind once) and at the end it prints the open
# descriptor count, VmRSS and zombie children of autossh, and fails if
# descriptors or zombies grew, or RSS grew by more than SOAK_RSS_SLACK kB
# (default 64: allocator noise, not a leak per cycle). Prints one ok/not ok
# line for the cycles and one for the leak check.
set -eu
# shellcheck source=tests/lib.sh disable=SC1091
. tests/lib.sh
lib_init soak

CYCLES=${SOAK_CYCLES:-1000}
KILL_EVERY=${SOAK_KILL_EVERY:-50}
HUP_EVERY=${SOAK_HUP_EVERY:-10}
RSS_SLACK=${SOAK_RSS_SLACK:-64}
NAME=${SOAK_NAME:-soak}
LOG=$T/soak.log

rss_kb() { awk '$1 == "VmRSS:" { print $2 }' "/proc/$1/status"; }

# The live ssh child of autossh: the stub writes its pid as the first word
# of its STUB_LOG line before it settles.
current_ssh() { sed -n '$s/ .*//p' "$T/stub.log" 2>/dev/null; }

# wait_new_ssh OLD: until the stub log names a running ssh other than OLD
# (fast poll: this runs a thousand times). Sets SSH. 1 after 10 s.
wait_new_ssh() {
	_wn_end=$(($(now_ms) + 10000))
	while :; do
		SSH=$(current_ssh)
		if [ -n "$SSH" ] && [ "$SSH" != "$1" ] && [ -d "/proc/$SSH" ]; then
			return 0
		fi
		[ "$(now_ms)" -lt "$_wn_end" ] || return 1
		sleep 0.01
	done
}

# stats LABEL: print and remember fds, RSS and zombies of autossh.
stats() {
	wait_for 5 _no_zombies "$A" || :
	FDS=$(fd_baseline "$A")
	RSS=$(rss_kb "$A")
	ZOMBIES=$(zombie_count "$A")
	printf '# %s: %s descriptors, VmRSS %s kB, %s zombies (after %s cycles, %s ssh starts)\n' \
		"$1" "$FDS" "$RSS" "$ZOMBIES" "$CYCLE" "$(stub_runs "$T/stub.log")"
}

bg_run AUTOSSH_PATH="$STUB" STUB_LOG="$T/stub.log" AUTOSSH_GATETIME=0 AUTOSSH_POLL=1 \
	AUTOSSH_LOGFILE="$LOG" "$AUTOSSH" -M 0 soakhost >"$T/soak.out" 2>&1
A=$BG_PID
CYCLE=0
SSH=
if ! wait_new_ssh ""; then
	not_ok "$NAME: $CYCLES kill-and-restart cycles" "first ssh never started"
	not_ok "$NAME: no descriptor, memory or zombie growth" "no run"
	diag "$T/soak.out" "$LOG"
	exit 0
fi

# cycle N: one kill-and-restart; returns 1 (with WHY) if no new ssh came.
cycle() {
	_c_old=$SSH
	if [ "$HUP_EVERY" -gt 0 ] && [ $(($1 % HUP_EVERY)) = 0 ]; then
		mv "$LOG" "$LOG.$1"
		kill -HUP "$A"
	fi
	if [ "$KILL_EVERY" -gt 0 ] && [ $(($1 % KILL_EVERY)) = 0 ]; then
		kill -KILL "$_c_old" 2>/dev/null || :
	else
		kill -USR1 "$A"
	fi
	if ! wait_new_ssh "$_c_old"; then
		WHY="cycle $1: no new ssh within 10 s"
		return 1
	fi
	if ! pid_alive "$A"; then
		WHY="cycle $1: autossh died"
		return 1
	fi
}

WHY=
t0=$(now_ms)
# Warm-up: every kind of cycle once, so first-use allocations (stdio,
# syslog-free log paths, page faults) are in the baseline.
WARM=$((KILL_EVERY > HUP_EVERY ? KILL_EVERY : HUP_EVERY))
[ "$WARM" -le "$CYCLES" ] || WARM=$CYCLES
while [ "$CYCLE" -lt "$WARM" ]; do
	CYCLE=$((CYCLE + 1))
	cycle "$CYCLE" || break
done
stats start
FDS0=$FDS
RSS0=$RSS
Z0=$ZOMBIES
while [ -z "$WHY" ] && [ "$CYCLE" -lt "$CYCLES" ]; do
	CYCLE=$((CYCLE + 1))
	cycle "$CYCLE" || break
done
took=$(($(now_ms) - t0))
if [ -z "$WHY" ]; then
	stats end
	printf '# %s cycles in %s ms (%s ms each)\n' "$CYCLE" "$took" "$((took / (CYCLE > 0 ? CYCLE : 1)))"
fi

starts=$(stub_runs "$T/stub.log")
KILLS=0
[ "$KILL_EVERY" -le 0 ] || KILLS=$((CYCLES / KILL_EVERY))
if [ -n "$WHY" ]; then
	not_ok "$NAME: $CYCLES kill-and-restart cycles" "$WHY"
	diag "$LOG"
elif [ "$starts" != $((CYCLES + 1)) ]; then
	not_ok "$NAME: $CYCLES kill-and-restart cycles" "$starts ssh starts, want $((CYCLES + 1))"
elif [ "$(cat "$LOG"* | grep -c ': ssh exited on signal 9, restarting ssh$')" != "$KILLS" ]; then
	not_ok "$NAME: $CYCLES kill-and-restart cycles" "logs lack $KILLS 'ssh exited on signal 9' lines (log rotated by SIGHUP, all parts read)"
elif [ "$(cat "$LOG"* | grep -c ': signalled to kill and restart ssh$')" != $((CYCLES - KILLS)) ]; then
	not_ok "$NAME: $CYCLES kill-and-restart cycles" "logs lack $((CYCLES - KILLS)) 'signalled to kill and restart ssh' lines"
elif [ -s "$T/soak.out" ]; then
	not_ok "$NAME: $CYCLES kill-and-restart cycles" "autossh wrote to stdout/stderr: $(head -n 2 "$T/soak.out")"
else
	ok "$NAME: $CYCLES kill-and-restart cycles"
fi

if [ -n "$WHY" ]; then
	not_ok "$NAME: no descriptor, memory or zombie growth" "cycles did not complete"
elif [ "$FDS" -gt "$FDS0" ]; then
	not_ok "$NAME: no descriptor, memory or zombie growth" "descriptors $FDS0 -> $FDS: $(fd_list "$A")"
elif [ "$ZOMBIES" -gt "$Z0" ] || [ "$ZOMBIES" != 0 ]; then
	not_ok "$NAME: no descriptor, memory or zombie growth" "zombies $Z0 -> $ZOMBIES"
elif [ "$RSS" -gt $((RSS0 + RSS_SLACK)) ]; then
	not_ok "$NAME: no descriptor, memory or zombie growth" "VmRSS $RSS0 kB -> $RSS kB (slack $RSS_SLACK kB)"
else
	ok "$NAME: no descriptor, memory or zombie growth"
fi

kill -TERM "$A" 2>/dev/null || :
wait_exit 10 "$A" || :
