#!/bin/sh
# tests/prereq.sh [check|demo]: are the programs `make check` (default) or
# `make demo` needs installed? Run before anything is built or started, so a
# missing one stops the run at once instead of failing deep inside a test.
#
# All present: silent, exit 0. Some missing: as root where apt-get exists,
# installs their Debian packages and checks again; otherwise prints ONE line
# naming the programs and their packages (Debian/Ubuntu, Fedora, Alpine) on
# stderr and exits 1. Optional tools (systemd-nspawn, musl-gcc, valgrind,
# gcc-multilib, xmllint, shellcheck, mandoc, clang ...) are not checked: the
# tests that need them skip with a printed reason.
set -eu

mode=${1:-check}

# program:debian-package:fedora-package:alpine-package
demo_needs="sshd:openssh-server:openssh-server:openssh-server
ssh:openssh-client:openssh-clients:openssh-client
ssh-keygen:openssh-client:openssh-clients:openssh-client
socat:socat:socat:socat
ss:iproute2:iproute:iproute2
ps:procps:procps-ng:procps-ng
make:make:make:make
cc:gcc:gcc:gcc"
check_needs="$demo_needs
ip:iproute2:iproute:iproute2
pgrep:procps:procps-ng:procps-ng
timeout:coreutils:coreutils:coreutils
od:coreutils:coreutils:coreutils
awk:mawk:gawk:gawk
find:findutils:findutils:findutils
python3:python3:python3:python3
unshare:util-linux:util-linux:util-linux"

case $mode in
check) needs=$check_needs ;;
demo) needs=$demo_needs ;;
*)
	echo "usage: tests/prereq.sh [check|demo]" >&2
	exit 2
	;;
esac

# have PROGRAM: on PATH, or (sshd, ip) in the sbin directories an ordinary
# user's PATH may lack.
have() {
	command -v "$1" >/dev/null 2>&1 || [ -x "/usr/sbin/$1" ] || [ -x "/sbin/$1" ]
}

# add LIST WORD: LIST with WORD appended unless already in it.
add() {
	case " $1 " in
	*" $2 "*) printf '%s' "$1" ;;
	*) printf '%s' "${1:+$1 }$2" ;;
	esac
}

# missing: sets PROGS and the package lists DEB FED ALP for what is missing.
missing() {
	PROGS=''
	DEB=''
	FED=''
	ALP=''
	while IFS=: read -r prog deb fed alp; do
		have "$prog" && continue
		PROGS=$(add "$PROGS" "$prog")
		DEB=$(add "$DEB" "$deb")
		FED=$(add "$FED" "$fed")
		ALP=$(add "$ALP" "$alp")
	done <<EOF
$needs
EOF
}

missing
[ -n "$PROGS" ] || exit 0

if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
	echo "make $mode: installing $DEB (for $PROGS)" >&2
	export DEBIAN_FRONTEND=noninteractive
	# shellcheck disable=SC2086
	if apt-get update -q >&2 && apt-get install -y -q --no-install-recommends $DEB >&2; then
		missing
		[ -n "$PROGS" ] || exit 0
	fi
fi

echo "make $mode: missing programs: $PROGS; install: Debian/Ubuntu: apt-get install $DEB | Fedora: dnf install $FED | Alpine: apk add $ALP" >&2
exit 1
