#!/bin/sh
# t-doctor: autossh --doctor [--connect] (autossh(1) DOCTOR) against a real
# sshd on 127.0.0.1: one case per check (the finding and its verdict), the
# exit status (1 only when a check failed), and what it must never do: start
# a tunnel or write a file. Also the `make demo` tunnel's own arguments:
# exit 0, and each warning is true of that set-up.
set -eu
# shellcheck source=tests/lib.sh disable=SC1091
. tests/lib.sh
lib_init doctor

if ! start_sshd; then
	skip "doctor: all" "sshd did not start"
	exit 0
fi
target=$(free_port)
start_target "$target"
lp=$(free_port)

# A set-up with nothing to complain about.
printf '[%s]:%s %s\n' "$SSHD_ADDR" "$SSHD_PORT" "$(cut -d' ' -f1,2 "$T/ssh_host_ed25519_key.pub")" \
	>"$T/known_hosts"
: >"$T/empty_known_hosts"
cat >"$T/good.cfg" <<EOF
Host testhost
	HostName $SSHD_ADDR
	Port $SSHD_PORT
	User $(id -un)
	IdentityFile $T/id_ed25519
	IdentitiesOnly yes
	StrictHostKeyChecking yes
	UserKnownHostsFile $T/known_hosts
	GlobalKnownHostsFile /dev/null
	BatchMode yes
	ConnectTimeout 5
	ServerAliveInterval 10
	ExitOnForwardFailure yes
	LogLevel ERROR
EOF
{
	printf 'Host *\n\tControlMaster auto\n\tControlPath %s/cm-%%C\n\tControlPersist yes\n' "$T"
	cat "$T/good.cfg"
} >"$T/sharing.cfg"
cp "$T/id_ed25519" "$T/open_key"
chmod 644 "$T/open_key"
mkdir "$T/out"

# A port something listens on, for the monitor check.
busy=$(free_port)
socat "TCP-LISTEN:$busy,bind=127.0.0.1,reuseaddr,fork" SYSTEM:"echo busy" </dev/null >/dev/null 2>&1 &
track_pid "$!"
wait_for 5 _listening "$busy" || echo "# could not occupy port $busy"
closed=$(free_port)

# Everything in $T but the doctor's own output: a doctor writes no file.
listing() { find "$T" -path "$T/out" -prune -o -path "$T/.lib" -prune -o -print | sort; }

# doctor_run [VAR=VAL...] -- ARG...: run autossh --doctor ARG...; sets RC,
# OUT (stdout file), and WHY if it wrote a file or left a listener on $lp.
doctor_run() {
	_dr_env=
	while [ "$1" != -- ]; do
		_dr_env="$_dr_env $1"
		shift
	done
	shift
	WHY=
	listing >"$T/out/before"
	RC=0
	# shellcheck disable=SC2086
	env $_dr_env timeout 30 "$AUTOSSH" --doctor "$@" </dev/null >"$T/out/doctor" 2>"$T/out/err" || RC=$?
	OUT=$T/out/doctor
	listing >"$T/out/after"
	if ! cmp -s "$T/out/before" "$T/out/after"; then
		WHY="files appeared or vanished: $(diff "$T/out/before" "$T/out/after" | grep '^[<>]' | tr '\n' ' ')"
	elif _listening "$lp"; then
		WHY="something listens on the tunnel's port $lp: a tunnel was started"
	fi
}

# doctor_case NAME STATUS REGEX [VAR=VAL...] -- ARG...: --doctor ARG... exits
# STATUS and prints a line matching the ERE REGEX.
doctor_case() {
	_dc_name=$1
	_dc_status=$2
	_dc_re=$3
	shift 3
	doctor_run "$@"
	if [ -n "$WHY" ]; then
		:
	elif [ "$RC" != "$_dc_status" ]; then
		WHY="exit status $RC, want $_dc_status"
	elif ! grep -Eq -- "$_dc_re" "$OUT"; then
		WHY="no line matches /$_dc_re/"
	fi
	report "$_dc_name" "$OUT" "$T/out/err"
}

GOOD="-M 0 -N -F $T/good.cfg -L $lp:127.0.0.1:$target"

# ---------------------------------------------------------------- all ok

name="doctor: a good set-up: every check ok, exit 0"
# shellcheck disable=SC2086
doctor_run -- $GOOD testhost
if [ -z "$WHY" ] && [ "$RC" != 0 ]; then
	WHY="exit status $RC, want 0"
elif [ -z "$WHY" ] && grep -Evq '^ok   [^:]+: |^0 failures, 0 warnings$' "$OUT"; then
	WHY="lines other than ok: $(grep -Ev '^ok ' "$OUT" | tr '\n' '|')"
elif [ -z "$WHY" ]; then
	for check in settings log monitor ssh destination BatchMode ExitOnForwardFailure ServerAliveInterval \
		'connection sharing' ForkAfterAuthentication identity 'host key'; do
		grep -q "^ok   $check: " "$OUT" || WHY="$WHY no ok line for $check;"
	done
fi
report "$name" "$OUT" "$T/out/err"

# ---------------------------------------------------------------- one case per check

# shellcheck disable=SC2086
{
	doctor_case "doctor: without BatchMode: warn" 0 '^warn BatchMode: not set' \
		-- $GOOD -o BatchMode=no testhost
	doctor_case "doctor: -L without ExitOnForwardFailure: warn" 0 '^warn ExitOnForwardFailure: not set' \
		-- $GOOD -o ExitOnForwardFailure=no testhost
	doctor_case "doctor: no forwards: ExitOnForwardFailure not needed" 0 \
		'^ok   ExitOnForwardFailure: no forwards' -- -M 0 -N -F "$T/good.cfg" testhost
	doctor_case "doctor: -M 0 without ServerAliveInterval: warn" 0 '^warn ServerAliveInterval: not set' \
		-- $GOOD -o ServerAliveInterval=0 testhost
	doctor_case "doctor: a monitor port makes ServerAliveInterval unneeded" 0 \
		'^ok   ServerAliveInterval: not needed' -- -M "$(free_port)" -N -F "$T/good.cfg" \
		-o ServerAliveInterval=0 testhost
	doctor_case "doctor: connection sharing set by the user: warn" 0 '^warn connection sharing: ' \
		-- $GOOD -o ControlMaster=auto -o "ControlPath=$T/cm-%C" -o ControlPersist=yes testhost
	doctor_case "doctor: ForkAfterAuthentication set by the user: FAIL" 1 '^FAIL ForkAfterAuthentication: ' \
		-- $GOOD -o ForkAfterAuthentication=yes testhost
	doctor_case "doctor: sharing in ssh_config only: ok, autossh turns it off" 0 \
		'^ok   connection sharing: off \(autossh adds' \
		-- -M 0 -N -F "$T/sharing.cfg" -L "$lp:127.0.0.1:$target" testhost
	doctor_case "doctor: a missing identity file (-i): FAIL" 1 "^FAIL identity: $T/nokey: No such file" \
		-- $GOOD -i "$T/nokey" testhost
	doctor_case "doctor: a missing IdentityFile: FAIL" 1 "^FAIL identity: $T/nokey2: No such file" \
		-- $GOOD -o "IdentityFile=$T/nokey2" testhost
	doctor_case "doctor: an identity file readable by others: FAIL" 1 \
		"^FAIL identity: $T/open_key is readable by others \\(mode 0644\\)" \
		-- $GOOD -o "IdentityFile=$T/open_key" testhost
	doctor_case "doctor: host key checking on and the key unknown: FAIL" 1 \
		"^FAIL host key: \\[$SSHD_ADDR\\]:$SSHD_PORT is not in .* StrictHostKeyChecking is true" \
		-- $GOOD -o "UserKnownHostsFile=$T/empty_known_hosts" testhost
	doctor_case "doctor: accept-new and the key unknown: warn" 0 '^warn host key: .*accept-new' \
		-- $GOOD -o StrictHostKeyChecking=accept-new -o "UserKnownHostsFile=$T/empty_known_hosts" testhost
	doctor_case "doctor: host key checking off: warn" 0 '^warn host key: StrictHostKeyChecking is off' \
		-- $GOOD -o StrictHostKeyChecking=no testhost
	doctor_case "doctor: a busy monitor port: FAIL with the start's message" 1 \
		"^FAIL monitor: autossh: monitor port 127.0.0.1:$busy: Address already in use" \
		-- -M "$busy:7" -N -F "$T/good.cfg" testhost
	doctor_case "doctor: a destination that does not resolve: FAIL" 1 '^FAIL destination: cannot resolve' \
		-- $GOOD -o HostName=no-such-host.invalid testhost
	doctor_case "doctor: ssh rejects the options: FAIL with ssh's message" 1 \
		'^FAIL ssh: .* -G rejects the options: .*[Bb]ad configuration option' \
		-- $GOOD -o NoSuchOption=1 testhost
	doctor_case "doctor: AUTOSSH_PATH is used for ssh -G" 1 "^FAIL ssh: $STUB -G printed no configuration" \
		AUTOSSH_PATH="$STUB" STUB_EXIT=0 -- $GOOD testhost
	doctor_case "doctor: ssh's own log file (-E) is not created by ssh -G" 0 '^ok   ssh: ' \
		-- $GOOD -E "$T/ssh.log" testhost
	doctor_case "doctor: HOME unset (as at boot): the key is still found" 0 \
		"^ok   identity: $T/id_ed25519 exists and is private" -u HOME -- $GOOD testhost
	doctor_case "doctor: --connect to the test sshd: ok with the time taken, no remote command" 0 \
		'^ok   connect: logged in to 127\.0\.0\.1 in [0-9]+\.[0-9][0-9] s \(no remote command run; for the check: BatchMode=yes, -N, no forwards\)$' \
		-- --connect $GOOD testhost
	doctor_case "doctor: --connect to a closed port: FAIL with ssh's own error line" 1 \
		"^FAIL connect: ssh exited with status 255 before logging in: ssh: connect to host 127\\.0\\.0\\.1 port $closed: Connection refused" \
		-- --connect $GOOD -p "$closed" testhost
}

# ---------------------------------------------------------------- the demo's set-up

# tests/demo.sh runs: autossh -M 0 -N -F $SSH_CFG -o ServerAliveInterval=5
# -o ExitOnForwardFailure=yes -L PORT:127.0.0.1:TARGET testhost
name="doctor: the make demo tunnel: exit 0, and each warning is true of it"
doctor_run -- -M 0 -N -F "$SSH_CFG" -o ServerAliveInterval=5 -o ExitOnForwardFailure=yes \
	-L "$lp:127.0.0.1:$target" testhost
warned=$(sed -n 's/^warn \([^:]*\):.*/\1/p' "$OUT" | tr '\n' ',')
if [ -n "$WHY" ]; then
	:
elif [ "$RC" != 0 ]; then
	WHY="exit status $RC, want 0"
elif grep -q '^FAIL' "$OUT"; then
	WHY="failures: $(grep '^FAIL' "$OUT" | tr '\n' '|')"
elif [ "$warned" != "host key," ]; then
	WHY="warnings for [$warned], want only the host key"
elif ! grep -Eq '^[[:space:]]*StrictHostKeyChecking no$' "$SSH_CFG"; then
	WHY="the host key warning is not true: the demo's config checks host keys"
fi
report "$name" "$OUT"
