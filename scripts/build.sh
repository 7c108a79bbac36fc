#!/usr/bin/env bash
# Configures and builds into build/ (binaries in build/bin/). Extra args go to cmake.
#   scripts/build.sh                 release build with warnings as errors
#   BUILD_DIR=build-asan scripts/build.sh -DSANITIZE=ON
set -euo pipefail
cd "$(dirname "$0")/.."
dir=${BUILD_DIR:-build}
cmake -S . -B "$dir" -DWERROR=ON "$@" >/dev/null
cmake --build "$dir" -j "$(nproc)"
