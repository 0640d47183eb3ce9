#!/bin/sh
# tests/t-unit32.sh: tests/unit built with -m32 (32-bit long and pointers),
# so number parsing is checked where long has 32 bits. Signed overflow
# traps (-fsanitize=undefined in trap mode needs no runtime library), so
# an overflow is a failure, not a silently wrong value. Skipped where the
# compiler cannot link a 32-bit program (no gcc-multilib).
set -eu

# shellcheck source=tests/lib.sh disable=SC1091
. tests/lib.sh
lib_init unit32

name="unit-m32: tests/unit built for 32 bits passes"
CC32=${CC:-cc}
VERSION=$(sed -n 's/^Version \([0-9][0-9.]*\).*/\1/p' "$TOP/CHANGES" | head -n 1)
FLAGS="-m32 -std=c99 -Wall -Wextra -Werror -D_POSIX_C_SOURCE=200809L -O1 -g"
TRAP="-fsanitize=undefined -fsanitize-undefined-trap-on-error"

printf 'int main(void) { return 0; }\n' >"$T/probe.c"
# shellcheck disable=SC2086
if ! "$CC32" $FLAGS -o "$T/probe" "$T/probe.c" >"$T/probe.log" 2>&1 || ! "$T/probe"; then
	skip "$name" "$CC32 -m32 cannot build a 32-bit program here (install gcc-multilib)"
	exit 0
fi
# shellcheck disable=SC2086
"$CC32" -m32 $TRAP -fsyntax-only "$T/probe.c" >/dev/null 2>&1 || TRAP=
# shellcheck disable=SC2086
if ! "$CC32" $FLAGS $TRAP -DVERSION="\"$VERSION\"" -o "$T/unit32" "$TOP/tests/unit.c" >"$T/build.log" 2>&1; then
	not_ok "$name" "build failed"
	diag "$T/build.log"
	exit 0
fi
rc=0
(cd "$TOP" && "$T/unit32") >"$T/unit32.out" 2>&1 || rc=$?
# Each case under its own name, marked as the 32-bit run.
sed -n 's/^ok /ok m32 /p; s/^not ok /not ok m32 /p; s/^skip /skip m32 /p' "$T/unit32.out"
if [ "$rc" -gt 128 ]; then
	not_ok "$name" "tests/unit died by signal $((rc - 128)) (a trapped overflow?) after: $(tail -n 1 "$T/unit32.out")"
elif [ "$rc" != 0 ] && ! grep -q '^not ok ' "$T/unit32.out"; then
	not_ok "$name" "exit status $rc"
elif [ "$rc" = 0 ]; then
	ok "$name"
fi
