#!/usr/bin/env bash
# MongoDB down for a whole game with a tiny queue: older waiting documents are dropped
# with a warning (never silently), and the final document is always written once
# MongoDB is back.
. "$SRC/tests/lib.sh"
start_tds; MONGO_PORT=$(free_ports 1); server_env
"$BIN/gamestream-sim" --reset-reference "$SQL_URI" --events /dev/null --target "file://$WORK/unused.txt" 2>/dev/null
D=$WORK/d; mkdir -p "$D"; cp "$SRC/sql/data/game.txt" "$D/gamestream.txt"
"$BIN/pipeline" --source "file://$D/gamestream.txt" --reference "$SQL_URI" --boxscores "$MONGO_URI" \
  --results "$SQL_URI" --queue-max 5 --poll-ms 50 --backoff-max-ms 500 --timeout-ms 2000 2>"$WORK/pipeline.log" &
pipe=$!; PIDS+=("$pipe")
wait_for 20 grep -q "box-score queue is full (5 pending" "$WORK/pipeline.log" || fail "no warning when the queue overflowed"
start_mongo "$MONGO_PORT"
wait "$pipe" || fail "pipeline exited $?"
mongo_docs boxscores > "$WORK/docs.jsonl"
"$PYTHON" - "$WORK/docs.jsonl" <<'PY' || fail "the final document was not written"
import json, sys
docs = [json.loads(l) for l in open(sys.argv[1])]
assert docs and docs[-1]["_id"] == 76 and docs[-1]["state"] == "final", [d["_id"] for d in docs]
PY
grep -q "72 dropped writes" "$WORK/pipeline.log" || fail "the count of dropped writes is not reported"
pass "a full queue drops old documents loudly and keeps the final one"
