#!/bin/sh
# tests/lint.sh: static checks (`make lint`). One ok/not ok/skip line per
# tool; exit 1 if any tool reports anything. Run from anywhere.
#
# - cppcheck on autossh.c: warning, style, performance and portability,
#   C99 + POSIX.1-2008 on Linux, --inline-suppr (suppress a wrong finding
#   for one line with "// cppcheck-suppress <id>" and a reason). Global
#   suppressions, each with its reason:
#     readdirCalled        wants readdir_r, which POSIX.1-2008 TC2 and glibc
#                          deprecate; autossh has one thread.
#     missingIncludeSystem cppcheck does not need the system headers (its
#                          --library files describe libc).
#   A small library file (written below) tells cppcheck that raise() may
#   return: autossh raises its exit signal with the handler reset and then
#   calls _exit() in case it comes back (blocked, or ignored by a debugger);
#   cppcheck's std.cfg calls raise "maybe noreturn" and would report that
#   fallback as unreachable code.
# - clang-tidy on autossh.c with the checked-in .clang-tidy (every finding
#   is an error; reasons for disabled checks are in that file).
# - shellcheck on every shell script of the project.
#
# LINT_CPPCHECK, LINT_CLANG_TIDY, LINT_SHELLCHECK: the tools to run
# (default: cppcheck, clang-tidy, shellcheck in PATH).
set -eu

top=$(cd "$(dirname "$0")/.." && pwd -P)
cd "$top"
tmp=$(mktemp -d "${TMPDIR:-/tmp}/autossh-lint.XXXXXX")
started=  # the tools' pids
trap 'rm -rf "$tmp"' EXIT
trap 'kill $started 2>/dev/null; rm -rf "$tmp"; trap - EXIT; exit 130' INT
trap 'kill $started 2>/dev/null; rm -rf "$tmp"; trap - EXIT; exit 143' TERM

CPPCHECK=${LINT_CPPCHECK:-cppcheck}
CLANG_TIDY=${LINT_CLANG_TIDY:-clang-tidy}
SHELLCHECK=${LINT_SHELLCHECK:-shellcheck}
version=$(sh tests/version.sh 2>/dev/null || :)
version=${version:-0}
failed=0

# result NAME OUTPUT_FILE RC: ok if RC is 0 and nothing was reported.
result() {
	_n=$(grep -c . "$2" || :)
	if [ "$3" = 0 ] && [ "$_n" = 0 ]; then
		echo "ok lint: $1"
	else
		echo "not ok lint: $1: $(grep -Ec '(error|warning|style|performance|portability|information):|^In ' "$2" || :) findings (exit $3)"
		sed 's/^/# /' "$2"
		failed=1
	fi
}

# Each tool writes $tmp/<tool>.findings, .rc and .name. The three run side by
# side (clang-tidy alone takes most of a minute); their results are printed
# in a fixed order once all have ended.

# ---------------------------------------------------------------- cppcheck

run_cppcheck() {
	cat >"$tmp/autossh.cfg" <<'EOF'
<?xml version="1.0"?>
<def format="2">
  <function name="raise">
    <returnValue type="int"/>
    <noreturn>false</noreturn>
    <arg nr="1" direction="in"><not-uninit/></arg>
  </function>
</def>
EOF
	rc=0
	"$CPPCHECK" --quiet --enable=warning,style,performance,portability --error-exitcode=1 \
		--inline-suppr --std=c99 --library=posix --library="$tmp/autossh.cfg" \
		-D_POSIX_C_SOURCE=200809L -D__linux__ -DVERSION="\"$version\"" \
		--suppress=readdirCalled --suppress=missingIncludeSystem \
		--template='{file}:{line}:{column}: {severity}: {message} [{id}]' \
		autossh.c >"$tmp/cppcheck.out" 2>&1 || rc=$?
	# Keep the finding lines; cppcheck's source excerpts follow them.
	grep -E '^[^ ]+:[0-9]+:[0-9]+: ' "$tmp/cppcheck.out" >"$tmp/cppcheck.findings" || :
	if [ "$rc" != 0 ] && [ ! -s "$tmp/cppcheck.findings" ]; then
		cp "$tmp/cppcheck.out" "$tmp/cppcheck.findings"
	fi
	echo cppcheck >"$tmp/cppcheck.name"
	echo "$rc" >"$tmp/cppcheck.rc"
}

# ---------------------------------------------------------------- clang-tidy

run_clang_tidy() {
	rc=0
	"$CLANG_TIDY" --quiet --config-file="$top/.clang-tidy" autossh.c -- \
		-std=c99 -D_POSIX_C_SOURCE=200809L -DVERSION="\"$version\"" \
		>"$tmp/tidy.out" 2>"$tmp/tidy.err" || rc=$?
	grep -E '^[^ ]+:[0-9]+:[0-9]+: (warning|error): ' "$tmp/tidy.out" "$tmp/tidy.err" 2>/dev/null |
		sed 's/^[^:]*\.\(out\|err\)://' | sed "s|^$top/||" | sort -t: -k1,1 -k2,2n -k3,3n | uniq >"$tmp/clang-tidy.findings" || :
	if [ "$rc" != 0 ] && [ ! -s "$tmp/clang-tidy.findings" ]; then
		cat "$tmp/tidy.out" "$tmp/tidy.err" >"$tmp/clang-tidy.findings"
	fi
	echo clang-tidy >"$tmp/clang-tidy.name"
	echo "$rc" >"$tmp/clang-tidy.rc"
}

# ---------------------------------------------------------------- shellcheck

run_shellcheck() {
	: >"$tmp/scripts"
	for f in tests/*.sh tests/*/*.sh tests/* .ci/* rscreen autossh.host; do
		[ -f "$f" ] || continue
		case $f in
		*.sh) ;;
		*) head -n 1 "$f" 2>/dev/null | grep -Eq '^#! ?/bin/(ba|da)?sh' || continue ;;
		esac
		printf '%s\n' "$f" >>"$tmp/scripts"
	done
	sort -u "$tmp/scripts" -o "$tmp/scripts"
	rc=0
	# shellcheck disable=SC2046
	"$SHELLCHECK" -s sh -f gcc $(cat "$tmp/scripts") >"$tmp/shellcheck.findings" 2>&1 || rc=$?
	echo "shellcheck ($(wc -l <"$tmp/scripts" | tr -d ' ') scripts)" >"$tmp/shellcheck.name"
	echo "$rc" >"$tmp/shellcheck.rc"
}

# ---------------------------------------------------------------- run

# A tool that is installed gets a .started mark: one that ends without its
# .rc (its run stopped on an error) fails, as it did when they ran in turn.
have() { command -v "$1" >/dev/null 2>&1 && : >"$tmp/$2.started"; }
if have "$CPPCHECK" cppcheck; then run_cppcheck & started="$started $!"; fi
if have "$CLANG_TIDY" clang-tidy; then run_clang_tidy & started="$started $!"; fi
if have "$SHELLCHECK" shellcheck; then run_shellcheck & started="$started $!"; fi
# shellcheck disable=SC2086
[ -z "$started" ] || wait $started || :
for tool in cppcheck clang-tidy shellcheck; do
	if [ -f "$tmp/$tool.rc" ]; then
		result "$(cat "$tmp/$tool.name")" "$tmp/$tool.findings" "$(cat "$tmp/$tool.rc")"
	elif [ -f "$tmp/$tool.started" ]; then
		echo "not ok lint: $tool: ended without a result"
		failed=1
	else
		echo "skip lint: $tool: not installed"
	fi
done

exit "$failed"
