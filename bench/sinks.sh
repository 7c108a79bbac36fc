#!/usr/bin/env bash
# bench/sinks.sh — one box-score sink against two at once (issue 16). Two runs of
# bench/games.sh file (the same games, the same seed, a file:// prefix with the file-system
# push: POLL_MS 60000 unless set):
#   one  BOX=dir      box scores to the directory sink alone
#   two  BOX=dir+s3   to the directory sink and to s3://boxscores/file/ on a local Swift at once
# FIRST=mongo compares BOX=mongo with BOX=mongo+s3 instead (MongoDB is the project's Python
# stand-in here, whose own CPU then weighs on the figures). Both runs log every write
# (--verbose), so they cost the same logging. Each run reports what bench/games.sh reports
# (every document checked, the season tables, freshness, CPU, peak RSS); the second also the
# bucket's freshness and its PUTs per game (a counting proxy). It measures and never asserts
# a speed.
#
# Environment: GAMES (1000), DELAY (0.05), STAGGER (0.05), POLL_MS (60000), SEED (1), FIRST
# (dir), and what bench/games.sh takes. Results: bench/RESULTS-sinks.md.
set -euo pipefail
cd "$(dirname "$0")/.."
export GAMES=${GAMES:-1000} POLL_MS=${POLL_MS:-60000}
first=${FIRST:-dir}
case $first in dir|mongo) ;; *) echo "FIRST is dir or mongo" >&2; exit 2 ;; esac
[ "${NO_BUILD:-0}" = 1 ] || BUILD_DIR=${BUILD_DIR:-build} bash scripts/build.sh >/dev/null
export NO_BUILD=1
args=${PIPELINE_ARGS:-}
for box in "$first" "$first+s3"; do
  echo "=== box-score sinks: $box ($GAMES games, --poll-ms $POLL_MS)"
  BOX=$box PIPELINE_ARGS="--verbose $args" bash bench/games.sh file
  echo
done
