#!/usr/bin/env bash
# bench/sinks.sh — one box-score sink against two at once (issue 16). Two runs of
# bench/games.sh file (the same games, the same seed, a file:// prefix with the file-system
# push: POLL_MS 60000 unless set):
#   one  BOX=mongo     box scores to MongoDB (the stand-in)
#   two  BOX=mongo+s3  to MongoDB and to s3://boxscores/file/ on a local Swift at once
# Each run reports what bench/games.sh reports (every document checked, the season tables,
# freshness, CPU, peak RSS); the second also the bucket's freshness and its PUTs per game
# (a counting proxy). It measures and never asserts a speed.
#
# Environment: GAMES (1000), DELAY (0.05), STAGGER (0.05), POLL_MS (60000), SEED (1), and what
# bench/games.sh takes. Results: bench/RESULTS-sinks.md.
set -euo pipefail
cd "$(dirname "$0")/.."
export GAMES=${GAMES:-1000} POLL_MS=${POLL_MS:-60000}
[ "${NO_BUILD:-0}" = 1 ] || BUILD_DIR=${BUILD_DIR:-build} bash scripts/build.sh >/dev/null
export NO_BUILD=1
for box in mongo mongo+s3; do
  echo "=== box-score sinks: $box ($GAMES games, --poll-ms $POLL_MS)"
  BOX=$box bash bench/games.sh file
  echo
done
