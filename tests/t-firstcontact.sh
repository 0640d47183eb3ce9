#!/bin/sh
# t-firstcontact: what a new user meets first (autossh(1) DESCRIPTION,
# ENVIRONMENT, FILES): -h and --version answered by autossh, a symlinked
# log file followed when root or autossh's user owns it, -f with
# AUTOSSH_DEBUG holding none of the caller's descriptors, the README's
# recipe for checking a unit's settings with the doctor, and variant builds
# (make sanitize, make static) that never leave their binary as ./autossh.
set -eu
# shellcheck source=tests/lib.sh disable=SC1091
. tests/lib.sh
lib_init firstcontact

version=$(sh tests/version.sh)

# ---------------------------------------------------------------- -h, --version

# answered NAME WANT_FIRST_LINE ARG...: exit 0, WANT_FIRST_LINE first on
# stdout, nothing on stderr, no ssh run.
answered() {
	_an_name=$1
	_an_want=$2
	shift 2
	rm -f "$T/an.stub"
	_an_rc=0
	env AUTOSSH_PATH="$STUB" STUB_LOG="$T/an.stub" STUB_EXIT=0 "$AUTOSSH" "$@" \
		</dev/null >"$T/an.out" 2>"$T/an.err" || _an_rc=$?
	_an_first=$(head -n 1 "$T/an.out")
	if [ "$_an_rc" = 0 ] && [ "$_an_first" = "$_an_want" ] && [ ! -s "$T/an.err" ] && [ ! -e "$T/an.stub" ]; then
		ok "$_an_name"
	else
		not_ok "$_an_name" "exit $_an_rc, stdout [$_an_first], stderr [$(head -n 1 "$T/an.err")], ssh run: $([ -e "$T/an.stub" ] && echo yes || echo no)"
	fi
}

usage1='usage: autossh [-V] [-M monitor_port[:echo_port]] [-f] [SSH_OPTIONS]'
answered "autossh -h: usage on stdout, exit 0, no ssh" "$usage1" -h
answered "autossh -h host: usage on stdout, exit 0, no ssh" "$usage1" -h gw.example.org
answered "autossh --version: the version, exit 0, no ssh" "autossh $version" --version

# ---------------------------------------------------------------- log symlink

# Owned by the user running the tests (root, or autossh's own user): followed.
name="AUTOSSH_LOGFILE a symlink of autossh's own user: followed, as 1.4g"
ln -s "$T/real.log" "$T/link.log"
rc=0
env AUTOSSH_PATH="$STUB" STUB_EXIT=0 AUTOSSH_GATETIME=0 AUTOSSH_LOGFILE="$T/link.log" \
	timeout 20 "$AUTOSSH" -M 0 -N gw.example.org </dev/null >"$T/ln.out" 2>"$T/ln.err" || rc=$?
if [ "$rc" = 0 ] && [ -L "$T/link.log" ] && log_has "$T/real.log" 'starting ssh'; then
	ok "$name"
else
	not_ok "$name" "exit $rc, stderr [$(head -n 1 "$T/ln.err")], target $([ -s "$T/real.log" ] && echo written || echo empty)"
fi

name="AUTOSSH_LOGFILE another user's symlink: refused, naming its owner"
if [ "$(id -u)" != 0 ]; then
	skip "$name" "needs root to make a link owned by nobody"
else
	ln -s "$T/planted.log" "$T/foreign.log"
	chown -h nobody "$T/foreign.log"
	rc=0
	env AUTOSSH_PATH="$STUB" STUB_EXIT=0 AUTOSSH_LOGFILE="$T/foreign.log" \
		timeout 20 "$AUTOSSH" -M 0 -N gw.example.org </dev/null >/dev/null 2>"$T/fl.err" || rc=$?
	want="autossh: AUTOSSH_LOGFILE: invalid value \"$T/foreign.log\" (a symlink owned by nobody (uid $(id -u nobody)), not by root or the user autossh runs as)"
	if [ "$rc" = 1 ] && [ "$(cat "$T/fl.err")" = "$want" ] && [ ! -e "$T/planted.log" ]; then
		ok "$name"
	else
		not_ok "$name" "exit $rc, stderr [$(head -n 1 "$T/fl.err")]"
	fi
fi

# ---------------------------------------------------------------- -f, AUTOSSH_DEBUG

# The caller reads autossh's output to the end: with -f that end must come
# at once, even though AUTOSSH_DEBUG copies syslog's lines to stderr.
name="-f with AUTOSSH_DEBUG: x=\$(autossh -f ... 2>&1) returns at once"
start=$(now_ms)
rc=0
# shellcheck disable=SC2016 # the inner sh expands $0 and $1
env AUTOSSH_PATH="$STUB" STUB_LOG="$T/dbg.stub" AUTOSSH_DEBUG=1 AUTOSSH_PIDFILE="$T/dbg.pid" \
	timeout 10 sh -c 'x=$("$0" -f -M 0 -N gw.example.org 2>&1); printf "%s" "$x" >"$1"' \
	"$AUTOSSH" "$T/dbg.out" </dev/null || rc=$?
took=$(($(now_ms) - start))
if pid=$(pidfile_pid "$T/dbg.pid"); then
	track_pid "$pid"
fi
if [ "$rc" = 0 ] && [ "$took" -lt 5000 ] && [ -n "${pid:-}" ] && pid_alive "$pid"; then
	ok "$name"
else
	not_ok "$name" "status $rc after $took ms, background pid ${pid:-none}"
fi
[ -z "${pid:-}" ] || { kill -TERM "$pid" 2>/dev/null || :; wait_gone 5 "$pid" || :; }

# ---------------------------------------------------------------- variant builds

# A copy of what the build needs, with one failing test script as the
# whole suite: `make sanitize` runs it, fails, and ./autossh must still be
# the plain build (or absent), never the instrumented one. -O0 keeps the
# builds quick; -fsanitize=address still marks the binary (__asan_init).
tree=$T/tree
mkdir -p "$tree/tests"
for f in Makefile autossh.c CHANGES tests/version.sh tests/prereq.sh tests/run.sh tests/unit.c; do
	cp -p "$TOP/$f" "$tree/$f"
done
printf '#!/bin/sh\necho "not ok planted failure"\nexit 1\n' >"$tree/tests/t-fail.sh"

# plain_or_absent FILE: FILE is missing, or a binary without ASan in it.
plain_or_absent() {
	[ ! -e "$1" ] || ! grep -q __asan_init "$1"
}

name="make sanitize with a failing test leaves no instrumented ./autossh"
if ! printf 'int main(void){return 0;}\n' >"$T/asan.c" ||
	! ${CC:-cc} -fsanitize=address -o "$T/asan" "$T/asan.c" 2>/dev/null; then
	skip "$name" "the compiler cannot build with -fsanitize=address"
else
	rc=0
	(cd "$tree" && env -u MAKEFLAGS -u MFLAGS -u MAKELEVEL timeout 120 make sanitize \
		CFLAGS=-O0 SANITIZE_FLAGS="-O0 -fsanitize=address" TESTS=tests/t-fail.sh) \
		>"$T/sanitize.log" 2>&1 || rc=$?
	if [ "$rc" != 0 ] && plain_or_absent "$tree/autossh" && grep -q 'not ok planted failure' "$T/sanitize.log"; then
		ok "$name"
	else
		not_ok "$name" "make exit $rc; ./autossh $(plain_or_absent "$tree/autossh" && echo plain || echo instrumented)"
		tail -n 5 "$T/sanitize.log" | sed 's/^/# /'
	fi
fi

name="make static builds build/static/autossh, not ./autossh"
if ! command -v musl-gcc >/dev/null 2>&1; then
	skip "$name" "musl-gcc not installed (Debian/Ubuntu: musl-tools)"
else
	rm -f "$tree/autossh"
	rc=0
	(cd "$tree" && env -u MAKEFLAGS -u MFLAGS -u MAKELEVEL timeout 120 make static CFLAGS=-O0) \
		>"$T/static.log" 2>&1 || rc=$?
	if [ "$rc" = 0 ] && [ ! -e "$tree/autossh" ] && [ -x "$tree/build/static/autossh" ] &&
		[ "$("$tree/build/static/autossh" -V)" = "autossh $version" ]; then
		ok "$name"
	else
		not_ok "$name" "make exit $rc; ./autossh $([ -e "$tree/autossh" ] && echo exists || echo absent)"
		tail -n 5 "$T/static.log" | sed 's/^/# /'
	fi
fi

# ---------------------------------------------------------------- docs agree

# README: the recipe for checking a unit's settings, run as written against
# the test sshd, with a settings file in contrib/autossh.default's form.
name="README recipe: the doctor checks a unit's settings file, variables exported"
recipe=$(awk '/^To check an instance.s settings/ { on = 1 }
	on && /^    / { print substr($0, 5); n++ }
	on && n && !/^    / { exit }' README)
if [ -z "$recipe" ]; then
	not_ok "$name" "README has no recipe after \"To check an instance's settings\""
elif ! start_sshd; then
	skip "$name" "sshd did not start"
else
	lp=$(free_port)
	cat >"$T/autossh-db" <<EOF2
# As contrib/autossh.default: read by systemd, and here by a shell.
TUNNEL_ARGS="-F $SSH_CFG -o ServerAliveInterval=30 -o ServerAliveCountMax=3 \\
 -o ExitOnForwardFailure=yes -o BatchMode=yes \\
 -L $lp:127.0.0.1:$lp \\
 testhost"
AUTOSSH_LOGFILE=$T/db.log
EOF2
	mkdir -p "$T/bin"
	ln -sf "$AUTOSSH" "$T/bin/autossh"
	printf '%s\n' "$recipe" | sed "s|/etc/default/autossh-db|$T/autossh-db|g" >"$T/recipe.sh"
	rc=0
	PATH="$T/bin:$PATH" timeout 30 sh "$T/recipe.sh" </dev/null >"$T/recipe.out" 2>&1 || rc=$?
	# Exit 0 and no FAIL: --connect logged in; the log line: the file's
	# AUTOSSH_* variables reached autossh.
	if [ "$rc" = 0 ] && grep -q "^ok   log: $T/db.log" "$T/recipe.out" &&
		! grep -q '^FAIL' "$T/recipe.out" && [ ! -e "$T/db.log" ]; then
		ok "$name"
	else
		not_ok "$name" "exit $rc"
		diag "$T/recipe.sh" "$T/recipe.out"
	fi
fi

# Every autossh -f example in the README's Quick start and the man page's
# EXAMPLES says BatchMode=yes (ssh in the background cannot prompt).
name="README Quick start and man page EXAMPLES: every -f example has BatchMode=yes"
awk '/^Quick start$/ { on = 1; next } on && /^When a tunnel/ { exit } on' README >"$T/quick"
sed -n '/^\.Sh EXAMPLES/,/^\.Sh /p' autossh.1 >"$T/examples"
missing=
for f in "$T/quick" "$T/examples"; do
	# One example: a line with "autossh ... -f" and its continued lines
	# (ending in \, or \e in mdoc).
	awk '/autossh .*-f/ { ex = $0; more = /\\e?$/; if (!more) print ex; next }
		more { ex = ex " " $0; more = /\\e?$/; if (!more) print ex }' "$f" >"$f.cmds"
	[ -s "$f.cmds" ] || missing="$missing ${f##*/}:none"
	while IFS= read -r cmd; do
		case $cmd in
		*BatchMode=yes*) ;;
		*) missing="$missing ${f##*/}:[$(printf '%s' "$cmd" | cut -c1-50)]" ;;
		esac
	done <"$f.cmds"
done
if [ -z "$missing" ]; then ok "$name"; else not_ok "$name" "without it:$missing"; fi

# The example settings file: what it offers for the unit's -M 0 must be
# accepted with -M 0 (AUTOSSH_CONNECT_TIMEOUT needs a monitor port).
name="contrib/autossh.default: its -M 0 settings are valid with -M 0"
sed -n '/valid with the unit.s -M 0/,$p' contrib/autossh.default |
	sed -n 's/^#\(AUTOSSH_[A-Z_]*=.*\)/\1/p' >"$T/m0.vars"
rc=0
if [ ! -s "$T/m0.vars" ]; then
	why="no settings marked as valid with the unit's -M 0"
else
	# shellcheck disable=SC2046 # one VAR=value word each
	env AUTOSSH_PATH="$STUB" STUB_EXIT=0 $(cat "$T/m0.vars") AUTOSSH_LOGFILE="$T/m0.log" \
		timeout 20 "$AUTOSSH" --doctor -M 0 -N gw.example.org </dev/null >"$T/m0.out" 2>&1 || rc=$?
	why=$(grep 'invalid value' "$T/m0.out" | head -n 1) || why=
fi
header=$(sed -n '/^#   AUTOSSH_\*/,/^# User:/p' contrib/autossh@.service)
case $header in
*AUTOSSH_CONNECT_TIMEOUT*) printf '%s\n' "$header" | grep -q 'needs a monitor port' ||
	why="${why:+$why; }the unit's header offers AUTOSSH_CONNECT_TIMEOUT without saying it needs a monitor port" ;;
esac
if [ -z "$why" ]; then ok "$name"; else not_ok "$name" "$why"; fi
