#!/usr/bin/env bash
# A game that is not in the repository (a random one, rosters included) replayed
# through S3 into MongoDB and SQL Server while S3 and SQL Server are each killed and
# started again mid-game: nothing is lost, the loop keeps folding, and every document
# and both tables read back over the wire match the independent model.
. "$SRC/tests/lib.sh"
start_s3; start_mongo; start_tds; server_env
D=$WORK/d; mkdir -p "$D"
"$BIN/pipeline" --source "$SRC_URI" --reference "$SQL_URI" --boxscores "$MONGO_URI" --results "$SQL_URI" \
  --game random-77 --poll-ms 50 --backoff-max-ms 800 --timeout-ms 3000 2>"$WORK/pipeline.log" &
pipe=$!; PIDS+=("$pipe")
"$BIN/gamestream-sim" --random 77 --reset-reference "$SQL_URI" --target "$SRC_URI" --delay 0.006 \
  2>"$WORK/sim.log" &
sim=$!; PIDS+=("$sim")

wait_for 60 grep -q "at 4[0-9]:" "$WORK/sim.log" || fail "the game did not reach Q2"
stop_server "$TDS_PID"
stop_s3
wait_for 20 grep -q "stream source s3://.*retry" "$WORK/pipeline.log" || fail "no retries while S3 was down"
start_tds "$TDS_PORT"
start_s3 "$S3_PORT"
wait $sim || fail "sim failed"
wait $pipe || fail "pipeline exited $?"
grep -q "recovered after" "$WORK/pipeline.log" || fail "the recovery was not logged"

tds_reference_json "$WORK/reference.json"
"$BIN/gamestream-sim" --random 77 --target "file://$D/gamestream.txt" --delay 0 2>/dev/null
mongo_docs boxscores > "$WORK/docs.jsonl"
split_docs "$WORK/docs.jsonl" "$WORK/docs"
tds_rows teams2 "$WORK/teams2.json"
tds_rows players2 "$WORK/players2.json"
oracle --events "$D/gamestream.txt" --reference "$WORK/reference.json" --docs-dir "$WORK/docs" \
  --teams2 "$WORK/teams2.json" --players2 "$WORK/players2.json" || fail "results over the wire differ from the model"
pass "a random game through S3 and SQL Server restarts, nothing lost"
