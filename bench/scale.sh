#!/usr/bin/env bash
# bench/scale.sh — a whole platform's Saturday in one process (issue 15). Measures, it never
# asserts a speed (exit 1 only when a run could not be made or its output is wrong).
#
#   bench/scale.sh [live|once|s3|all]      (default all)
#
#   live  $GAMES (10000) live games under a file:// prefix, file-system push, the default
#         --poll-ms 250: bench/games.sh file with --delay $DELAY (0.2: a 60-minute game in 12
#         minutes, about 71 events a game, so 10,000 games make ~950 events/s) and --stagger
#         $STAGGER (0.005 s). Every document, freshness (producer write -> document written)
#         p50/p99/max, final -> results written, pipeline CPU and peak RSS, teams2/players2 =
#         the reference + every game (tests/tools/oracle.py season). The HTTP API is on (every
#         game's newest document held for it); PIPELINE_ARGS adds words. The reference has two teams
#         of ~10 players per game (gamestream-sim --games), so 20,000 teams at 10,000 games.
#   once  $GAMES finished games written at once, then `pipeline --once` over the prefix: wall
#         time, CPU, peak RSS; every game's newest document final, the season tables right.
#   s3    $S3_GAMES (1000) games under s3://gamestreams/day/ on a local Swift through the
#         counting proxy (bench/games.sh s3), pushed by `gamestream-sim --notify` (MinIO's
#         webhook body): S3 requests per game against its events. --delay $S3_DELAY (0.5: a
#         game in 30 minutes, ~39 events/s; Swift's Python proxy on 2 cores cannot carry 0.2).
#
# Environment: GAMES, S3_GAMES, DELAY, STAGGER, S3_DELAY (0.5), S3_STAGGER (0.05), S3_WRITERS (the simulator's
# --writers for s3, 8: one thread's PUTs into Swift go one at a time), SEED (1), BUILD_DIR (build),
# NO_BUILD=1, BENCH_KEEP=1 (keep the scratch directory). Needs ~2 GiB of disk at 10,000 games.
set -euo pipefail
mode=${1:-all}
[[ $mode =~ ^(live|once|s3|all)$ ]] || { echo "usage: $0 [live|once|s3|all]" >&2; exit 2; }
cd "$(dirname "$0")/.." && SRC=$PWD && BIN=$SRC/${BUILD_DIR:-build}/bin && export SRC BIN
export GAMES=${GAMES:-10000} S3_GAMES=${S3_GAMES:-1000} SEED=${SEED:-1}
DELAY=${DELAY:-0.2} STAGGER=${STAGGER:-0.005}
[ "${NO_BUILD:-0}" = 1 ] || BUILD_DIR=${BUILD_DIR:-build} bash scripts/build.sh >/dev/null
export NO_BUILD=1
echo "machine: $(nproc) cores, $(awk '/MemTotal/ { printf "%.0f GiB", $2 / 1048576 }' /proc/meminfo); commit $(git rev-parse --short HEAD); $(date -u +%FT%TZ)"

if [ "$mode" = live ] || [ "$mode" = all ]; then
  # the HTTP API on, so every game's newest document is held for it (the issue's goal), and
  # its /metrics sampled each second for the writes waiting (bench/games.sh METRICS_ADDR)
  P=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
  DELAY=$DELAY STAGGER=$STAGGER RETIRE_WAIT=${RETIRE_WAIT:-300} PIPELINE_ARGS="--http 127.0.0.1:$P ${PIPELINE_ARGS:-}" \
    METRICS_ADDR=127.0.0.1:$P bash bench/games.sh file
fi

if [ "$mode" = s3 ] || [ "$mode" = all ]; then
  P=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
  export NOTIFY_TOKEN=${NOTIFY_TOKEN:-bench-scale-token}
  S3_STAGGER=${S3_STAGGER:-0.05} DELAY=${S3_DELAY:-0.5} PIPELINE_ARGS="--http 127.0.0.1:$P" \
    SIM_ARGS="--notify http://127.0.0.1:$P/minio/events --writers ${S3_WRITERS:-8}" bash bench/games.sh s3
fi

if [ "$mode" = once ] || [ "$mode" = all ]; then
  # tests/lib.sh gives WORK (removed on exit), PIDS, fail
  # shellcheck source=tests/lib.sh
  . "$SRC/tests/lib.sh"
  d=$WORK/once; mkdir -p "$d/v"
  sqlite3 "$d/v/sidearm.db" < "$SRC/sql/sqlite/seed.sql"
  "$BIN/gamestream-sim" --games "$GAMES" --random "$SEED" --delay 0 --stagger 0 --target "file://$d/games/" \
    --reset-reference "sqlite://$d/v/sidearm.db" 2>"$d/sim.log" || fail "once: writing $GAMES finished games failed"
  t0=$(date +%s.%N)
  "$BIN/pipeline" --source "file://$d/games/" --data-dir "$d/v" --once 2>"$d/pipeline.log" &
  pipe=$!; PIDS+=("$pipe")
  hwm=0
  while kill -0 "$pipe" 2>/dev/null; do
    h=$(awk '/^VmHWM/ { print $2 }' "/proc/$pipe/status" 2>/dev/null || echo 0)
    [ "${h:-0}" -gt "$hwm" ] && hwm=$h
    c=$(awk '{ sub(/^.*\) /, ""); print $12 + $13 }' "/proc/$pipe/stat" 2>/dev/null || echo "${c:-0}")
    sleep 0.5
  done
  wait "$pipe" || fail "once: pipeline --once exited $?: $(tail -n 3 "$d/pipeline.log")"
  t1=$(date +%s.%N)
  awk -v t0="$t0" -v t1="$t1" -v c="$c" -v tck="$(getconf CLK_TCK)" -v hwm="$hwm" -v n="$GAMES" 'BEGIN {
    printf "== once: %d finished games, pipeline --once: wall %.1f s, CPU %.1f s (sampled to its last 0.5 s), peak RSS %.1f MiB\n",
      n, t1 - t0, c / tck, hwm / 1024 }'
  "$PYTHON" - "$d/games" "$d/v/boxscores" <<'PY' || fail "once: a game's newest document is missing or not final"
import json, os, sys
games, docs = sys.argv[1], sys.argv[2]
bad = []
for g in sorted(os.listdir(games)):
    last = open(os.path.join(games, g, "gamestream.txt")).read().splitlines()[-1].split()[0]
    p = os.path.join(docs, g, f"{last}.json")
    if not os.path.exists(p) or json.load(open(p))["state"] != "final":
        bad.append(g)
print(f"newest documents: {len(os.listdir(games)) - len(bad)} of {len(os.listdir(games))} final" + (f"; BAD: {bad[:10]}" if bad else ""))
sys.exit(1 if bad else 0)
PY
  season_specs "$d/games"
  "$PYTHON" "$SRC/tests/tools/oracle.py" season --reference "$d/v/sidearm.db" "${SPECS[@]}" --sqlite "$d/v/sidearm.db" \
    >/dev/null || fail "once: teams2/players2 are not the reference plus every game"
  echo "season: teams2/players2 = reference + all $GAMES games (oracle.py season)"
fi
