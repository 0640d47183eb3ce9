#!/bin/sh
# t-core-args: what ssh receives (autossh(1) ARGUMENTS FOR SSH, MONITORING), what it
# inherits (only 0, 1, 2) and bad input (autossh(1) DESCRIPTION, ENVIRONMENT): one stderr line, exit 1, no ssh, no file
# touched. Uses tests/stub-ssh; no sshd needed.
set -eu
# shellcheck source=tests/lib.sh disable=SC1091
. tests/lib.sh
lib_init core-args

# ---------------------------------------------------------------- argv

args_case "argv: remote command with -f -l -M and an empty word passes untouched" \
	"$(quote_args -p 22 -o ControlMaster=no -o ControlPath=none host cmd -f -l user -M 5 '' 'a b')" \
	-- -M 0 -p 22 host cmd -f -l user -M 5 '' 'a b'

args_case "argv: option values are not options (-o -f, -l -M)" \
	"$(quote_args -o -f -l -M -o ControlMaster=no -o ControlPath=none host)" \
	-- -M 0 -o -f -l -M host

args_case "argv: -- before the destination is removed, ssh's own -M passes" \
	"$(quote_args -M -S ctl host)" \
	-- -M 0 -- -M -S ctl host

args_case "argv: bundle -vM0 becomes -v" \
	"$(quote_args -v -o ControlMaster=no -o ControlPath=none host ls)" \
	-- -vM0 host ls

p=$(free_port)
args_case "argv: loop mode inserts -L/-R where -M stood" \
	"$(quote_args -p 2 -L "$p:127.0.0.1:$p" -R "$p:127.0.0.1:$((p + 1))" -o ControlMaster=no -o ControlPath=none host)" \
	-- -p 2 -M "$p" host

p=$(free_port)
args_case "argv: last -M counts, forwards go where the first stood" \
	"$(quote_args -L "$p:127.0.0.1:$p" -R "$p:127.0.0.1:$((p + 1))" -N -o ControlMaster=no -o ControlPath=none host)" \
	-- -M 0 -N -M "$p" host

p=$(free_port)
args_case "argv: echo mode inserts one -L" \
	"$(quote_args -L "$p:127.0.0.1:7" -o ControlMaster=no -o ControlPath=none host)" \
	-- -M "$p:7" host

# No connection sharing: autossh's -o ControlMaster=no -o ControlPath=none go
# immediately before the destination, after every option of the user (ssh
# keeps the first value it reads, so the user's own choice still wins).
p=$(free_port)
args_case "argv: no sharing, options before and after -M" \
	"$(quote_args -v -L "$p:127.0.0.1:$p" -R "$p:127.0.0.1:$((p + 1))" -N -o ControlMaster=no -o ControlPath=none host)" \
	-- -v -M "$p" -N host

args_case "argv: no sharing with a bundle and a remote command" \
	"$(quote_args -NL 1:h:2 -o ControlMaster=no -o ControlPath=none host ls -l)" \
	-- -M 0 -NL 1:h:2 host ls -l

args_case "argv: no sharing, the user's -S and -o ControlMaster come first" \
	"$(quote_args -S "$T/ctl" -o ControlMaster=auto -o ControlMaster=no -o ControlPath=none host)" \
	-- -M 0 -S "$T/ctl" -o ControlMaster=auto host

args_case "argv: -- before the destination: nothing inserted" \
	"$(quote_args -N host ls)" \
	-- -M 0 -- -N host ls

# -fN with -f: the foreground returns, the background runs the stub.
name="argv: bundle -fN becomes -N and -M 0 is removed (with -f)"
rm -f "$T/argv.log"
rc=0
AUTOSSH_PATH=$STUB STUB_LOG=$T/argv.log STUB_EXIT=0 AUTOSSH_PIDFILE=$T/argv.pid \
	timeout 10 "$AUTOSSH" -fN -M 0 -F "$T/no-config" -o 'ServerAliveInterval 5' host \
	</dev/null >"$T/argv.out" 2>&1 || rc=$?
bgpid=$(pidfile_pid "$T/argv.pid" 2>/dev/null) && track_pid "$bgpid"
want=$(quote_args -N -F "$T/no-config" -o 'ServerAliveInterval 5' -o ControlMaster=no -o ControlPath=none host)
if [ "$rc" != 0 ]; then
	not_ok "$name" "foreground exit status $rc, want 0"
elif ! wait_for 10 log_has "$T/argv.log" .; then
	not_ok "$name" "stub ssh never started"
elif [ "$(sed -n '1s/^[0-9]* //p' "$T/argv.log")" != "$want" ]; then
	not_ok "$name" "ssh got [$(sed -n '1s/^[0-9]* //p' "$T/argv.log")], want [$want]"
else
	ok "$name"
fi

# ---------------------------------------------------------------- inheritance

name="child: ssh inherits only fds 0 1 2 (autossh got 7 and others)"
mkdir "$T/cwd"
rm -f "$T/argv.log"
(
	cd "$T/cwd"
	umask 027
	exec 7</dev/null
	exec env --block-signal=USR2 --ignore-signal=PIPE \
		NOTIFY_SOCKET="@autossh-test-none-$$" WATCHDOG_USEC=600000000 WATCHDOG_PID=1 \
		STUB_MARK=kept AUTOSSH_PATH="$STUB" STUB_LOG="$T/argv.log" STUB_FDS="$T/fds" \
		STUB_STATUS="$T/status" STUB_ENV="$T/env" AUTOSSH_GATETIME=0 \
		"$AUTOSSH" -M 0 host </dev/null >"$T/child.out" 2>&1
) &
child_autossh=$!
track_pid "$child_autossh"
if ! wait_for 10 log_has "$T/argv.log" .; then
	not_ok "$name" "stub ssh never started"
	not_ok "child: ssh has no blocked or ignored signals" "stub ssh never started"
	not_ok "child: ssh environment drops NOTIFY_SOCKET and WATCHDOG_*" "stub ssh never started"
	not_ok "child: ssh shares autossh's process group, cwd and umask" "stub ssh never started"
else
	fds=$(awk '{ printf "%s ", $1 }' "$T/fds")
	if [ "$fds" != "0 1 2 " ]; then
		not_ok "$name" "inherited fds: $(tr '\n' ',' <"$T/fds")"
	else
		ok "$name"
	fi
	name="child: ssh has no blocked or ignored signals"
	blk=$(awk '$1 == "SigBlk:" { print $2 }' "$T/status")
	ign=$(awk '$1 == "SigIgn:" { print $2 }' "$T/status")
	# Signals 32 and 33 are glibc's internal ones: no program can change
	# their disposition with sigaction(), and GNU make starts its recipes
	# with them ignored. Only the signals a program can handle count.
	if [ $((0x$blk & ~0x180000000)) != 0 ] || [ $((0x$ign & ~0x180000000)) != 0 ]; then
		not_ok "$name" "SigBlk $blk SigIgn $ign, want all zero (autossh started with USR2 blocked, PIPE INT QUIT ignored)"
	else
		ok "$name"
	fi
	name="child: ssh environment drops NOTIFY_SOCKET and WATCHDOG_*"
	if grep -Eq '^(NOTIFY_SOCKET|WATCHDOG_USEC|WATCHDOG_PID)=' "$T/env"; then
		not_ok "$name" "got $(grep -E '^(NOTIFY_SOCKET|WATCHDOG_)' "$T/env" | tr '\n' ' ')"
	elif ! grep -qx 'STUB_MARK=kept' "$T/env"; then
		not_ok "$name" "other variables lost (STUB_MARK missing)"
	else
		ok "$name"
	fi
	name="child: ssh shares autossh's process group, cwd and umask"
	apgid=$(sed 's/^.*) //' "/proc/$child_autossh/stat" 2>/dev/null | awk '{ print $3 }') || :
	spgid=$(awk '$1 == "pgid" { print $2 }' "$T/status")
	scwd=$(sed -n 's/^cwd //p' "$T/status")
	sumask=$(sed -n 's/^umask //p' "$T/status")
	if [ -z "$apgid" ] || [ "$spgid" != "$apgid" ]; then
		not_ok "$name" "ssh pgid $spgid, autossh pgid ${apgid:-unknown}"
	elif [ "$scwd" != "$(cd "$T/cwd" && pwd -P)" ]; then
		not_ok "$name" "ssh cwd $scwd, want $T/cwd"
	elif [ "$sumask" != 0027 ]; then
		not_ok "$name" "ssh umask $sumask, want 0027"
	else
		ok "$name"
	fi
fi
kill -TERM "$child_autossh" 2>/dev/null || :
wait_exit 5 "$child_autossh" || :

# ---------------------------------------------------------------- bad input

mkdir "$T/piddir"
: >"$T/afile"

# glob_match STRING PATTERN: STRING matches the shell pattern PATTERN.
glob_match() {
	# shellcheck disable=SC2254
	case $1 in
	$2) return 0 ;;
	esac
	return 1
}

# bad_case NAME WANT [VAR=VAL...] ARG...: autossh must reject the input with
# exactly one stderr line matching the glob WANT (plus the usage text when
# WANT is the no-destination error), exit 1, start no ssh and leave an
# existing pidfile alone. Variables are passed to env before "$AUTOSSH".
bad_case() {
	_name="bad input: $1"
	_want=$2
	shift 2
	rm -f "$T/bad.stub"
	rm -f "$T/piddir/"*
	printf '4242\n' >"$T/piddir/autossh.pid"
	_rc=0
	_vars=
	while [ $# -gt 0 ]; do
		case $1 in
		*=*) _vars="$_vars$1
" ;;
		*) break ;;
		esac
		shift
	done
	# Re-read the assignments line by line so values may hold blanks.
	_oifs=$IFS
	IFS='
'
	set -f
	# shellcheck disable=SC2086
	timeout 10 env AUTOSSH_PATH="$STUB" STUB_LOG="$T/bad.stub" STUB_EXIT=0 \
		AUTOSSH_PIDFILE="$T/piddir/autossh.pid" $_vars "$AUTOSSH" "$@" \
		</dev/null >"$T/bad.out" 2>"$T/bad.err" || _rc=$?
	set +f
	IFS=$_oifs
	_lines=$(wc -l <"$T/bad.err") || :
	_first=$(head -n 1 "$T/bad.err") || :
	_prefixed=$(grep -c '^autossh: ' "$T/bad.err" || :)
	_why=
	if [ "$_rc" != 1 ]; then
		_why="exit status $_rc, want 1"
	elif [ -s "$T/bad.stub" ]; then
		_why="ssh was started"
	elif ! glob_match "$_first" "$_want"; then
		_why="stderr [$_first], want [$_want]"
	elif [ "$_prefixed" != 1 ]; then
		_why="$_prefixed stderr lines start with 'autossh: ', want 1"
	elif [ "$_want" = "autossh: no destination host given" ]; then
		if [ "$(sed -n 2p "$T/bad.err")" != "usage: autossh [-V] [-M monitor_port[:echo_port]] [-f] [SSH_OPTIONS]" ]; then
			_why="usage line missing after the error: [$(sed -n 2p "$T/bad.err")]"
		fi
	elif [ "$_lines" != 1 ]; then
		_why="$_lines stderr lines, want 1: $(tr '\n' '|' <"$T/bad.err")"
	fi
	if [ -z "$_why" ] && [ -s "$T/bad.out" ]; then
		_why="unexpected stdout: $(head -n 2 "$T/bad.out" | tr '\n' '|')"
	fi
	if [ -z "$_why" ]; then
		if [ "$(cat "$T/piddir/autossh.pid" 2>/dev/null)" != 4242 ]; then
			_why="existing pidfile was changed"
		elif [ "$(find "$T/piddir" -mindepth 1 -printf '%f ')" != "autossh.pid " ]; then
			_why="files left in the pidfile directory: $(find "$T/piddir" -mindepth 1 -printf '%f ')"
		fi
	fi
	if [ -n "$_why" ]; then
		not_ok "$_name" "$_why"
	else
		ok "$_name"
	fi
}

bad_case '-M abc' 'autossh: -M "abc": invalid monitor port' -M abc host
bad_case '-M 65535' 'autossh: -M "65535": monitor port out of range (1-65534)' -M 65535 host
bad_case '-M -1' 'autossh: -M "-1": invalid monitor port' -M -1 host
bad_case '-M " 20000" (blank)' 'autossh: -M " 20000": invalid monitor port' -M ' 20000' host
bad_case '-M 20000x' 'autossh: -M "20000x": invalid monitor port' -M 20000x host
bad_case '-M 20000:abc' 'autossh: -M "20000:abc": invalid echo port' -M 20000:abc host
bad_case '-M 20000:65536' 'autossh: -M "20000:65536": echo port out of range (1-65535)' -M 20000:65536 host
bad_case '-M 70000:7' 'autossh: -M "70000:7": monitor port out of range (1-65535)' -M 70000:7 host
bad_case '-M 0:x (echo port checked when off)' 'autossh: -M "0:x": invalid echo port' -M 0:x host
bad_case '-M without value' 'autossh: -M: option requires a port' -N -M
bad_case '-M without value after the destination' 'autossh: -M: option requires a port' -N host -M
bad_case 'no destination' 'autossh: no destination host given' -M 0
bad_case 'no destination (only options)' 'autossh: no destination host given' -M 0 -N -L 1:h:2
bad_case 'AUTOSSH_POLL=abc' 'autossh: AUTOSSH_POLL: invalid value "abc" (*)' AUTOSSH_POLL=abc -M 0 host
bad_case 'AUTOSSH_POLL=0' 'autossh: AUTOSSH_POLL: invalid value "0" (*)' AUTOSSH_POLL=0 -M 0 host
bad_case 'AUTOSSH_POLL=-1' 'autossh: AUTOSSH_POLL: invalid value "-1" (*)' AUTOSSH_POLL=-1 -M 0 host
bad_case 'AUTOSSH_POLL=" 5" (blank)' 'autossh: AUTOSSH_POLL: invalid value " 5" (*)' 'AUTOSSH_POLL= 5' -M 0 host
bad_case 'AUTOSSH_FIRST_POLL=0' 'autossh: AUTOSSH_FIRST_POLL: invalid value "0" (*)' AUTOSSH_FIRST_POLL=0 -M 0 host
bad_case 'AUTOSSH_GATETIME=x' 'autossh: AUTOSSH_GATETIME: invalid value "x" (*)' AUTOSSH_GATETIME=x -M 0 host
bad_case 'AUTOSSH_GATETIME=2147483648' 'autossh: AUTOSSH_GATETIME: invalid value "2147483648" (*)' \
	AUTOSSH_GATETIME=2147483648 -M 0 host
bad_case 'AUTOSSH_MAXSTART=-2' 'autossh: AUTOSSH_MAXSTART: invalid value "-2" (*)' AUTOSSH_MAXSTART=-2 -M 0 host
bad_case 'AUTOSSH_LOGLEVEL=8' 'autossh: AUTOSSH_LOGLEVEL: invalid value "8" (*)' AUTOSSH_LOGLEVEL=8 -M 0 host
msg65=aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa
bad_case 'AUTOSSH_MESSAGE of 65 bytes' "autossh: AUTOSSH_MESSAGE: invalid value \"$msg65\" (*)" \
	AUTOSSH_MESSAGE="$msg65" -M 0 host
bad_case 'AUTOSSH_MAXLIFETIME=-1' 'autossh: AUTOSSH_MAXLIFETIME: invalid value "-1" (*)' \
	AUTOSSH_MAXLIFETIME=-1 -M 0 host
bad_case 'AUTOSSH_PORT=70000' \
	'autossh: AUTOSSH_PORT: invalid value "70000" (monitor port out of range (1-65534))' \
	AUTOSSH_PORT=70000 host
bad_case 'AUTOSSH_PORT=abc is checked even with -M' \
	'autossh: AUTOSSH_PORT: invalid value "abc" (invalid monitor port)' \
	AUTOSSH_PORT=abc -M 0 host
bad_case 'AUTOSSH_PATH=/nonexistent' 'autossh: AUTOSSH_PATH: invalid value "/nonexistent" (*)' \
	AUTOSSH_PATH=/nonexistent -M 0 host
bad_case 'AUTOSSH_PATH not executable' "autossh: AUTOSSH_PATH: invalid value \"$T/afile\" (*)" \
	AUTOSSH_PATH="$T/afile" -M 0 host
bad_case 'AUTOSSH_PIDFILE in a missing directory' \
	"autossh: AUTOSSH_PIDFILE: invalid value \"$T/missing/a.pid\" (*)" \
	AUTOSSH_PIDFILE="$T/missing/a.pid" -M 0 host
bad_case 'AUTOSSH_PIDFILE below a regular file' \
	"autossh: AUTOSSH_PIDFILE: invalid value \"$T/afile/a.pid\" (*)" \
	AUTOSSH_PIDFILE="$T/afile/a.pid" -M 0 host
if [ "$(id -u)" != 0 ]; then
	mkdir "$T/ro"
	chmod 555 "$T/ro"
	bad_case 'AUTOSSH_PIDFILE in an unwritable directory' \
		"autossh: AUTOSSH_PIDFILE: invalid value \"$T/ro/a.pid\" (*)" \
		AUTOSSH_PIDFILE="$T/ro/a.pid" -M 0 host
fi
bad_case 'AUTOSSH_LOGFILE in a missing directory' \
	"autossh: AUTOSSH_LOGFILE: invalid value \"$T/missing/log\" (*)" \
	AUTOSSH_LOGFILE="$T/missing/log" -M 0 host
bad_case 'with -f the error still reaches stderr' \
	'autossh: AUTOSSH_POLL: invalid value "abc" (*)' AUTOSSH_POLL=abc -f -M 0 host
bad_case 'arguments are checked before variables' \
	'autossh: -M "abc": invalid monitor port' AUTOSSH_POLL=abc -M abc host
bad_case 'variables are checked in table order' \
	'autossh: AUTOSSH_POLL: invalid value "x" (*)' AUTOSSH_GATETIME=x AUTOSSH_POLL=x -M 0 host

# Controls: the same harness accepts good input (so the cases above fail
# for the right reason).
good_case() {
	_name="good input: $1"
	shift
	rm -f "$T/bad.stub"
	_rc=0
	timeout 10 env AUTOSSH_PATH="$STUB" STUB_LOG="$T/bad.stub" STUB_EXIT=0 AUTOSSH_GATETIME=0 \
		"$@" </dev/null >"$T/bad.out" 2>"$T/bad.err" || _rc=$?
	if [ "$_rc" != 0 ]; then
		not_ok "$_name" "exit status $_rc, want 0; stderr: $(head -n 2 "$T/bad.err" | tr '\n' '|')"
	elif [ "$(wc -l <"$T/bad.stub" 2>/dev/null || echo 0)" != 1 ]; then
		not_ok "$_name" "ssh not started exactly once"
	elif [ -s "$T/bad.err" ]; then
		not_ok "$_name" "unexpected stderr: $(head -n 2 "$T/bad.err" | tr '\n' '|')"
	else
		ok "$_name"
	fi
}
good_case 'empty AUTOSSH_POLL means unset' AUTOSSH_POLL= "$AUTOSSH" -M 0 host
good_case 'AUTOSSH_MESSAGE of 64 bytes' AUTOSSH_MESSAGE="${msg65#a}" "$AUTOSSH" -M 0 host
good_case 'unknown AUTOSSH_FOO is ignored' AUTOSSH_FOO=bar "$AUTOSSH" -M 0 host
