#!/usr/bin/env bash
# SQL Server down at the final whistle: the results are kept in memory and retried;
# SIGTERM during that wait exits non-zero saying they were not written and how to
# re-run; the re-run with --once writes them, exactly once.
. "$SRC/tests/lib.sh"
start_tds; server_env
"$BIN/gamestream-sim" --reset-reference "$SQL_URI" --events /dev/null --target "file://$WORK/unused.txt" 2>/dev/null
D=$WORK/d; mkdir -p "$D"
head -n 40 "$SRC/sql/data/game.txt" > "$D/gamestream.txt"
"$BIN/pipeline" --source "file://$D/gamestream.txt" --reference "$SQL_URI" --boxscores "file://$D/box" \
  --results "$SQL_URI" --poll-ms 50 --backoff-max-ms 500 --timeout-ms 2000 2>"$WORK/pipeline.log" &
pipe=$!; PIDS+=("$pipe")
wait_for 20 test -s "$D/box/39.json" || fail "the first half was not processed"
stop_server "$TDS_PID"
cp "$SRC/sql/data/game.txt" "$D/gamestream.txt.new" && mv "$D/gamestream.txt.new" "$D/gamestream.txt"
wait_for 20 grep -q "results sink mssql://.*retry 2" "$WORK/pipeline.log" || fail "results were not retried"
kill -TERM $pipe
set +e; wait $pipe; rc=$?; set -e
[ $rc = 1 ] || fail "SIGTERM while results were pending exited $rc, expected 1"
grep -q "teams2/players2 were NOT written to mssql://sa@127.0.0.1:$TDS_PORT/sidearmdb; run \`pipeline --once\`" \
  "$WORK/pipeline.log" || fail "the operator was not told the results were lost and how to re-run"

start_tds "$TDS_PORT"
for run in 1 2; do
  "$BIN/pipeline" --source "file://$D/gamestream.txt" --reference "$SQL_URI" --boxscores "file://$D/box" \
    --results "$SQL_URI" --once 2>"$WORK/rerun$run.log" || fail "re-run $run failed"
  tds_query "SELECT id, wins, losses FROM teams2 ORDER BY id" > "$WORK/teams2.$run"
  tds_query "SELECT id, shots, goals FROM players2 ORDER BY id" > "$WORK/players2.$run"
done
grep -q "^101	8	3$" "$WORK/teams2.1" || fail "re-run did not write the win"
cmp -s "$WORK/teams2.1" "$WORK/teams2.2" || fail "running the finished game twice changed teams2"
cmp -s "$WORK/players2.1" "$WORK/players2.2" || fail "running the finished game twice changed players2"
pass "results survive SQL Server being down at the final whistle"
