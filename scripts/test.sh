#!/usr/bin/env bash
# Quick start 2: installs, builds and passes every test, twice: a -Werror build and
# an AddressSanitizer + UBSan build. The server tests start their own loopback
# servers (tests/servers/) and stop them afterwards.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/install-deps.sh --with-tests
jobs=$(nproc)

bash scripts/build.sh
# the fault-injection suite (-L fault) runs once, below, where a fault's error paths are also
# checked for memory errors, leaks and undefined behaviour
(cd build && ctest --output-on-failure -j "$jobs" -LE fault)

BUILD_DIR=build-asan bash scripts/build.sh -DSANITIZE=ON -DCMAKE_BUILD_TYPE=Debug
export ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1
export LSAN_OPTIONS=suppressions=$PWD/tests/lsan.supp # leaks inside libraries only, each explained there
# the checks of files, packages and the fuzzers' own clang build exercise no C of this
# build: they ran above, and run once; every other test runs here, the fault suite only here
(cd build-asan && ctest --output-on-failure -j "$jobs" -LE 'package|fuzz' -E '^(compose_stack|man_pages|sql_seed_is_current)$')
