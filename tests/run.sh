#!/bin/sh
# tests/run.sh [FILE...]: run the test suite from the repository top.
#
# Runs tests/unit (if built; TEST_UNIT names another build of it) and then
# every tests/t-*.sh (sorted), or only the files named, each with sh,
# streaming their output. Each test prints
# one line: "ok NAME", "not ok NAME: why" or "skip NAME: reason"; everything
# else is passed through untouched. Ends with "N passed, N failed[, N skipped]"
# and exits 1 if anything failed. A script that exits non-zero without a
# "not ok" line, or runs longer than RUN_TIMEOUT seconds (default 300), counts
# as one failure named after the script.
set -eu

top=$(cd "$(dirname "$0")/.." && pwd -P)
cd "$top"

timeout_s=${RUN_TIMEOUT:-300}
work=$(mktemp -d "${TMPDIR:-/tmp}/autossh-run.XXXXXX")
trap 'rm -rf "$work"' EXIT
trap 'rm -rf "$work"; trap - EXIT; exit 130' INT
trap 'rm -rf "$work"; trap - EXIT; exit 143' TERM

passed=0
failed=0
skipped=0

# run_one NAME CMD...: run CMD, stream its stdout and count result lines.
run_one() {
	run_name=$1
	shift
	run_began=$(date +%s)
	: >"$work/out"
	# Only stdout goes through tee; the exit status travels in a file since
	# POSIX sh has no pipefail.
	{
		rc=0
		timeout --foreground -k 10 "$timeout_s" "$@" || rc=$?
		echo "$rc" >"$work/rc"
	} | tee "$work/out"
	rc=$(cat "$work/rc")
	echo "# $run_name: $(($(date +%s) - run_began)) s"
	p=$(grep -c '^ok ' "$work/out" || :)
	f=$(grep -c '^not ok ' "$work/out" || :)
	s=$(grep -c '^skip ' "$work/out" || :)
	passed=$((passed + p))
	failed=$((failed + f))
	skipped=$((skipped + s))
	if [ "$rc" != 0 ] && [ "$f" = 0 ]; then
		if [ "$rc" = 124 ] || [ "$rc" = 137 ]; then
			echo "not ok $run_name: timed out after $timeout_s s"
		else
			echo "not ok $run_name: exited with status $rc"
		fi
		failed=$((failed + 1))
	elif [ "$rc" = 0 ] && [ "$p" = 0 ] && [ "$f" = 0 ] && [ "$s" = 0 ]; then
		echo "not ok $run_name: printed no result"
		failed=$((failed + 1))
	fi
	return 0
}

if [ $# -eq 0 ]; then
	unit=${TEST_UNIT:-tests/unit}
	case $unit in
	/*) ;;
	*) unit=./$unit ;;
	esac
	if [ -x "$unit" ]; then
		echo "# $unit"
		run_one unit "$unit"
	fi
	for f in tests/t-*.sh; do
		[ -f "$f" ] || continue
		set -- "$@" "$f"
	done
	for f in "$@"; do
		echo "# $f"
		run_one "$(basename "$f" .sh)" sh "$f"
	done
else
	for f in "$@"; do
		echo "# $f"
		case $f in
		*.sh) run_one "$(basename "$f" .sh)" sh "$f" ;;
		*) run_one "$(basename "$f")" "$f" ;;
		esac
	done
fi

summary="$passed passed, $failed failed"
[ "$skipped" = 0 ] || summary="$summary, $skipped skipped"
echo "$summary"
[ "$failed" = 0 ]
