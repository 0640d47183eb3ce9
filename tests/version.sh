#!/bin/sh
# tests/version.sh: print the version, the number on CHANGES' first line
# ("Version 2.0.0 (date)"). The one place it is derived: the Makefile,
# configure.ac and the test scripts all run this.
set -eu
cd "$(dirname "$0")/.."
sed -n '1s/^Version \([0-9][0-9.]*\) .*/\1/p' CHANGES
