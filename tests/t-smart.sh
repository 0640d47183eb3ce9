#!/bin/sh
# t-smart: the smarter monitor (autossh(1) MONITORING): AUTOSSH_MONITOR_ADDR
# (IPv6), backoff jitter, SIGHUP probing at once, ssh's stderr in the log with
# -f and the stale -R port explanation, the adaptive probe timeout. Real sshd
# in a network namespace where needed.
#
# SMART_PROBES=n sets how many probes the adaptive-timeout test runs
# (default 120, ~20 s; 1000 takes ~3 minutes).
set -eu
# shellcheck source=tests/lib.sh disable=SC1091
. tests/lib.sh
lib_init smart
# shellcheck source=tests/monitor-lib.sh disable=SC1091
. tests/monitor-lib.sh

STAMP=$TOP/tests/monitor-stamp-ssh
[ -x "$STAMP" ] || chmod +x "$STAMP" 2>/dev/null || :

# ---------------------------------------------------------------- MONITOR_ADDR (stub)

p=$(free_port)
args_case "monitor addr: ::1 in loop mode gives -L [::1]:P:[::1]:P -R P:[::1]:P+1" \
	"$(quote_args -N -L "[::1]:$p:[::1]:$p" -R "$p:[::1]:$((p + 1))" -o ControlMaster=no -o ControlPath=none testhost)" \
	AUTOSSH_MONITOR_ADDR=::1 -- -N -M "$p" testhost

p=$(free_port)
e=$(free_port)
args_case "monitor addr: ::1 in echo mode gives -L [::1]:P:[::1]:E" \
	"$(quote_args -N -L "[::1]:$p:[::1]:$e" -o ControlMaster=no -o ControlPath=none testhost)" \
	AUTOSSH_MONITOR_ADDR=::1 -- -N -M "$p:$e" testhost

p=$(free_port)
args_case "monitor addr: 127.0.0.2 is accepted and used in the forwards" \
	"$(quote_args -L "127.0.0.2:$p:127.0.0.2:$p" -R "$p:127.0.0.2:$((p + 1))" -N -o ControlMaster=no -o ControlPath=none testhost)" \
	AUTOSSH_MONITOR_ADDR=127.0.0.2 -- -M "$p" -N testhost

name="monitor addr: non-loopback or bad values are rejected (exit 1, one line, no ssh)"
why=
p=$(free_port)
for v in 10.0.0.1 foo ::2 0.0.0.0 '[::1]' 127.0.0.1x; do
	rm -f "$T/badaddr.stub"
	bg_run AUTOSSH_PATH="$STUB" STUB_LOG="$T/badaddr.stub" AUTOSSH_GATETIME=0 \
		AUTOSSH_MONITOR_ADDR="$v" "$AUTOSSH" -M "$p" -N testhost >"$T/badaddr.out" 2>"$T/badaddr.err"
	if ! wait_exit 5 "$BG_PID"; then
		why="AUTOSSH_MONITOR_ADDR=$v: autossh still runs after 5 s"
		stop_autossh "$BG_PID"
		break
	fi
	err=$(cat "$T/badaddr.err")
	case $err in
	"autossh: AUTOSSH_MONITOR_ADDR: invalid value \"$v\" ("*")") ;;
	*)
		why="AUTOSSH_MONITOR_ADDR=$v: stderr [$(printf '%s' "$err" | tr '\n' '|')]"
		break
		;;
	esac
	if [ "$EXIT_STATUS" != 1 ]; then
		why="AUTOSSH_MONITOR_ADDR=$v: exit status $EXIT_STATUS, want 1"
	elif [ "$(printf '%s\n' "$err" | wc -l)" != 1 ]; then
		why="AUTOSSH_MONITOR_ADDR=$v: more than one line on stderr"
	elif [ -e "$T/badaddr.stub" ]; then
		why="AUTOSSH_MONITOR_ADDR=$v: ssh was started"
	fi
	[ -z "$why" ] || break
done
if [ -n "$why" ]; then not_ok "$name" "$why"; else ok "$name"; fi

# ---------------------------------------------------------------- jitter

# An ssh that exits 255 at once, POLL 10 (min_up 10 s): starts 1-11 are
# quick, then the grace waits are 1, 1, 2, 2, 3 s (autossh(1) RESTARTS: POLL·t²/300 for
# t = 6..10). With AUTOSSH_JITTER=50 each wait must lie in [0.5, 1.5] × its
# un-jittered value (AUTOSSH_JITTER in autossh(1) ENVIRONMENT). Four autosshs give 20 waits in ~15 s. A wait is
# measured from one ssh's start to the next one's: never shorter than the
# wait, longer by the restart overhead (allowed: the longest quick restart
# seen + 200 ms).
name="jitter: AUTOSSH_JITTER=50 spreads each backoff wait within [0.5, 1.5] x its value"
jit_pids=
for i in 1 2 3 4; do
	bg_run AUTOSSH_PATH="$STAMP" STAMP_LOG="$T/jit.$i.stamps" AUTOSSH_LOGFILE="$T/jit.$i.log" \
		AUTOSSH_DEBUG=1 AUTOSSH_POLL=10 AUTOSSH_JITTER=50 AUTOSSH_GATETIME=0 \
		"$AUTOSSH" -M 0 testhost >"$T/jit.$i.out" 2>&1
	jit_pids="$jit_pids $BG_PID"
done
_jit_done() {
	for _jd_i in 1 2 3 4; do
		[ "$(count "$T/jit.$_jd_i.stamps" .)" -ge 16 ] || return 1
	done
}
jit_ok=1
wait_for 40 _jit_done || jit_ok=
for a in $jit_pids; do
	stop_autossh "$a"
done
if [ -z "$jit_ok" ]; then
	not_ok "$name" "fewer than 16 ssh starts per autossh in 40 s"
	diag "$T/jit.1.log"
else
	# "nominal measured_ms" per grace wait, from the log (the un-jittered
	# value after 'starting ssh (count k)') and the stamps (k and k+1).
	: >"$T/jit.waits"
	: >"$T/jit.seq"
	for i in 1 2 3 4; do
		awk '
			FNR == NR {
				if (match($0, /: starting ssh \(count [0-9]+\)$/)) {
					c = $0; sub(/.*\(count /, "", c); sub(/\).*/, "", c)
				} else if (match($0, /: sleeping for grace time [0-9]+ secs$/)) {
					g = $0; sub(/.*grace time /, "", g); sub(/ secs.*/, "", g)
					nom[c] = g
				}
				next
			}
			{ st[FNR] = $1; n = FNR }
			END {
				for (k = 1; k < n && k <= 15; k++)
					print (k in nom) ? nom[k] : 0, st[k + 1] - st[k]
			}' "$T/jit.$i.log" "$T/jit.$i.stamps" >>"$T/jit.waits"
		awk '/: sleeping for grace time/ && ++n <= 5 { sub(/.*grace time /, ""); sub(/ secs.*/, ""); printf "%s ", $0 }
			END { print "" }' "$T/jit.$i.log" >>"$T/jit.seq"
	done
	verdict=$(awk '
		$1 == 0 { if ($2 > quick) quick = $2; next }
		{ w[++m] = $1; g[m] = $2 }
		END {
			tol = quick + 200
			for (i = 1; i <= m; i++) {
				nom = w[i] * 1000; got = g[i]; f = got / nom
				if (got < nom * 0.5 - 5 || got > nom * 1.5 + tol || got > 10000 + tol)
					bad = bad sprintf(" %d s -> %d ms;", w[i], got)
				if (n == 0 || f < lo) lo = f
				if (n == 0 || f > hi) hi = f
				n++
			}
			if (n < 20) print "only " n " waits measured"
			else if (bad != "") print "out of bounds:" bad
			else if (lo >= 0.9 || hi <= 1.1) printf "no spread: factors %.2f..%.2f\n", lo, hi
			else printf "OK %d waits, factors %.2f..%.2f (restart overhead up to %d ms)\n", n, lo, hi, quick
		}' "$T/jit.waits")
	echo "# jitter: $verdict"
	bad_seq=$(grep -vx '1 1 2 2 3 ' "$T/jit.seq" | head -n 1) || :
	case $verdict in
	OK*)
		if [ -n "$bad_seq" ]; then
			not_ok "$name" "logged grace times [$bad_seq], want [1 1 2 2 3] (autossh(1) RESTARTS, POLL 10)"
		else
			ok "$name"
		fi
		;;
	*)
		not_ok "$name" "$verdict"
		sed 's/^/# /' "$T/jit.waits"
		;;
	esac
fi

# ---------------------------------------------------------------- ssh stderr with -f

name="ssh stderr: with -f each line of ssh's stderr is logged as 'ssh: <line>'"
rm -f "$T/se.pid"
bg_run AUTOSSH_PATH="$STUB" STUB_STDERR='stub says: hello on stderr' AUTOSSH_LOGFILE="$T/se.log" \
	AUTOSSH_PIDFILE="$T/se.pid" "$AUTOSSH" -f -M 0 -N testhost >"$T/se.out" 2>&1
if ! wait_exit 10 "$BG_PID" || [ "$EXIT_STATUS" != 0 ]; then
	not_ok "$name" "foreground autossh -f did not exit 0 (status ${EXIT_STATUS:-none})"
	diag "$T/se.out" "$T/se.log"
elif ! a=$(pidfile_pid "$T/se.pid"); then
	not_ok "$name" "no pidfile"
else
	track_pid "$a"
	if ! wait_log 10 "$T/se.log" "autossh\\[$a\\]: ssh: stub says: hello on stderr\$"; then
		not_ok "$name" "log lacks 'ssh: stub says: hello on stderr'"
		diag "$T/se.log"
	else
		ok "$name"
	fi
	kill -TERM "$a" 2>/dev/null || :
	wait_gone 10 "$a" || :
fi

# ---------------------------------------------------------------- real sshd in a namespace

netns_sshd

# ---- IPv6 monitor address, loop mode

name="monitor addr: ::1 loop mode passes probes through a real sshd, listener on [::1]:P+1"
if need_netns "$name"; then
	p=$(free_port)
	bg_run AUTOSSH_LOGFILE="$T/v6.log" AUTOSSH_DEBUG=1 AUTOSSH_POLL=2 AUTOSSH_FIRST_POLL=5 \
		AUTOSSH_GATETIME=0 AUTOSSH_MONITOR_ADDR=::1 \
		"$AUTOSSH" -M "$p" -N -F "$SSH_CFG" testhost >"$T/v6.out" 2>&1
	a=$BG_PID
	if ! wait_for 40 at_least 2 "$T/v6.log" ': connection ok$'; then
		not_ok "$name" "$(count "$T/v6.log" ': connection ok$') passed probes in 40 s, want 2"
		diag "$T/v6.out" "$T/v6.log"
	elif [ "$(count "$T/v6.log" ': starting ssh ')" != 1 ] || log_has "$T/v6.log" 'port down'; then
		not_ok "$name" "a probe failed or ssh was restarted"
		diag "$T/v6.log"
	else
		locals=$(ss -Hltn "( sport = :$((p + 1)) )" | awk 'NF { print $4 }' | tr '\n' ' ')
		if [ "$locals" != "[::1]:$((p + 1)) " ]; then
			not_ok "$name" "listeners on port $((p + 1)): [$locals], want [[::1]:$((p + 1))]"
		else
			ok "$name"
		fi
	fi
	stop_autossh "$a"
fi

# ---- SIGHUP probes at once

# POLL 60: no regular probe for a minute, T = 15 s.
name_ok="probe now: SIGHUP on a healthy link probes at once ('connection ok')"
name_down="probe now: SIGHUP with a frozen server gives 'port down' within T + margin"
if [ -n "$NETNS_WHY" ]; then
	need_netns "$name_ok" || :
	need_netns "$name_down" || :
else
	p=$(free_port)
	bg_run AUTOSSH_LOGFILE="$T/hup.log" AUTOSSH_DEBUG=1 AUTOSSH_POLL=60 AUTOSSH_GATETIME=0 \
		"$AUTOSSH" -M "$p" -N -F "$SSH_CFG" testhost >"$T/hup.out" 2>&1
	a=$BG_PID
	_hup_ready() { ns_listens "$p" && [ -n "$(ss -Hltn "( sport = :$p )")" ]; }
	why=
	if ! wait_for 15 _hup_ready; then
		why="ssh's forwards never appeared"
	else
		t0=$(now_ms)
		kill -HUP "$a"
		if ! wait_log 5 "$T/hup.log" ': connection ok$'; then
			why="no 'connection ok' within 5 s of SIGHUP"
		else
			took=$(($(now_ms) - t0))
			echo "# probe now: 'connection ok' $took ms after SIGHUP"
			[ "$took" -le 3000 ] || why="'connection ok' $took ms after SIGHUP, want at once (<= 3000)"
		fi
	fi
	if [ -n "$why" ]; then
		not_ok "$name_ok" "$why"
		diag "$T/hup.log"
	else
		ok "$name_ok"
	fi
	if [ -n "$why" ]; then
		not_ok "$name_down" "not reached: $why"
	elif ! freeze_sessions; then
		not_ok "$name_down" "no server-side session to freeze"
	else
		bound=$((15000 + 5000))
		t0=$(now_ms)
		kill -HUP "$a"
		if ! wait_log $((bound / 1000 + 10)) "$T/hup.log" ': port down, restarting ssh$'; then
			not_ok "$name_down" "no 'port down' within $((bound / 1000 + 10)) s of SIGHUP"
			diag "$T/hup.log"
		else
			took=$(($(now_ms) - t0))
			echo "# probe now: 'port down' $took ms after SIGHUP (frozen server, bound $bound)"
			if [ "$took" -gt "$bound" ]; then
				not_ok "$name_down" "'port down' $took ms after SIGHUP, want <= $bound"
			else
				ok "$name_down"
			fi
		fi
		thaw_sessions
	fi
	stop_autossh "$a"
fi

# ---- stale -R port held by a frozen old session

name="stale -R port: explained in the log, retried with backoff, works once the old session dies"
if need_netns "$name"; then
	x=$(free_port)
	rp=$(free_port)
	why=
	start_target "$x" || why="target service did not start"
	a=
	if [ -z "$why" ]; then
		rm -f "$T/stale.pid"
		bg_run AUTOSSH_LOGFILE="$T/stale.log" AUTOSSH_PIDFILE="$T/stale.pid" AUTOSSH_DEBUG=1 \
			AUTOSSH_POLL=100 "$AUTOSSH" -M 0 -f -o ExitOnForwardFailure=yes -N -F "$SSH_CFG" \
			-R "$rp:127.0.0.1:$x" testhost >"$T/stale.out" 2>&1
		if ! wait_exit 10 "$BG_PID" || [ "$EXIT_STATUS" != 0 ]; then
			why="foreground autossh -f did not exit 0"
		elif ! a=$(pidfile_pid "$T/stale.pid"); then
			why="no pidfile"
		else
			track_pid "$a"
		fi
	fi
	if [ -z "$why" ]; then
		if ! wait_for 15 ns_tunnel_ok "$rp"; then
			why="the -R forward never passed traffic"
		elif ! first_ssh "$a"; then
			why="no ssh child"
		elif ! freeze_sessions; then
			why="no server-side session to freeze"
		fi
	fi
	if [ -z "$why" ]; then
		kill -KILL "$SSH1"
		if ! wait_log 20 "$T/stale.log" ': ssh: .*remote port forwarding failed'; then
			why="no 'ssh: ... remote port forwarding failed' line within 20 s"
		elif ! wait_log 5 "$T/stale.log" 'ClientAliveInterval'; then
			why="no explanation line (ClientAliveInterval)"
		else
			# No tight loop: over 8 s, fewer than 12 more starts (with POLL
			# 100 the waits grow 1, 3, 5, 8 s after six quick starts), but
			# some, and at least one grace wait.
			c0=$(count "$T/stale.log" ': starting ssh ')
			if wait_for 8 at_least $((c0 + 12)) "$T/stale.log" ': starting ssh '; then
				why="tight loop: $((c0 + 12)) ssh starts within 8 s"
			else
				c1=$(count "$T/stale.log" ': starting ssh ')
				echo "# stale -R: $((c1 - c0)) ssh starts in the 8 s after the first failure"
				if [ $((c1 - c0)) -lt 2 ]; then
					why="only $((c1 - c0)) ssh starts in 8 s: not retrying"
				elif ! log_has "$T/stale.log" ': sleeping for grace time [0-9]+ secs$'; then
					why="no backoff wait logged"
				elif ! pid_alive "$a"; then
					why="autossh exited"
				else
					kill_frozen
					t0=$(now_ms)
					if ! wait_for 30 ns_tunnel_ok "$rp"; then
						why="the -R forward passes no traffic 30 s after the old session died"
					else
						echo "# stale -R: forward back $(($(now_ms) - t0)) ms after the old session died"
					fi
				fi
			fi
		fi
	fi
	kill_frozen
	if [ -n "$why" ]; then
		not_ok "$name" "$why"
		diag "$T/stale.out" "$T/stale.log"
	else
		ok "$name"
	fi
	if [ -n "$a" ]; then
		kill -TERM "$a" 2>/dev/null || :
		wait_gone 10 "$a" || :
	fi
fi

# ---- adaptive timeout

# Echo mode against an echo that answers after a random 0-200 ms. Two
# autosshs: POLL 1 (T = 500 ms), and POLL 1 with AUTOSSH_NET_TIMEOUT=15000,
# where the adaptive first-attempt timeout (8 x the longest of the last 8
# round trips, at least 1 s) is what counts (autossh(1) SCHEDULE AND TIMEOUTS). SIGALRM after each
# passed probe asks for the next at once (autossh(1) SIGNALS), so N probes take seconds,
# not N x POLL. No probe may fail.
probes=${SMART_PROBES:-120}
name="adaptive timeout: $probes probes each against a 0-200 ms delaying echo, no 'port down'"
if need_netns "$name"; then
	e=$(free_port)
	p1=$(free_port)
	p2=$(free_port)
	: >"$T/delays.log"
	ip netns exec "$NS" socat "TCP-LISTEN:$e,bind=127.0.0.1,reuseaddr,fork" \
		"SYSTEM:sh $TOP/tests/monitor-delay-echo $T/delays.log" </dev/null >/dev/null 2>>"$T/socat.log" &
	track_pid "$!"
	why=
	wait_for 5 ns_listens "$e" || why="delaying echo did not start"
	a1=
	a2=
	if [ -z "$why" ]; then
		bg_run AUTOSSH_LOGFILE="$T/ad1.log" AUTOSSH_DEBUG=1 AUTOSSH_POLL=1 AUTOSSH_FIRST_POLL=5 \
			AUTOSSH_GATETIME=0 "$AUTOSSH" -M "$p1:$e" -N -F "$SSH_CFG" testhost >"$T/ad1.out" 2>&1
		a1=$BG_PID
		bg_run AUTOSSH_LOGFILE="$T/ad2.log" AUTOSSH_DEBUG=1 AUTOSSH_POLL=1 AUTOSSH_FIRST_POLL=5 \
			AUTOSSH_NET_TIMEOUT=15000 AUTOSSH_GATETIME=0 \
			"$AUTOSSH" -M "$p2:$e" -N -F "$SSH_CFG" testhost >"$T/ad2.out" 2>&1
		a2=$BG_PID
		_ad_first() { at_least 1 "$T/ad1.log" ': connection ok$' && at_least 1 "$T/ad2.log" ': connection ok$'; }
		wait_for 30 _ad_first || why="no first 'connection ok' within 30 s"
	fi
	if [ -z "$why" ]; then
		last1=0
		last2=0
		# One step: SIGALRM each autossh whose count grew; done when both
		# reach $probes (or one died or gave up).
		_ad_step() {
			_as_c1=$(count "$T/ad1.log" ': connection ok$')
			_as_c2=$(count "$T/ad2.log" ': connection ok$')
			[ "$_as_c1" -lt "$probes" ] || [ "$_as_c2" -lt "$probes" ] || return 0
			pid_alive "$a1" && pid_alive "$a2" || return 0
			log_has "$T/ad1.log" 'port down' && return 0
			log_has "$T/ad2.log" 'port down' && return 0
			if [ "$_as_c1" -gt "$last1" ]; then
				kill -ALRM "$a1" 2>/dev/null || :
				last1=$_as_c1
			fi
			if [ "$_as_c2" -gt "$last2" ]; then
				kill -ALRM "$a2" 2>/dev/null || :
				last2=$_as_c2
			fi
			return 1
		}
		t0=$(now_ms)
		wait_for $((probes / 2 + 30)) _ad_step || :
		took=$(($(now_ms) - t0))
		c1=$(count "$T/ad1.log" ': connection ok$')
		c2=$(count "$T/ad2.log" ': connection ok$')
		stats=$(awk 'NR == 1 || $1 < lo { lo = $1 } NR == 1 || $1 > hi { hi = $1 } { s += $1 }
			END { if (NR) printf "%d replies, delay %d..%d ms, mean %d", NR, lo, hi, s / NR }' "$T/delays.log")
		retries=$(($(count "$T/ad1.log" 'attempt 1 failed') + $(count "$T/ad2.log" 'attempt 1 failed')))
		echo "# adaptive: $c1 + $c2 probes passed in $took ms; $stats; first attempts failed: $retries"
		for i in 1 2; do
			[ -z "$why" ] || break
			if log_has "$T/ad$i.log" 'port down'; then
				why="autossh $i: a probe failed ('port down')"
			elif [ "$(count "$T/ad$i.log" ': starting ssh ')" != 1 ] ||
				! log_has "$T/ad$i.log" ': starting ssh \(count 1\)$'; then
				why="autossh $i: ssh was restarted"
			elif [ "$(count "$T/ad$i.log" ': connection ok$')" -lt "$probes" ]; then
				why="autossh $i: only $(count "$T/ad$i.log" ': connection ok$') probes passed in $took ms"
			fi
		done
		if [ -z "$why" ]; then
			lo=$(sort -n "$T/delays.log" | head -n 1)
			hi=$(sort -n "$T/delays.log" | tail -n 1)
			if [ "$lo" -gt 50 ] || [ "$hi" -lt 150 ]; then
				why="the echo's delays did not spread over 0-200 ms ($stats)"
			fi
		fi
	fi
	if [ -n "$why" ]; then
		not_ok "$name" "$why"
		diag "$T/ad1.log" "$T/ad2.log"
	else
		ok "$name"
	fi
	[ -z "$a1" ] || stop_autossh "$a1"
	[ -z "$a2" ] || stop_autossh "$a2"
fi
