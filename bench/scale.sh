#!/usr/bin/env bash
# bench/scale.sh — a whole platform's Saturday in one process (issue 15). Measures, it never
# asserts a speed (exit 1 only when a run could not be made or its output is wrong).
#
#   bench/scale.sh [live|once|s3|s3list|all]      (default all)
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
#   s3list $S3_LIST_GAMES (5000) finished games, 10,000 objects under s3://gamestreams/big/ on
#         a local Swift (10 listing pages), through the counting proxy: the requests and time of
#         `pipeline --once` over them; then of a live pipeline over them, idle, polling at
#         --poll-ms and then with notifications flowing (--safety-poll-ms).
#
# Environment: GAMES, S3_GAMES, DELAY, STAGGER, S3_DELAY (0.5), S3_STAGGER (0.05), S3_WRITERS (the simulator's
# --writers for s3, 8: one thread's PUTs into Swift go one at a time), SEED (1), BUILD_DIR (build),
# NO_BUILD=1, BENCH_KEEP=1 (keep the scratch directory), PIPELINE_TUNABLES (the pipeline's
# GLIBC_TUNABLES: glibc.malloc.tcache_count=4096 as the image and the unit set it; "" for none). Needs ~2 GiB of disk at 10,000 games.
set -euo pipefail
mode=${1:-all}
[[ $mode =~ ^(live|once|s3|s3list|all)$ ]] || { echo "usage: $0 [live|once|s3|s3list|all]" >&2; exit 2; }
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

# tests/lib.sh gives WORK (removed on exit), PIDS, fail, and the servers (start_s3, swift_auth)
if [ "$mode" = once ] || [ "$mode" = s3list ] || [ "$mode" = all ]; then
  # shellcheck source=tests/lib.sh
  . "$SRC/tests/lib.sh"
fi

# once_over NAME N SOURCE PUT [PIPELINE WORDS...]: N finished games written at once under
# $WORK/NAME/games/ (the reference reset for them), then `PUT DIR` (a function: where SOURCE
# reads them; `:` when SOURCE is that folder), then `pipeline --once` over SOURCE: wall time,
# CPU, peak RSS; every game's newest document final, the season tables right.
once_over() {
  local name=$1 n=$2 source=$3 put=$4 d=$WORK/$1 t0 t1 pipe hwm h c=0
  shift 4
  mkdir -p "$d/v"
  sqlite3 "$d/v/sidearm.db" < "$SRC/sql/sqlite/seed.sql"
  "$BIN/gamestream-sim" --games "$n" --random "$SEED" --delay 0 --stagger 0 --target "file://$d/games/" \
    --reset-reference "sqlite://$d/v/sidearm.db" 2>"$d/sim.log" || fail "$name: writing $n finished games failed"
  "$put" "$d/games"
  t0=$(date +%s.%N)
  GLIBC_TUNABLES=${PIPELINE_TUNABLES-glibc.malloc.tcache_count=4096} \
    "$BIN/pipeline" --source "$source" --data-dir "$d/v" --once "$@" 2>"$d/pipeline.log" &
  pipe=$!; PIDS+=("$pipe")
  hwm=0
  while kill -0 "$pipe" 2>/dev/null; do
    h=$(awk '/^VmHWM/ { print $2 }' "/proc/$pipe/status" 2>/dev/null || echo 0)
    [ "${h:-0}" -gt "$hwm" ] && hwm=$h
    c=$(awk '{ sub(/^.*\) /, ""); print $12 + $13 }' "/proc/$pipe/stat" 2>/dev/null || echo "$c")
    sleep 0.5
  done
  wait "$pipe" || fail "$name: pipeline --once exited $?: $(tail -n 3 "$d/pipeline.log")"
  t1=$(date +%s.%N)
  awk -v t0="$t0" -v t1="$t1" -v c="$c" -v tck="$(getconf CLK_TCK)" -v hwm="$hwm" -v n="$n" -v name="$name" 'BEGIN {
    printf "== %s: %d finished games, pipeline --once: wall %.1f s, CPU %.1f s (sampled to its last 0.5 s), peak RSS %.1f MiB\n",
      name, n, t1 - t0, c / tck, hwm / 1024 }'
  "$PYTHON" - "$d/games" "$d/v/boxscores" <<'PY' || fail "$name: a game's newest document is missing or not final"
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
    >/dev/null || fail "$name: teams2/players2 are not the reference plus every game"
  echo "season: teams2/players2 = reference + all $n games (oracle.py season)"
}

if [ "$mode" = once ] || [ "$mode" = all ]; then
  once_over once "$GAMES" "file://$WORK/once/games/" :
fi

# swift_upload DIR: every DIR/<game>/<file> to gamestreams/big/<game>/<file> through Swift's own
# API, 16 at a time (the producer's path is measured in s3 mode; here only the listing is)
swift_upload() {
  swift_auth
  curl -sf -m 60 -o /dev/null -X PUT -H "X-Auth-Token: $SWIFT_TOKEN" "$SWIFT_URL/gamestreams" || fail "no bucket gamestreams"
  "$PYTHON" - "$1" "$SWIFT_URL/gamestreams/big" "$SWIFT_TOKEN" <<'PY' || fail "s3list: uploading the games into Swift failed"
import concurrent.futures, os, sys, urllib.request
root, url, token = sys.argv[1:4]
files = [(g, f) for g in sorted(os.listdir(root)) for f in sorted(os.listdir(os.path.join(root, g)))]
def put(gf):
    data = open(os.path.join(root, *gf), "rb").read()
    req = urllib.request.Request(f"{url}/{gf[0]}/{gf[1]}", data=data, method="PUT", headers={"X-Auth-Token": token})
    urllib.request.urlopen(req, timeout=60).read()
with concurrent.futures.ThreadPoolExecutor(16) as ex:
    list(ex.map(put, files))
print(f"uploaded {len(files)} objects")
PY
}

if [ "$mode" = s3list ] || [ "$mode" = all ]; then
  # $S3_LIST_GAMES (5000) finished games = 10,000 objects under s3://gamestreams/big/ (10 listing
  # pages of 1,000 keys), through the counting proxy: the requests of `--once` over them, then
  # of a live pipeline left idle over them, first polling (--poll-ms), then with notifications
  # flowing (one POST /minio/events: a listing each --safety-poll-ms)
  if [ ! -x /usr/bin/swift-proxy-server ]; then
    echo "== s3list: skipped: Swift is not installed (scripts/install-deps.sh --with-tests)"
    exit 0
  fi
  n=${S3_LIST_GAMES:-5000}
  start_s3; server_env
  PPORT=$(free_ports 1)
  "$PYTHON" "$SRC/tests/tools/count_proxy.py" "$PPORT" "$S3_PORT" "$WORK/list-requests.txt" >"$WORK/list-proxy.log" 2>&1 &
  PIDS+=($!)
  wait_for 20 port_open "$PPORT" || fail "the counting proxy did not start"
  once_over s3list "$n" "s3://gamestreams/big/" swift_upload --s3-endpoint "127.0.0.1:$PPORT"
  count_requests() { # FROM TO: the pipeline's requests between two times, by kind
    "$PYTHON" - "$WORK/list-requests.txt" "$1" "$2" <<'PY'
import sys
t0, t1 = float(sys.argv[2]), float(sys.argv[3])
reqs = [l.split() for l in open(sys.argv[1])]
reqs = [(float(t), m, p) for t, m, p in reqs if t0 <= float(t) < t1]
pages = sum(1 for t, m, p in reqs if m == "GET" and ("list-type" in p or "prefix=" in p))
streams = sum(1 for t, m, p in reqs if p.split("?")[0].endswith("/gamestream.txt"))
manifests = sum(1 for t, m, p in reqs if p.split("?")[0].endswith("/game.json"))
span = f" in {t1 - t0:.0f} s" if t0 else ""   # FROM 0: everything so far, no rate
rate = f" ({pages / (t1 - t0):.1f} a second)" if t0 else ""
print(f"{len(reqs)} requests{span}: {pages} listing pages{rate}, "
      f"{manifests} game.json GETs, {streams} stream GETs, {len(reqs) - pages - streams - manifests} other")
PY
  }
  echo "s3list --once: $(count_requests 0 "$(date +%s.%N)")"
  export NOTIFY_TOKEN=${NOTIFY_TOKEN:-bench-scale-token}
  HP=$(free_ports 1) d=$WORK/s3list
  t0=$(date +%s.%N)
  "$BIN/pipeline" --source "s3://gamestreams/big/" --s3-endpoint "127.0.0.1:$PPORT" --data-dir "$d/v" \
    --http "127.0.0.1:$HP" --poll-ms "${POLL_MS:-250}" 2>"$d/live.log" &
  pipe=$!; PIDS+=("$pipe")
  retired_all() { [ "$(grep -c 'final and written: retired' "$d/live.log" || true)" -ge "$n" ]; }
  wait_for 600 retired_all || fail "s3list: the live pipeline did not retire the $n final games"
  t1=$(date +%s.%N)
  echo "s3list live, the $n games found final again and retired ($(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.1f", b - a }') s): $(count_requests "$t0" "$t1")"
  sleep 20; t2=$(date +%s.%N)
  echo "s3list live, idle, polling every --poll-ms: $(count_requests "$t1" "$t2")"
  minio_event "$WORK/event.json" "big/game-00001/gamestream.txt"
  curl -sf -o /dev/null -X POST -H "Authorization: Bearer $NOTIFY_TOKEN" -H 'Content-Type: application/json' \
    --data-binary "@$WORK/event.json" "http://127.0.0.1:$HP/minio/events" || fail "s3list: the notification was refused"
  sleep 1; t3=$(date +%s.%N); sleep 30; t4=$(date +%s.%N)
  echo "s3list live, idle, notifications flowing (one POST): $(count_requests "$t3" "$t4")"
  echo "peak RSS $(awk '/^VmHWM/ { printf "%.1f MiB", $2 / 1024 }' "/proc/$pipe/status")"
  kill -TERM "$pipe"; wait "$pipe" || fail "s3list: the live pipeline exited $? after SIGTERM"
fi
