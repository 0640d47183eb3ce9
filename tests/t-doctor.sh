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

# ---------------------------------------------------------------- what a start will meet

# (TMPDIR=$T below: the temporary known_hosts copy must be gone afterwards.)
# Keys the server restricts: forwarding only (no shell), and a forced
# command that never ends; an encrypted key (no agent in the tests).
for k in fwd_key forever_key; do
	ssh-keygen -q -t ed25519 -N '' -C "$k" -f "$T/$k"
done
ssh-keygen -q -t ed25519 -N 'a passphrase' -C enc_key -f "$T/enc_key"
{
	printf 'restrict,port-forwarding,command="/usr/sbin/nologin" %s\n' "$(cat "$T/fwd_key.pub")"
	printf 'command="sleep 600" %s\n' "$(cat "$T/forever_key.pub")"
	cat "$T/enc_key.pub"
} >>"$T/authorized_keys"
: >"$T/new_known_hosts"
: >"$T/off_known_hosts"
rel=id_relative_$$
cp "$T/id_ed25519" "$T/$rel"
grep -v IdentityFile "$T/good.cfg" >"$T/nokey.cfg"

# shellcheck disable=SC2086
{
	doctor_case "doctor: --connect with a forwarding-only key (restrict, nologin): ok" 0 \
		'^ok   connect: logged in to 127\.0\.0\.1 in ' \
		-- --connect $GOOD -o "IdentityFile=$T/fwd_key" testhost
	doctor_case "doctor: --connect with a forced command that runs forever: ok at once" 0 \
		'^ok   connect: logged in to 127\.0\.0\.1 in [0-9]+\.' \
		-- --connect $GOOD -o "IdentityFile=$T/forever_key" testhost
	doctor_case "doctor: --connect with the user's -q: ssh's word is still read" 0 \
		'^ok   connect: logged in to 127\.0\.0\.1 in ' -- --connect $GOOD -q testhost
	doctor_case "doctor: --connect with accept-new and the key unknown: ok, nothing written" 0 \
		"^ok   connect: logged in .*known_hosts read from a temporary copy of $T/new_known_hosts so that nothing is written" \
		TMPDIR="$T" -- --connect $GOOD -o StrictHostKeyChecking=accept-new -o "UserKnownHostsFile=$T/new_known_hosts" testhost
	[ -n "$WHY" ] || [ ! -s "$T/new_known_hosts" ] ||
		not_ok "doctor: --connect with accept-new writes no known_hosts" "$(cat "$T/new_known_hosts")"
	doctor_case "doctor: --connect with StrictHostKeyChecking=no: ok, nothing written" 0 \
		'^ok   connect: logged in .*temporary copy' \
		TMPDIR="$T" -- --connect $GOOD -o StrictHostKeyChecking=no -o "UserKnownHostsFile=$T/off_known_hosts" testhost
	[ -n "$WHY" ] || [ ! -s "$T/off_known_hosts" ] ||
		not_ok "doctor: --connect with checking off writes no known_hosts" "$(cat "$T/off_known_hosts")"
	doctor_case "doctor: an encrypted key and no agent: warn with the hint" 0 \
		"^warn identity: $T/enc_key: key is encrypted: load it into ssh-agent, or use an unencrypted key for unattended tunnels$" \
		-u SSH_AUTH_SOCK -- -M 0 -N -F "$T/nokey.cfg" -o "IdentityFile=$T/enc_key" testhost
	doctor_case "doctor: --connect with an encrypted key and no agent: FAIL with the hint" 1 \
		'^FAIL connect: .*Permission denied.*; key is encrypted: load it into ssh-agent' \
		-u SSH_AUTH_SOCK -- --connect -M 0 -N -F "$T/nokey.cfg" -o "IdentityFile=$T/enc_key" testhost
	doctor_case "doctor: a -L port held on 127.0.0.1: FAIL naming the holder, no ok ExitOnForwardFailure" 1 \
		"^FAIL local port: local port $busy is held by socat \\(pid [0-9]+\\): free it or forward another port$" \
		-- -M 0 -N -F "$T/good.cfg" -L "$busy:127.0.0.1:$target" testhost
	if [ -z "$WHY" ] && grep -q '^ok   ExitOnForwardFailure' "$OUT"; then
		WHY="ok ExitOnForwardFailure while a forward is impossible"
		report "doctor: a held -L port: ExitOnForwardFailure is not ok" "$OUT"
	fi
	doctor_case "doctor: a free -L port: ok on each address ssh binds" 0 \
		"^ok   local port: .*127\\.0\\.0\\.1:$lp.* free$" -- $GOOD testhost
	# From $T, where the relative key exists: only -f breaks it.
	(
		cd "$T"
		doctor_case "doctor: -f and a relative -i: warn" 0 \
			"^warn -f: -i $rel is a relative path, but autossh -f runs ssh in /: give an absolute path$" \
			-- -f $GOOD -i "$rel" testhost
		doctor_case "doctor: -f and a relative IdentityFile in ssh_config: warn" 0 \
			"^warn -f: IdentityFile $rel is a relative path" \
			-- -f -M 0 -N -F "$T/good.cfg" -o "IdentityFile $rel" testhost
	)
	doctor_case "doctor: -f without -N and without a command: warn with the log's words" 0 \
		'^warn session: the remote shell ended at once because its stdin is /dev/null under -f: add -N for a tunnel without a remote command$' \
		-- -f -M 0 -F "$T/good.cfg" testhost
	doctor_case "doctor: -f -N: session ok" 0 '^ok   session: -N' -- -f $GOOD testhost
	doctor_case "doctor: BatchMode=yes and no ServerAliveInterval: the effective 300 s, warn" 0 \
		"^warn ServerAliveInterval: 300 s \\(OpenSSH's default with BatchMode=yes\\), ServerAliveCountMax 3" \
		-- -M 0 -N -F "$SSH_CFG" testhost
	doctor_case "doctor: LogLevel ERROR, forwards, no ExitOnForwardFailure: warn, ssh hides failed forwards" 0 \
		'^warn LogLevel: below INFO: ssh does not say when a forward fails' \
		-- -o ExitOnForwardFailure=no $GOOD -o LogLevel=ERROR testhost
	doctor_case "doctor: no -M at all: warn, the wrapper's random port monitors nothing here" 0 \
		"^warn monitor: no -M given: .*distribution's autossh wrapper picks a random monitor port" \
		-- -N -F "$T/good.cfg" testhost
	doctor_case "doctor: an unknown AUTOSSH_ name: warn" 0 \
		'^warn environment: AUTOSSH_POL is not an autossh variable and is ignored' \
		AUTOSSH_POL=30 -- $GOOD testhost
}

# A port the server already holds for another session (as a dead session's would be).
rp=$(free_port)
ssh -N -F "$SSH_CFG" -R "$rp:127.0.0.1:$target" testhost </dev/null >/dev/null 2>&1 &
track_pid "$!"
# shellcheck disable=SC2086
if wait_for 5 _listening "$rp"; then
	doctor_case "doctor: --connect and a -R port the server holds: FAIL with the log's words" 1 \
		"^FAIL server port: the server still holds port $rp, often for the previous session of this tunnel: set ClientAliveInterval in the server's sshd_config so that it frees a dead session's ports$" \
		-- --connect $GOOD -R "$rp:127.0.0.1:$target" testhost
	doctor_case "doctor: --connect and a free -R port: ok, only the -R asked for" 0 \
		'^ok   server port: the server accepted every -R \(1\)$' \
		-- --connect $GOOD -R "$(free_port):127.0.0.1:$target" testhost
else
	skip "doctor: --connect and a -R port the server holds" "the first session's -R did not come up"
fi

name="doctor: --connect after other options: one line, exit 1"
RC=0
"$AUTOSSH" --doctor -M 0 --connect -F "$T/good.cfg" testhost >"$T/out/doctor" 2>"$T/out/err" </dev/null || RC=$?
WHY=
if [ "$RC" != 1 ]; then
	WHY="exit status $RC, want 1"
elif [ "$(cat "$T/out/err")" != "autossh: --connect must follow --doctor" ]; then
	WHY="stderr is not the one line"
fi
report "$name" "$T/out/doctor" "$T/out/err"

name="doctor: a -f start logs an unknown AUTOSSH_ name and a relative path once"
WHY=
RC=0
env AUTOSSH_PATH="$STUB" STUB_EXIT=0 AUTOSSH_LOGFILE="$T/start.log" AUTOSSH_POL=30 \
	"$AUTOSSH" -f -M 0 -N -i "$rel" testhost </dev/null >/dev/null 2>&1 || RC=$?
if [ "$RC" != 0 ]; then
	WHY="exit status $RC, want 0"
elif ! wait_log 5 "$T/start.log" 'ssh exited'; then
	WHY="ssh did not run"
elif [ "$(grep -c 'AUTOSSH_POL is not an autossh variable and is ignored' "$T/start.log")" != 1 ]; then
	WHY="not one line naming AUTOSSH_POL"
elif [ "$(grep -c -- "-i $rel is a relative path, but autossh -f runs ssh in /" "$T/start.log")" != 1 ]; then
	WHY="not one line naming the relative -i"
fi
report "$name" "$T/start.log"

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
