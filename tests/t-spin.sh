#!/bin/sh
# t-spin: autossh never spins. Its CPU time (utime + stime, clock ticks)
# is read over a 3 s window in every state: starting and early probing, a
# probe in flight with FIRST_POLL=1 and the server frozen, after SIGHUP and
# SIGALRM before and after ssh is proven, the backoff wait, stopping an ssh
# that ignores SIGTERM, and with descriptor 0, 1 or 2 closed at start
# (-f). At most 2 ticks per window: a loop that spins burns ~100 per
# second. The instances run side by side, so the whole script takes
# about as long as its slowest state. Uses tests/stub-ssh; a socat
# forwarder from P to P+1 stands in for ssh's loop where a probe must
# pass, a socat that accepts and never answers for a link that hangs.
set -eu
# shellcheck source=tests/lib.sh disable=SC1091
. tests/lib.sh
# shellcheck source=tests/monitor-lib.sh disable=SC1091
. tests/monitor-lib.sh
lib_init spin

MAX_TICKS=2
WINDOW_MS=3000
: >"$T/windows"

# window NAME PID: the 3 s window of state NAME starts now.
window() {
	printf '%s %s %s %s\n' "$(now_ms)" "$2" "$(cpu_ticks "$2" 2>/dev/null || echo -)" "$1" >>"$T/windows"
}

# fake_loop P: what ssh's two forwards do in loop mode, without ssh.
fake_loop() {
	socat "TCP-LISTEN:$1,bind=127.0.0.1,reuseaddr,fork" "TCP:127.0.0.1:$(($1 + 1))" \
		</dev/null >/dev/null 2>>"$T/socat.log" &
	track_pid "$!"
	wait_for 5 _listening "$1"
}

# black_hole P: accepts on P and never answers (a hung link behind ssh).
black_hole() {
	socat "TCP-LISTEN:$1,bind=127.0.0.1,reuseaddr,fork" SYSTEM:'sleep 60' \
		</dev/null >/dev/null 2>>"$T/socat.log" &
	track_pid "$!"
	wait_for 5 _listening "$1"
}

# launch NAME VAR=VAL... -- ARG...: autossh with the stub, debug log
# $T/NAME.log, gate off; sets A.
launch() {
	_l_n=$1
	shift
	_l_env=
	while [ "$1" != -- ]; do
		_l_env="$_l_env $1"
		shift
	done
	shift
	# shellcheck disable=SC2086
	bg_run AUTOSSH_PATH="$STUB" STUB_LOG="$T/$_l_n.stub" AUTOSSH_GATETIME=0 AUTOSSH_DEBUG=1 \
		AUTOSSH_LOGFILE="$T/$_l_n.log" $_l_env "$AUTOSSH" "$@" >/dev/null 2>&1
	A=$BG_PID
}

failed_setup() { not_ok "spin: $1" "$2"; }

# ---- the frozen server first: it needs sshd in a namespace (root)

netns_sshd
FROZEN_PID=
name="probe in flight, FIRST_POLL=1, server frozen"
if need_netns "spin: $name"; then
	p=$(free_port)
	bg_run AUTOSSH_LOGFILE="$T/frozen.log" AUTOSSH_DEBUG=1 AUTOSSH_FIRST_POLL=1 AUTOSSH_GATETIME=0 \
		"$AUTOSSH" -M "$p" -N -F "$SSH_CFG" testhost >/dev/null 2>&1
	FROZEN_PID=$BG_PID
	# Freeze as soon as ssh is in (its -L listener is up), before the
	# first probe at 1 s; the probe then hangs for T.
	if ! wait_for 5 _listening "$p"; then
		failed_setup "$name" "ssh's -L listener on $p never came up"
	elif ! freeze_sessions; then
		failed_setup "$name" "no server-side session to freeze"
	elif ! wait_for 5 probe_in_flight "$FROZEN_PID" "$p"; then
		failed_setup "$name" "no probe in flight within 5 s of the freeze"
		diag "$T/frozen.log"
	else
		window "$name" "$FROZEN_PID"
	fi
fi

# ---- the others, side by side

launch starting AUTOSSH_POLL=600 -- -M "$(free_port)" host
window "starting, early probes failing" "$A"

for tag in in out err all; do
	p=$(free_port)
	set -- AUTOSSH_PATH="$STUB" AUTOSSH_LOGFILE="$T/fd$tag.log" AUTOSSH_PIDFILE="$T/fd$tag.pid" \
		AUTOSSH_DEBUG=1 "$AUTOSSH" -f -M "$p" host
	case $tag in
	in) env "$@" <&- ;;
	out) env "$@" >&- ;;
	err) env "$@" 2>&- ;;
	all) env "$@" <&- >&- 2>&- ;;
	esac || :
	if ! wait_for 5 pidfile_pid "$T/fd$tag.pid" >/dev/null; then
		failed_setup "fd $tag closed at start (-f)" "no pidfile"
		continue
	fi
	b=$(pidfile_pid "$T/fd$tag.pid")
	track_pid "$b"
	fake_loop "$p" || :
	window "-f with fd(s) $tag closed at start" "$b"
done

# Before proof: the stub forwards nothing, so the first early probe (1 s)
# fails; then a black hole on P makes the signal's probe hang, across the
# next early probe's time (3 s).
for sig in HUP ALRM; do
	p=$(free_port)
	launch "before$sig" AUTOSSH_POLL=600 -- -M "$p" host
	eval "before_$sig=\$A before_port_$sig=\$p"
done
a=
for sig in HUP ALRM; do
	eval "a=\$before_$sig p=\$before_port_$sig"
	if ! wait_log 5 "$T/before$sig.log" 'early probe failed'; then
		failed_setup "SIG$sig before proof" "no early probe failed within 5 s"
	elif ! black_hole "$p"; then
		failed_setup "SIG$sig before proof" "black hole did not listen"
	else
		kill -s "$sig" "$a"
		window "SIG$sig before proof, its probe hanging" "$a"
	fi
done

# After proof: probes pass through the fake loop.
for sig in HUP ALRM; do
	p=$(free_port)
	launch "after$sig" AUTOSSH_POLL=600 -- -M "$p" host
	# Only once autossh has checked that P is free.
	if wait_for 5 log_has "$T/after$sig.stub" .; then
		fake_loop "$p" || :
	fi
	eval "after_$sig=\$A"
done
for sig in HUP ALRM; do
	eval "a=\$after_$sig"
	if ! wait_log 5 "$T/after$sig.log" 'ssh proven'; then
		failed_setup "SIG$sig after proof" "ssh not proven within 5 s"
	else
		kill -s "$sig" "$a"
		window "SIG$sig after proof" "$a"
	fi
done

# Stopping: an ssh that ignores SIGTERM keeps autossh stopping for 2 s.
launch stopping STUB_IGNORE_TERM=1 -- -M 0 host
stopping=$A
# Backoff: ssh exits 255 at once; after six quick starts the waits are
# 2 s, then 8 s (POLL 600).
launch backoff STUB_EXIT=255 AUTOSSH_POLL=600 -- -M 0 host
backoff=$A
if ! wait_for 5 log_has "$T/stopping.stub" .; then
	failed_setup "stopping" "ssh never started"
else
	kill -USR1 "$stopping"
	window "stopping an ssh that ignores SIGTERM" "$stopping"
fi
if ! wait_log 10 "$T/backoff.log" 'sleeping for grace time 8 secs'; then
	failed_setup "backoff" "no 8 s grace wait within 10 s"
else
	window "backoff wait" "$backoff"
fi

# ---- read every window at its end

while read -r start pid ticks0 state; do
	wait_for 10 time_reached $((start + WINDOW_MS)) || :
	ticks1=$(cpu_ticks "$pid" 2>/dev/null || echo -)
	name="spin: $state: at most $MAX_TICKS CPU ticks in 3 s"
	log=$(grep -l "\\[$pid\\]" "$T"/*.log 2>/dev/null | head -n 1) || :
	if [ "$ticks0" = - ] || [ "$ticks1" = - ]; then
		not_ok "$name" "autossh (pid $pid) is gone"
		diag "$log"
	elif [ $((ticks1 - ticks0)) -gt "$MAX_TICKS" ]; then
		not_ok "$name" "$((ticks1 - ticks0)) ticks"
		diag "$log"
	else
		ok "$name"
	fi
done <"$T/windows"
kill_frozen
