#!/bin/sh
# t-causes: why ssh failed, and each cause's own answer (autossh(1) CAUSES);
# ssh's stderr passed on unchanged (autossh(1) LOGGING). Real sshd on 127.0.0.1.
set -eu
# shellcheck source=tests/lib.sh disable=SC1091
. tests/lib.sh
lib_init causes

if ! start_sshd; then
	skip "causes: all" "sshd did not start"
	exit 0
fi

# ---------------------------------------------------------------- notify listener

# notify_listen NAME: datagrams to $T/NAME.sock, logged by socat -v (as t-systemd).
notify_listen() {
	socat -u -v "UNIX-RECV:$T/$1.sock" /dev/null </dev/null 2>"$T/$1.raw" &
	track_pid "$!"
	wait_for 5 test -S "$T/$1.sock"
}

# notify_has NAME ERE: a STATUS= datagram matches (the datagrams hold no newline).
notify_has() { grep -Eq -- "$2" "$T/$1.raw" 2>/dev/null; }

count() { grep -Ec -- "$2" "$1" 2>/dev/null || :; }

# ---------------------------------------------------------------- auth and hostkey

# fix_needed NAME CFG CAUSE PHRASE: autossh with ssh config CFG fails with
# CAUSE; status file, STATUS= (with the next try's time) and --check say so;
# SIGHUP retries at once, and the next wait is POLL.
fix_needed() {
	_n=$1
	WHY=
	notify_listen "$_n" || WHY="no notify listener"
	bg_run NOTIFY_SOCKET="$T/$_n.sock" AUTOSSH_STATUSFILE="$T/$_n.status" AUTOSSH_LOGFILE="$T/$_n.log" \
		AUTOSSH_GATETIME=0 AUTOSSH_POLL=300 "$AUTOSSH" -M 0 -N -F "$2" testhost >"$T/$_n.out" 2>&1
	_a=$BG_PID
	if [ -n "$WHY" ]; then
		:
	elif ! wait_for 15 notify_has "$_n" "STATUS=backoff: $4 \\(.*\\); next try in 60 s"; then
		WHY="no 'STATUS=backoff: $4 (...); next try in 60 s'"
	elif ! grep -q "^reason=$3: " "$T/$_n.status"; then
		WHY="status file: $(grep '^reason=' "$T/$_n.status" || echo no reason), want reason=$3: ..."
	elif "$AUTOSSH" --check "$T/$_n.status" >"$T/$_n.check" || ! grep -q "^unhealthy: .*$4" "$T/$_n.check"; then
		WHY="--check: $(cat "$T/$_n.check"), want unhealthy naming '$4'"
	elif ! log_has "$T/$_n.log" ": ssh failed: $3: "; then
		WHY="no 'ssh failed: $3: ...' in the log"
	else
		kill -HUP "$_a"
		if ! wait_for 10 at_least 2 "$T/$_n.log" ': starting ssh '; then
			WHY="SIGHUP did not start ssh at once"
		elif ! wait_for 10 notify_has "$_n" "STATUS=backoff: $4 \\(.*\\); next try in 300 s"; then
			WHY="the second failure's wait is not POLL (300 s)"
		elif [ "$(count "$T/$_n.log" ": ssh failed: $3: ")" != 1 ]; then
			WHY="the cause was logged more than once"
		fi
	fi
	report "causes: $_n: status, STATUS= and --check name it, 60 s then POLL, SIGHUP retries at once" \
		"$T/$_n.log" "$T/$_n.out"
	kill -TERM "$_a" 2>/dev/null || :
	wait_gone 5 "$_a" || :
}

at_least() { [ "$(count "$2" "$3")" -ge "$1" ]; }

ssh-keygen -q -t ed25519 -N '' -C other -f "$T/other_key"
sed "s|IdentityFile .*|IdentityFile $T/other_key|" "$SSH_CFG" >"$T/wrongkey_config"
fix_needed wrong-key "$T/wrongkey_config" auth 'authentication failed'

printf '[%s]:%s %s\n' "$SSHD_ADDR" "$SSHD_PORT" "$(cut -d' ' -f1,2 "$T/other_key.pub")" >"$T/known_other"
sed -e "s|StrictHostKeyChecking .*|StrictHostKeyChecking yes|" \
	-e "s|UserKnownHostsFile .*|UserKnownHostsFile $T/known_other|" "$SSH_CFG" >"$T/hostkey_config"
fix_needed host-key "$T/hostkey_config" hostkey 'host key not accepted'

# ---------------------------------------------------------------- the other causes, caused by the installed ssh

# cause_case NAME CAUSE LINE_ERE ARG...: autossh -M 0 -N ARG... logs 'ssh failed: CAUSE: <line>'.
cause_case() {
	_n=$1 _c=$2 _l=$3
	shift 3
	WHY=
	bg_run AUTOSSH_LOGFILE="$T/$_n.log" AUTOSSH_GATETIME=0 AUTOSSH_POLL=30 "$AUTOSSH" -M 0 -N "$@" \
		>"$T/$_n.out" 2>&1
	_a=$BG_PID
	wait_log 15 "$T/$_n.log" ": ssh failed: $_c: .*$_l" || WHY="no 'ssh failed: $_c: ...$_l' line"
	report "causes: $_n is $_c" "$T/$_n.log" "$T/$_n.out"
	kill -TERM "$_a" 2>/dev/null || :
	wait_gone 5 "$_a" || :
}

closed=$(free_port)
cause_case refused network 'Connection refused' -F "$SSH_CFG" -p "$closed" testhost
busy=$(free_port)
socat "TCP-LISTEN:$busy,bind=127.0.0.1,reuseaddr,fork" SYSTEM:true </dev/null >/dev/null 2>&1 &
track_pid "$!"
wait_for 5 sh -c "ss -Hltn '( sport = :$busy )' | grep -q ." || :
cause_case busy-server busy 'kex_exchange_identification' -F "$SSH_CFG" -p "$busy" testhost
printf 'Host *\n\tNoSuchOptionHere yes\n' >"$T/bad_config"
cause_case bad-option config 'Bad configuration option' -F "$T/bad_config" testhost
cause_case unknown-host network 'Could not resolve hostname' -F "$SSH_CFG" -o HostName=no-such-host.invalid testhost

# ---------------------------------------------------------------- forwards

# A plain ssh holding remote port $1 on the server (the "old session").
hold_remote_port() {
	ssh -F "$SSH_CFG" -N -o ExitOnForwardFailure=yes -R "$1:127.0.0.1:$2" testhost </dev/null 2>"$T/holder.err" &
	HOLDER=$!
	track_pid "$HOLDER"
	wait_for 10 sh -c "ss -Hltn '( sport = :$1 )' | grep -q ."
}

x=$(free_port)
start_target "$x"

name="causes: server port held, no ExitOnForwardFailure: ssh restarted until it is free, then traffic"
rp=$(free_port)
WHY=
hold_remote_port "$rp" "$x" || WHY="the holder did not get port $rp"
bg_run AUTOSSH_LOGFILE="$T/rf.log" AUTOSSH_GATETIME=0 AUTOSSH_POLL=30 "$AUTOSSH" -M 0 -N -F "$SSH_CFG" \
	-o LogLevel=INFO -R "$rp:127.0.0.1:$x" testhost >"$T/rf.out" 2>&1
a=$BG_PID
if [ -n "$WHY" ]; then
	:
elif ! wait_log 15 "$T/rf.log" ": ssh failed: remote-forward: .*remote port forwarding failed for listen port $rp"; then
	WHY="no 'ssh failed: remote-forward: ...' line"
elif ! log_has "$T/rf.log" ": the server still holds port $rp, .*ClientAliveInterval"; then
	WHY="no server-port hint"
elif ! wait_for 10 at_least 2 "$T/rf.log" ': starting ssh '; then
	WHY="ssh was not restarted"
else
	kill -TERM "$HOLDER"
	if ! wait_for 20 tunnel_ok "$rp"; then
		WHY="no traffic through -R $rp 20 s after the holder left"
	fi
fi
report "$name" "$T/rf.log" "$T/rf.out"
kill -TERM "$a" 2>/dev/null || :
wait_gone 5 "$a" || :

name="causes: server port held, -o ExitOnForwardFailure=no given: ssh kept as 1.4g, the hint logged"
rp=$(free_port)
WHY=
hold_remote_port "$rp" "$x" || WHY="the holder did not get port $rp"
bg_run AUTOSSH_LOGFILE="$T/rfno.log" AUTOSSH_GATETIME=0 AUTOSSH_POLL=30 "$AUTOSSH" -M 0 -N -F "$SSH_CFG" \
	-o ExitOnForwardFailure=no -o LogLevel=INFO -R "$rp:127.0.0.1:$x" testhost >"$T/rfno.out" 2>&1
a=$BG_PID
if [ -n "$WHY" ]; then
	:
elif ! wait_log 15 "$T/rfno.log" ": the server still holds port $rp, "; then
	WHY="no server-port hint"
elif sleep 1 && [ "$(count "$T/rfno.log" ': starting ssh ')" != 1 ]; then
	WHY="ssh was restarted"
elif log_has "$T/rfno.log" ': ssh failed: '; then
	WHY="a failure was logged"
elif ! grep -q 'remote port forwarding failed' "$T/rfno.out"; then
	WHY="ssh's warning did not reach autossh's stderr"
fi
report "$name" "$T/rfno.log" "$T/rfno.out"
kill -TERM "$a" "$HOLDER" 2>/dev/null || :
wait_gone 5 "$a" || :

name="causes: server port held, gated first ssh: exit 1, as with ExitOnForwardFailure=yes"
rp=$(free_port)
WHY=
hold_remote_port "$rp" "$x" || WHY="the holder did not get port $rp"
bg_run AUTOSSH_LOGFILE="$T/rfg.log" "$AUTOSSH" -M 0 -N -F "$SSH_CFG" -o LogLevel=INFO \
	-R "$rp:127.0.0.1:$x" testhost >"$T/rfg.out" 2>&1
if [ -n "$WHY" ]; then
	:
elif ! wait_exit 15 "$BG_PID"; then
	WHY="autossh still runs 15 s later"
elif [ "$EXIT_STATUS" != 1 ]; then
	WHY="exit status $EXIT_STATUS, want 1"
elif [ "$(count "$T/rfg.log" ': starting ssh ')" != 1 ]; then
	WHY="ssh was restarted"
fi
report "$name" "$T/rfg.log" "$T/rfg.out"
kill -TERM "$HOLDER" 2>/dev/null || :

name="causes: local -L port held by socat: the log names the port and socat's pid, no server hint"
lp=$(free_port)
WHY=
socat "TCP-LISTEN:$lp,reuseaddr,fork" SYSTEM:true </dev/null >/dev/null 2>&1 &
sp=$!
track_pid "$sp"
wait_for 5 sh -c "ss -Hltn '( sport = :$lp )' | grep -q ." || WHY="socat did not listen"
bg_run AUTOSSH_LOGFILE="$T/lf.log" AUTOSSH_GATETIME=0 AUTOSSH_POLL=30 "$AUTOSSH" -M 0 -N -F "$SSH_CFG" \
	-o LogLevel=INFO -L "$lp:127.0.0.1:$x" testhost >"$T/lf.out" 2>&1
a=$BG_PID
if [ -n "$WHY" ]; then
	:
elif ! wait_log 15 "$T/lf.log" ": local port $lp is held by socat \\(pid $sp\\): free it or forward another port"; then
	WHY="no 'local port $lp is held by socat (pid $sp)' line"
elif ! wait_log 10 "$T/lf.log" ': ssh failed: local-forward: '; then
	WHY="no 'ssh failed: local-forward' line"
elif log_has "$T/lf.log" 'server still holds|ClientAliveInterval'; then
	WHY="the server was blamed"
fi
report "$name" "$T/lf.log" "$T/lf.out"
kill -TERM "$a" "$sp" 2>/dev/null || :
wait_gone 5 "$a" || :

name="causes: -f without -N: the hint says the remote shell's stdin is /dev/null"
WHY=
rm -f "$T/fn.pid"
bg_run AUTOSSH_LOGFILE="$T/fn.log" AUTOSSH_PIDFILE="$T/fn.pid" "$AUTOSSH" -f -M 0 -F "$SSH_CFG" \
	-L "$(free_port):127.0.0.1:$x" testhost >"$T/fn.out" 2>&1
if ! wait_exit 10 "$BG_PID" || [ "$EXIT_STATUS" != 0 ]; then
	WHY="the foreground did not exit 0"
elif ! wait_log 15 "$T/fn.log" ': the remote shell ended at once because its stdin is /dev/null under -f: add -N'; then
	WHY="no stdin hint"
elif log_has "$T/fn.log" 'connection sharing'; then
	WHY="the connection sharing hint was given too"
fi
report "$name" "$T/fn.log" "$T/fn.out"
a=$(pidfile_pid "$T/fn.pid" 2>/dev/null) && { kill -TERM "$a" 2>/dev/null || :; }

# ---------------------------------------------------------------- stderr pass-through

name="causes: ssh -v's stderr, a prompt without newline and binary bytes pass byte-identical, at once"
WHY=
cat >"$T/tee-ssh" <<EOF
#!/bin/sh
ssh "\$@" 2>"$T/pt.ssh-err"
rc=\$?
printf 'password for nobody: ' >>"$T/pt.ssh-err"
printf '\\001\\377\\000raw\\r\\n' >>"$T/pt.ssh-err"
cat "$T/pt.ssh-err" >&2
printf 'prompt> ' >&2
sleep 3
exit \$rc
EOF
chmod +x "$T/tee-ssh"
bg_run AUTOSSH_PATH="$T/tee-ssh" AUTOSSH_LOGFILE="$T/pt.log" AUTOSSH_GATETIME=0 "$AUTOSSH" -M 0 -v -F "$SSH_CFG" testhost true \
	>"$T/pt.out" 2>"$T/pt.err"
a=$BG_PID
if ! wait_for 10 grep -q 'prompt> ' "$T/pt.err"; then
	WHY="the prompt without newline did not pass before ssh went on"
elif ! wait_exit 10 "$a" || [ "$EXIT_STATUS" != 0 ]; then
	WHY="autossh did not exit 0 after ssh did"
else
	printf 'prompt> ' >>"$T/pt.ssh-err"
	if ! grep -q '^debug1: ' "$T/pt.ssh-err"; then
		WHY="ssh -v wrote no debug lines"
	elif ! cmp -s "$T/pt.ssh-err" "$T/pt.err"; then
		WHY="autossh's stderr differs from ssh's: $(cmp "$T/pt.ssh-err" "$T/pt.err" 2>&1 || :)"
	fi
fi
report "$name" "$T/pt.log"

name="causes: an interactive -t session and a /dev/tty prompt through a pty work as with 1.4g"
WHY=
if ! command -v python3 >/dev/null 2>&1; then
	skip "$name" "no python3"
else
	cat >"$T/ask-ssh" <<'EOF'
#!/bin/sh
printf 'Password: ' >/dev/tty
read -r pw </dev/tty
printf 'pw=%s\n' "$pw" >/dev/tty
exec ssh "$@"
EOF
	chmod +x "$T/ask-ssh"
	cat >"$T/session.py" <<'EOF'
import os, pty, sys, time, select
pid, fd = pty.fork()
if pid == 0:
    os.execvp(sys.argv[1], sys.argv[1:])
out = b""
def until(want, secs):
    global out
    end = time.time() + secs
    while want not in out and time.time() < end:
        r, _, _ = select.select([fd], [], [], 0.2)
        if r:
            try:
                out += os.read(fd, 4096)
            except OSError:
                break
    return want in out
ok = until(b"Password: ", 10)
os.write(fd, b"s3cret\n")
ok = ok and until(b"pw=s3cret", 10)
ok = ok and until(b"ready>", 15)
os.write(fd, b"hello\n")
ok = ok and until(b"got-hello", 10)
_, status = os.waitpid(pid, 0)
sys.stdout.buffer.write(out)
sys.exit(0 if ok and os.WIFEXITED(status) and os.WEXITSTATUS(status) == 0 else 1)
EOF
	# shellcheck disable=SC2016 # the remote shell expands $x
	if ! env AUTOSSH_PATH="$T/ask-ssh" AUTOSSH_LOGFILE="$T/pty.log" AUTOSSH_GATETIME=0 timeout 40 python3 "$T/session.py" \
		"$AUTOSSH" -M 0 -t -F "$SSH_CFG" testhost \
		'printf "ready> "; read -r x; echo "got-$x"; [ -t 0 ]' >"$T/pty.out" 2>&1; then
		WHY="the session through the pty did not go as typed"
	fi
	report "$name" "$T/pty.out" "$T/pty.log"
fi
