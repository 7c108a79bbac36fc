#!/usr/bin/env bash
# --follow: after the final whistle the pipeline keeps watching; a replayed game is a new
# run whose documents and tables replace the first game's; SIGTERM then ends it cleanly.
. "$SRC/tests/lib.sh"
D=$WORK/var; mkdir -p "$D"
seed_sqlite "$D/sidearm.db"
"$BIN/gamestream-sim" --target "file://$D/gamestream.txt" --delay 0 2>"$WORK/sim1.log"
"$BIN/pipeline" --data-dir "$D" --poll-ms 20 --follow 2>"$WORK/pipeline.log" &
pipe=$!; PIDS+=("$pipe")
wait_for 20 grep -q "wrote teams2" "$WORK/pipeline.log" || fail "the first game's results were not written"
sleep 0.5
kill -0 "$pipe" || fail "--follow exited after the final whistle"

# the second game: the first one's shots by the other team, fewer of them
awk '$3 != 0 && NR % 2 == 0 { $3 = ($3 == 101 ? 205 : 101); print } $3 == 0' "$SRC/sql/data/game.txt" \
  | awk '{ $1 = NR - 1; print }' > "$WORK/game2.txt"
"$BIN/gamestream-sim" --events "$WORK/game2.txt" --target "file://$D/gamestream.txt" --delay 0 2>"$WORK/sim2.log"
results_twice() { [ "$(grep -c "wrote teams2" "$WORK/pipeline.log")" -ge 2 ]; }
wait_for 20 results_twice || fail "the second game's results were not written"
kill -TERM "$pipe"
set +e; wait "$pipe"; rc=$?; set -e
[ $rc = 0 ] || fail "SIGTERM in --follow exited $rc"
grep -q "the game restarted, run 1 begins" "$WORK/pipeline.log" || fail "the replay was not a new run"
oracle --events "$WORK/game2.txt" --reference "$SRC/sql/data/reference.json" --docs-dir "$D/boxscores" \
  --sqlite "$D/sidearm.db" || fail "documents or tables are not the second game's"
pass "--follow turns a replayed game into a new run"
