# shellcheck shell=sh
# tests/lib.sh: shared helpers for the integration tests (POSIX sh, sourced).
#
# Usage, from a tests/t-*.sh script run from the repository top:
#     # shellcheck source=tests/lib.sh disable=SC1091
#     . tests/lib.sh
#     lib_init my-test
#     start_sshd
#     ...
#     ok "tunnel comes up"
#
# Every function is safe under the caller's `set -eu`: functions that test
# something return non-zero and must be used as conditions (`if wait_for ...`).
#
# Functions (see the comment above each one):
#   lib_init NAME [own-netns]  temp dir $T, cleanup trap, TOP, AUTOSSH, STUB, clean env;
#                            own-netns: as root, the script runs again in a network
#                            namespace of its own (lo up), so the host's is left alone
#                            (AUTOSSH=$TEST_AUTOSSH if set, else $TOP/autossh)
#   track_pid PID            kill PID (and its descendants) at cleanup
#   free_port                print a free TCP port P on 127.0.0.1 (P+1 free too)
#   start_sshd               throwaway sshd on 127.0.0.1 (SSHD_PID SSHD_PORT SSHD_ADDR SSH_CFG)
#   start_sshd_netns         same inside a fresh network namespace (NS VETH VETH_NS); 2 = skip
#   stop_sshd, restart_sshd  stop sshd (listener and sessions); start it again, same port/keys
#   sshd_sessions            print pids of the sshd processes serving sessions
#   start_echo PORT [NS]     TCP echo service, input logged to $T/echo.PORT.log
#   start_target PORT [NS]   answers each connection with "hello-from-target", then closes
#   tunnel_ok LOCALPORT      127.0.0.1:LOCALPORT returns "hello-from-target"
#   wait_for SECONDS CMD...  poll CMD until it succeeds (0) or time is up (1)
#   wait_gone SECONDS PID    wait until PID no longer runs (zombies count as gone)
#   pid_alive PID            PID runs (and is not a zombie)
#   ssh_children PID         print pids of PID's live children named ssh or stub-ssh
#   ok NAME / not_ok NAME WHY / skip NAME WHY   result lines
#   report NAME [FILE...]    ok NAME if $WHY is empty, else not ok with $WHY and
#                            the files as diagnostics
#   diag FILE...             copy files to stdout as "# " comment lines (for failures)
#   log_has FILE REGEX       FILE has a line matching the ERE REGEX
#   wait_log SECONDS FILE REGEX
#   now_ms                   monotonic milliseconds (since boot, 10 ms steps)
#   quote_args ARG...        print the args the way tests/stub-ssh logs them
#   pidfile_pid FILE         print the pid held in a pidfile (fails if none)
#   stub_pid FILE [N]        pid of the Nth (default: last) run in a STUB_LOG file
#   stub_args FILE [N]       argv (quoted) of the Nth (default: last) run in a STUB_LOG
#   stub_runs FILE           number of runs recorded in a STUB_LOG file (0 if none)
#   args_case NAME WANT [VAR=VAL...] -- ARG...   one test: the stub ssh (exits 0
#                            at once) gets WANT (quote_args form) from autossh ARG...
#   fd_count PID / fd_list PID   number / list (fd=target) of PID's open descriptors
#   fd_baseline PID          the fewest descriptors PID holds over about 1 s
#   zombie_count PID         zombie children of PID; _no_zombies PID: none
#   cpu_ticks PID            utime + stime of PID in clock ticks
#   bg_run [VAR=VAL...] CMD [ARG...]   start CMD in the background (tracked) with
#                            SIGINT/SIGQUIT at default (sh would ignore them); sets BG_PID
#   wait_exit SECONDS PID    wait for our background child PID to exit; sets
#                            EXIT_STATUS (128+n if killed by signal n); 1 on timeout
#   scenario NAME CMD...     run CMD in the background with its own T, output to a
#                            file; as root the script runs again for it in a network
#                            namespace of its own (lo up), else a subshell with
#                            T=$T/NAME (bookkeeping shared)
#   scenarios_wait           wait for every scenario, print their output in order
#   client_addr              the root side's address on $VETH (10.231.X.1)
#   swap_client_address      add 10.232.X.1 on $VETH (routes both ways), remove
#                            the old address; sets NEW_CLIENT_ADDR
#   blackhole_client / lift_blackhole   the server drops / again sends what it
#                            sends to the client (a route in $NS)
#   trickle_start PORT       a line every 0.2 s into 127.0.0.1:PORT (a tunnel
#                            to an echo service); sets TRICKLE_PID
#   trickle_flows FILE       FILE (the echo service's log) grew within 2 s
#   netlink_protocols PID    the protocols of PID's netlink sockets (0 route,
#                            4 sock_diag), one per line

# Variables set here (T, SSHD_PORT, BG_PID, EXIT_STATUS ...) are for the
# sourcing script.
# shellcheck disable=SC2034

# ---------------------------------------------------------------- results

# A script run again for one scenario (LIB_SCENARIO) reports only that
# scenario's results: its other top-level checks ran in the first run.
LIB_QUIET=${LIB_SCENARIO:+1}
ok() { [ -n "$LIB_QUIET" ] || printf 'ok %s\n' "$1"; }
not_ok() { [ -n "$LIB_QUIET" ] || printf 'not ok %s: %s\n' "$1" "${2:-failed}"; }
skip() { [ -n "$LIB_QUIET" ] || printf 'skip %s: %s\n' "$1" "${2:-skipped}"; }

# _own_netns_usable: network tests may run in namespaces of their own (root,
# unshare and ip present); the answer is found once per script.
_own_netns_usable() {
	if [ -z "${LIB_OWN_NETNS_OK:-}" ]; then
		LIB_OWN_NETNS_OK=no
		[ "$(id -u)" = 0 ] && command -v unshare >/dev/null 2>&1 && command -v ip >/dev/null 2>&1 &&
			unshare --net -- true 2>/dev/null && LIB_OWN_NETNS_OK=yes
	fi
	[ "$LIB_OWN_NETNS_OK" = yes ]
}

# _own_netns_run: run this script again (sh "$0") in a new network
# namespace with lo up.
_own_netns_run() {
	LIB_IN_OWN_NETNS=1
	export LIB_IN_OWN_NETNS
	# shellcheck disable=SC2016 # "$0" is the inner shell's
	unshare --net -- sh -c 'ip link set lo up && exec sh "$0"' "$0"
}

# report NAME [FILE...]: ok NAME if $WHY is empty, else not ok with $WHY
# and the files as diagnostics.
report() {
	if [ -z "$WHY" ]; then
		ok "$1"
	else
		not_ok "$1" "$WHY"
		shift
		diag "$@"
	fi
}

# Print files as comment lines, so a failure explains itself without
# confusing the runner (which only counts ok / not ok / skip lines).
diag() {
	for _d_f in "$@"; do
		[ -f "$_d_f" ] || continue
		printf '# --- %s\n' "$_d_f"
		tail -n 40 "$_d_f" | sed 's/^/# /'
	done
	return 0
}

# ---------------------------------------------------------------- time, polling

# Milliseconds since boot from /proc/uptime (10 ms steps): a wall clock step
# cannot stretch or shorten a wait.
now_ms() {
	read -r _nm_up _nm_idle </proc/uptime
	# "12345.67": the "1" prefix keeps a fraction like "08" from being octal.
	echo $((${_nm_up%.*} * 1000 + 1${_nm_up#*.} * 10 - 1000))
}

# wait_for SECONDS CMD [ARG...]: run CMD every 0.1 s until it succeeds.
# SECONDS may be fractional. CMD always runs at least once.
wait_for() {
	_wf_ms=$(awk -v s="$1" 'BEGIN { printf "%d", s * 1000 }')
	shift
	_wf_end=$(($(now_ms) + _wf_ms))
	while :; do
		if "$@"; then
			return 0
		fi
		[ "$(now_ms)" -lt "$_wf_end" ] || return 1
		sleep 0.1
	done
}

# proc_state PID: field 3 of /proc/PID/stat, the process state (R, S, T,
# Z ...); nothing if there is no such process.
proc_state() { sed 's/^.*) \(.\).*/\1/' "/proc/$1/stat" 2>/dev/null; }

# stopped PID: PID is in the stopped state (T). kill -STOP takes effect
# only when the process next runs: a pipe reader that the signal woke can
# still take what a writer has just put in, so wait for this before
# filling its pipe.
stopped() { [ "$(proc_state "$1")" = T ]; }

pid_alive() {
	[ -n "${1:-}" ] || return 1
	[ -r "/proc/$1/stat" ] || return 1
	# A zombie (Z) or dead (X) process has exited already.
	_pa_state=$(proc_state "$1") || return 1
	case $_pa_state in
	Z | X | '') return 1 ;;
	esac
	return 0
}

_pid_gone() { ! pid_alive "$1"; }

wait_gone() { wait_for "$1" _pid_gone "$2"; }

log_has() {
	[ -f "$1" ] || return 1
	grep -Eq -- "$2" "$1"
}

wait_log() { wait_for "$1" log_has "$2" "$3"; }

# ---------------------------------------------------------------- misc helpers

# Quote each argument in single quotes (embedded ' as '\''), separated by
# one space: the format tests/stub-ssh uses in STUB_LOG.
quote_args() {
	_qa_out=
	_qa_sep=
	for _qa_a in "$@"; do
		_qa_q=$(printf '%s' "$_qa_a" | sed "s/'/'\\\\''/g")
		_qa_out="$_qa_out$_qa_sep'$_qa_q'"
		_qa_sep=' '
	done
	printf '%s\n' "$_qa_out"
}

pidfile_pid() {
	[ -f "$1" ] || return 1
	_pp=$(head -n 1 "$1")
	case $_pp in
	'' | *[!0-9]*) return 1 ;;
	esac
	printf '%s\n' "$_pp"
}

# STUB_LOG readers (see tests/stub-ssh): one "PID ARGS" line per run.
stub_runs() {
	if [ -f "$1" ]; then
		wc -l <"$1" | tr -d ' '
	else
		echo 0
	fi
}

# _stub_run FILE N SUBST: line N (default: the last) of a STUB_LOG file
# through the sed substitution SUBST.
_stub_run() {
	[ -s "$1" ] || return 1
	sed -n "${2:-\$}$3p" "$1"
}

stub_pid() { _stub_run "$1" "${2:-}" 's/ .*//'; }

stub_args() { _stub_run "$1" "${2:-}" 's/^[0-9]* //'; }

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

# ---------------------------------------------------------------- processes

fd_count() { find "/proc/$1/fd" -mindepth 1 -maxdepth 1 2>/dev/null | wc -l | tr -d ' '; }
# fd_baseline PID: the fewest descriptors PID holds over about 1 s, so that a
# transient one (autossh reading /proc, say) does not become the baseline.
fd_baseline() {
	_fb_min=$(fd_count "$1")
	for _fb_i in 1 2 3 4 5; do
		sleep 0.2
		_fb_n=$(fd_count "$1")
		[ "$_fb_n" -ge "$_fb_min" ] || _fb_min=$_fb_n
	done
	printf '%s\n' "$_fb_min"
}
fd_list() { find "/proc/$1/fd" -mindepth 1 -maxdepth 1 -printf '%f=%l ' 2>/dev/null || :; }
zombie_count() { ps -o stat= --ppid "$1" 2>/dev/null | awk '/^Z/ { n++ } END { print n + 0 }'; }
_no_zombies() { [ "$(zombie_count "$1")" = 0 ]; }
# utime + stime of PID in clock ticks (fields 14 and 15 of /proc/PID/stat).
cpu_ticks() { sed 's/^.*) //' "/proc/$1/stat" | awk '{ print $12 + $13 }'; }

# ssh_children PID: live children of PID whose command name is ssh or the stub.
ssh_children() {
	ps -o pid=,stat=,comm= --ppid "$1" 2>/dev/null |
		awk '$2 !~ /^Z/ && ($3 == "ssh" || $3 == "stub-ssh") { print $1 }'
	return 0
}

# All descendants of the given pids (not the pids themselves).
_descendants() {
	ps -e -o pid=,ppid= 2>/dev/null | awk -v roots=" $* " '
		{ parent[$1] = $2; pids[++n] = $1 }
		END {
			split(roots, r, " ")
			for (i in r) mark[r[i]] = 1
			changed = 1
			while (changed) {
				changed = 0
				for (i = 1; i <= n; i++) {
					p = pids[i]
					if (!(p in mark) && (parent[p] in mark)) {
						mark[p] = 1; desc[p] = 1; changed = 1
					}
				}
			}
			for (p in desc) print p
		}'
	return 0
}

# bg_run [VAR=VAL...] CMD [ARG...]: like `VAR=VAL CMD ARG &`, but with SIGINT
# and SIGQUIT at their default action as in an interactive start (a
# non-interactive sh makes background jobs ignore them). Redirect the call
# to redirect CMD. Sets BG_PID (the pid of CMD itself) and tracks it.
bg_run() {
	env --default-signal=INT,QUIT "$@" &
	BG_PID=$!
	track_pid "$BG_PID"
}

# wait_exit SECONDS PID: wait (bounded) for background child PID of this
# shell to exit; EXIT_STATUS gets its status. Returns 1 if it still runs.
wait_exit() {
	EXIT_STATUS=
	wait_gone "$1" "$2" || return 1
	EXIT_STATUS=0
	wait "$2" || EXIT_STATUS=$?
	return 0
}

# ---------------------------------------------------------------- init, cleanup

# track_pid PID: remember PID; cleanup kills it and everything below it.
track_pid() {
	[ -n "${1:-}" ] || return 0
	printf '%s\n' "$1" >>"$T/.lib/pids"
}

# lib_init NAME: set up $T, TOP, AUTOSSH, STUB and the cleanup trap; scrub
# the environment of variables that would change autossh's behaviour.
lib_init() {
	LIB_NAME=${1:-test}
	LIB_CLEANED=
	if [ "${2:-}" = own-netns ] && [ -z "${LIB_IN_OWN_NETNS:-}" ] && _own_netns_usable; then
		_own_netns_run
		exit $?
	fi
	case $0 in
	*/*) _li_dir=${0%/*} ;;
	*) _li_dir=. ;;
	esac
	if [ -f "$_li_dir/lib.sh" ]; then
		TOP=$(cd "$_li_dir/.." && pwd -P)
	else
		TOP=$(pwd -P)
	fi
	# TEST_AUTOSSH runs the tests against another binary (e.g. 1.4g).
	AUTOSSH=${TEST_AUTOSSH:-$TOP/autossh}
	STUB=$TOP/tests/stub-ssh
	# The stub must be executable for AUTOSSH_PATH; a checkout may lose the bit.
	[ -x "$STUB" ] || chmod +x "$STUB" 2>/dev/null || :
	T=$(mktemp -d "${TMPDIR:-/tmp}/autossh-$LIB_NAME.XXXXXX")
	mkdir "$T/.lib"
	: >"$T/.lib/pids"
	: >"$T/.lib/netns"
	: >"$T/.lib/links"
	: >"$T/.lib/ports"
	trap 'lib_cleanup' EXIT
	trap 'lib_cleanup; trap - EXIT; exit 130' INT
	trap 'lib_cleanup; trap - EXIT; exit 143' TERM
	trap 'lib_cleanup; trap - EXIT; exit 129' HUP
	for _li_v in $(env | sed -n 's/^\(\(AUTOSSH\|WATCHDOG\)_[A-Za-z0-9_]*\)=.*/\1/p'); do
		unset "$_li_v"
	done
	unset NOTIFY_SOCKET JOURNAL_STREAM
	export TOP AUTOSSH STUB T
	SSHD_PID=
	NS=
}

# Kill a list of pids: TERM, up to 2 s grace, then KILL, up to 2 s more.
_kill_all() {
	[ $# -gt 0 ] || return 0
	for _ka_p in "$@"; do
		kill -TERM "$_ka_p" 2>/dev/null || :
		kill -CONT "$_ka_p" 2>/dev/null || :
	done
	_ka_end=$(($(now_ms) + 2000))
	while :; do
		_ka_left=
		for _ka_p in "$@"; do
			pid_alive "$_ka_p" && _ka_left="$_ka_left $_ka_p"
		done
		[ -n "$_ka_left" ] || return 0
		[ "$(now_ms)" -lt "$_ka_end" ] || break
		sleep 0.05
	done
	for _ka_p in $_ka_left; do
		kill -KILL "$_ka_p" 2>/dev/null || :
	done
	_ka_end=$(($(now_ms) + 2000))
	for _ka_p in $_ka_left; do
		while pid_alive "$_ka_p" && [ "$(now_ms)" -lt "$_ka_end" ]; do
			sleep 0.05
		done
	done
	return 0
}

# Pids whose command line or environment mentions our temp dir (ssh -F
# $T/..., sshd -f $T/..., the stub with STUB_LOG=$T/..., autossh with
# AUTOSSH_LOGFILE=$T/...): catches anything reparented to init when its
# parent died. Short-lived helpers (this grep) may be listed too; they are
# gone before they would be signalled.
_pids_using_T() {
	# "[/]" keeps grep's own command line from matching.
	grep -laE -- "${T}[/]" /proc/[0-9]*/cmdline /proc/[0-9]*/environ 2>/dev/null |
		sed -n 's|^/proc/\([0-9]*\)/.*$|\1|p' | sort -u | grep -vx "$$"
	return 0
}

lib_cleanup() {
	[ -z "${LIB_CLEANED:-}" ] || return 0
	LIB_CLEANED=1
	[ -n "${T:-}" ] && [ -d "$T/.lib" ] || return 0
	case $- in
	*e*) _lc_e=1 ;;
	*) _lc_e= ;;
	esac
	set +e
	_lc_nss=$(tr '\n' ' ' <"$T/.lib/netns")
	_lc_roots=$(tr '\n' ' ' <"$T/.lib/pids")
	for _lc_ns in $_lc_nss; do
		_lc_roots="$_lc_roots $(ip netns pids "$_lc_ns" 2>/dev/null | tr '\n' ' ')"
	done
	# Collect twice around a TERM so that children forked meanwhile are seen.
	for _lc_round in 1 2; do
		# shellcheck disable=SC2086
		_lc_all=$({
			printf '%s\n' $_lc_roots
			_descendants $_lc_roots
			_pids_using_T
		} | awk -v me="$$" 'NF && $1 != me && !seen[$1]++' | tr '\n' ' ')
		# shellcheck disable=SC2086
		_kill_all $_lc_all
	done
	for _lc_ns in $_lc_nss; do
		# shellcheck disable=SC2046
		_kill_all $(ip netns pids "$_lc_ns" 2>/dev/null)
		ip netns delete "$_lc_ns" 2>/dev/null
	done
	for _lc_l in $(tr '\n' ' ' <"$T/.lib/links"); do
		ip link delete "$_lc_l" 2>/dev/null
	done
	# Reap our own exited background jobs.
	wait 2>/dev/null
	rm -rf "$T"
	[ -z "$_lc_e" ] || set -e
	return 0
}

# ---------------------------------------------------------------- ports

# Is TCP port $1 in use in the current namespace (any state)?
_port_used() {
	[ -n "$(ss -Htan "( sport = :$1 )" 2>/dev/null)" ]
}

free_port() {
	_fp_i=0
	while [ "$_fp_i" -lt 200 ]; do
		_fp_i=$((_fp_i + 1))
		_fp_r=$(od -An -N2 -tu2 /dev/urandom | tr -d ' ')
		_fp_p=$((20000 + _fp_r % 40000))
		grep -qx -e "$_fp_p" -e "$((_fp_p + 1))" -e "$((_fp_p - 1))" "$T/.lib/ports" && continue
		_port_used "$_fp_p" && continue
		_port_used "$((_fp_p + 1))" && continue
		printf '%s\n' "$_fp_p" >>"$T/.lib/ports"
		printf '%s\n' "$_fp_p"
		return 0
	done
	echo "lib.sh: free_port: no free port found" >&2
	return 1
}

# _listening PORT [NS]: something listens on TCP PORT (in namespace NS).
_listening() {
	if [ -n "${2:-}" ]; then
		[ -n "$(ip netns exec "$2" ss -Hltn "( sport = :$1 )" 2>/dev/null)" ]
	else
		[ -n "$(ss -Hltn "( sport = :$1 )" 2>/dev/null)" ]
	fi
}

# ---------------------------------------------------------------- sshd

_sshd_keys() {
	[ -f "$T/ssh_host_ed25519_key" ] ||
		ssh-keygen -q -t ed25519 -N '' -C testhost -f "$T/ssh_host_ed25519_key" || return 1
	[ -f "$T/id_ed25519" ] ||
		ssh-keygen -q -t ed25519 -N '' -C testuser -f "$T/id_ed25519" || return 1
	cp "$T/id_ed25519.pub" "$T/authorized_keys"
}

# _sshd_config ADDR PORT: write $T/sshd_config and $T/ssh_config.
_sshd_config() {
	# Without PAM, sshd refuses key logins for a locked account ("!..." in
	# /etc/shadow); PAM does not make that check.
	_sc_pam=no
	case $(awk -F: -v u="$(id -un)" '$1 == u { print $2 }' /etc/shadow 2>/dev/null) in
	'!'*) _sc_pam=yes ;;
	esac
	cat >"$T/sshd_config" <<EOF
ListenAddress $1
Port $2
HostKey $T/ssh_host_ed25519_key
PidFile none
AuthorizedKeysFile $T/authorized_keys
PermitRootLogin yes
StrictModes no
PubkeyAuthentication yes
PasswordAuthentication no
KbdInteractiveAuthentication no
UsePAM $_sc_pam
AllowTcpForwarding yes
PrintMotd no
PrintLastLog no
UseDNS no
LogLevel VERBOSE
EOF
	cat >"$T/ssh_config" <<EOF
Host testhost
	HostName $1
	Port $2
	User $(id -un)
	IdentityFile $T/id_ed25519
	IdentitiesOnly yes
	StrictHostKeyChecking no
	UserKnownHostsFile /dev/null
	GlobalKnownHostsFile /dev/null
	LogLevel ERROR
	BatchMode yes
	ConnectTimeout 5
EOF
	SSH_CFG=$T/ssh_config
}

# _sshd_launch [NS]: start sshd with the written config, wait until it listens.
_sshd_launch() {
	mkdir -p /run/sshd 2>/dev/null || :
	if [ -n "${1:-}" ]; then
		ip netns exec "$1" /usr/sbin/sshd -D -e -f "$T/sshd_config" </dev/null 2>>"$T/sshd.log" &
	else
		/usr/sbin/sshd -D -e -f "$T/sshd_config" </dev/null 2>>"$T/sshd.log" &
	fi
	SSHD_PID=$!
	track_pid "$SSHD_PID"
	if ! wait_for 10 _sshd_up "${1:-}"; then
		echo "lib.sh: sshd did not start; see $T/sshd.log:" >&2
		sed 's/^/  /' "$T/sshd.log" >&2
		return 1
	fi
	export SSHD_PID SSHD_PORT SSHD_ADDR SSH_CFG
}

_sshd_up() {
	pid_alive "$SSHD_PID" || return 1
	_listening "$SSHD_PORT" "${1:-}"
}

# start_sshd: sshd on 127.0.0.1:<free port>, keys and configs in $T.
start_sshd() {
	_sshd_keys || return 1
	SSHD_ADDR=127.0.0.1
	SSHD_PORT=$(free_port) || return 1
	_sshd_config "$SSHD_ADDR" "$SSHD_PORT"
	SSHD_NS=
	_sshd_launch
}

# start_sshd_netns: sshd inside a new network namespace $NS reached over a
# veth pair: $VETH (root side, 10.231.X.1/30) and $VETH_NS (10.231.X.2/30).
# Returns 2 if network namespaces are not available (not root, no ip netns).
start_sshd_netns() {
	[ "$(id -u)" = 0 ] || return 2
	command -v ip >/dev/null 2>&1 || return 2
	_sn_i=0
	while :; do
		_sn_i=$((_sn_i + 1))
		[ "$_sn_i" -le 50 ] || return 2
		_sn_x=$(($(od -An -N2 -tu2 /dev/urandom | tr -d ' ') % 250 + 2))
		ip -4 addr show 2>/dev/null | grep -q "inet 10\.231\.$_sn_x\." && continue
		NS=atest-$$-$_sn_x
		VETH=vat$_sn_x-$$
		VETH=$(printf '%s' "$VETH" | cut -c1-15)
		VETH_NS=van$_sn_x-$$
		VETH_NS=$(printf '%s' "$VETH_NS" | cut -c1-15)
		ip link show "$VETH" >/dev/null 2>&1 && continue
		ip link show "$VETH_NS" >/dev/null 2>&1 && continue
		break
	done
	ip netns add "$NS" 2>/dev/null || return 2
	printf '%s\n' "$NS" >>"$T/.lib/netns"
	ip netns exec "$NS" ip link set lo up || return 2
	ip link add "$VETH" type veth peer name "$VETH_NS" || return 2
	printf '%s\n' "$VETH" >>"$T/.lib/links"
	ip link set "$VETH_NS" netns "$NS" || return 2
	ip addr add "10.231.$_sn_x.1/30" dev "$VETH" || return 2
	ip link set "$VETH" up || return 2
	ip netns exec "$NS" ip addr add "10.231.$_sn_x.2/30" dev "$VETH_NS" || return 2
	ip netns exec "$NS" ip link set "$VETH_NS" up || return 2
	_sshd_keys || return 1
	SSHD_ADDR=10.231.$_sn_x.2
	SSHD_PORT=$(free_port) || return 1
	_sshd_config "$SSHD_ADDR" "$SSHD_PORT"
	SSHD_NS=$NS
	export NS VETH VETH_NS
	# The veth needs a moment before the address is usable (DAD is off for
	# IPv4, but the link must be up on both ends).
	_sshd_launch "$NS"
}

# sshd_sessions: pids of the sshd processes serving client sessions: each
# per-connection child of the listener and everything below it. Which of
# them carries the session depends on privilege separation: a login as root
# is served by the child itself, a login as another user (always so when the
# test runs unprivileged) by a grandchild under the "[priv]" monitor child.
# Killing or stopping all of them drops or freezes every session.
sshd_sessions() {
	[ -n "${SSHD_PID:-}" ] || return 0
	_ss_kids=$(ps -o pid=,stat= --ppid "$SSHD_PID" 2>/dev/null | awk '$2 !~ /^Z/ { print $1 }')
	[ -n "$_ss_kids" ] || return 0
	# shellcheck disable=SC2086
	{
		printf '%s\n' $_ss_kids
		_descendants $_ss_kids
	} | awk '!seen[$1]++'
	return 0
}

# stop_sshd: stop the listener and every session below it (server down).
stop_sshd() {
	[ -n "${SSHD_PID:-}" ] || return 0
	# shellcheck disable=SC2046
	_kill_all "$SSHD_PID" $(_descendants "$SSHD_PID")
	wait "$SSHD_PID" 2>/dev/null || :
	SSHD_PID=
}

# restart_sshd: stop_sshd, then start sshd again on the same address and port.
restart_sshd() {
	stop_sshd
	_sshd_launch "${SSHD_NS:-}"
}

# ---------------------------------------------------------------- services

# start_echo PORT [NS]: RFC 862 echo on 127.0.0.1:PORT; what it receives is
# also appended to $T/echo.PORT.log.
start_echo() {
	: >>"$T/echo.$1.log"
	_svc_start "$1" "${2:-}" "SYSTEM:exec tee -a $T/echo.$1.log"
}

# start_target PORT [NS]: each connection gets "hello-from-target\n", then EOF.
start_target() {
	_svc_start "$1" "${2:-}" "SYSTEM:echo hello-from-target"
}

_svc_start() {
	if [ -n "$2" ]; then
		ip netns exec "$2" socat "TCP-LISTEN:$1,bind=127.0.0.1,reuseaddr,fork" "$3" \
			</dev/null >/dev/null 2>>"$T/socat.log" &
	else
		socat "TCP-LISTEN:$1,bind=127.0.0.1,reuseaddr,fork" "$3" \
			</dev/null >/dev/null 2>>"$T/socat.log" &
	fi
	track_pid "$!"
	wait_for 5 _listening "$1" "$2"
}

# tunnel_ok LOCALPORT: connecting to 127.0.0.1:LOCALPORT yields the target's line.
tunnel_ok() {
	_to_out=$(timeout 5 socat -T 3 -u "TCP:127.0.0.1:$1,connect-timeout=2" STDOUT 2>/dev/null) || :
	[ "$_to_out" = hello-from-target ]
}

# ---------------------------------------------------------------- concurrent scenarios

# scenario NAME CMD [ARG...]: run CMD (usually a function) in a background
# subshell whose T is $T/NAME, so files (sshd_config, logs) do not clash;
# the bookkeeping (.lib: pids, netns, links) is shared, so the one cleanup
# of the parent removes everything. Output goes to $T/NAME/.out.
scenario() {
	_sc_name=$1
	if [ -n "${LIB_SCENARIO:-}" ]; then
		# The script run again for one scenario: only that one, in the foreground.
		[ "$_sc_name" = "$LIB_SCENARIO" ] || return 0
		shift
		LIB_QUIET=
		"$@"
		return 0
	fi
	mkdir -p "$T/$_sc_name"
	ln -s ../.lib "$T/$_sc_name/.lib"
	printf '%s\n' "$_sc_name" >>"$T/.lib/scenarios"
	if _own_netns_usable; then
		# A network namespace of its own: no scenario sees another's
		# addresses, links and routes, and the host's are left alone.
		(
			LIB_SCENARIO=$_sc_name
			export LIB_SCENARIO
			_own_netns_run
		) >"$T/$_sc_name/.out" 2>&1 &
	else
		_scenario_body "$@" >"$T/$_sc_name/.out" 2>&1 &
	fi
	track_pid "$!"
	printf '%s\n' "$!" >>"$T/.lib/scenario_pids"
}

# Runs in the background subshell of scenario: its own T, no sshd yet.
_scenario_body() {
	T=$T/$1
	SSHD_PID=
	NS=
	shift
	"$@"
}

scenarios_wait() {
	[ -f "$T/.lib/scenario_pids" ] || return 0
	while read -r _sw_p; do
		wait "$_sw_p" 2>/dev/null || :
	done <"$T/.lib/scenario_pids"
	while read -r _sw_n; do
		cat "$T/$_sw_n/.out"
	done <"$T/.lib/scenarios"
	rm -f "$T/.lib/scenario_pids" "$T/.lib/scenarios"
}

# ---------------------------------------------------------------- network faults

client_addr() { printf '%s\n' "${SSHD_ADDR%.*}.1"; }

# swap_client_address: the client's address changes as after a DHCP or
# Wi-Fi change: a new one (10.232.X.1) is added with routes both ways, then
# the old one is removed (its prefix route with it).
swap_client_address() {
	_sca_x=${SSHD_ADDR%.*}
	_sca_x=${_sca_x##*.}
	NEW_CLIENT_ADDR=10.232.$_sca_x.1
	ip addr add "$NEW_CLIENT_ADDR/32" dev "$VETH" || return 1
	ip route add "$SSHD_ADDR/32" dev "$VETH" src "$NEW_CLIENT_ADDR" || return 1
	ip netns exec "$NS" ip route add "$NEW_CLIENT_ADDR/32" dev "$VETH_NS" || return 1
	ip addr del "$(client_addr)/30" dev "$VETH"
}

blackhole_client() { ip netns exec "$NS" ip route add blackhole "$(client_addr)/32"; }
lift_blackhole() { ip netns exec "$NS" ip route del blackhole "$(client_addr)/32" 2>/dev/null || :; }

# trickle_start PORT: a line every 0.2 s into 127.0.0.1:PORT (a tunnel to
# an echo service, which logs what it gets); replies are not read.
trickle_start() {
	(
		_ts_i=0
		while :; do
			_ts_i=$((_ts_i + 1))
			echo "trickle $_ts_i"
			sleep 0.2
		done
	) | socat -u - "TCP:127.0.0.1:$1" >/dev/null 2>&1 &
	TRICKLE_PID=$!
	track_pid "$TRICKLE_PID"
}

_trickle_size() { wc -c <"$1" 2>/dev/null | tr -d ' '; }

# trickle_flows FILE: FILE (an echo service's log) grew within 2 s.
trickle_flows() {
	_tf_before=$(_trickle_size "$1")
	wait_for 2 _trickle_grew "$1" "$_tf_before"
}
_trickle_grew() { [ "$(_trickle_size "$1")" -gt "$2" ]; }

# netlink_protocols PID: the protocol of each netlink socket PID holds
# (/proc/net/netlink: column 2, the inode last).
netlink_protocols() {
	_np_inodes=$(find "/proc/$1/fd" -mindepth 1 -maxdepth 1 -printf '%l\n' 2>/dev/null |
		sed -n 's/^socket:\[\([0-9]*\)\]$/\1/p' | tr '\n' ' ')
	awk -v inodes=" $_np_inodes " 'NR > 1 && index(inodes, " " $NF " ") { print $2 }' "/proc/$1/net/netlink"
	return 0
}
