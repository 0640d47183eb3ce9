#!/bin/sh
# tests/t-lint.sh: the static checks of `make lint` (cppcheck, clang-tidy
# and the shell script checker) as part of `make check`, so CI enforces them.
set -eu
exec sh "$(dirname "$0")/lint.sh"
