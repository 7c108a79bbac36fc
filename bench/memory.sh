#!/usr/bin/env bash
# bench/memory.sh — what one game costs in memory (issue 15). Measures, it never asserts a
# size (exit 1 only when a run could not be made or a document is missing).
#
#   bench/memory.sh [live|once|all]      (default all)
#
#   live  for each N of $LIVE_GAMES: N games under a file:// prefix with $LIVE_EVENTS event(s)
#         each and no final, over a league of $TEAMS teams of 10 players
#         (tests/tools/many_games.py), followed by one `pipeline --http 127.0.0.1:PORT` (the
#         API holds every game's newest document). Once every game's newest document is
#         written: VmHWM and VmRSS from /proc/PID/status, then SIGTERM. N=0 is the process
#         with the league alone; (RSS(N) - RSS(0)) / N is what one live game costs.
#   once  for each N of $ONCE_GAMES: N finished games of up to $ONCE_EVENTS events (a whole
#         game each, ~70 on average), `pipeline --once`: peak RSS (ru_maxrss of the child),
#         wall time, and the documents written (every game's final one must be).
#
# Environment: LIVE_GAMES ("0 1000 4000 10000"), LIVE_EVENTS (1), ONCE_GAMES ("300 2000"),
# ONCE_EVENTS (140), TEAMS (20000), PIPELINE_ARGS (extra words for the pipeline), BUILD_DIR
# (build; NO_BUILD=1 skips scripts/build.sh), BENCH_KEEP=1 keeps the scratch dir.
# Per call site (what the heap holds): valgrind --tool=massif on one run, and
# `vgdb --pid=PID detailed_snapshot FILE` once the documents are written (bench/RESULTS-memory.md).
set -euo pipefail
mode=${1:-all}
case $mode in live|once|all) ;; *) echo "usage: $0 [live|once|all]" >&2; exit 2 ;; esac
cd "$(dirname "$0")/.." && SRC=$PWD && BIN=$SRC/${BUILD_DIR:-build}/bin && export SRC BIN
LIVE_GAMES=${LIVE_GAMES:-0 1000 4000 10000} LIVE_EVENTS=${LIVE_EVENTS:-1}
ONCE_GAMES=${ONCE_GAMES:-300 2000} ONCE_EVENTS=${ONCE_EVENTS:-140} TEAMS=${TEAMS:-20000}
[ "${NO_BUILD:-0}" = 1 ] || BUILD_DIR=${BUILD_DIR:-build} bash scripts/build.sh >/dev/null

# tests/lib.sh gives WORK (removed on exit unless BENCH_KEEP=1 and the run failed), PIDS, free_ports, fail
# shellcheck source=tests/lib.sh
. "$SRC/tests/lib.sh"
[ "${BENCH_KEEP:-0}" = 1 ] && trap 'echo "scratch directory kept: $WORK" >&2' EXIT
read -r -a pargs <<<"${PIPELINE_ARGS:-}"

# make NAME N EVENTS FINAL_EVERY: the league and N games in $WORK/NAME/{games,var}
make_games() {
  local d=$WORK/$1
  rm -rf "$d"; mkdir -p "$d/games" "$d/var"
  "$PYTHON" "$SRC/tests/tools/many_games.py" --dir "$d/games" --games "$2" --db "$d/var/sidearm.db" \
    --teams "$TEAMS" --events "$3" --final-every "$4" >/dev/null || fail "$1: generating the games failed"
}

# newest_paths DIR: the document each game under DIR/games must end with (its last line's)
newest_paths() {
  "$PYTHON" - "$1" <<'PY' >"$1/newest.txt"
import os, sys
d = sys.argv[1]
for g in sorted(os.listdir(f"{d}/games")):
    last = [l for l in open(f"{d}/games/{g}/gamestream.txt", encoding="utf-8") if l.strip()][-1]
    print(f"{d}/var/boxscores/{g}/{last.split()[0]}.json")
PY
}

# newest_missing DIR: how many of those are not written
newest_missing() {
  local n=0 f
  while read -r f; do [ -e "$f" ] || n=$((n + 1)); done <"$1/newest.txt"
  echo "$n"
}

if [ "$mode" != once ]; then
  echo "== live: N games, $LIVE_EVENTS event(s) each, $TEAMS teams x 10 players, HTTP API on"
  printf '%8s %12s %12s %14s %8s\n' games "VmHWM MiB" "VmRSS MiB" "KiB/game RSS" "wait s"
  base=
  for n in $LIVE_GAMES; do
    make_games "live-$n" "$n" "$LIVE_EVENTS" 0
    d=$WORK/live-$n port=$(free_ports 1)
    newest_paths "$d"
    "$BIN/pipeline" --source "file://$d/games/" --data-dir "$d/var" --http "127.0.0.1:$port" "${pargs[@]}" \
      2>"$d/pipeline.log" &
    pipe=$!; PIDS+=("$pipe")
    t0=$SECONDS
    # every newest document written (checked once a second: cheap next to the run)
    until [ "$(newest_missing "$d")" = 0 ] && grep -q ' reference: ' "$d/pipeline.log"; do
      kill -0 "$pipe" 2>/dev/null || fail "live $n: the pipeline exited: $(tail -n 3 "$d/pipeline.log")"
      [ $((SECONDS - t0)) -lt 600 ] || fail "live $n: $(newest_missing "$d") games without their document after 600 s"
      sleep 1
    done
    sleep 2 # let the loop settle (the last writes' jobs freed)
    hwm=$(awk '/^VmHWM/ { print $2 }' "/proc/$pipe/status") rss=$(awk '/^VmRSS/ { print $2 }' "/proc/$pipe/status")
    kill -TERM "$pipe"; wait "$pipe" || fail "live $n: the pipeline exited $? after SIGTERM"
    [ -n "$base" ] || base=$rss
    per=$([ "$n" -gt 0 ] && echo $(( (rss - base) / n )) || echo -)
    printf '%8s %12.1f %12.1f %14s %8s\n' "$n" "$(bc -l <<<"$hwm / 1024")" "$(bc -l <<<"$rss / 1024")" "$per" \
      $((SECONDS - t0))
    rm -rf "$d"
  done
  echo
fi

if [ "$mode" != live ]; then
  echo "== once: N finished games of 1..$ONCE_EVENTS events, $TEAMS teams x 10 players, --once"
  printf '%8s %10s %12s %10s %14s\n' games events "peak MiB" "wall s" "documents"
  for n in $ONCE_GAMES; do
    make_games "once-$n" "$n" "$ONCE_EVENTS" 1
    d=$WORK/once-$n
    newest_paths "$d"
    events=$(cat "$d"/games/*/gamestream.txt | wc -l)
    t0=$(date +%s.%N)
    peak=$("$PYTHON" - "$BIN/pipeline" --source "file://$d/games/" --data-dir "$d/var" --once "${pargs[@]}" \
      2>"$d/pipeline.log" <<'PY'
import resource, subprocess, sys
rc = subprocess.call(sys.argv[1:])
print(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss)
sys.exit(rc)
PY
    ) || fail "once $n: the pipeline failed: $(grep -m 3 ' error \| fatal ' "$d/pipeline.log")"
    t1=$(date +%s.%N)
    [ "$(newest_missing "$d")" = 0 ] || fail "once $n: $(newest_missing "$d") games without their final document"
    docs=$(find "$d/var/boxscores" -name '*.json' | wc -l)
    printf '%8s %10s %12.1f %10.1f %14s\n' "$n" "$events" "$(bc -l <<<"$peak / 1024")" "$(bc -l <<<"$t1 - $t0")" \
      "$docs"
    rm -rf "$d"
  done
fi
