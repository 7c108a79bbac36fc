#!/usr/bin/env bash
# A restart in the middle of the game: the sim is stopped and replays a different
# game from the first line. The pipeline starts a new run and the final documents
# and tables are those of the second game alone.
. "$SRC/tests/lib.sh"
D=$WORK/var; mkdir -p "$D"
seed_sqlite "$D/sidearm.db"
"$BIN/pipeline" --data-dir "$D" --poll-ms 20 2>"$WORK/pipeline.log" &
pipe=$!; PIDS+=("$pipe")
DELAY=0.002 "$BIN/gamestream-sim" --target "file://$D/gamestream.txt" 2>"$WORK/sim1.log" &
sim=$!; PIDS+=("$sim")
wait_for 20 grep -q "at 3[0-9]:" "$WORK/sim1.log" || fail "first replay did not reach Q2"
kill $sim; wait $sim 2>/dev/null || true
wait_for 5 test -s "$D/boxscores/10.json" || fail "no documents from the first run"
# the second game: same teams, a different game from the start (ids restart at 0)
awk 'NR % 2 == 1 || /00:00 0 0 0/' "$SRC/sql/data/game.txt" | awk '{ $1 = NR - 1; print }' > "$WORK/game2.txt"
DELAY=0.0005 "$BIN/gamestream-sim" --events "$WORK/game2.txt" --target "file://$D/gamestream.txt" 2>"$WORK/sim2.log"
wait $pipe || fail "pipeline exited $?"
grep -q "the game restarted, run 1 begins" "$WORK/pipeline.log" || fail "the restart was not detected"
last=$(($(wc -l < "$WORK/game2.txt") - 1))
oracle --events "$WORK/game2.txt" --reference "$SRC/sql/data/reference.json" \
  --doc "$D/boxscores/$last.json" --sqlite "$D/sidearm.db" || fail "state after the restart is not the second game's"
pass "restart mid-game starts a new run"
