#!/usr/bin/env bash
# What one final costs the results sink as the league and the day grow (issue 15):
# bench_results writes a reference of TEAMS teams x 10 players, then finals one by one
# through write_game, and reports the time per final with about 10, 1,000 and 10,000
# finals already written, on SQLite and on SQL Server's TDS stand-in (tests/servers/).
#   bench/results_scale.sh [sqlite|tds|all]
#   TEAMS=20000 SAMPLE=10 CHECKPOINTS="10 1000 10000" TDS_SAMPLE=5 (defaults)
# Not a test: it prints figures, for bench/RESULTS-results.md.
set -euo pipefail
mode=${1:-all}
[[ $mode =~ ^(sqlite|tds|all)$ ]] || { echo "usage: $0 [sqlite|tds|all]" >&2; exit 2; }
cd "$(dirname "$0")/.." && SRC=$PWD && BIN=${BIN:-$SRC/${BUILD_DIR:-build}/bin} && export SRC BIN
TEAMS=${TEAMS:-20000} SAMPLE=${SAMPLE:-10} TDS_SAMPLE=${TDS_SAMPLE:-5}
read -r -a checkpoints <<<"${CHECKPOINTS:-10 1000 10000}"
if [ "${NO_BUILD:-0}" != 1 ]; then
  BUILD_DIR=${BUILD_DIR:-build} bash scripts/build.sh >/dev/null
  cmake --build "${BUILD_DIR:-build}" --target bench_results >/dev/null
fi

# tests/lib.sh gives WORK (removed on exit), PIDS, start_tds, server_env
# shellcheck source=tests/lib.sh
. "$SRC/tests/lib.sh"

echo "== $(nproc) cores, $(date -u +%Y-%m-%dT%H:%MZ), commit $(git rev-parse --short HEAD)$(git diff --quiet HEAD || echo '+changes')"
if [ "$mode" != tds ]; then
  echo "== SQLite"
  "$BIN/bench_results" "sqlite://$WORK/results.db" "$TEAMS" "$SAMPLE" "${checkpoints[@]}"
fi
if [ "$mode" != sqlite ]; then
  echo "== SQL Server (TDS stand-in over SQLite)"
  start_tds; server_env
  "$BIN/bench_results" "$SQL_URI" "$TEAMS" "$TDS_SAMPLE" "${checkpoints[@]}"
fi
