#!/usr/bin/env bash
# The producer restarts mid-game and rewrites the object from its first line, already
# longer than what was consumed: the overlap check sees it and a new run begins, and the
# abandoned run's documents are removed from MongoDB so they cannot outrank the new ones.
. "$SRC/tests/lib.sh"
start_s3; start_mongo; start_tds; server_env
"$BIN/gamestream-sim" --reset-reference "$SQL_URI" --events /dev/null --target "file://$WORK/unused.txt" 2>/dev/null
D=$WORK/d; mkdir -p "$D"
"$BIN/pipeline" --source "$SRC_URI" --reference "$SQL_URI" --boxscores "$MONGO_URI" --results "$SQL_URI" \
  --poll-ms 50 2>"$WORK/pipeline.log" &
pipe=$!; PIDS+=("$pipe")
"$BIN/gamestream-sim" --target "$SRC_URI" --delay 0.003 2>"$WORK/sim1.log" &
sim=$!; PIDS+=("$sim")
wait_for 60 grep -q "at 2[0-9]:" "$WORK/sim1.log" || fail "first replay did not reach Q3"
kill $sim; wait $sim 2>/dev/null || true
# a different game from the start: same ids, other shots, all at once so it is longer
awk '{ if ($3 == 101) $3 = 205; else if ($3 == 205) $3 = 101; print }' "$SRC/sql/data/game.txt" \
  | awk '$3 == 0 || $4 ~ /^(2|4|7|8|11|15|19|22|27|33|3|5|9|12|14|18|21|24|30|44)$/' > "$WORK/game2.txt"
"$BIN/gamestream-sim" --events "$WORK/game2.txt" --target "$SRC_URI" --delay 0 2>"$WORK/sim2.log"
wait $pipe || fail "pipeline exited $?"
grep -q "the game restarted, run 1 begins" "$WORK/pipeline.log" || fail "restart not detected over S3"
last=$(awk 'END { print $1 }' "$WORK/game2.txt")
mongo_docs boxscores > "$WORK/docs.jsonl"
tail -n 1 "$WORK/docs.jsonl" > "$D/latest.json"
oracle --events "$WORK/game2.txt" --reference "$SRC/sql/data/reference.json" --doc "$D/latest.json" \
  || fail "the latest document in MongoDB is not the second game's final"
[ "$(wc -l < "$WORK/docs.jsonl")" = $((last + 1)) ] || fail "documents of the abandoned run are still in MongoDB"
pass "restart over S3 starts a new run"
