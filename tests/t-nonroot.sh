#!/bin/sh
# t-nonroot: the suite passes for an ordinary user, not only for root. Run as
# root, it runs a short part (t-core-args, t-core-tunnel, t-systemd: their
# sshd then has no privilege separation to rely on) as an unprivileged user
# from a copy of the tree that user can read: TEST_NONROOT_USER if set, else
# a temporary user made here and removed afterwards. One line per script.
# Run unprivileged, the whole suite is already the test: skipped.
set -eu
# shellcheck source=tests/lib.sh disable=SC1091
. tests/lib.sh
lib_init nonroot

if [ "$(id -u)" != 0 ]; then
	skip "nonroot: all" "already running unprivileged (the whole suite is the test)"
	exit 0
fi
if ! command -v setpriv >/dev/null 2>&1; then
	skip "nonroot: all" "setpriv not installed (Debian: util-linux)"
	exit 0
fi

made_user=
user=${TEST_NONROOT_USER:-}
if [ -z "$user" ]; then
	if ! command -v useradd >/dev/null 2>&1 || ! command -v userdel >/dev/null 2>&1; then
		skip "nonroot: all" "no useradd/userdel to make a test user (or set TEST_NONROOT_USER)"
		exit 0
	fi
	user=autossh-nr-$$
	if ! useradd -M -d /nonexistent -s /bin/sh "$user" 2>"$T/useradd.log"; then
		skip "nonroot: all" "useradd failed: $(head -n 1 "$T/useradd.log")"
		exit 0
	fi
	made_user=1
fi
remove_user() {
	[ -z "$made_user" ] || userdel "$user" 2>/dev/null || :
	made_user=
}
trap 'lib_cleanup; remove_user' EXIT
trap 'lib_cleanup; remove_user; trap - EXIT; exit 130' INT
trap 'lib_cleanup; remove_user; trap - EXIT; exit 143' TERM
trap 'lib_cleanup; remove_user; trap - EXIT; exit 129' HUP

# The copy: the tree without .git, with the binary under test as ./autossh.
tree=$T/tree
mkdir "$tree" "$T/home"
(cd "$TOP" && tar -cf - --exclude=.git --exclude=./autossh .) | (cd "$tree" && tar -xf -)
cp "$AUTOSSH" "$tree/autossh"
chown -R "$user" "$tree" "$T/home"
chmod 755 "$T"

# A plain PATH: root's may name directories the user cannot search.
for script in t-core-args t-core-tunnel t-systemd; do
	rc=0
	(cd "$tree" && setpriv --reuid="$user" --regid="$(id -g "$user")" --init-groups -- \
		env -i HOME="$T/home" USER="$user" LOGNAME="$user" \
		PATH=/usr/local/bin:/usr/bin:/bin:/usr/local/sbin:/usr/sbin:/sbin \
		sh "tests/$script.sh") >"$T/out" 2>&1 || rc=$?
	passed=$(grep -c '^ok ' "$T/out" || :)
	failed=$(grep '^not ok ' "$T/out" || :)
	if [ -n "$failed" ] || [ "$rc" != 0 ] || [ "$passed" = 0 ]; then
		not_ok "nonroot: $script" "as $user: status $rc, $passed ok; $(echo "$failed" | head -n 1)"
		echo "$failed" | sed 's/^/# /'
		tail -n 5 "$T/out" | sed 's/^/# /'
	else
		ok "nonroot: $script ($passed tests as user $user)"
	fi
done
