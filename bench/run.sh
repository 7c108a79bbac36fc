#!/usr/bin/env bash
# Runs the benchmarks and prints what they measure. Not part of the tests: speed is
# measured here, never asserted in a test.
#   bench/run.sh            fold throughput, whole-game --once time, S3 bytes per poll
#   GAMES_BENCH=1 bench/run.sh   also bench/games.sh: a game day of many games under a prefix
#                                (about 10 minutes; its options are in bench/games.sh)
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/build.sh >/dev/null
cmake --build build --target bench_fold >/dev/null
echo "== boxscore: parse + fold (+ render) throughput"
build/bin/bench_fold 2000 5

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
echo
echo "== pipeline --once over the sample game on the embedded backends (10 runs)"
mkdir -p "$work/d"
sqlite3 "$work/d/sidearm.db" < sql/sqlite/seed.sql
cp sql/data/game.txt "$work/d/gamestream.txt"
start=$(date +%s.%N)
for _ in $(seq 10); do
  rm -rf "$work/d/boxscores"
  build/bin/pipeline --data-dir "$work/d" --once 2>/dev/null
done
end=$(date +%s.%N)
awk -v s="$start" -v e="$end" 'BEGIN { printf "mean %.1f ms per game (77 events, 77 documents, teams2/players2)\n", (e - s) * 100 }'

echo
echo "== latency: producer write -> document written, embedded backends, --poll-ms 50"
rm -rf "$work/l" && mkdir -p "$work/l"
sqlite3 "$work/l/sidearm.db" < sql/sqlite/seed.sql
build/bin/pipeline --data-dir "$work/l" --poll-ms 50 --verbose 2>"$work/l/pipeline.log" &
lpid=$!
build/bin/gamestream-sim --target "file://$work/l/gamestream.txt" --delay 0.01 2>"$work/l/sim.log"
wait "$lpid"
python3 bench/latency.py sql/data/game.txt "$work/l/sim.log" "$work/l/pipeline.log"

echo
echo "== S3 source: bytes read per game while following the producer (Swift s3api)"
if [ -x /usr/bin/swift-proxy-server ]; then
  # shellcheck source=/dev/null
  BIN=$PWD/build/bin SRC=$PWD bash -c '
    . tests/lib.sh
    start_s3; server_env
    D=$WORK/d; mkdir -p "$D"; seed_sqlite "$D/sidearm.db"
    "$BIN/pipeline" --data-dir "$D" --source "$SRC_URI" --poll-ms 100 2>"$WORK/p.log" &
    pid=$!; PIDS+=("$pid")
    "$BIN/gamestream-sim" --target "$SRC_URI" --delay 0.002 2>/dev/null
    wait "$pid"
    grep -o "[0-9]* polls read .*" "$WORK/p.log"'
else
  echo "skipped: Swift is not installed (scripts/install-deps.sh --with-tests)"
fi

echo
if [ "${GAMES_BENCH:-0}" = 1 ]; then
  NO_BUILD=1 bash bench/games.sh
else
  echo "== game day (many games under a prefix): GAMES_BENCH=1 bench/run.sh, or bench/games.sh"
fi
