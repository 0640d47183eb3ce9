#!/bin/sh
# tests/t-fuzz.sh: a short run of the libFuzzer target (`make fuzz` runs it
# for 60 s by default) so CI catches a parser crash. CHECK_FUZZ_SECONDS sets
# the length (default 15). Skipped where clang's fuzzer runtime is missing.
set -eu
top=$(cd "$(dirname "$0")/.." && pwd -P)
cd "$top"
seconds=${CHECK_FUZZ_SECONDS:-15}
name="fuzz: parse_config and the probe matcher, $seconds s without a crash"

probe=$(mktemp -d "${TMPDIR:-/tmp}/autossh-fuzzprobe.XXXXXX")
trap 'rm -rf "$probe"' EXIT
printf 'int LLVMFuzzerTestOneInput(const char *d, unsigned long n) { (void)d; (void)n; return 0; }\n' \
	>"$probe/t.c"
if ! command -v clang >/dev/null 2>&1 ||
	! clang -fsanitize=fuzzer -o "$probe/t" "$probe/t.c" >/dev/null 2>&1; then
	echo "skip $name: clang with libFuzzer not available (Debian: clang libclang-rt-14-dev)"
	exit 0
fi
if FUZZ_SECONDS=$seconds sh tests/fuzz/run.sh >"$probe/log" 2>&1; then
	echo "ok $name ($(sed -n 's/^fuzz: \([0-9]* executions\).*/\1/p' "$probe/log"))"
else
	echo "not ok $name: see below"
	sed 's/^/# /' "$probe/log" | tail -n 40
fi
