# shellcheck shell=sh
# tests/monitor-lib.sh: helpers shared by tests/t-monitor.sh and
# tests/t-smart.sh (POSIX sh, sourced after tests/lib.sh and lib_init).
#
#   count FILE REGEX         lines of FILE matching the ERE REGEX (0 if no file)
#   at_least N FILE REGEX    count FILE REGEX >= N
#   time_reached MS          now_ms >= MS (for wait_for)
#   tree_of PID...           the pids and all their descendants
#   freeze_sessions          SIGSTOP every server-side session (and children);
#                            the pids go to FROZEN
#   thaw_sessions            SIGCONT the FROZEN pids
#   kill_frozen              SIGKILL the FROZEN pids (server frees their ports)
#   ns_listens PORT          something listens on TCP PORT inside $NS
#   ns_tunnel_ok PORT        127.0.0.1:PORT inside $NS yields hello-from-target
#   new_ssh APID OLDPID      APID has a live ssh child other than OLDPID;
#                            sets NEW_SSH
#   first_ssh APID           APID has a live ssh child; sets SSH1
#   probe_in_flight APID P   APID holds an established connection to port P
#   stop_autossh PID         SIGTERM PID (our background child), wait <= 10 s
#   re_escape TEXT           TEXT with ERE metacharacters escaped
#   args_case NAME WANT [VAR=VAL...] -- ARG...   one test: what the stub ssh gets

# Variables set here are for the sourcing script.
# shellcheck disable=SC2034

FROZEN=

count() {
	if [ -f "$1" ]; then
		grep -Ec -- "$2" "$1" || :
	else
		echo 0
	fi
}

at_least() { [ "$(count "$2" "$3")" -ge "$1" ]; }

time_reached() { [ "$(now_ms)" -ge "$1" ]; }

tree_of() {
	ps -e -o pid=,ppid= 2>/dev/null | awk -v roots=" $* " '
		{ parent[$1] = $2; pids[++n] = $1 }
		END {
			k = split(roots, r, " ")
			for (i = 1; i <= k; i++) if (r[i] != "") mark[r[i]] = 1
			changed = 1
			while (changed) {
				changed = 0
				for (i = 1; i <= n; i++) {
					p = pids[i]
					if (!(p in mark) && (parent[p] in mark)) { mark[p] = 1; changed = 1 }
				}
			}
			for (p in mark) print p
		}'
	return 0
}

freeze_sessions() {
	# shellcheck disable=SC2046
	FROZEN=$(tree_of $(sshd_sessions) | tr '\n' ' ')
	[ -n "$FROZEN" ] || return 1
	# shellcheck disable=SC2086
	kill -STOP $FROZEN
}

thaw_sessions() {
	[ -n "$FROZEN" ] || return 0
	# shellcheck disable=SC2086
	kill -CONT $FROZEN 2>/dev/null || :
}

kill_frozen() {
	[ -n "$FROZEN" ] || return 0
	# shellcheck disable=SC2086
	kill -KILL $FROZEN 2>/dev/null || :
	# shellcheck disable=SC2086
	kill -CONT $FROZEN 2>/dev/null || :
	FROZEN=
}

ns_listens() {
	[ -n "$(ip netns exec "$NS" ss -Hltn "( sport = :$1 )" 2>/dev/null)" ]
}

ns_tunnel_ok() {
	_nt_out=$(timeout 5 ip netns exec "$NS" socat -T 3 -u \
		"TCP:127.0.0.1:$1,connect-timeout=2" STDOUT 2>/dev/null) || :
	[ "$_nt_out" = hello-from-target ]
}

new_ssh() {
	NEW_SSH=$(ssh_children "$1" | grep -vx -- "$2" | head -n 1) || :
	[ -n "$NEW_SSH" ]
}

first_ssh() {
	SSH1=$(ssh_children "$1" | head -n 1)
	[ -n "$SSH1" ]
}

probe_in_flight() {
	ss -Htnp state established "( dport = :$2 )" 2>/dev/null | grep -q "pid=$1,"
}

stop_autossh() {
	kill -TERM "$1" 2>/dev/null || :
	wait_exit 10 "$1" || :
}

re_escape() {
	printf '%s' "$1" | sed 's/[][\.^$*+?(){}|/]/\\&/g'
}

# args_case NAME EXPECTED_QUOTED [VAR=VAL...] -- ARG...: run autossh with the
# stub (exits 0 at once, gate off) and compare the stub's argv. The
# VAR=VAL words must hold no blanks.
args_case() {
	_ac_name=$1
	_ac_want=$2
	shift 2
	_ac_env=
	while [ "$1" != -- ]; do
		_ac_env="$_ac_env $1"
		shift
	done
	shift
	rm -f "$T/argv.stub"
	# shellcheck disable=SC2086
	bg_run $_ac_env AUTOSSH_PATH="$STUB" STUB_LOG="$T/argv.stub" STUB_EXIT=0 AUTOSSH_GATETIME=0 \
		AUTOSSH_LOGFILE="$T/argv.log" "$AUTOSSH" "$@" >"$T/argv.out" 2>&1
	if ! wait_exit 10 "$BG_PID"; then
		not_ok "$_ac_name" "autossh still running after 10 s"
		return 0
	fi
	_ac_got=$(stub_args "$T/argv.stub" 1) || _ac_got='(ssh not started)'
	if [ "$EXIT_STATUS" != 0 ]; then
		not_ok "$_ac_name" "exit status $EXIT_STATUS, want 0; output: $(head -n 3 "$T/argv.out" | tr '\n' '|')"
	elif [ "$_ac_got" != "$_ac_want" ]; then
		not_ok "$_ac_name" "ssh got [$_ac_got], want [$_ac_want]"
	else
		ok "$_ac_name"
	fi
}
