#!/bin/sh
# t-soak: the short soak for `make check`: 50 kill-and-restart cycles (every
# 10th a SIGKILL of ssh, the rest SIGUSR1; every 7th with a log rename and
# SIGHUP), then no growth in descriptors, VmRSS or zombies. `make soak` runs
# the long one (tests/soak.sh, 1000 cycles).
set -eu
SOAK_CYCLES=50 SOAK_KILL_EVERY=10 SOAK_HUP_EVERY=7 SOAK_NAME="soak (short)" \
	exec sh "$(dirname "$0")/soak.sh"
