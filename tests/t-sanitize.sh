#!/bin/sh
# tests/t-sanitize.sh: autossh and tests/unit built with AddressSanitizer and
# UndefinedBehaviorSanitizer, then the unit tables and the core and security
# scripts run against that binary (TEST_AUTOSSH). `make sanitize` runs the
# whole suite this way; this is the part `make check` affords (t-systemd's
# 25 s of protocol waits are left to make sanitize).
# One line per script; a sanitizer report anywhere fails it.
set -eu
# shellcheck source=tests/lib.sh disable=SC1091
. tests/lib.sh
lib_init sanitize

version=$(sh tests/version.sh)
flags="-std=c99 -D_POSIX_C_SOURCE=200809L"
san="-O1 -g -fno-omit-frame-pointer -fsanitize=address,undefined -fno-sanitize-recover=all"
cc=${CC:-cc}
# shellcheck disable=SC2086
if ! $cc $flags "-DVERSION=\"$version\"" $san -o "$T/autossh" autossh.c 2>"$T/build.log" ||
	! $cc $flags "-DVERSION=\"$version\"" $san -o "$T/unit" tests/unit.c 2>>"$T/build.log"; then
	skip "sanitize: all" "cannot build with -fsanitize=address,undefined ($(head -n 1 "$T/build.log"))"
	exit 0
fi
mkdir "$T/reports"
ASAN_OPTIONS="log_path=$T/reports/asan:detect_leaks=1"
UBSAN_OPTIONS="log_path=$T/reports/ubsan:print_stacktrace=1:halt_on_error=1"
export ASAN_OPTIONS UBSAN_OPTIONS

# run_sanitized NAME CMD...: CMD's result lines must all be ok/skip, and no
# sanitizer report may appear.
run_sanitized() {
	name=$1
	shift
	rc=0
	TEST_AUTOSSH=$T/autossh "$@" >"$T/out" 2>&1 || rc=$?
	passed=$(grep -c '^ok ' "$T/out" || :)
	failed=$(grep '^not ok ' "$T/out" || :)
	reports=$(find "$T/reports" -type f | head -n 3)
	if [ -n "$reports" ]; then
		not_ok "sanitize: $name" "sanitizer report"
		for r in $reports; do sed 's/^/# /' "$r" | head -n 30; done
		rm -f "$T"/reports/*
	elif [ -n "$failed" ] || [ "$rc" != 0 ] || [ "$passed" = 0 ]; then
		not_ok "sanitize: $name" "status $rc, $passed ok; $(echo "$failed" | head -n 1)"
	else
		ok "sanitize: $name ($passed tests under ASan+UBSan)"
	fi
}

run_sanitized "tests/unit" "$T/unit"
for script in t-core-args t-core-exit t-core-signals t-core-tunnel t-security; do
	run_sanitized "$script" sh "tests/$script.sh"
done
