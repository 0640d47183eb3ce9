#!/bin/sh
# t-static: `make static` (musl-gcc) builds a statically linked autossh, the
# kernel headers the Linux-only parts use compile with its include dir, and
# the core, monitor and real-systemd scripts pass against that binary
# (TEST_AUTOSSH). One line per script. Skipped where musl-gcc is missing.
set -eu
# shellcheck source=tests/lib.sh disable=SC1091
. tests/lib.sh
lib_init static

if ! command -v musl-gcc >/dev/null 2>&1; then
	skip "static: all" "musl-gcc not installed (Debian/Ubuntu: musl-tools)"
	exit 0
fi

# The binary must be called autossh: its messages name argv[0].
mkdir "$T/bin"
bin=$T/bin/autossh
name="static: make static builds warning-free"
# Without the caller's make flags (CFLAGS, jobserver).
if ! env -u MAKEFLAGS -u MFLAGS -u MAKELEVEL "${MAKE:-make}" -s static STATIC="$bin" \
	MUSL_INC="$T/musl-include" >"$T/build.log" 2>&1; then
	not_ok "$name" "make static failed"
	diag "$T/build.log"
	exit 0
fi
ok "$name"

name="static: file(1) says statically linked"
if ! command -v file >/dev/null 2>&1; then
	skip "$name" "file not installed (Debian: file)"
elif file -L "$bin" | grep -q 'statically linked'; then
	ok "$name"
else
	not_ok "$name" "$(file -L "$bin")"
fi

# netlink, rtnetlink, inet_diag, sock_diag and tcp_info under musl, with
# the include dir of symlinks `make static` made. (musl's <netinet/tcp.h>
# and <linux/tcp.h> clash: a file may include only one of them.)
name="static: kernel netlink and inet_diag headers compile under musl-gcc"
cat >"$T/uapi.c" <<'EOF'
#include <sys/socket.h>
#include <netinet/in.h>
#include <linux/netlink.h>
#include <linux/rtnetlink.h>
#include <linux/inet_diag.h>
#include <linux/sock_diag.h>
#include <linux/tcp.h>
int main(void)
{
	struct nlmsghdr h = { .nlmsg_type = SOCK_DIAG_BY_FAMILY };
	struct inet_diag_req_v2 r = { .sdiag_family = AF_INET };
	struct tcp_info ti = { .tcpi_retransmits = 0 };
	struct ifaddrmsg a = { .ifa_family = AF_INET };
	return h.nlmsg_type == RTM_NEWADDR + r.sdiag_family + ti.tcpi_retransmits + a.ifa_family;
}
EOF
if musl-gcc -std=c99 -D_POSIX_C_SOURCE=200809L -Wall -Wextra -Werror -I"$T/musl-include" \
	-static -o "$T/uapi" "$T/uapi.c" 2>"$T/uapi.log"; then
	ok "$name"
else
	not_ok "$name" "$(head -n 1 "$T/uapi.log")"
fi

# run_static SCRIPT: the script's lines must all be ok or skip.
run_static() {
	rc=0
	TEST_AUTOSSH=$bin sh "tests/$1.sh" >"$T/out" 2>&1 || rc=$?
	passed=$(grep -c '^ok ' "$T/out" || :)
	failed=$(grep '^not ok ' "$T/out" || :)
	skipped=$(grep '^skip ' "$T/out" || :)
	if [ -z "$failed" ] && [ "$rc" = 0 ] && [ "$passed" = 0 ] && [ -n "$skipped" ]; then
		# A script that can only skip here (systemd-real without root) says why.
		skip "static: $1" "$(echo "$skipped" | head -n 1 | sed 's/^skip //')"
	elif [ -n "$failed" ] || [ "$rc" != 0 ] || [ "$passed" = 0 ]; then
		not_ok "static: $1" "status $rc, $passed ok; $(echo "$failed" | head -n 1)"
		echo "$failed" | sed 's/^/# /'
	else
		ok "static: $1 ($passed tests against the static binary)"
	fi
}

# t-systemd is left out: t-systemd-real runs the static binary under a
# real systemd (notify, watchdog, status file), and make check's time is
# better spent elsewhere than on the same checks against a stand-in.
for script in t-core-args t-core-exit t-core-signals t-core-tunnel t-monitor t-systemd-real; do
	run_static "$script"
done
