#!/bin/sh
# tests/t-log.sh: where log lines go and which ones (autossh(1) LOGGING):
# /dev/stdout and /dev/stderr mean the inherited descriptors, the level
# threshold of AUTOSSH_LOGLEVEL, and AUTOSSH_DEBUG's copy on stderr beside
# syslog. Uses the stub ssh, which exits 0 at once, so each run is short.
set -eu
# shellcheck source=tests/lib.sh disable=SC1091
. tests/lib.sh
lib_init log

line_re='^[0-9]{4}/[0-9]{2}/[0-9]{2} [0-9]{2}:[0-9]{2}:[0-9]{2} autossh\[[0-9]+\]: '

# run_once VAR=VAL...: one start of a stub ssh that exits 0; output in $T/out, $T/err.
run_once() {
	env "$@" AUTOSSH_PATH="$STUB" STUB_EXIT=0 AUTOSSH_GATETIME=0 \
		"$AUTOSSH" -M 0 testhost >"$T/out" 2>"$T/err" || echo "exit $?" >>"$T/err"
}

t="log: AUTOSSH_LOGFILE=/dev/stdout writes file-format lines to stdout only"
run_once AUTOSSH_LOGFILE=/dev/stdout
if grep -Eq "${line_re}starting ssh \(count 1\)$" "$T/out" && [ ! -s "$T/err" ]; then
	ok "$t"
else
	not_ok "$t" "stdout $(wc -l <"$T/out") lines, stderr $(wc -l <"$T/err") lines"
	diag "$T/out" "$T/err"
fi

t="log: AUTOSSH_LOGFILE=/dev/stderr writes file-format lines to stderr only"
run_once AUTOSSH_LOGFILE=/dev/stderr
if grep -Eq "${line_re}ssh exited with status 0; autossh exiting$" "$T/err" && [ ! -s "$T/out" ]; then
	ok "$t"
else
	not_ok "$t" "stdout $(wc -l <"$T/out") lines, stderr $(wc -l <"$T/err") lines"
	diag "$T/out" "$T/err"
fi

t="log: AUTOSSH_LOGLEVEL=5 drops info lines, the default 6 keeps them"
run_once AUTOSSH_LOGFILE="$T/quiet.log" AUTOSSH_LOGLEVEL=5
run_once AUTOSSH_LOGFILE="$T/default.log"
if [ ! -s "$T/quiet.log" ] && grep -q 'starting ssh (count 1)' "$T/default.log" &&
	! grep -q 'connection ok\|state ' "$T/default.log"; then
	ok "$t"
else
	not_ok "$t" "quiet: $(wc -l <"$T/quiet.log") lines"
	diag "$T/quiet.log" "$T/default.log"
fi

t="log: AUTOSSH_DEBUG adds debug lines to the log file"
run_once AUTOSSH_LOGFILE="$T/debug.log" AUTOSSH_DEBUG=
if grep -Eq "${line_re}state starting$" "$T/debug.log"; then
	ok "$t"
else
	not_ok "$t" "no debug line"
	diag "$T/debug.log"
fi

t="log: AUTOSSH_DEBUG with syslog copies each line to stderr as autossh[pid]: message"
run_once AUTOSSH_DEBUG=1
if grep -Eq '^autossh\[[0-9]+\]: starting ssh \(count 1\)$' "$T/err" &&
	grep -Eq '^autossh\[[0-9]+\]: state starting$' "$T/err"; then
	ok "$t"
else
	not_ok "$t" "no copy on stderr"
	diag "$T/err"
fi
