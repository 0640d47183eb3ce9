#!/bin/sh
# tests/fuzz/run.sh: build the libFuzzer target tests/fuzz/fuzz_parse.c
# (parse_config and the probe message) and run it for FUZZ_SECONDS seconds
# (default 60). Prints the number of executions and their speed; exits
# non-zero if the target crashes, leaks or trips a sanitizer (the input is
# kept as tests/fuzz/fuzz-crash-*, reproduce with tests/fuzz/fuzz-parse FILE).
#
# Needs clang with its fuzzer runtime (Debian: clang libclang-rt-14-dev).
# FUZZ_CC picks the compiler (default clang). New inputs found go to a
# temporary directory; the seed corpus in tests/fuzz/corpus is only read.
set -eu

top=$(cd "$(dirname "$0")/../.." && pwd -P)
cd "$top"

seconds=${FUZZ_SECONDS:-60}
cc=${FUZZ_CC:-clang}
bin=tests/fuzz/fuzz-parse

work=$(mktemp -d "${TMPDIR:-/tmp}/autossh-fuzz.XXXXXX")
trap 'rm -rf "$work"' EXIT
trap 'rm -rf "$work"; trap - EXIT; exit 130' INT
trap 'rm -rf "$work"; trap - EXIT; exit 143' TERM

if ! "$cc" -std=c99 -g -O1 -fno-omit-frame-pointer \
	-fsanitize=fuzzer,address,undefined -fno-sanitize-recover=all \
	-D_POSIX_C_SOURCE=200809L -Wall -Wextra \
	-o "$bin" tests/fuzz/fuzz_parse.c; then
	echo "fuzz: cannot build with $cc -fsanitize=fuzzer" \
		"(Debian: apt-get install clang libclang-rt-14-dev)" >&2
	exit 1
fi

mkdir "$work/corpus"
echo "fuzz: running $bin for $seconds s"
rc=0
"./$bin" -max_total_time="$seconds" -print_final_stats=1 -timeout=10 \
	-rss_limit_mb=2048 -dict=tests/fuzz/autossh.dict \
	-artifact_prefix=tests/fuzz/fuzz- \
	"$work/corpus" tests/fuzz/corpus >"$work/log" 2>&1 || rc=$?

runs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$work/log" | tail -n 1)
speed=$(sed -n 's/^stat::average_exec_per_sec: *//p' "$work/log" | tail -n 1)
cov=$(grep -o 'cov: [0-9]*' "$work/log" | tail -n 1 || :)
corpus=$(find "$work/corpus" -type f | wc -l | tr -d ' ')

if [ "$rc" != 0 ]; then
	# Show the report: from the sanitizer's or libFuzzer's first error line on.
	sed -n '/ERROR\|==[0-9]*==\|runtime error\|deadly signal\|Test unit written/,$p' \
		"$work/log" | head -n 80
	echo "fuzz: FAILED (status $rc) after ${runs:-?} executions;" \
		"input kept as tests/fuzz/fuzz-crash-*"
	exit 1
fi
echo "fuzz: ${runs:-?} executions in $seconds s (${speed:-?} exec/s), ${cov:-cov: ?}," \
	"$corpus new corpus inputs, no crash"
