#!/usr/bin/env bash
# Every server absent when pipeline starts: it waits for SQL Server (reference), then
# for S3 (connection refused, then no bucket), keeps folding while MongoDB is down,
# and once MongoDB appears writes every queued document in order, then the results.
. "$SRC/tests/lib.sh"
S3_PORT=$(free_ports 5); MONGO_PORT=$(free_ports 1); TDS_PORT=$(free_ports 1); server_env

"$BIN/pipeline" --source "$SRC_URI" --reference "$SQL_URI" --boxscores "$MONGO_URI" --results "$SQL_URI" \
  --poll-ms 50 --backoff-max-ms 800 --timeout-ms 3000 2>"$WORK/pipeline.log" &
pipe=$!; PIDS+=("$pipe")
wait_for 20 grep -q "reference reader mssql://.*retry 2" "$WORK/pipeline.log" || fail "no retries while SQL Server is down"

start_tds "$TDS_PORT"
"$BIN/gamestream-sim" --reset-reference "$SQL_URI" --events /dev/null --target "file://$WORK/unused.txt" \
  2>"$WORK/reset.log" || fail "reset failed"
wait_for 20 grep -q "stream source s3://.*retry" "$WORK/pipeline.log" || fail "no retries while S3 is down"

start_s3 "$S3_PORT"
wait_for 30 grep -q "does not exist yet" "$WORK/pipeline.log" || fail "did not report waiting for the object"

"$BIN/gamestream-sim" --target "$SRC_URI" --delay 0.001 2>"$WORK/sim.log" || fail "sim failed"
wait_for 30 grep -q "final: 11-9" "$WORK/pipeline.log" || fail "the game was not folded while MongoDB was down"
grep -q "box-score sink mongodb://.*retry" "$WORK/pipeline.log" || fail "no retries while MongoDB is down"
kill -0 $pipe || fail "pipeline gave up while MongoDB was down"

start_mongo "$MONGO_PORT"
wait $pipe || fail "pipeline exited $?"
mongo_docs boxscores > "$WORK/docs.jsonl"
"$PYTHON" - "$WORK/docs.jsonl" <<'PY' || fail "documents lost while MongoDB was down"
import json, sys
ids = [json.loads(l)["_id"] for l in open(sys.argv[1])]
assert ids == list(range(77)), ids
PY
grep -q "^8	3$" <<<"$(tds_query "SELECT wins, losses FROM teams2 WHERE id = 101")" || fail "teams2 not written after the outage"
pass "every server absent at start: waited, then completed with nothing lost"
