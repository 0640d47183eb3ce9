#!/bin/sh
# t-list: the fleet's view (autossh(1) FILES). Three tunnels write status
# files into one directory: `autossh --list` shows them, one line each, and
# its exit status follows their health; --json and --prometheus parse; a
# -R 0 forward's allocated port shows and carries traffic; a killed autossh
# is "dead", and so is a status file whose pid was reused (--check too);
# AUTOSSH_ONCHANGE sees each change, and a hook that hangs never delays a
# restart and has its process group killed. Real sshd on 127.0.0.1 (two:
# one of them is stopped).
set -eu
# shellcheck source=tests/lib.sh disable=SC1091
. tests/lib.sh
lib_init list

if ! start_sshd; then
	skip "list: all" "sshd did not start"
	exit 0
fi
target=$(free_port)
start_target "$target"
echo_port=$(free_port)
start_echo "$echo_port"

# A second sshd (same keys and user), for the tunnel whose server goes away.
PORT2=$(free_port)
sed "s/^Port .*/Port $PORT2/" "$T/sshd_config" >"$T/sshd2_config"
SSHD2_PID=
start_sshd2() {
	/usr/sbin/sshd -D -e -f "$T/sshd2_config" </dev/null 2>>"$T/sshd2.log" &
	SSHD2_PID=$!
	track_pid "$SSHD2_PID"
	wait_for 10 _listening "$PORT2"
}
stop_sshd2() {
	# shellcheck disable=SC2046
	_kill_all "$SSHD2_PID" $(_descendants "$SSHD2_PID")
	wait "$SSHD2_PID" 2>/dev/null || :
}
if ! start_sshd2; then
	skip "list: all" "second sshd did not start"
	exit 0
fi

RUN=$T/run
mkdir -p "$RUN/a" "$RUN/b" "$T/d"

# The hooks: one records every change, one hangs with a child in its group.
cat >"$T/hook-record" <<'EOF'
#!/bin/sh
echo "$AUTOSSH_EVENT $AUTOSSH_RESTARTS $AUTOSSH_SSH_PID $AUTOSSH_NAME [$AUTOSSH_REASON]" >>"${0%/*}/events"
echo "hook saw $AUTOSSH_EVENT"
EOF
cat >"$T/hook-slow" <<'EOF'
#!/bin/sh
echo $$ >>"${0%/*}/slow.pids"
sleep 60 &
echo $! >>"${0%/*}/slow.pids"
wait
EOF
chmod +x "$T/hook-record" "$T/hook-slow"

la=$(free_port)
lb=$(free_port)
mon=$(free_port)
# a: -M 0 with the recording hook; b: to the second sshd; c: -f, a monitor
# port (echo mode) and a -R 0 forward; d (not listed): the hook that hangs.
bg_run AUTOSSH_GATETIME=0 AUTOSSH_LOGFILE="$T/a.log" AUTOSSH_STATUSFILE="$RUN/a/status" \
	AUTOSSH_ONCHANGE="$T/hook-record" "$AUTOSSH" -M 0 -N -F "$SSH_CFG" -L "$la:127.0.0.1:$target" testhost 2>>"$T/ssh.err"
A=$BG_PID
bg_run AUTOSSH_GATETIME=0 AUTOSSH_LOGFILE="$T/b.log" AUTOSSH_STATUSFILE="$RUN/b/status" \
	"$AUTOSSH" -M 0 -N -F "$SSH_CFG" -p "$PORT2" -L "$lb:127.0.0.1:$target" testhost 2>>"$T/ssh.err"
B=$BG_PID
AUTOSSH_LOGFILE="$T/c.log" AUTOSSH_STATUSFILE="$RUN/c.status" AUTOSSH_PIDFILE="$T/c.pid" AUTOSSH_NAME=gamma \
	"$AUTOSSH" -f -M "$mon:$echo_port" -N -F "$SSH_CFG" -o LogLevel=INFO -R "0:127.0.0.1:$target" testhost ||
	echo "# autossh -f for c exited $?"
C=$(pidfile_pid "$T/c.pid") || C=
track_pid "$C"
bg_run AUTOSSH_GATETIME=0 AUTOSSH_LOGFILE="$T/d.log" AUTOSSH_STATUSFILE="$T/d/status" \
	AUTOSSH_ONCHANGE="$T/hook-slow" "$AUTOSSH" -M 0 -N -F "$SSH_CFG" testhost 2>>"$T/ssh.err"
D=$BG_PID

list() {
	LIST_RC=0
	"$AUTOSSH" --list "$@" >"$T/list.out" 2>"$T/list.err" || LIST_RC=$?
}
line_of() { grep -E "^$1 " "$T/list.out" || :; }
status_get() { sed -n "s/^$2=//p" "$1" 2>/dev/null || :; }
_all_connected() {
	list "$RUN" && [ "$LIST_RC" = 0 ] && [ "$(grep -c ' connected ' "$T/list.out")" = 3 ]
}

# ---------------------------------------------------------------- the hanging hook

name="list: a hook that hangs never delays a restart"
WHY=
_d_ssh() { d_ssh=$(ssh_children "$D" | head -n 1); [ -n "$d_ssh" ]; }
_d_new_ssh() { _d_n=$(ssh_children "$D" | head -n 1); [ -n "$_d_n" ] && [ "$_d_n" != "$d_ssh" ]; }
if ! wait_for 10 _d_ssh || ! wait_for 5 test -s "$T/slow.pids"; then
	WHY="no ssh or no hook for d"
else
	kill -KILL "$d_ssh"
	t0=$(now_ms)
	if ! wait_for 3 _d_new_ssh; then
		WHY="no new ssh 3 s after killing ssh while the hook runs"
	elif ! pid_alive "$(head -n 1 "$T/slow.pids")"; then
		WHY="the hook did not run long enough to test anything"
	fi
fi
report "$name" "$T/d.log"
[ -z "$WHY" ] || echo "# new ssh after $(($(now_ms) - t0)) ms"

# ---------------------------------------------------------------- three healthy

name="list: three tunnels: three healthy lines, exit 0"
WHY=
if ! wait_for 15 _all_connected; then
	WHY="exit $LIST_RC, output: $(tr '\n' '|' <"$T/list.out")"
elif [ "$(wc -l <"$T/list.out")" != 3 ]; then
	WHY="$(wc -l <"$T/list.out") lines"
elif [ -z "$(line_of a)" ] || [ -z "$(line_of b)" ] || [ -z "$(line_of gamma)" ]; then
	WHY="names a, b, gamma not all listed: $(tr '\n' '|' <"$T/list.out")"
elif awk 'length($0) > 80 { bad = 1 } END { exit !bad }' "$T/list.out"; then
	WHY="a line is longer than 80 columns"
elif grep -q "$(printf '\033')" "$T/list.out"; then
	WHY="colour codes written to a file"
fi
report "$name" "$T/list.out" "$T/list.err"

name="list: status file keys name, forwards, pid_start"
WHY=
if [ "$(status_get "$RUN/a/status" name)" != a ] || [ "$(status_get "$RUN/c.status" name)" != gamma ]; then
	WHY="name= is '$(status_get "$RUN/a/status" name)' and '$(status_get "$RUN/c.status" name)'"
elif [ "$(status_get "$RUN/a/status" forwards)" != "-L $la:127.0.0.1:$target" ]; then
	WHY="forwards='$(status_get "$RUN/a/status" forwards)'"
elif [ "$(status_get "$RUN/a/status" pid_start)" != "$(sed 's/^.*) //' "/proc/$A/stat" | awk '{ print $20 }')" ]; then
	WHY="pid_start='$(status_get "$RUN/a/status" pid_start)' is not autossh's start time"
fi
report "$name" "$RUN/a/status"

# ---------------------------------------------------------------- -R 0

name="list: -R 0: the allocated port in the status file and --list, traffic through it"
WHY=
_allocated() {
	rport=$(status_get "$RUN/c.status" remote_ports | sed -n "s/^\([0-9]*\):127.0.0.1:$target\$/\1/p")
	[ -n "$rport" ]
}
if ! wait_for 10 _allocated; then
	WHY="remote_ports='$(status_get "$RUN/c.status" remote_ports)'"
elif ! log_has "$T/c.log" "Allocated port $rport for remote forward"; then
	WHY="ssh's 'Allocated port' line not in the log"
elif ! list "$RUN" || ! line_of gamma | grep -q -- "-R $rport:127.0.0.1:$target"; then
	WHY="--list line: $(line_of gamma)"
elif ! tunnel_ok "$rport"; then
	WHY="no traffic through the server's port $rport"
fi
report "$name" "$RUN/c.status" "$T/c.log"

# ---------------------------------------------------------------- JSON, Prometheus

name="list: --json: one object per line, each parses, exit 0"
WHY=
list --json "$RUN"
if [ "$LIST_RC" != 0 ]; then
	WHY="exit $LIST_RC"
elif [ "$(wc -l <"$T/list.out")" != 3 ]; then
	WHY="$(wc -l <"$T/list.out") lines"
else
	while IFS= read -r obj; do
		printf '%s\n' "$obj" | python3 -m json.tool >/dev/null 2>&1 || WHY="does not parse: $obj"
	done <"$T/list.out"
fi
report "$name" "$T/list.out"

# prom_check FILE: the text exposition format: HELP and TYPE before each
# family's samples, the samples of a family together, valid names, label
# values quoted and escaped, one sample per series, a number each.
cat >"$T/promcheck.py" <<'EOF'
import re, sys
name_re = re.compile(r'[a-zA-Z_:][a-zA-Z0-9_:]*$')
label_re = re.compile(r'([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\\n]|\\[\\"n])*)"(,|$)')
helped, typed, done, series = set(), set(), set(), set()
current = None
for n, line in enumerate(open(sys.argv[1]), 1):
    line = line.rstrip('\n')
    def bad(why):
        sys.exit('line %d: %s: %s' % (n, why, line))
    if line.startswith('# HELP ') or line.startswith('# TYPE '):
        parts = line.split(' ', 3)
        if len(parts) < 4 or not name_re.match(parts[2]):
            bad('bad comment')
        if parts[1] == 'TYPE' and parts[3] not in ('gauge', 'counter'):
            bad('bad type')
        (helped if parts[1] == 'HELP' else typed).add(parts[2])
        continue
    m = re.match(r'([a-zA-Z_:][a-zA-Z0-9_:]*)(\{(.*)\})? (\S+)$', line)
    if not m:
        bad('not a sample')
    name, labels, value = m.group(1), m.group(3) or '', m.group(4)
    if name not in helped or name not in typed:
        bad('no HELP or TYPE before it')
    if name != current:
        if name in done:
            bad('family not together')
        if current:
            done.add(current)
        current = name
    pairs, rest = [], labels
    while rest:
        lm = label_re.match(rest)
        if not lm:
            bad('bad labels')
        pairs.append((lm.group(1), lm.group(2)))
        rest = rest[lm.end():]
    if 'tunnel' not in dict(pairs):
        bad('no tunnel label')
    key = (name, tuple(sorted(pairs)))
    if key in series:
        bad('series repeated')
    series.add(key)
    float(value)
for want in ('autossh_up', 'autossh_state', 'autossh_restarts_total', 'autossh_state_since_seconds',
             'autossh_cause'):
    if want not in helped:
        sys.exit('no %s' % want)
print(len(series))
EOF
prom_check() { python3 "$T/promcheck.py" "$1" >"$T/prom.check" 2>&1; }

name="list: --prometheus: the exposition format checks out, exit 0"
WHY=
list --prometheus "$RUN"
if [ "$LIST_RC" != 0 ]; then
	WHY="exit $LIST_RC"
elif ! prom_check "$T/list.out"; then
	WHY="checker: $(tail -n 1 "$T/prom.check")"
elif ! grep -q '^autossh_up{tunnel="gamma"} 1$' "$T/list.out"; then
	WHY="no autossh_up 1 for gamma"
elif ! grep -q '^autossh_probe_rtt_seconds{tunnel="gamma"} ' "$T/list.out" ||
	grep -q '^autossh_probe_rtt_seconds{tunnel="a"}' "$T/list.out"; then
	WHY="probe metrics not exactly for the monitored tunnel"
fi
report "$name" "$T/list.out"
cp "$T/list.out" "$T/prom.healthy"

# ---------------------------------------------------------------- the hook's changes

name="list: AUTOSSH_ONCHANGE sees connected, starting one restart later, connected"
WHY=
_events_has() { grep -q "^$1 " "$T/events" 2>/dev/null; }
if ! wait_for 10 _events_has "connected 0"; then
	WHY="no 'connected 0' event: $(tr '\n' '|' 2>/dev/null <"$T/events" || :)"
else
	a_ssh=$(ssh_children "$A" | head -n 1)
	kill -KILL "$a_ssh"
	if ! wait_for 10 _events_has "connected 1"; then
		WHY="events: $(tr '\n' '|' 2>/dev/null <"$T/events" || :)"
	else
		sequence=$(awk '{ print $1 "/" $2 }' "$T/events" | tr '\n' ' ')
		case $sequence in
		*"connected/0 starting/1 connected/1 "*) ;;
		*) WHY="events in this order: $sequence" ;;
		esac
		grep -q "^starting 1 [1-9][0-9]* a \[" "$T/events" || WHY="no ssh pid or name in the event: $(grep '^starting 1' "$T/events")"
		log_has "$T/a.log" "onchange: hook saw connected" || WHY="the hook's output is not in the log"
		log_has "$T/a.log" "onchange: $T/hook-record exited with status 0" || WHY="the hook's exit status not logged"
	fi
fi
report "$name" "$T/events" "$T/a.log"

# ---------------------------------------------------------------- a server goes away

name="list: b's server stopped: its line leaves connected, --list exits 1"
WHY=
_b_down() { list "$RUN" && :; [ "$LIST_RC" = 1 ] && ! line_of b | grep -q ' connected '; }
stop_sshd2
if ! wait_for 10 _b_down; then
	WHY="exit $LIST_RC; b: $(line_of b)"
elif ! line_of a | grep -q ' connected ' || ! line_of gamma | grep -q ' connected '; then
	WHY="the other lines changed: $(tr '\n' '|' <"$T/list.out")"
fi
report "$name" "$T/list.out" "$T/b.log"
echo "# b while down: $(line_of b)"

name="list: b's server back: connected again, --list exits 0"
WHY=
start_sshd2 || WHY="second sshd did not start again"
kill -HUP "$B" 2>/dev/null || :   # end a backoff wait now
[ -n "$WHY" ] || wait_for 10 _all_connected || WHY="exit $LIST_RC; b: $(line_of b)"
report "$name" "$T/list.out" "$T/b.log"

# ---------------------------------------------------------------- dead

name="list: a killed autossh shows dead, --list exits 1"
WHY=
kill -KILL "$B"
wait_gone 5 "$B" || :
list "$RUN"
if [ "$LIST_RC" != 1 ]; then
	WHY="exit $LIST_RC"
elif ! line_of b | grep -q ' dead '; then
	WHY="b: $(line_of b)"
fi
report "$name" "$T/list.out"

name="list: --prometheus: dead is a state series, still exit 0"
WHY=
list --prometheus "$RUN"
if [ "$LIST_RC" != 0 ]; then
	WHY="exit $LIST_RC"
elif ! prom_check "$T/list.out"; then
	WHY="checker: $(tail -n 1 "$T/prom.check")"
elif ! grep -q '^autossh_state{tunnel="b",state="dead"} 1$' "$T/list.out" ||
	! grep -q '^autossh_up{tunnel="b"} 0$' "$T/list.out"; then
	WHY="no dead state or up 0 for b"
fi
report "$name" "$T/list.out"

# ---------------------------------------------------------------- a reused pid

name="list: --check and --list: a status file whose pid now names another process is dead"
WHY=
sleep 30 &
S=$!
track_pid "$S"
real_start=$(sed 's/^.*) //' "/proc/$S/stat" | awk '{ print $20 }')
printf 'state=connected\npid=%s\nssh_pid=0\nstarts=1\nmonitor=0\nname=stale\npid_start=%s\n' \
	"$S" "$((real_start + 1))" >"$T/stale.status"
rc=0
out=$("$AUTOSSH" --check "$T/stale.status") || rc=$?
list "$T/stale.status"
if [ "$rc" != 1 ]; then
	WHY="--check exit $rc: $out"
elif ! line_of stale | grep -q ' dead '; then
	WHY="--list: $(cat "$T/list.out")"
fi
printf 'state=connected\npid=%s\nmonitor=0\npid_start=%s\n' "$S" "$real_start" >"$T/fresh.status"
rc=0
"$AUTOSSH" --check "$T/fresh.status" >/dev/null || rc=$?
[ "$rc" = 0 ] || WHY="${WHY:-the same file with the right pid_start: --check exit $rc}"
report "$name"
kill "$S" 2>/dev/null || :

name="list: bad option: one line, exit 1; nothing found: exit 1; a missing file: unreadable"
WHY=
list --bogus
if [ "$LIST_RC" != 1 ] || [ "$(wc -l <"$T/list.err")" != 1 ] || ! grep -q '^autossh: ' "$T/list.err"; then
	WHY="--bogus: exit $LIST_RC, stderr: $(cat "$T/list.err")"
fi
mkdir "$T/empty"
list "$T/empty"
[ "$LIST_RC" = 1 ] || WHY="${WHY:-an empty directory: exit $LIST_RC}"
list "$T/gone.status"
[ "$LIST_RC" = 1 ] && line_of gone | grep -q ' unreadable ' || WHY="${WHY:-a missing file: exit $LIST_RC, $(cat "$T/list.out")}"
report "$name"

# ---------------------------------------------------------------- the hanging hook, killed

name="list: a hook still running after 10 s has its process group killed"
WHY=
# Each later run of the hook adds two pids; the first two are those of the first run.
head -n 2 "$T/slow.pids" >"$T/slow.first" 2>/dev/null || :
_first_gone() {
	while read -r _sg; do
		! pid_alive "$_sg" || return 1
	done <"$T/slow.first"
}
if ! [ -s "$T/slow.first" ]; then
	WHY="the hook never ran"
elif ! wait_for 12 _first_gone; then
	WHY="the hook or its child still runs: $(tr '\n' ' ' <"$T/slow.first")"
elif ! log_has "$T/d.log" "onchange: $T/hook-slow still running after 10 s; killing its process group"; then
	WHY="no line about the kill"
elif ! pid_alive "$D"; then
	WHY="autossh d is gone"
fi
report "$name" "$T/d.log"
