#!/usr/bin/env bash
# file:// push (issue 9): with --poll-ms 60000 the poll timer reads once at the start and
# then not for a minute, so every document written within the 45 s this test waits was
# read because uv_fs_event said the stream changed. One game (the stream's folder is
# watched), then three games under a prefix made while the pipeline runs (the prefix and
# each game folder are watched; a new folder is listed at once). Every document of every
# event must be there and match the independent model.
. "$SRC/tests/lib.sh"

# ---- one stream
D=$WORK/var; mkdir -p "$D"
seed_sqlite "$D/sidearm.db"
"$BIN/pipeline" --data-dir "$D" --poll-ms 60000 2>"$WORK/pipeline.log" &
pipe=$!; PIDS+=("$pipe")
wait_for 20 grep -q "reference:" "$WORK/pipeline.log" || fail "the pipeline did not start"
play_followed "$pipe" "$D" --target "file://$D/gamestream.txt"
pass "one stream: every document, read on file-system events (poll every 60 s)"

# ---- games under a prefix, made after the pipeline started
G=$WORK/games; V=$WORK/pv; mkdir -p "$G" "$V"
seed_sqlite "$V/sidearm.db"
"$BIN/gamestream-sim" --games 3 --random 40 --delay 0 --stagger 0 --target "file://$WORK/roster/" \
  --reset-reference "sqlite://$V/sidearm.db" 2>"$WORK/roster.log" || fail "the rosters could not be loaded"
"$BIN/pipeline" --source "file://$G/" --data-dir "$V" --poll-ms 60000 2>"$WORK/prefix.log" &
pipe=$!; PIDS+=("$pipe")
wait_for 20 grep -q "reference:" "$WORK/prefix.log" || fail "the prefix pipeline did not start"
sleep 0.5   # its first (and, for a minute, only) listing: an empty prefix
"$BIN/gamestream-sim" --games 3 --random 40 --delay 0.002 --stagger 0.5 --target "file://$G/" \
  2>"$WORK/sim-games.log" || fail "gamestream-sim --games failed"

all_final() {
  "$PYTHON" - "$G" "$V/boxscores" <<'PY'
import json, os, sys
games, docs = sys.argv[1], sys.argv[2]
for g in sorted(os.listdir(games)):
    last = open(os.path.join(games, g, "gamestream.txt")).read().splitlines()[-1].split()[0]
    path = os.path.join(docs, g, f"{last}.json")
    if not os.path.exists(path) or json.load(open(path))["state"] != "final":
        sys.exit(1)
PY
}
wait_for 45 all_final || fail "not every game reached its final document within 45 s of a 60 s poll: no push"
# a game final and written is retired at once, not at the next poll tick (a minute away)
retired() { [ "$(grep -c 'final and written: retired' "$WORK/prefix.log")" = 3 ]; }
wait_for 5 retired || fail "the finished games were not retired within 5 s of their finals (waiting for a poll tick?)"
kill -TERM "$pipe"; wait "$pipe" || fail "pipeline exited $? after SIGTERM"
n=0
for d in "$G"/game-*; do
  oracle_game "$d" "$V/sidearm.db" "$V/boxscores/$(basename "$d")" || fail "$(basename "$d"): documents differ from the model"
  n=$((n + 1))
done
[ "$n" = 3 ] || fail "expected 3 games, found $n"
pass "three games under a prefix, made while it ran: every document, read on file-system events, each retired at its final"
