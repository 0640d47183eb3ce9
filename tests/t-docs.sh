#!/bin/sh
# tests/t-docs.sh: the companion files agree with the code.
#
# Checks the man page (mandoc lint, length, AUTOSSH_* names and exit
# statuses against autossh.c, version), shellcheck on the shell files,
# rscreen's command line (usage: rscreen [-h] [ssh options] host),
# autossh.host's command line, the README opening, make install /
# uninstall with DESTDIR, and the configure path.
set -eu

# shellcheck source=tests/lib.sh disable=SC1091
. tests/lib.sh
lib_init docs

cd "$TOP"

# A sub-make must not see the outer `make check`'s flags or jobserver.
submake() {
	env -u MAKEFLAGS -u MFLAGS -u MAKELEVEL make "$@"
}

# ---------------------------------------------------------------- man page

if ! command -v mandoc >/dev/null 2>&1; then
	skip "mandoc lint" "mandoc not installed (apt-get install mandoc)"
else
	rc=0
	mandoc -Tlint -Wwarning autossh.1 >"$T/lint" 2>&1 || rc=$?
	if [ "$rc" = 0 ] && [ ! -s "$T/lint" ]; then
		ok "mandoc lint"
	else
		not_ok "mandoc lint" "exit $rc, $(wc -l <"$T/lint") messages"
		diag "$T/lint"
	fi
	# A reference that stays short enough to read: each fact said once.
	# The limit holds as features are added, so they must be said briefly.
	t="man page renders to at most 500 lines"
	lines=$(mandoc -Tutf8 autossh.1 | wc -l)
	if [ "$lines" -le 500 ]; then
		ok "$t"
	else
		not_ok "$t" "$lines lines (mandoc -Tutf8 autossh.1 | wc -l)"
	fi
fi

# ---------------------------------------------------------------- shellcheck

if ! command -v shellcheck >/dev/null 2>&1; then
	skip "shellcheck rscreen autossh.host" "shellcheck not installed"
	skip "shellcheck tests/*.sh" "shellcheck not installed"
else
	if shellcheck rscreen autossh.host >"$T/sc1" 2>&1; then
		ok "shellcheck rscreen autossh.host"
	else
		not_ok "shellcheck rscreen autossh.host" "$(grep -c '^In ' "$T/sc1") findings"
		diag "$T/sc1"
	fi
	if shellcheck tests/*.sh >"$T/sc2" 2>&1; then
		ok "shellcheck tests/*.sh"
	else
		not_ok "shellcheck tests/*.sh" "findings in: $(sed -n 's/^In \([^ ]*\) line.*/\1/p' "$T/sc2" | sort -u | tr '\n' ' ')"
		diag "$T/sc2"
	fi
fi

# ---------------------------------------------------------------- rscreen

usage='usage: rscreen [-h] [ssh options] host'
ka="-o ServerAliveInterval=30 -o ServerAliveCountMax=3"

# run_rscreen [VAR=VALUE...] ./rscreen ARG...: run rscreen with the stub as
# autossh (exit 0 unless STUB_EXIT=n is given); sets RC and leaves stdout,
# stderr and the stub's argument log in $T/rs.*.
run_rscreen() {
	rm -f "$T/rs.out" "$T/rs.err" "$T/rs.log"
	RC=0
	env AUTOSSH="$STUB" STUB_LOG="$T/rs.log" STUB_EXIT=0 "$@" \
		>"$T/rs.out" 2>"$T/rs.err" || RC=$?
}

# rscreen_case NAME WANT [VAR=VALUE...] ./rscreen ARG...: rscreen exits 0
# and runs autossh with the arguments WANT (quote_args form).
rscreen_case() {
	_rc_name=$1
	_rc_want=$2
	shift 2
	run_rscreen "$@"
	_rc_got=$(stub_args "$T/rs.log" 1) || _rc_got=
	if [ "$RC" = 0 ] && [ "$_rc_got" = "$_rc_want" ]; then
		ok "$_rc_name"
	else
		not_ok "$_rc_name" "exit $RC, ran [$_rc_got], want [$_rc_want]"
	fi
}

t="rscreen is executable"
if [ -x rscreen ] && [ -x autossh.host ]; then ok "$t"; else not_ok "$t" "rscreen or autossh.host lacks the x bit"; fi

t="rscreen without host: usage on stderr, exit 1"
run_rscreen ./rscreen
if [ "$RC" = 1 ] && [ "$(cat "$T/rs.err")" = "$usage" ] && [ ! -s "$T/rs.out" ] && [ ! -f "$T/rs.log" ]; then
	ok "$t"
else
	not_ok "$t" "exit $RC, stderr '$(head -n 1 "$T/rs.err")', stdout $(wc -c <"$T/rs.out") bytes"
fi

t="rscreen -h: usage on stdout, exit 0"
run_rscreen ./rscreen -h
if [ "$RC" = 0 ] && [ "$(cat "$T/rs.out")" = "$usage" ] && [ ! -s "$T/rs.err" ] && [ ! -f "$T/rs.log" ]; then
	ok "$t"
else
	not_ok "$t" "exit $RC, stdout '$(head -n 1 "$T/rs.out")', stderr $(wc -c <"$T/rs.err") bytes"
fi

# shellcheck disable=SC2086 # $ka: four words
rscreen_case "rscreen host options (the old order): autossh -M 0 -t options keepalives host screen" \
	"$(quote_args -M 0 -t -p 2222 -o 'ServerAliveInterval 20' -l me $ka gw1 'screen -e^Zz -D -R')" \
	./rscreen gw1 -p 2222 -o 'ServerAliveInterval 20' -l me

# shellcheck disable=SC2086
rscreen_case "rscreen options host (Debian's order): autossh -M 0 -t options keepalives host screen" \
	"$(quote_args -M 0 -t -p 2222 -vA -lme -i id_rscreen $ka gw1 'screen -e^Zz -D -R')" \
	./rscreen -p 2222 -vA -lme -i id_rscreen gw1

# shellcheck disable=SC2086
rscreen_case "rscreen options host options: both kept, in order" \
	"$(quote_args -M 0 -t -o 'User me' -p 2222 $ka gw1 'screen -e^Zz -D -R')" \
	./rscreen -o 'User me' gw1 -p 2222

t="rscreen with options but no host: usage on stderr, exit 1"
run_rscreen ./rscreen -p 2222 -l me
if [ "$RC" = 1 ] && [ "$(cat "$T/rs.err")" = "$usage" ] && [ ! -f "$T/rs.log" ]; then
	ok "$t"
else
	not_ok "$t" "exit $RC, stderr '$(head -n 1 "$T/rs.err")'"
fi

# Two rscreens at once, each under the real autossh (ssh: the stub, which
# runs until killed): neither may find a monitor port taken by the other.
t="two rscreens at once: both keep their ssh running"
for i in 1 2; do
	bg_run AUTOSSH="$AUTOSSH" AUTOSSH_PATH="$STUB" STUB_LOG="$T/two.$i.log" AUTOSSH_GATETIME=0 \
		AUTOSSH_LOGFILE="$T/two.$i.autossh" ./rscreen "gw$i"
	eval "two_$i=\$BG_PID"
done
# shellcheck disable=SC2154 # two_1, two_2: set by eval
if wait_for 10 test -s "$T/two.1.log" -a -s "$T/two.2.log" && pid_alive "$two_1" && pid_alive "$two_2"; then
	ok "$t"
else
	not_ok "$t" "first $(pid_alive "$two_1" && echo runs || echo exited), second $(pid_alive "$two_2" && echo runs || echo exited)"
	diag "$T/two.1.autossh" "$T/two.2.autossh"
fi
kill -TERM "$two_1" "$two_2" 2>/dev/null || :
wait_gone 5 "$two_1" || :
wait_gone 5 "$two_2" || :

t="rscreen passes autossh's exit status"
run_rscreen STUB_EXIT=3 ./rscreen gw1
if [ "$RC" = 3 ]; then ok "$t"; else not_ok "$t" "exit $RC, want 3"; fi

# shellcheck disable=SC2086
rscreen_case "rscreen with AUTOSSH_PORT: no -M" \
	"$(quote_args -t -v $ka gw1 'screen -e^Zz -D -R')" \
	AUTOSSH_PORT=20000 ./rscreen gw1 -v

# shellcheck disable=SC2086
rscreen_case "rscreen with RSCREEN_COMMAND" \
	"$(quote_args -M 0 -t $ka gw1 'tmux new-session -A -s main')" \
	RSCREEN_COMMAND='tmux new-session -A -s main' ./rscreen gw1

# ---------------------------------------------------------------- autossh.host

# Fake autossh, ssh-agent and ssh-add first in PATH.
mkdir "$T/bin"
ln -s "$STUB" "$T/bin/autossh"
cat >"$T/bin/ssh-agent" <<'EOF'
#!/bin/sh
echo "SSH_AUTH_SOCK=/nonexistent/agent.sock; export SSH_AUTH_SOCK;"
echo "echo Agent pid 1;"
EOF
cat >"$T/bin/ssh-add" <<EOF
#!/bin/sh
echo "ssh-add \$SSH_AUTH_SOCK" >>"$T/ssh-add.log"
EOF
chmod +x "$T/bin/ssh-agent" "$T/bin/ssh-add"

t="autossh.host runs the tunnel command, starting an agent"
rc=0
env -u SSH_AUTH_SOCK PATH="$T/bin:$PATH" STUB_LOG="$T/host.log" STUB_EXIT=0 \
	STUB_ENV="$T/host.env" sh autossh.host >"$T/host.out" 2>&1 || rc=$?
want=$(quote_args -f -M 20000 -N -o ExitOnForwardFailure=yes -R 2200:localhost:22 tunnel@gateway.example.org)
got=$(stub_args "$T/host.log" 1) || got=
if [ "$rc" = 0 ] && [ "$got" = "$want" ] &&
	log_has "$T/host.env" '^SSH_AUTH_SOCK=/nonexistent/agent.sock$' &&
	log_has "$T/ssh-add.log" '^ssh-add /nonexistent/agent.sock$'; then
	ok "$t"
else
	not_ok "$t" "exit $rc, ran [$got], want [$want]"
	diag "$T/host.out"
fi

t="autossh.host keeps an existing agent"
rm -f "$T/host.log" "$T/ssh-add.log"
rc=0
SSH_AUTH_SOCK=/existing/sock PATH="$T/bin:$PATH" STUB_LOG="$T/host.log" STUB_EXIT=0 \
	sh autossh.host >"$T/host.out" 2>&1 || rc=$?
got=$(stub_args "$T/host.log" 1) || got=
if [ "$rc" = 0 ] && [ "$got" = "$want" ] && [ ! -f "$T/ssh-add.log" ]; then
	ok "$t"
else
	not_ok "$t" "exit $rc, ran [$got], ssh-add ran: $([ -f "$T/ssh-add.log" ] && echo yes || echo no)"
fi

# ---------------------------------------------------------------- version

t="version agrees: autossh -V, CHANGES, man page"
version=$(sh tests/version.sh)
# The binary built from this tree, whatever TEST_AUTOSSH says.
[ -x "$TOP/autossh" ] || submake -s autossh >"$T/build" 2>&1 || :
v_out=$("$TOP/autossh" -V 2>&1) || v_out="(exit $?) $v_out"
os_line=$(grep '^\.Os' autossh.1 || :)
bad_mentions=$(grep -i 'version [0-9]' autossh.1 | grep -v "version $version" || :)
changes_head=no
case $(head -n 1 CHANGES) in
"Version $version ("*")") changes_head=yes ;;
esac
if [ -n "$version" ] && [ "$changes_head" = yes ] &&
	[ "$v_out" = "autossh $version" ] && [ "$os_line" = ".Os autossh $version" ] &&
	[ -z "$bad_mentions" ]; then
	ok "$t"
else
	not_ok "$t" "CHANGES [$version], -V [$v_out], man [$os_line], other mentions [$bad_mentions]"
fi

# ---------------------------------------------------------------- names

# AUTOSSH_ names, one per line, sorted; "AUTOSSH_" alone (a prefix used to
# build messages) is not a name, nor the tail of a longer identifier such
# as STALL_AUTOSSH_LATE.
names() {
	grep -oE '(^|[^A-Za-z0-9_])AUTOSSH_[A-Z][A-Z0-9_]*' "$@" | sed 's/^[^A-Z]*//' | sort -u
}

# The .Sh section named $1 of the man page.
man_section() {
	awk -v want=".Sh $1" '
		/^\.Sh / { on = ($0 == want); next }
		on' autossh.1
}

names autossh.c >"$T/names.code" || :
names autossh.1 >"$T/names.man" || :

t="AUTOSSH_* names: man page = code"
only_code=$(comm -23 "$T/names.code" "$T/names.man" | tr '\n' ' ')
only_man=$(comm -13 "$T/names.code" "$T/names.man" | tr '\n' ' ')
if [ -s "$T/names.code" ] && [ -z "$only_code$only_man" ]; then
	ok "$t"
else
	not_ok "$t" "only in code: [${only_code% }], only in man page: [${only_man% }]"
fi

t="every AUTOSSH_* name has an ENVIRONMENT entry"
man_section ENVIRONMENT | sed -n 's/^\.It Ev \(AUTOSSH_[A-Z0-9_]*\).*/\1/p' | sort -u >"$T/names.env"
# What autossh sets for the AUTOSSH_ONCHANGE program is named in that entry.
man_section ENVIRONMENT | awk '/^\.It Ev AUTOSSH_ONCHANGE/ { on = 1; next } /^\.It / { on = 0 } on' >"$T/onchange.entry"
names "$T/onchange.entry" >"$T/names.hook" || :
missing=$(comm -23 "$T/names.code" "$T/names.env" | comm -23 - "$T/names.hook" | tr '\n' ' ')
extra_env=
for v in NOTIFY_SOCKET WATCHDOG_USEC WATCHDOG_PID JOURNAL_STREAM; do
	man_section ENVIRONMENT | grep -qx "\\.It Ev $v" || extra_env="$extra_env $v"
done
if [ -s "$T/names.env" ] && [ -z "$missing$extra_env" ]; then
	ok "$t"
else
	not_ok "$t" "no entry for: ${missing}${extra_env}"
fi

# ---------------------------------------------------------------- references

# Comments and docs cite the man page as "autossh(1) RESTARTS" (or
# "autossh(1), RESTARTS"): each cited name must be a section or subsection
# of it, so a reader of the repository can follow every reference.
t="every section cited as autossh(1) NAME exists in the man page"
sed -n 's/^\.S[hs] //p' autossh.1 | tr -d '"' | tr '[:lower:]' '[:upper:]' >"$T/sections"
grep -rIoh --exclude-dir=.git --exclude=autossh.1 \
	'autossh(1),\{0,1\} [A-Z][A-Z0-9 .]*[A-Z0-9]' . >"$T/cited" 2>/dev/null || :
sed 's/^autossh(1),\{0,1\} //' "$T/cited" | sort -u >"$T/cited.names"
unknown=$(awk 'NR == FNR { sec[++n] = $0; next }
	{
		for (i = 1; i <= n; i++) {
			s = sec[i]
			if (index($0, s) == 1 && substr($0, length(s) + 1, 1) !~ /[A-Z0-9]/)
				next
		}
		printf "[%s] ", $0
	}' "$T/sections" "$T/cited.names")
if [ -s "$T/sections" ] && [ -z "$unknown" ]; then
	ok "$t"
else
	not_ok "$t" "not a section: ${unknown:-(no sections found)}"
fi

# ---------------------------------------------------------------- exit status

# Exit statuses the code can produce: the arguments of exit() and the
# literal returns of main(), with comments and string literals removed.
# Literals must be 0 or 1 (EXIT_SUCCESS, EXIT_FAILURE); 128+n comes from
# dying by the signal (raise or kill of ourselves), documented as 128+n.
# _exit() is left out: only the forked child uses it, before exec, and
# autossh itself sees that status, the user never does.
t="exit statuses: man page EXIT STATUS = code"
sed -E "s/'([^'\\\\]|\\\\.)'/0/g" autossh.c |
	sed -E 's/"([^"\\]|\\.)*"/""/g; s:/\*([^*]|\*+[^*/])*\*+/::g; s://.*$::' >"$T/code.c"
{
	grep -oE '(^|[^A-Za-z0-9_])exit[[:space:]]*\([^()]*\)' "$T/code.c" |
		sed -E 's/^[^(]*\([[:space:]]*//; s/[[:space:]]*\)$//'
	awk '/^main[[:space:]]*\(|^int[[:space:]]+main[[:space:]]*\(/ { on = 1 }
		on && /^}/ { on = 0 }
		on' "$T/code.c" |
		sed -n -E 's/.*(^|[^A-Za-z0-9_])return[[:space:]]+([A-Za-z0-9_+ ]+);.*/\2/p'
} | sed -E 's/[[:space:]]+$//' | sort -u >"$T/exits.code"
bad_codes=
for e in $(tr ' ' '_' <"$T/exits.code"); do
	case $e in
	0 | 1 | EXIT_SUCCESS | EXIT_FAILURE) ;;
	[0-9]*) bad_codes="$bad_codes $e" ;;
	*) ;; # a variable: its values are covered by the unit tests
	esac
done
uses_signal_death=no
if grep -Eq '\braise[[:space:]]*\(|\bkill[[:space:]]*\([[:space:]]*getpid' "$T/code.c"; then
	uses_signal_death=yes
fi
man_section 'EXIT STATUS' | sed -n 's/^\.It \(.*\)$/\1/p' | sed 's/ Ns Ar //; s/ Ns //g' | tr '\n' ' ' >"$T/exits.man"
man_exits=$(cat "$T/exits.man")
if [ -z "$bad_codes" ] && [ "$man_exits" = "0 1 128+n " ] && [ "$uses_signal_death" = yes ] &&
	grep -Eq '^(0|EXIT_SUCCESS)$' "$T/exits.code" && grep -Eq '^(1|EXIT_FAILURE)$' "$T/exits.code"; then
	ok "$t"
else
	not_ok "$t" "code: [$(tr '\n' ' ' <"$T/exits.code")]${bad_codes:+ undocumented:$bad_codes}, dies by signal: $uses_signal_death; man page: [$man_exits]"
fi

# ---------------------------------------------------------------- systemd unit

t="systemd-analyze verify contrib/autossh@.service"
if ! command -v systemd-analyze >/dev/null 2>&1; then
	skip "$t" "systemd-analyze not installed"
elif [ ! -x "$TOP/autossh" ]; then
	not_ok "$t" "./autossh not built"
else
	# verify wants ExecStart's program to exist: use the one built here.
	mkdir "$T/unit"
	sed "s|^ExecStart=/usr/bin/autossh |ExecStart=$TOP/autossh |" \
		contrib/autossh@.service >"$T/unit/autossh@docs.service"
	rc=0
	(cd "$T/unit" && systemd-analyze verify ./autossh@docs.service) >"$T/verify" 2>&1 || rc=$?
	if [ "$rc" = 0 ] && [ ! -s "$T/verify" ]; then
		ok "$t"
	else
		not_ok "$t" "exit $rc, $(wc -l <"$T/verify") messages"
		diag "$T/verify"
	fi
fi

# ---------------------------------------------------------------- README

t="README opens with make demo and make check"
head -n 15 README >"$T/readme.head" 2>/dev/null || :
if log_has "$T/readme.head" 'make demo' && log_has "$T/readme.head" 'make check'; then
	ok "$t"
else
	not_ok "$t" "the first 15 lines of README do not show both commands"
fi

# ---------------------------------------------------------------- install

root=$T/root
files="usr/bin/autossh usr/bin/rscreen usr/share/man/man1/autossh.1
usr/share/doc/autossh/examples/autossh.host
usr/share/doc/autossh/examples/autossh@.service
usr/share/doc/autossh/examples/autossh.default"

t="make install DESTDIR PREFIX=/usr"
rc=0
submake install DESTDIR="$root" PREFIX=/usr >"$T/install.log" 2>&1 || rc=$?
missing=
for f in $files; do
	[ -f "$root/$f" ] || missing="$missing $f"
done
for f in usr/bin/autossh usr/bin/rscreen; do
	[ ! -f "$root/$f" ] || [ -x "$root/$f" ] || missing="$missing $f(not executable)"
done
if [ "$rc" = 0 ] && [ -z "$missing" ] && cmp -s autossh.1 "$root/usr/share/man/man1/autossh.1" &&
	[ "$("$root/usr/bin/autossh" -V 2>&1)" = "autossh $version" ]; then
	ok "$t"
else
	not_ok "$t" "exit $rc, missing or wrong:${missing:- (content)}"
	diag "$T/install.log"
fi

# Debian's package autossh owns /usr/bin/autossh (1.4g's wrapper): the
# install above (PREFIX=/usr) names it, once, before overwriting.
t="make install PREFIX=/usr warns that a package owns /usr/bin/autossh"
owner=
if [ -e /usr/bin/autossh ] && command -v dpkg >/dev/null 2>&1; then
	owner=$(dpkg -S /usr/bin/autossh 2>/dev/null | sed -n '1s/: .*//p') || owner=
fi
warnings=$(grep -c 'warning' "$T/install.log" || :)
if [ -z "$owner" ]; then
	skip "$t" "no dpkg package owns /usr/bin/autossh here"
elif [ "$warnings" = 1 ] &&
	grep -qx "make install: warning: /usr/bin/autossh belongs to the package $owner; installing over it (a package update may put it back)" "$T/install.log"; then
	ok "$t"
else
	not_ok "$t" "$warnings warning lines, want 1 naming package $owner"
	diag "$T/install.log"
fi

t="make install: the example unit and launchd job run the installed BINDIR/autossh"
rc=0
submake install DESTDIR="$T/opt" PREFIX=/opt/tunnel >"$T/install-opt.log" 2>&1 || rc=$?
ex=$T/opt/opt/tunnel/share/doc/autossh/examples
exec_start=$(grep '^ExecStart=' "$ex/autossh@.service" 2>/dev/null) || exec_start=
if [ "$rc" = 0 ] && [ "$exec_start" = "ExecStart=/opt/tunnel/bin/autossh -M 0 -N \$TUNNEL_ARGS" ] &&
	grep -q '<string>/opt/tunnel/bin/autossh</string>' "$ex/com.github.autossh.plist" &&
	! grep -q 'warning' "$T/install-opt.log"; then
	ok "$t"
else
	not_ok "$t" "exit $rc, unit [$exec_start]"
	diag "$T/install-opt.log"
fi

t="make uninstall removes every installed file"
rc=0
submake uninstall DESTDIR="$root" PREFIX=/usr >"$T/uninstall.log" 2>&1 || rc=$?
left=$(cd "$root" 2>/dev/null && find . ! -type d | tr '\n' ' ')
if [ "$rc" = 0 ] && [ -d "$root" ] && [ -z "$left" ]; then
	ok "$t"
else
	not_ok "$t" "exit $rc, left: ${left:-nothing}"
	diag "$T/uninstall.log"
fi

# ---------------------------------------------------------------- configure

# The packager's path: autoreconf, configure, make, make install, in a copy
# of the tracked source files.
t="autoreconf -fi && ./configure --prefix=/usr && make && make install DESTDIR"
if ! command -v autoreconf >/dev/null 2>&1; then
	skip "$t" "autoconf not installed (apt-get install autoconf)"
elif ! command -v aclocal >/dev/null 2>&1; then
	skip "$t" "aclocal, which autoreconf runs, not installed (apt-get install automake)"
else
	src="$T/configure-src"
	mkdir -p "$src"
	for f in Makefile configure.ac config.mk.in CHANGES tests/version.sh autossh.c \
		autossh.1 rscreen autossh.host contrib/autossh@.service contrib/autossh.default \
		contrib/com.github.autossh.plist; do
		mkdir -p "$src/$(dirname "$f")"
		cp -p "$f" "$src/$f"
	done
	rc=0
	(cd "$src" && autoreconf -fi && ./configure --prefix=/usr --with-ssh=/usr/bin/ssh &&
		submake && submake install DESTDIR="$src/root") >"$T/configure.log" 2>&1 || rc=$?
	missing=
	for f in usr/bin/autossh usr/bin/rscreen usr/share/man/man1/autossh.1 \
		usr/share/doc/autossh/examples/autossh.host \
		usr/share/doc/autossh/examples/autossh@.service; do
		[ -f "$src/root/$f" ] || missing="$missing $f"
	done
	if [ "$rc" = 0 ] && [ -z "$missing" ] && grep -q '^SSH_PATH = /usr/bin/ssh$' "$src/config.mk" &&
		grep -q -- '-DSSH_PATH=' "$T/configure.log"; then
		ok "$t"
	else
		not_ok "$t" "exit $rc, missing:${missing:- none}"
		tail -n 20 "$T/configure.log" | sed 's/^/# /'
	fi
fi
