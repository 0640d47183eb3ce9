#!/bin/sh
# t-sharing: autossh owns its ssh connection (autossh(1) CONNECTION SHARING).
# ControlMaster/ControlPath/ControlPersist in an ssh config must not take the
# session away from autossh: the tunnel stays supervised and no master is
# left behind. The user's own sharing options on the command line are
# respected (ssh hands the session off and autossh exits), and autossh says
# why; the same for ForkAfterAuthentication. Real sshd on 127.0.0.1.
set -eu
# shellcheck source=tests/lib.sh disable=SC1091
. tests/lib.sh
lib_init sharing

if ! start_sshd; then
	skip "sharing: all" "sshd did not start"
	exit 0
fi
target=$(free_port)
start_target "$target"

HINT='ssh exited at once with status 0: connection sharing (ControlMaster/ControlPersist) or ForkAfterAuthentication hands the session to another process; autossh cannot supervise it'

# The test sshd's client config plus the three sharing lines many people have.
{
	printf 'Host *\n\tControlMaster auto\n\tControlPath %s/cm-%%C\n\tControlPersist yes\n' "$T"
	cat "$SSH_CFG"
} >"$T/sharing.cfg"

# pids_with TEXT: live processes whose command line holds $T/TEXT (an ssh
# master shows its control path there).
pids_with() {
	# "[/]" keeps grep's own command line from matching.
	grep -laE -- "${T}[/]$1" /proc/[0-9]*/cmdline 2>/dev/null |
		sed -n 's|^/proc/\([0-9]*\)/cmdline$|\1|p' | while read -r _pw_p; do
		[ "$_pw_p" = "$$" ] || ! pid_alive "$_pw_p" || echo "$_pw_p"
	done
	return 0
}
_no_pids_with() { [ -z "$(pids_with "$1")" ]; }

_new_ssh() {
	new_ssh=$(ssh_children "$A" | head -n 1)
	[ -n "$new_ssh" ] && [ "$new_ssh" != "$old_ssh" ]
}

# ------------------------------------------------ sharing lines in ssh_config

name="sharing: ControlMaster/ControlPersist in the ssh config: the tunnel stays supervised"
WHY=
lp=$(free_port)
bg_run AUTOSSH_GATETIME=0 AUTOSSH_LOGFILE="$T/cfg.log" "$AUTOSSH" -M 0 -N -F "$T/sharing.cfg" \
	-o ExitOnForwardFailure=yes -L "$lp:127.0.0.1:$target" testhost </dev/null
A=$BG_PID
old_ssh=
if ! wait_for 15 tunnel_ok "$lp"; then
	WHY="tunnel never came up"
elif sleep 1 && ! pid_alive "$A"; then
	WHY="autossh exited while the tunnel runs: the session went to a master"
elif [ -n "$(pids_with cm-)" ] || [ -n "$(find "$T" -maxdepth 1 -name 'cm-*')" ]; then
	WHY="a connection-sharing master runs or its socket exists: $(pids_with cm-)"
else
	old_ssh=$(ssh_children "$A" | head -n 1)
	[ -n "$old_ssh" ] || WHY="autossh has no ssh child"
fi
report "$name" "$T/cfg.log"

name="sharing: kill -9 of that ssh gives a new ssh and traffic again"
if [ -n "$WHY" ]; then
	not_ok "$name" "no supervised tunnel to break"
else
	kill -KILL "$old_ssh"
	if ! wait_for 15 _new_ssh; then
		WHY="no new ssh within 15 s"
	elif ! wait_for 15 tunnel_ok "$lp"; then
		WHY="no traffic through the new ssh within 15 s"
	fi
	report "$name" "$T/cfg.log"
fi

name="sharing: no master process or control socket left at exit"
WHY=
kill -TERM "$A" 2>/dev/null || :
if ! wait_exit 10 "$A"; then
	WHY="autossh still runs 10 s after SIGTERM"
elif ! wait_for 5 _no_pids_with cm-; then
	WHY="a master is left: $(pids_with cm-)"
elif [ -n "$(find "$T" -maxdepth 1 -name 'cm-*')" ]; then
	WHY="control socket left: $(find "$T" -maxdepth 1 -name 'cm-*')"
fi
report "$name" "$T/cfg.log"

# ------------------------------------------------ the user's own choice

# own_case NAME TAG ARG...: autossh with the user's ARG... (which hand the
# session to another process) exits 0 at once and logs the hint after the
# exit line; then the test ends the process ssh handed off to.
own_case() {
	_oc_name=$1
	_oc_tag=$2
	shift 2
	WHY=
	_oc_lp=$(free_port)
	bg_run AUTOSSH_GATETIME=0 AUTOSSH_LOGFILE="$T/$_oc_tag.log" "$AUTOSSH" -M 0 -N -F "$SSH_CFG" "$@" \
		-L "$_oc_lp:127.0.0.1:$target" testhost </dev/null
	if ! wait_exit 15 "$BG_PID"; then
		WHY="autossh still runs: the option was not respected"
	elif [ "$EXIT_STATUS" != 0 ]; then
		WHY="exit status $EXIT_STATUS, want 0"
	elif ! grep -A1 'ssh exited with status 0; autossh exiting' "$T/$_oc_tag.log" | tail -n 1 |
		grep -qF -- "$HINT"; then
		WHY="the hint does not follow the exit line"
	elif ! wait_for 5 tunnel_ok "$_oc_lp"; then
		WHY="the handed-off session does not carry the forward (was the option respected?)"
	fi
	report "$_oc_name" "$T/$_oc_tag.log"
}

own_case "sharing: the user's own -o ControlMaster/ControlPath/ControlPersist are respected, with the hint" \
	own -o ControlMaster=auto -o ControlPath="$T/own-%C" -o ControlPersist=yes
# The master the test caused: ask it to exit, then make sure it is gone.
ssh -F "$SSH_CFG" -o ControlPath="$T/own-%C" -O exit testhost >/dev/null 2>&1 || :
if ! wait_for 5 _no_pids_with own-; then
	# shellcheck disable=SC2046
	kill -KILL $(pids_with own-) 2>/dev/null || :
fi

own_case "sharing: the user's own -o ForkAfterAuthentication=yes is respected, with the hint" \
	fork -o ForkAfterAuthentication=yes -o ServerAliveInterval=7
# The forked ssh holds the forward; its command line names our config.
for p in $(pids_with ssh_config); do
	case $(tr '\0' ' ' <"/proc/$p/cmdline" 2>/dev/null) in
	*ForkAfterAuthentication=yes*) kill -TERM "$p" 2>/dev/null || : ;;
	esac
done
