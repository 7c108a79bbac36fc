#!/usr/bin/env bash
# Fault soak: one random game through S3 (Swift), MongoDB and SQL Server (stand-ins) while
# each server is killed and started again SOAK_ROUNDS times (default 10), staggered. In
# every round, with the game going on:
#   MongoDB is stopped (it keeps its data, as on disk) while the next events arrive, so
#   their documents wait in the queue, then started again on its port;
#   the SQL Server stand-in is SIGKILLed while the next events arrive, then started again;
#   the S3 endpoint (the Swift proxy) is SIGKILLed until the pipeline's polls fail, then
#   started again and the next events arrive.
# The producer rewrites the whole object with one more line each time, as gamestream-sim
# does, but paced by the rounds instead of the clock, so every outage meets the game. The
# final line comes with MongoDB and SQL Server down, so the last document and
# teams2/players2 go out through retries too. At the end every event's document is in
# MongoDB and equal (but updated_at) to an uninterrupted embedded run's, teams2/players2
# read back from SQL Server equal its tables, and both are the independent model's.
# Longer soak: SOAK_ROUNDS=100 (about 10 s a round; after the game's events run out the
# rounds go on with the game waiting for its final line).
. "$SRC/tests/lib.sh"
rounds=${SOAK_ROUNDS:-10}
seed=${SOAK_GAME:-11}
start_s3; start_mongo; start_tds; server_env
"$BIN/gamestream-sim" --random "$seed" --reset-reference "$SQL_URI" --target "file://$WORK/game.txt" --delay 0 \
  2>"$WORK/reset.log" || fail "resetting the reference failed"
lines=$(wc -l < "$WORK/game.txt")
per=$(((lines - 1 + 3 * rounds - 1) / (3 * rounds)))
echo "soak: $rounds rounds, random game $seed ($lines lines), $per events per outage"
published=0
# publish N: the producer writes N more lines, one rewrite each, never the final line
publish() {
  local upto=$((published + $1))
  [ $upto -lt "$lines" ] || upto=$((lines - 1))
  while [ $published -lt $upto ]; do
    published=$((published + 1))
    head -n "$published" "$WORK/game.txt" > "$WORK/prefix.txt"
    swift_put "$WORK/prefix.txt" gamestreams/gamestream.txt
  done
}
more_logged() { [ "$(log_count "$1" "$WORK/pipeline.log")" -gt "$2" ]; }
down_mongo() { stop_server "$MONGO_PID"; forget_pid "$MONGO_PID"; }
down_tds() { kill -KILL "$TDS_PID" 2>/dev/null || true; wait "$TDS_PID" 2>/dev/null || true; forget_pid "$TDS_PID"; }
SINK_RETRY="box-score sink mongodb://.*retry" SRC_RETRY="stream source s3://.*retry"

publish "$per"
"$BIN/pipeline" --source "$SRC_URI" --reference "$SQL_URI" --boxscores "$MONGO_URI" --results "$SQL_URI" \
  --poll-ms 50 --backoff-max-ms 800 --timeout-ms 3000 2>"$WORK/pipeline.log" &
pipe=$!; PIDS+=("$pipe")
wait_for 60 sink_has "$MONGO_URI" $((per - 1)) || fail "the game did not start"
for r in $(seq "$rounds"); do
  down_mongo
  before=$(log_count "$SINK_RETRY" "$WORK/pipeline.log") had=$published
  publish "$per"
  if [ $published -gt $had ]; then
    wait_for 60 more_logged "$SINK_RETRY" "$before" || fail "round $r: no document met MongoDB down"
  fi
  start_mongo "$MONGO_PORT"
  down_tds; publish "$per"; sleep 0.3; start_tds "$TDS_PORT"
  kill_s3_proxy
  before=$(log_count "$SRC_RETRY" "$WORK/pipeline.log")
  wait_for 60 more_logged "$SRC_RETRY" "$before" || fail "round $r: no poll met S3 down"
  start_s3_proxy; publish "$per"
  echo "round $r: MongoDB, SQL Server and S3 killed and back; $published of $lines lines out"
done
kill -0 "$pipe" 2>/dev/null || fail "the pipeline ended before the final line"

# the final line while MongoDB and SQL Server are down
down_mongo; down_tds
before=$(log_count "$SINK_RETRY" "$WORK/pipeline.log")
swift_put "$WORK/game.txt" gamestreams/gamestream.txt
wait_for 60 grep -q "final:" "$WORK/pipeline.log" || fail "the final line was not folded"
wait_for 60 more_logged "$SINK_RETRY" "$before" || fail "the final document did not meet MongoDB down"
wait_for 60 more_logged "results sink mssql://.*retry" 0 || fail "teams2/players2 did not meet SQL Server down"
start_mongo "$MONGO_PORT"; start_tds "$TDS_PORT"
wait "$pipe" || fail "pipeline exited $?"
for lane in "stream source s3://" "box-score sink mongodb://" "results sink mssql://"; do
  grep -q "$lane.*recovered after" "$WORK/pipeline.log" || fail "no recovery of the $lane lane was logged"
done

# the same game uninterrupted on the embedded backends
E=$WORK/embedded; mkdir -p "$E"
"$BIN/gamestream-sim" --random "$seed" --reset-reference "sqlite://$E/sidearm.db" --target "file://$E/gamestream.txt" \
  --delay 0 2>/dev/null || fail "embedded sim failed"
"$BIN/pipeline" --data-dir "$E" --once 2>"$WORK/embedded.log" || fail "embedded run failed"
same_outputs soak "$MONGO_URI" "$SQL_URI" "file://$E/boxscores" "sqlite://$E/sidearm.db"
docs=$(find "$WORK/soak-a" -name '*.json' | wc -l)
[ "$docs" = "$lines" ] || fail "$docs documents for $lines events"
REF=$SQL_URI; oracle_check soak "$WORK/game.txt"
pass "$rounds rounds of MongoDB, SQL Server and S3 restarts: all $docs documents and exact tables"
