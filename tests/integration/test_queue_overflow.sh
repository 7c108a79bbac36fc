#!/usr/bin/env bash
# MongoDB down for a whole game with a tiny queue: newer box scores are coalesced into
# the newest one with a warning (never silently), the count of coalesced documents is
# reported, and the final document is always written once MongoDB is back.
. "$SRC/tests/lib.sh"
start_tds; MONGO_PORT=$(free_ports 1); server_env
"$BIN/gamestream-sim" --reset-reference "$SQL_URI" --events /dev/null --target "file://$WORK/unused.txt" 2>/dev/null
D=$WORK/d; mkdir -p "$D"; cp "$SRC/sql/data/game.txt" "$D/gamestream.txt"
"$BIN/pipeline" --source "file://$D/gamestream.txt" --reference "$SQL_URI" --boxscores "$MONGO_URI" \
  --results "$SQL_URI" --queue-max 5 --poll-ms 50 --backoff-max-ms 500 --timeout-ms 2000 2>"$WORK/pipeline.log" &
pipe=$!; PIDS+=("$pipe")
wait_for 20 grep -q "is behind: 5 writes .* pending (--queue-max 5" "$WORK/pipeline.log" || fail "no warning when the queue overflowed"
start_mongo "$MONGO_PORT"
wait "$pipe" || fail "pipeline exited $?"
mongo_docs boxscores > "$WORK/docs.jsonl"
"$PYTHON" - "$WORK/docs.jsonl" <<'PY' || fail "the final document was not written"
import json, sys
docs = [json.loads(l) for l in open(sys.argv[1])]
assert docs and docs[-1]["_id"] == 76 and docs[-1]["state"] == "final", [d["_id"] for d in docs]
PY
grep -q "72 box scores coalesced" "$WORK/pipeline.log" || fail "the count of coalesced documents is not reported"
pass "a full queue coalesces documents loudly and keeps the final one"
