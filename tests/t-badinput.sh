#!/bin/sh
# t-badinput: bad command lines and environments (autossh(1) DESCRIPTION,
# MONITORING, ENVIRONMENT, FILES). Each case must give exactly one stderr line starting
# "autossh: " (the usage text may follow only "no destination host given"),
# exit 1, never start ssh (tests/stub-ssh), print nothing on stdout and
# change no existing file: a pidfile and a log file with known content (the
# defaults of every case), a symlink and its target are compared by
# checksum, size, mode and mtime, and no file may appear or vanish.
#
# The table below drives everything, one case a line:
#
#     name | expected first stderr line (shell glob) | variables | arguments | flags
#
# Variables and arguments are split on blanks. In both, @T@ is the temp
# dir, @F@ the directory of protected files, @B@ a TCP port something
# listens on (127.0.0.1), @B1@ that port minus one, @E@ an empty word,
# @SP@ a blank, @LF@ a newline and @CR@ a carriage return. A variable
# written -NAME is removed from the environment. The defaults, which a
# case's own variables override, are AUTOSSH_PATH=tests/stub-ssh (logging
# each run), AUTOSSH_GATETIME=0 and AUTOSSH_PIDFILE/AUTOSSH_LOGFILE naming
# the existing files in @F@. Flag "log": the error comes after the log file
# is open (setup, not validation), so the case logs to a fresh file that
# may hold that error line and nothing else (autossh(1) ENVIRONMENT "and log if open").
#
# The same table runs a second time as `autossh --doctor ARGS`: the doctor
# uses the start's parser and checks, so it must fail (exit 1) on every case,
# with the start's message: the same stderr line for bad input, or that line
# in a "FAIL check: ..." line for a setup failure. It may run only `ssh -G`
# and must leave no file behind (not even the log file): like a start, it
# probes a directory with a temporary file it removes at once.
set -eu
# shellcheck source=tests/lib.sh disable=SC1091
. tests/lib.sh
lib_init badinput

F=$T/files
mkdir "$F" "$F/adir"
printf '4242\n' >"$F/autossh.pid"
printf '2001/01/01 00:00:00 autossh[4242]: old line\n' >"$F/autossh.log"
printf 'symlink target: must not change\n' >"$F/target"
ln -s "$F/target" "$F/link"
ln -s "$F/nonexistent" "$F/dangling"
# A symlinked log file is followed if root or autossh's user owns it; the
# cases "another user's symlink" need root to give the links away.
foreign_links=no
if [ "$(id -u)" = 0 ] && chown -h nobody "$F/link" "$F/dangling" 2>/dev/null; then
	foreign_links=yes
fi
printf '#!/bin/sh\nexit 0\n' >"$F/noexec"
chmod 644 "$F/noexec"
# Give every protected file an old mtime, so a rewrite with the same
# content shows.
find "$F" -mindepth 1 -exec touch -h -d '2001-01-01 00:00:00' {} +

B=$(free_port)
socat "TCP-LISTEN:$B,bind=127.0.0.1,reuseaddr,fork" SYSTEM:"echo busy" \
	</dev/null >/dev/null 2>>"$T/socat.log" &
track_pid "$!"
if ! wait_for 5 _listening "$B"; then
	echo "# could not occupy port $B; the busy-port cases will fail"
fi
B1=$((B - 1))
NL='
'
CR=$(printf '\r')

USAGE1='usage: autossh [-V] [-M monitor_port[:echo_port]] [-f] [SSH_OPTIONS]'

# snapshot: everything about the files in $F that a write could change.
snapshot() {
	find "$F" -mindepth 1 -printf '%P %y %s %m %T@ %l\n' | sort
	find "$F" -mindepth 1 -type f -exec md5sum {} + | sort
}

# subst WORD: set SUB to WORD with the @...@ tokens replaced.
subst() {
	SUB=$1
	while :; do
		case $SUB in
		*@T@*) SUB=${SUB%%@T@*}$T${SUB#*@T@} ;;
		*@F@*) SUB=${SUB%%@F@*}$F${SUB#*@F@} ;;
		*@B1@*) SUB=${SUB%%@B1@*}$B1${SUB#*@B1@} ;;
		*@B@*) SUB=${SUB%%@B@*}$B${SUB#*@B@} ;;
		*@SP@*) SUB=${SUB%%@SP@*}' '${SUB#*@SP@} ;;
		*@LF@*) SUB=${SUB%%@LF@*}$NL${SUB#*@LF@} ;;
		*@CR@*) SUB=${SUB%%@CR@*}$CR${SUB#*@CR@} ;;
		*@E@*) SUB=${SUB%%@E@*}${SUB#*@E@} ;;
		*) return 0 ;;
		esac
	done
}

glob_match() {
	# shellcheck disable=SC2254
	case $1 in
	$2) return 0 ;;
	esac
	return 1
}

trim() { printf '%s' "$1" | sed 's/^[[:space:]]*//; s/[[:space:]]*$//'; }

# run_case NAME WANT VARS ARGS FLAGS (MODE: start or doctor)
run_case() {
	_name="bad input: $1"
	[ "$MODE" = start ] || _name="doctor bad input: $1"
	subst "$2"
	_want=$SUB
	_vars=$3
	_args=$4
	_flags=$5
	rm -f "$T/stub.log" "$T/fresh.log"
	_before=$(snapshot)
	_log=$F/autossh.log
	case " $_flags " in
	*" log "*) _log=$T/fresh.log ;;
	esac
	set -f
	set --
	_unset=
	for _v in $_vars; do
		case $_v in
		-*)
			set -- "$@" -u "${_v#-}"
			_unset="$_unset ${_v#-} "
			;;
		esac
	done
	for _d in "AUTOSSH_PATH=$STUB" "STUB_LOG=$T/stub.log" STUB_EXIT=0 AUTOSSH_GATETIME=0 \
		"AUTOSSH_PIDFILE=$F/autossh.pid" "AUTOSSH_LOGFILE=$_log"; do
		case $_unset in
		*" ${_d%%=*} "*) ;;
		*) set -- "$@" "$_d" ;;
		esac
	done
	for _v in $_vars; do
		case $_v in
		-*) ;;
		*)
			subst "$_v"
			set -- "$@" "$SUB"
			;;
		esac
	done
	set -- "$@" "$AUTOSSH"
	[ "$MODE" = start ] || set -- "$@" --doctor
	for _a in $_args; do
		subst "$_a"
		set -- "$@" "$SUB"
	done
	set +f
	_rc=0
	_tlist=$(top_listing)
	timeout 30 env "$@" </dev/null >"$T/out" 2>"$T/err" || _rc=$?
	if [ "$MODE" = doctor ]; then
		doctor_verdict "$_before" "$_tlist"
		return 0
	fi
	_lines=$(wc -l <"$T/err" | tr -d ' ')
	_first=$(head -n 1 "$T/err")
	_prefixed=$(grep -c '^autossh: ' "$T/err" || :)
	_why=
	if [ "$_rc" != 1 ]; then
		_why="exit status $_rc, want 1; stderr: $(head -n 2 "$T/err" | tr '\n' '|')"
	elif [ -e "$T/stub.log" ]; then
		_why="ssh was started"
	elif ! glob_match "$_first" "$_want"; then
		_why="stderr [$_first], want [$_want]"
	elif [ "$_prefixed" != 1 ]; then
		_why="$_prefixed stderr lines start with 'autossh: ', want 1: $(tr '\n' '|' <"$T/err")"
	elif [ "$_first" = "autossh: no destination host given" ]; then
		[ "$(sed -n 2p "$T/err")" = "$USAGE1" ] ||
			_why="usage text does not follow the error: [$(sed -n 2p "$T/err")]"
	elif [ "$_lines" != 1 ]; then
		_why="$_lines stderr lines, want 1: $(tr '\n' '|' <"$T/err")"
	fi
	if [ -z "$_why" ] && [ -s "$T/out" ]; then
		_why="unexpected stdout: $(head -n 2 "$T/out" | tr '\n' '|')"
	fi
	if [ -z "$_why" ]; then
		snapshot >"$T/snap.after"
		if [ "$(cat "$T/snap.after")" != "$_before" ]; then
			_why="existing files changed: $(printf '%s\n' "$_before" | diff - "$T/snap.after" | grep '^[<>]' | tr '\n' '|')"
		fi
	fi
	if [ -z "$_why" ] && [ -s "$T/fresh.log" ]; then
		# Only the error itself may be logged: the line without "autossh: ".
		_msg=${_first#autossh: }
		if grep -vF -- ": $_msg" "$T/fresh.log" | grep -q .; then
			_why="log holds more than the error: $(head -n 3 "$T/fresh.log" | tr '\n' '|')"
		fi
	fi
	if [ -n "$_why" ]; then
		not_ok "$_name" "$_why"
	else
		ok "$_name"
	fi
}

# The files of $T itself but what the harness writes (a doctor creates none).
top_listing() {
	find "$T" -mindepth 1 -maxdepth 1 ! -name out ! -name err ! -name stub.log ! -name snap.after |
		sort
}

# doctor_verdict SNAPSHOT TOP_LISTING: the doctor's run of the current case
# (exit status, $T/out, $T/err, $T/stub.log) against the start's message.
doctor_verdict() {
	_why=
	_fail_msgs=$(sed -n 's/^FAIL [^:]*: //p' "$T/out")
	if [ "$_rc" != 1 ]; then
		_why="exit status $_rc, want 1; stdout: $(grep -v '^ok' "$T/out" | head -n 3 | tr '\n' '|')"
	elif [ -e "$T/stub.log" ] && grep -qv "^[0-9]* '-G' " "$T/stub.log"; then
		_why="ran ssh other than ssh -G: $(head -n 2 "$T/stub.log" | tr '\n' '|')"
	elif [ -s "$T/err" ]; then
		_first=$(head -n 1 "$T/err")
		if ! glob_match "$_first" "$_want"; then
			_why="stderr [$_first], want [$_want]"
		elif [ -s "$T/out" ]; then
			_why="check lines after a bad-input error: $(head -n 2 "$T/out" | tr '\n' '|')"
		fi
	else
		_found=
		while IFS= read -r _m; do
			glob_match "$_m" "$_want" && _found=1
		done <<EOT
$_fail_msgs
EOT
		[ -n "$_found" ] || _why="no FAIL line with [$_want]: $(grep '^FAIL' "$T/out" | tr '\n' '|')"
	fi
	if [ -z "$_why" ]; then
		snapshot >"$T/snap.after"
		if [ "$(cat "$T/snap.after")" != "$1" ]; then
			_why="existing files changed: $(printf '%s\n' "$1" | diff - "$T/snap.after" | grep '^[<>]' | tr '\n' '|')"
		elif [ "$(top_listing)" != "$2" ]; then
			_why="files created: $(top_listing | tr '\n' ' ')"
		fi
	fi
	if [ -n "$_why" ]; then
		not_ok "$_name" "$_why"
	else
		ok "$_name"
	fi
}

cat >"$T/cases" <<'EOF'
# -- monitor port (autossh(1) MONITORING)
-M 65535 (loop needs P+1)            | autossh: -M "65535": monitor port out of range (1-65534)      | | -M 65535 host |
-M 0xFFFF (hex 65535)                | autossh: -M "0xFFFF": monitor port out of range (1-65534)     | | -M 0xFFFF host |
-M 0x10000 (hex 65536)               | autossh: -M "0x10000": monitor port out of range (1-65534)    | | -M 0x10000 host |
-M 65536:7                           | autossh: -M "65536:7": monitor port out of range (1-65535)    | | -M 65536:7 host |
-M 20000:65536                       | autossh: -M "20000:65536": echo port out of range (1-65535)   | | -M 20000:65536 host |
-M 20000:0                           | autossh: -M "20000:0": echo port out of range (1-65535)       | | -M 20000:0 host |
-M huge number                       | autossh: -M "99999999999999999999": *                         | | -M 99999999999999999999 host |
-M -5 (negative)                     | autossh: -M "-5": invalid monitor port                        | | -M -5 host |
-M +20000 (sign)                     | autossh: -M "+20000": invalid monitor port                    | | -M +20000 host |
-M "20000 " (trailing blank)         | autossh: -M "20000 ": invalid monitor port                    | | -M 20000@SP@ host |
-M 20000abc (trailing garbage)       | autossh: -M "20000abc": invalid monitor port                  | | -M 20000abc host |
-M 20000k (suffix)                   | autossh: -M "20000k": invalid monitor port                    | | -M20000k host |
-M empty word                        | autossh: -M "": invalid monitor port                          | | -M @E@ host |
-M 20000: (empty echo port)          | autossh: -M "20000:": invalid echo port                       | | -M 20000: host |
-M :7 (empty monitor port)           | autossh: -M ":7": invalid monitor port                        | | -M :7 host |
-M 20000:7:8                         | autossh: -M "20000:7:8": invalid echo port                    | | -M 20000:7:8 host |
-M 20000:-7                          | autossh: -M "20000:-7": invalid echo port                     | | -M 20000:-7 host |
-M 08 (bad octal)                    | autossh: -M "08": invalid monitor port                        | | -M 08 host |
-M 0x (no hex digits)                | autossh: -M "0x": invalid monitor port                        | | -M 0x host |
-M 1.5                               | autossh: -M "1.5": invalid monitor port                       | | -M 1.5 host |
-M 0:99999 (off, echo checked)       | autossh: -M "0:99999": echo port out of range (1-65535)       | | -M 0:99999 host |
-fM (value missing at the end)       | autossh: -M: option requires a port                           | | host -fM |
no destination                       | autossh: no destination host given                            | | -M 0 -N -o ServerAliveInterval=5 |
no arguments at all                  | autossh: no destination host given                            | | |
# -- variables (autossh(1) ENVIRONMENT): numbers
AUTOSSH_POLL=0                       | autossh: AUTOSSH_POLL: invalid value "0" (*)                  | AUTOSSH_POLL=0 | -M 0 host |
AUTOSSH_POLL=2147483648              | autossh: AUTOSSH_POLL: invalid value "2147483648" (*)         | AUTOSSH_POLL=2147483648 | -M 0 host |
AUTOSSH_POLL huge                    | autossh: AUTOSSH_POLL: invalid value "99999999999999999999999" (*) | AUTOSSH_POLL=99999999999999999999999 | -M 0 host |
AUTOSSH_POLL=10s                     | autossh: AUTOSSH_POLL: invalid value "10s" (*)                | AUTOSSH_POLL=10s | -M 0 host |
AUTOSSH_POLL=-600                    | autossh: AUTOSSH_POLL: invalid value "-600" (*)               | AUTOSSH_POLL=-600 | -M 0 host |
AUTOSSH_POLL="600 " (trailing blank) | autossh: AUTOSSH_POLL: invalid value "600 " (*)               | AUTOSSH_POLL=600@SP@ | -M 0 host |
AUTOSSH_FIRST_POLL=abc               | autossh: AUTOSSH_FIRST_POLL: invalid value "abc" (*)          | AUTOSSH_FIRST_POLL=abc | -M 0 host |
AUTOSSH_GATETIME=-1                  | autossh: AUTOSSH_GATETIME: invalid value "-1" (*)             | AUTOSSH_GATETIME=-1 | -M 0 host |
AUTOSSH_MAXSTART=-2                  | autossh: AUTOSSH_MAXSTART: invalid value "-2" (*)             | AUTOSSH_MAXSTART=-2 | -M 0 host |
AUTOSSH_MAXSTART=1.5                 | autossh: AUTOSSH_MAXSTART: invalid value "1.5" (*)            | AUTOSSH_MAXSTART=1.5 | -M 0 host |
AUTOSSH_LOGLEVEL=-1                  | autossh: AUTOSSH_LOGLEVEL: invalid value "-1" (*)             | AUTOSSH_LOGLEVEL=-1 | -M 0 host |
AUTOSSH_LOGLEVEL=8                   | autossh: AUTOSSH_LOGLEVEL: invalid value "8" (*)              | AUTOSSH_LOGLEVEL=8 | -M 0 host |
AUTOSSH_MAXLIFETIME=1e3              | autossh: AUTOSSH_MAXLIFETIME: invalid value "1e3" (*)         | AUTOSSH_MAXLIFETIME=1e3 | -M 0 host |
AUTOSSH_MAXLIFETIME=2147483648       | autossh: AUTOSSH_MAXLIFETIME: invalid value "2147483648" (*)  | AUTOSSH_MAXLIFETIME=2147483648 | -M 0 host |
# -- variables: text and ports
AUTOSSH_MESSAGE with a newline       | autossh: AUTOSSH_MESSAGE: invalid value *                     | AUTOSSH_MESSAGE=a@LF@b | -M 0 host |
AUTOSSH_MESSAGE with a CR            | autossh: AUTOSSH_MESSAGE: invalid value *                     | AUTOSSH_MESSAGE=a@CR@b | -M 0 host |
AUTOSSH_MESSAGE of 65 bytes          | autossh: AUTOSSH_MESSAGE: invalid value "*" (*)               | AUTOSSH_MESSAGE=12345678901234567890123456789012345678901234567890123456789012345 | -M 0 host |
AUTOSSH_PORT=65535                   | autossh: AUTOSSH_PORT: invalid value "65535" (monitor port out of range (1-65534)) | AUTOSSH_PORT=65535 | host |
AUTOSSH_PORT=x (checked despite -M)  | autossh: AUTOSSH_PORT: invalid value "x" (invalid monitor port) | AUTOSSH_PORT=x | -M 0 host |
AUTOSSH_PORT=:7                      | autossh: AUTOSSH_PORT: invalid value ":7" (invalid monitor port) | AUTOSSH_PORT=:7 | host |
# -- variables: ssh, files
AUTOSSH_PATH missing file            | autossh: AUTOSSH_PATH: invalid value "@T@/no-such-ssh" (*)    | AUTOSSH_PATH=@T@/no-such-ssh | -M 0 host |
AUTOSSH_PATH not executable          | autossh: AUTOSSH_PATH: invalid value "@F@/noexec" (*)         | AUTOSSH_PATH=@F@/noexec | -M 0 host |
AUTOSSH_PATH a directory             | autossh: AUTOSSH_PATH: invalid value "@F@/adir" (*)           | AUTOSSH_PATH=@F@/adir | -M 0 host |
AUTOSSH_PATH name not in PATH        | autossh: AUTOSSH_PATH: invalid value "no-such-ssh-xyz" (*)    | AUTOSSH_PATH=no-such-ssh-xyz | -M 0 host |
no ssh in PATH (AUTOSSH_PATH unset)  | autossh: ssh: *                                               | -AUTOSSH_PATH PATH=@T@/empty-path | -M 0 host |
AUTOSSH_PIDFILE in a missing dir     | autossh: AUTOSSH_PIDFILE: invalid value "@T@/missing/a.pid" (directory @T@/missing does not exist) | AUTOSSH_PIDFILE=@T@/missing/a.pid | -M 0 host |
AUTOSSH_PIDFILE is a directory       | autossh: AUTOSSH_PIDFILE: invalid value "@F@/adir" (*)        | AUTOSSH_PIDFILE=@F@/adir | -M 0 host |
AUTOSSH_PIDFILE below a file         | autossh: AUTOSSH_PIDFILE: invalid value "@F@/target/a.pid" (*) | AUTOSSH_PIDFILE=@F@/target/a.pid | -M 0 host |
AUTOSSH_PIDFILE unwritable (/proc)   | autossh: AUTOSSH_PIDFILE: invalid value "/proc/autossh-test.pid" (*) | AUTOSSH_PIDFILE=/proc/autossh-test.pid | -M 0 host |
AUTOSSH_LOGFILE in a missing dir     | autossh: AUTOSSH_LOGFILE: invalid value "@T@/missing/log" (directory @T@/missing does not exist) | AUTOSSH_LOGFILE=@T@/missing/log | -M 0 host |
AUTOSSH_LOGFILE is a directory       | autossh: AUTOSSH_LOGFILE: invalid value "@F@/adir" (*)        | AUTOSSH_LOGFILE=@F@/adir | -M 0 host |
AUTOSSH_LOGFILE unwritable (/proc)   | autossh: AUTOSSH_LOGFILE: invalid value "/proc/autossh-test.log" (*) | AUTOSSH_LOGFILE=/proc/autossh-test.log | -M 0 host |
AUTOSSH_LOGFILE another user's symlink | autossh: AUTOSSH_LOGFILE: invalid value "@F@/link" (a symlink owned by nobody *) | AUTOSSH_LOGFILE=@F@/link | -M 0 host |
AUTOSSH_LOGFILE another user's dangling symlink | autossh: AUTOSSH_LOGFILE: invalid value "@F@/dangling" (a symlink owned by nobody *) | AUTOSSH_LOGFILE=@F@/dangling | -M 0 host |
AUTOSSH_STATUSFILE in a missing dir  | autossh: AUTOSSH_STATUSFILE: invalid value "@T@/missing/st" (directory @T@/missing does not exist) | AUTOSSH_STATUSFILE=@T@/missing/st | -M 0 host |
AUTOSSH_STATUSFILE is a directory    | autossh: AUTOSSH_STATUSFILE: invalid value "@F@/adir" (*)     | AUTOSSH_STATUSFILE=@F@/adir | -M 0 host |
# -- variables beyond 1.4g (autossh(1) MONITORING)
AUTOSSH_MONITOR_ADDR=10.0.0.1        | autossh: AUTOSSH_MONITOR_ADDR: invalid value "10.0.0.1" (*)   | AUTOSSH_MONITOR_ADDR=10.0.0.1 | -M 20000 host |
AUTOSSH_MONITOR_ADDR=localhost       | autossh: AUTOSSH_MONITOR_ADDR: invalid value "localhost" (*)  | AUTOSSH_MONITOR_ADDR=localhost | -M 20000 host |
AUTOSSH_MONITOR_ADDR=127.0.0.256     | autossh: AUTOSSH_MONITOR_ADDR: invalid value "127.0.0.256" (*) | AUTOSSH_MONITOR_ADDR=127.0.0.256 | -M 20000 host |
AUTOSSH_MONITOR_ADDR=::2             | autossh: AUTOSSH_MONITOR_ADDR: invalid value "::2" (*)        | AUTOSSH_MONITOR_ADDR=::2 | -M 20000 host |
AUTOSSH_MONITOR_ADDR=0.0.0.0         | autossh: AUTOSSH_MONITOR_ADDR: invalid value "0.0.0.0" (*)    | AUTOSSH_MONITOR_ADDR=0.0.0.0 | -M 20000 host |
AUTOSSH_NET_TIMEOUT=99               | autossh: AUTOSSH_NET_TIMEOUT: invalid value "99" (*)          | AUTOSSH_NET_TIMEOUT=99 | -M 20000 host |
AUTOSSH_NET_TIMEOUT=3600001          | autossh: AUTOSSH_NET_TIMEOUT: invalid value "3600001" (*)     | AUTOSSH_NET_TIMEOUT=3600001 | -M 20000 host |
AUTOSSH_NET_TIMEOUT=1s               | autossh: AUTOSSH_NET_TIMEOUT: invalid value "1s" (*)          | AUTOSSH_NET_TIMEOUT=1s | -M 20000 host |
AUTOSSH_JITTER=51                    | autossh: AUTOSSH_JITTER: invalid value "51" (*)               | AUTOSSH_JITTER=51 | -M 0 host |
AUTOSSH_JITTER=-1                    | autossh: AUTOSSH_JITTER: invalid value "-1" (*)               | AUTOSSH_JITTER=-1 | -M 0 host |
AUTOSSH_CONNECT_TIMEOUT with -M 0    | autossh: AUTOSSH_CONNECT_TIMEOUT: invalid value "5" (needs a monitor port) | AUTOSSH_CONNECT_TIMEOUT=5 | -M 0 host |
AUTOSSH_CONNECT_TIMEOUT without -M   | autossh: AUTOSSH_CONNECT_TIMEOUT: invalid value "5" (needs a monitor port) | AUTOSSH_CONNECT_TIMEOUT=5 | host |
AUTOSSH_CONNECT_TIMEOUT=x            | autossh: AUTOSSH_CONNECT_TIMEOUT: invalid value "x" (*)       | AUTOSSH_CONNECT_TIMEOUT=x | -M 20000 host |
# -- order: arguments first, then the table in order (autossh(1) ENVIRONMENT)
arguments before variables           | autossh: -M "x": invalid monitor port                         | AUTOSSH_POLL=x AUTOSSH_JITTER=99 | -M x host |
POLL before JITTER                   | autossh: AUTOSSH_POLL: invalid value "x" (*)                  | AUTOSSH_JITTER=99 AUTOSSH_POLL=x | -M 0 host |
PATH before PIDFILE                  | autossh: AUTOSSH_PATH: invalid value "@T@/nope" (*)           | AUTOSSH_PIDFILE=@T@/missing/p AUTOSSH_PATH=@T@/nope | -M 0 host |
# -- -f: checks come before the fork; the error reaches stderr
-f with AUTOSSH_JITTER=99            | autossh: AUTOSSH_JITTER: invalid value "99" (*)               | AUTOSSH_JITTER=99 | -f -M 0 host |
-f with another user's symlinked log file | autossh: AUTOSSH_LOGFILE: invalid value "@F@/link" (a symlink owned by nobody *) | AUTOSSH_LOGFILE=@F@/link | -f -M 0 host |
# -- setup failures (autossh(1) MONITORING): busy ports
loop mode, P+1 busy                  | autossh: echo port 127.0.0.1:@B@ (monitor port @B1@ + 1): *   | | -M @B1@ host | log
loop mode, P busy                    | autossh: monitor port 127.0.0.1:@B@: *                        | | -M @B@ host | log
echo mode, P busy                    | autossh: monitor port 127.0.0.1:@B@: *                        | | -M @B@:7 host | log
-f, loop mode, P busy                | autossh: monitor port 127.0.0.1:@B@: *                        | | -f -M @B@ host | log
EOF

if [ "$foreign_links" = no ]; then
	skip "bad input: another user's symlinked log file" "needs root to make a link owned by nobody"
	grep -v "another user's" "$T/cases" >"$T/cases.own" && mv "$T/cases.own" "$T/cases"
fi

for MODE in start doctor; do
	ncases=0
	while IFS='|' read -r c_name c_want c_vars c_args c_flags; do
		c_name=$(trim "$c_name")
		case $c_name in
		'' | '#'*) continue ;;
		esac
		ncases=$((ncases + 1))
		c_flags=$(trim "${c_flags:-}")
		run_case "$c_name" "$(trim "$c_want")" "$c_vars" "$c_args" "$c_flags"
	done <"$T/cases"
done

if [ "$ncases" -lt 40 ]; then
	not_ok "bad input: table" "only $ncases cases, want at least 40"
fi
