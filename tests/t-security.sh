#!/bin/sh
# t-security: what autossh exposes and what it may be tricked into.
# - monitor sockets listen on a loopback address only (autossh(1) MONITORING);
# - every descriptor autossh opens is close-on-exec: ssh inherits only 0, 1,
#   2, also with -f, loop-mode monitoring, a log file, a status file, a
#   pidfile and NOTIFY_SOCKET (autossh(1) DESCRIPTION);
# - a symlink at the pidfile path is replaced, never written through; the
#   log file is never opened through another user's symlink, at start or
#   on SIGHUP (autossh(1) FILES, LOGGING and DIFFERENCES FROM AUTOSSH 1.4G);
# - pidfile, log file and status file are created 0644 & ~umask;
# - ssh runs without a shell, its arguments exactly as given (autossh(1) DESCRIPTION).
# Uses tests/stub-ssh; no sshd needed.
set -eu
# shellcheck source=tests/lib.sh disable=SC1091
. tests/lib.sh
lib_init security

# stop A: SIGTERM, bounded wait.
stop() {
	kill -TERM "$1" 2>/dev/null || :
	wait_gone 10 "$1" || kill -KILL "$1" 2>/dev/null || :
}

_runs_at_least() { [ "$(stub_runs "$1")" -ge "$2" ]; }

# ---------------------------------------------------------------- listeners

# listeners PID: the local addresses of every listening TCP socket, bound
# UDP socket and bound unix socket PID holds, one a line.
listeners() {
	{
		ss -Hltnp
		ss -Hlunp
	} 2>/dev/null | awk -v pid="pid=$1," 'index($0, pid) { print $4 }'
	ss -Hlxp 2>/dev/null | awk -v pid="pid=$1," 'index($0, pid) && $5 != "*" { print "unix:" $5 }'
	return 0
}

# listen_case NAME WANT [VAR=VAL...] -- ARG...: with autossh running ARGS
# (stub ssh that never forwards anything, no probes for 600 s), its
# listening sockets must be exactly WANT (blank-separated).
listen_case() {
	_lc_name=$1
	_lc_want=$2
	shift 2
	WHY=
	rm -f "$T/listen.stub"
	bg_run AUTOSSH_PATH="$STUB" STUB_LOG="$T/listen.stub" AUTOSSH_GATETIME=0 AUTOSSH_POLL=600 \
		AUTOSSH_LOGFILE="$T/listen.log" "$@" >"$T/listen.out" 2>&1
	_lc_a=$BG_PID
	if ! wait_for 10 log_has "$T/listen.stub" .; then
		WHY="ssh never started: $(head -n 2 "$T/listen.out" | tr '\n' '|')"
	else
		_lc_got=$(listeners "$_lc_a" | sort | tr '\n' ' ' | sed 's/ $//')
		[ "$_lc_got" = "$_lc_want" ] || WHY="listening on [$_lc_got], want [$_lc_want]"
	fi
	stop "$_lc_a"
	report "$_lc_name" "$T/listen.log"
}

P=$(free_port)
listen_case "security: loop mode listens on 127.0.0.1:P+1 only" "127.0.0.1:$((P + 1))" \
	"$AUTOSSH" -M "$P" host
P=$(free_port)
listen_case "security: echo mode listens on nothing" "" \
	"$AUTOSSH" -M "$P:7" host
P=$(free_port)
listen_case "security: -M 0 listens on nothing" "" \
	"$AUTOSSH" -M 0 host
P=$(free_port)
listen_case "security: AUTOSSH_MONITOR_ADDR=127.0.0.2 listens there only" "127.0.0.2:$((P + 1))" \
	AUTOSSH_MONITOR_ADDR=127.0.0.2 "$AUTOSSH" -M "$P" host
if ip -6 addr show dev lo 2>/dev/null | grep -q 'inet6 ::1/'; then
	P=$(free_port)
	listen_case "security: AUTOSSH_MONITOR_ADDR=::1 listens on [::1] only" "[::1]:$((P + 1))" \
		AUTOSSH_MONITOR_ADDR=::1 "$AUTOSSH" -M "$P" host
else
	skip "security: AUTOSSH_MONITOR_ADDR=::1 listens on [::1] only" "no IPv6 loopback"
fi

# ---------------------------------------------------------------- close-on-exec

# fds_of FILE: the descriptor numbers in a STUB_FDS file.
fds_of() { awk '{ printf "%s%s", sep, $1; sep = " " }' "$1"; }

# coe_check NAME: the first ssh of autossh $A (monitor port $P; stub files
# $T/NAME.*) inherited only 0 1 2; then, once a probe passed through a socat
# loop from P to P+1, the same for a second ssh after SIGUSR1. Sets WHY.
coe_check() {
	if [ "$(fds_of "$T/$1.fds")" != "0 1 2" ]; then
		WHY="first ssh inherited: $(tr '\n' ',' <"$T/$1.fds")"
		return 0
	fi
	socat "TCP-LISTEN:$P,bind=127.0.0.1,reuseaddr,fork" "TCP:127.0.0.1:$((P + 1))" \
		</dev/null >/dev/null 2>>"$T/socat.log" &
	track_pid "$!"
	if ! wait_log 15 "$T/$1.log" ': connection ok$'; then
		WHY="no passing probe through the socat loop within 15 s"
	else
		kill -USR1 "$A"
		if ! wait_for 10 _runs_at_least "$T/$1.stub" 2; then
			WHY="no second ssh after SIGUSR1"
		elif [ "$(fds_of "$T/$1.fds")" != "0 1 2" ]; then
			WHY="second ssh inherited: $(tr '\n' ',' <"$T/$1.fds")"
		fi
	fi
}

# After a probe socket, the notify socket, the status file and the log have
# all been opened, a second ssh (SIGUSR1) must still see only 0 1 2. A
# socat forwarding 127.0.0.1:P to P+1 plays ssh's loop, so probes pass.
name="security: ssh inherits only 0 1 2 (loop monitoring, log, status file, pidfile, NOTIFY_SOCKET, 2nd start)"
WHY=
P=$(free_port)
rm -f "$T/coe.stub"
bg_run AUTOSSH_PATH="$STUB" STUB_LOG="$T/coe.stub" STUB_FDS="$T/coe.fds" AUTOSSH_GATETIME=0 \
	AUTOSSH_POLL=2 AUTOSSH_FIRST_POLL=1 AUTOSSH_DEBUG=1 AUTOSSH_LOGFILE="$T/coe.log" \
	AUTOSSH_STATUSFILE="$T/coe.status" AUTOSSH_PIDFILE="$T/coe.pid" \
	NOTIFY_SOCKET="@autossh-test-nobody-$$" "$AUTOSSH" -M "$P" host >"$T/coe.out" 2>&1
A=$BG_PID
if ! wait_for 10 log_has "$T/coe.stub" .; then
	WHY="ssh never started: $(head -n 2 "$T/coe.out" | tr '\n' '|')"
else
	coe_check coe
fi
stop "$A"
report "$name" "$T/coe.log" "$T/coe.fds"

# The same with -f: ssh's stdin and stdout are /dev/null, stderr the pipe
# to the log (autossh(1) FILES, LOGGING); nothing else.
name="security: with -f ssh inherits only 0 1 2 (same setup, 2nd start)"
WHY=
P=$(free_port)
rc=0
AUTOSSH_PATH=$STUB STUB_LOG=$T/coef.stub STUB_FDS=$T/coef.fds AUTOSSH_POLL=2 AUTOSSH_FIRST_POLL=1 \
	AUTOSSH_DEBUG=1 AUTOSSH_LOGFILE=$T/coef.log AUTOSSH_STATUSFILE=$T/coef.status \
	AUTOSSH_PIDFILE=$T/coef.pid NOTIFY_SOCKET="@autossh-test-nobody-$$" \
	timeout 10 "$AUTOSSH" -f -M "$P" host </dev/null >"$T/coef.out" 2>&1 || rc=$?
A=$(pidfile_pid "$T/coef.pid" 2>/dev/null) || A=
[ -z "$A" ] || track_pid "$A"
if [ "$rc" != 0 ] || [ -z "$A" ]; then
	WHY="autossh -f: exit status $rc, pidfile pid '${A:-none}'"
elif ! wait_for 10 log_has "$T/coef.stub" .; then
	WHY="ssh never started"
else
	coe_check coef
	if [ -z "$WHY" ] &&
		! awk '$1 == 0 || $1 == 1 { if ($2 != "/dev/null") bad = 1 } END { exit bad }' "$T/coef.fds"; then
		WHY="ssh's stdin/stdout are not /dev/null: $(tr '\n' ',' <"$T/coef.fds")"
	fi
fi
[ -z "$A" ] || stop "$A"
report "$name" "$T/coef.log" "$T/coef.fds"

# Log sinks that duplicate a standard descriptor (autossh(1) LOGGING).
for sink in - /dev/stdout /dev/stderr; do
	name="security: AUTOSSH_LOGFILE=$sink: ssh inherits only 0 1 2"
	WHY=
	rm -f "$T/sink.stub" "$T/sink.fds"
	bg_run AUTOSSH_PATH="$STUB" STUB_LOG="$T/sink.stub" STUB_FDS="$T/sink.fds" AUTOSSH_GATETIME=0 \
		AUTOSSH_LOGFILE="$sink" "$AUTOSSH" -M 0 host >"$T/sink.out" 2>&1
	A=$BG_PID
	if ! wait_for 10 log_has "$T/sink.stub" .; then
		WHY="ssh never started"
	elif [ "$(fds_of "$T/sink.fds")" != "0 1 2" ]; then
		WHY="ssh inherited: $(tr '\n' ',' <"$T/sink.fds")"
	fi
	stop "$A"
	report "$name" "$T/sink.out"
done

# Descriptors autossh itself inherited without close-on-exec (autossh(1) DESCRIPTION).
name="security: descriptors autossh inherited (3, 7, 9) do not reach ssh"
WHY=
rm -f "$T/inh.stub"
: >"$T/inh.log.none"
(
	exec 3</dev/null 7>"$T/inh.extra7" 9<"$T/inh.log.none"
	exec env --default-signal=INT,QUIT AUTOSSH_PATH="$STUB" STUB_LOG="$T/inh.stub" \
		STUB_FDS="$T/inh.fds" AUTOSSH_GATETIME=0 AUTOSSH_LOGFILE="$T/inh.log" \
		"$AUTOSSH" -M 0 host >"$T/inh.out" 2>&1
) &
A=$!
track_pid "$A"
if ! wait_for 10 log_has "$T/inh.stub" .; then
	WHY="ssh never started"
elif [ "$(fds_of "$T/inh.fds")" != "0 1 2" ]; then
	WHY="ssh inherited: $(tr '\n' ',' <"$T/inh.fds")"
fi
stop "$A"
report "$name" "$T/inh.log"

# ---------------------------------------------------------------- symlinks

printf 'precious: must not change\n' >"$T/target"
touch -d '2001-01-01 00:00:00' "$T/target"
target_sum() { printf '%s %s\n' "$(md5sum <"$T/target")" "$(stat -c '%s %Y' "$T/target")"; }
SUM0=$(target_sum)

name="security: symlinks at the pidfile and status file paths are replaced, never written through"
WHY=
ln -s "$T/target" "$T/sym.pid"
ln -s "$T/target" "$T/sym.status"
# The temporary names too: a planted <path>.new symlink must not be followed.
ln -s "$T/target" "$T/sym.pid.new"
ln -s "$T/target" "$T/sym.status.new"
rm -f "$T/sym.stub"
bg_run AUTOSSH_PATH="$STUB" STUB_LOG="$T/sym.stub" AUTOSSH_GATETIME=0 AUTOSSH_PIDFILE="$T/sym.pid" \
	AUTOSSH_STATUSFILE="$T/sym.status" AUTOSSH_LOGFILE="$T/sym.log" "$AUTOSSH" -M 0 host >"$T/sym.out" 2>&1
A=$BG_PID
_pidfile_is_ours() { [ ! -L "$T/sym.pid" ] && [ "$(pidfile_pid "$T/sym.pid" 2>/dev/null)" = "$A" ]; }
_status_is_file() { [ ! -L "$T/sym.status" ] && grep -q "^pid=$A\$" "$T/sym.status" 2>/dev/null; }
if ! wait_for 10 log_has "$T/sym.stub" .; then
	WHY="ssh never started: $(head -n 2 "$T/sym.out" | tr '\n' '|')"
elif ! wait_for 5 _pidfile_is_ours; then
	WHY="pidfile is not a regular file holding $A: $(ls -l "$T/sym.pid" 2>&1)"
elif ! wait_for 5 _status_is_file; then
	WHY="status file is not a regular file with pid=$A: $(ls -l "$T/sym.status" 2>&1)"
elif [ "$(target_sum)" != "$SUM0" ]; then
	WHY="symlink target changed: $(head -c 100 "$T/target")"
else
	stop "$A"
	if [ -e "$T/sym.pid" ]; then
		WHY="pidfile not removed at exit"
	elif [ "$(target_sum)" != "$SUM0" ] || [ ! -f "$T/target" ]; then
		WHY="symlink target changed or removed at exit"
	fi
fi
stop "$A"
report "$name" "$T/sym.log"

name="security: pidfile swapped for a symlink while running: exit neither follows nor removes through it"
WHY=
rm -f "$T/swap.stub" "$T/swap.pid"
bg_run AUTOSSH_PATH="$STUB" STUB_LOG="$T/swap.stub" AUTOSSH_GATETIME=0 AUTOSSH_PIDFILE="$T/swap.pid" \
	AUTOSSH_LOGFILE="$T/swap.log" "$AUTOSSH" -M 0 host >"$T/swap.out" 2>&1
A=$BG_PID
if ! wait_for 10 log_has "$T/swap.stub" . || ! wait_for 5 test -f "$T/swap.pid"; then
	WHY="ssh or pidfile never appeared"
else
	# Same content behind the link, so only a followed path could matter.
	printf '%s\n' "$A" >"$T/swap.target"
	touch -d '2001-01-01 00:00:00' "$T/swap.target"
	sum=$(md5sum <"$T/swap.target")
	ln -sf "$T/swap.target" "$T/swap.pid"
	stop "$A"
	if [ ! -f "$T/swap.target" ]; then
		WHY="the symlink's target was removed"
	elif [ "$(md5sum <"$T/swap.target")" != "$sum" ] || [ "$(stat -c %Y "$T/swap.target")" != "$(date -d '2001-01-01 00:00:00' +%s)" ]; then
		WHY="the symlink's target was modified"
	fi
fi
report "$name" "$T/swap.log"

# As 1.4g, a link that root or autossh's user owns is followed
# (t-firstcontact); one planted by another user never is.
name="security: log file never opened through another user's symlink (SIGHUP reopen after a swap)"
WHY=
rm -f "$T/hup.stub"
if [ "$(id -u)" != 0 ]; then
	skip "$name" "needs root to make a link owned by nobody"
else
	bg_run AUTOSSH_PATH="$STUB" STUB_LOG="$T/hup.stub" AUTOSSH_GATETIME=0 AUTOSSH_DEBUG=1 \
		AUTOSSH_LOGFILE="$T/hup.log" "$AUTOSSH" -M 0 host >"$T/hup.out" 2>&1
	A=$BG_PID
	if ! wait_for 10 log_has "$T/hup.stub" .; then
		WHY="ssh never started"
	else
		mv "$T/hup.log" "$T/hup.log.old"
		ln -s "$T/target" "$T/hup.log"
		chown -h nobody "$T/hup.log"
		kill -HUP "$A"
		kill -USR1 "$A"
		if ! wait_for 10 _runs_at_least "$T/hup.stub" 2; then
			WHY="no new ssh after SIGHUP and SIGUSR1"
		elif ! pid_alive "$A"; then
			WHY="autossh died"
		elif [ "$(target_sum)" != "$SUM0" ]; then
			WHY="log written through the symlink: $(tail -n 2 "$T/target" | tr '\n' '|')"
		elif [ ! -L "$T/hup.log" ]; then
			WHY="the symlink at the log path was replaced"
		fi
	fi
	stop "$A"
	report "$name" "$T/hup.log.old"
fi

# ---------------------------------------------------------------- file modes

# mode_case UMASK WANT [-f]: pidfile, log file and status file modes.
mode_case() {
	_mc_name="security: umask $1${3:+ with $3}: pidfile, log and status file are mode $2"
	WHY=
	_mc_d=$T/mode-$1${3:-}
	mkdir "$_mc_d"
	(
		umask "$1"
		exec env --default-signal=INT,QUIT AUTOSSH_PATH="$STUB" STUB_LOG="$_mc_d/stub" \
			AUTOSSH_GATETIME=0 AUTOSSH_PIDFILE="$_mc_d/pid" AUTOSSH_LOGFILE="$_mc_d/log" \
			AUTOSSH_STATUSFILE="$_mc_d/status" "$AUTOSSH" ${3:+"$3"} -M 0 host \
			</dev/null >"$_mc_d/out" 2>&1
	) &
	_mc_a=$!
	track_pid "$_mc_a"
	if ! wait_for 10 log_has "$_mc_d/stub" . || ! wait_for 5 test -f "$_mc_d/status" ||
		! wait_for 5 test -f "$_mc_d/pid"; then
		WHY="ssh, status file or pidfile never appeared"
	else
		for _mc_f in pid log status; do
			_mc_m=$(stat -c %a "$_mc_d/$_mc_f")
			if [ "$_mc_m" != "$2" ]; then
				WHY="${WHY}$_mc_f is mode $_mc_m; "
			fi
		done
	fi
	_mc_bg=$(pidfile_pid "$_mc_d/pid" 2>/dev/null) || _mc_bg=
	[ -z "$_mc_bg" ] || track_pid "$_mc_bg"
	stop "${_mc_bg:-$_mc_a}"
	stop "$_mc_a"
	report "$_mc_name" "$_mc_d/out"
}

mode_case 022 644
mode_case 027 640
mode_case 077 600
mode_case 000 644
mode_case 027 640 -f

# ---------------------------------------------------------------- no shell

name="security: ssh runs without a shell, arguments verbatim (blanks, quotes, \$(...), ;, globs, newline)"
WHY=
mkdir "$T/a b;c"
cp "$STUB" "$T/a b;c/ssh \$(x)"
chmod +x "$T/a b;c/ssh \$(x)"
rm -f "$T/argv.stub"
# shellcheck disable=SC2016,SC1003
set -- -o "ProxyCommand=touch $T/pwned1" "a b" "'q'" '"dq"' "\$(touch $T/pwned2)" "\`touch $T/pwned3\`" \
	"; touch $T/pwned4" "| touch $T/pwned5" "&& touch $T/pwned6" '*' '~' '$HOME' 'x
y' '\' '' host "cmd; touch $T/pwned7"
# autossh puts its no-sharing options before the destination ("a b").
want="$(quote_args "$1" "$2" -o ControlMaster=no -o ControlPath=none) $(
	shift 2
	quote_args "$@"
)"
bg_run AUTOSSH_PATH="$T/a b;c/ssh \$(x)" STUB_LOG="$T/argv.stub" STUB_STATUS="$T/argv.status" \
	AUTOSSH_GATETIME=0 "$AUTOSSH" -M 0 "$@" >"$T/argv.out" 2>&1
A=$BG_PID
if ! wait_for 10 test -s "$T/argv.stub"; then
	WHY="ssh never started: $(head -n 2 "$T/argv.out" | tr '\n' '|')"
else
	# One record per run, but the newline in an argument continues it on
	# a second line: compare the whole file after the pid.
	got=$(sed '1s/^[0-9]* //' "$T/argv.stub")
	ppid=$(sed -n 's/^ppid //p' "$T/argv.status")
	pwned=$(find "$T" -maxdepth 1 -name 'pwned*' | tr '\n' ' ')
	if [ -n "$pwned" ]; then
		WHY="a shell ran the arguments: $pwned"
	elif [ "$got" != "$want" ]; then
		WHY="ssh got [$got], want [$want]"
	elif [ "$ppid" != "$A" ]; then
		WHY="ssh's parent is $ppid, not autossh ($A): something ran in between"
	fi
fi
stop "$A"
report "$name" "$T/argv.out"
