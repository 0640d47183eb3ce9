#!/bin/sh
# t-prereq: tests/prereq.sh, the first step of `make check` and `make demo`.
# With every program present it is silent; on a PATH without socat, run as
# an ordinary user (nobody, when the test runs as root, so nothing gets
# installed), it prints one line naming socat and its packages and exits
# non-zero at once.
set -eu
# shellcheck source=tests/lib.sh disable=SC1091
. tests/lib.sh
lib_init prereq

name="prereq: all present: silent, exit 0"
rc=0
sh tests/prereq.sh check >"$T/all.out" 2>&1 || rc=$?
if [ "$rc" = 0 ] && [ ! -s "$T/all.out" ]; then
	ok "$name"
else
	not_ok "$name" "exit $rc, output: $(head -n 1 "$T/all.out")"
fi

name="prereq: no socat (unprivileged): one line naming it and its packages, exit 1 at once"
# A PATH of symlinks to everything but socat.
mkdir "$T/bin"
for d in /usr/local/bin /usr/bin /bin /usr/sbin /sbin; do
	if [ -d "$d" ]; then cp -sn "$d"/* "$T/bin/" 2>/dev/null || :; fi
done
rm -f "$T/bin/socat"
chmod 755 "$T" "$T/bin"
cp tests/prereq.sh "$T/prereq.sh"
chmod 644 "$T/prereq.sh"
if [ "$(id -u)" = 0 ]; then
	as_user="setpriv --reuid=nobody --regid=nogroup --clear-groups --"
else
	as_user=
fi
t0=$(now_ms)
rc=0
# shellcheck disable=SC2086
(cd "$T" && $as_user env PATH="$T/bin" /bin/sh "$T/prereq.sh" check) >"$T/nosocat.out" 2>&1 || rc=$?
took=$(($(now_ms) - t0))
line=$(head -n 1 "$T/nosocat.out")
if [ "$rc" = 0 ]; then
	not_ok "$name" "exit 0"
elif [ "$(wc -l <"$T/nosocat.out")" != 1 ]; then
	not_ok "$name" "$(wc -l <"$T/nosocat.out") lines, want 1"
	diag "$T/nosocat.out"
elif ! printf '%s\n' "$line" | grep -q 'missing programs: socat;.*Debian/Ubuntu: apt-get install socat.*Fedora: dnf install socat.*Alpine: apk add socat$'; then
	not_ok "$name" "line: $line"
elif [ "$took" -gt 5000 ]; then
	not_ok "$name" "took $took ms"
else
	ok "$name"
fi

name="make check runs the prerequisite check before building anything"
if sed -n '/^check:/,/^$/p' Makefile | sed -n 2p | grep -q 'tests/prereq.sh check'; then
	ok "$name"
else
	not_ok "$name" "the first line of the check recipe is not 'sh tests/prereq.sh check'"
fi
