#!/usr/bin/env bash
# MongoDB stopped in the middle of the game and started again: the documents made
# meanwhile wait in the queue and are written in order; none is lost, the final one
# is present, and the fold never stalls.
. "$SRC/tests/lib.sh"
start_s3; start_mongo; start_tds; server_env
"$BIN/gamestream-sim" --reset-reference "$SQL_URI" --events /dev/null --target "file://$WORK/unused.txt" 2>/dev/null
"$BIN/pipeline" --source "$SRC_URI" --reference "$SQL_URI" --boxscores "$MONGO_URI" --results "$SQL_URI" \
  --poll-ms 50 --backoff-max-ms 800 --timeout-ms 3000 2>"$WORK/pipeline.log" &
pipe=$!; PIDS+=("$pipe")
"$BIN/gamestream-sim" --target "$SRC_URI" --delay 0.004 2>"$WORK/sim.log" &
sim=$!; PIDS+=("$sim")
wait_for 60 grep -q "at 4[0-9]:" "$WORK/sim.log" || fail "the game did not reach Q2"
stop_server "$MONGO_PID"
wait_for 20 grep -q "box-score sink mongodb://.*retry" "$WORK/pipeline.log" || fail "no retries while MongoDB was down"
goals_before=$(grep -c "goal:" "$WORK/pipeline.log")
more_goals() { [ "$(grep -c "goal:" "$WORK/pipeline.log")" -gt "$goals_before" ]; }
wait_for 30 more_goals || fail "the fold stalled while MongoDB was down"
start_mongo "$MONGO_PORT"
wait $sim || fail "sim failed"
wait $pipe || fail "pipeline exited $?"
mongo_docs boxscores > "$WORK/docs.jsonl"
"$PYTHON" - "$WORK/docs.jsonl" <<'PY' || fail "documents lost across the MongoDB restart"
import json, sys
docs = [json.loads(l) for l in open(sys.argv[1])]
assert [d["_id"] for d in docs] == list(range(77)), [d["_id"] for d in docs]
assert docs[-1]["state"] == "final" and docs[-1]["home"]["score"] == 11, docs[-1]["state"]
PY
grep -q "recovered after" "$WORK/pipeline.log" || fail "the recovery was not logged"
pass "MongoDB restarted mid-game: nothing lost"
