#!/usr/bin/env bash
# Out of descriptors while talking to servers (issue 17, item 1): the running pipeline's
# descriptor limit is lowered (prlimit) to the lowest free descriptor, so every new socket
# fails with EMFILE, while the game moves on in S3 and ends. The S3 source (libcurl) and the
# SQL Server results sink (FreeTDS) say the process is out of descriptors, count it in
# sidearm_local_shortages_total{resource="descriptors"}, retry, and, once the limit is back,
# every document and the final tables are written: nothing given up, nothing lost, exit 0.
. "$SRC/tests/lib.sh"
start_s3; start_tds; server_env
"$BIN/gamestream-sim" --reset-reference "$SQL_URI" --events /dev/null --target "file://$WORK/unused.txt" 2>/dev/null
head -n 10 "$SRC/sql/data/game.txt" > "$WORK/part.txt"
swift_put "$WORK/part.txt" gamestreams/short/gamestream.txt
"$BIN/pipeline" --source s3://gamestreams/short/gamestream.txt --reference "$SQL_URI" --boxscores "file://$WORK/box" \
  --results "$SQL_URI" --poll-ms 50 --backoff-max-ms 300 --timeout-ms 2000 --metrics-file "$WORK/metrics" \
  2>"$WORK/pipeline.log" &
pipe=$!; PIDS+=("$pipe")
wait_for 30 test -s "$WORK/box/9.json" || fail "the first events were not written"

# the lowest descriptor number not open: below it every number is taken
lowest_free() { local n=0; while [ -e "/proc/$pipe/fd/$n" ]; do n=$((n + 1)); done; echo "$n"; }
hard=$(prlimit --pid "$pipe" --nofile --output HARD --noheadings)
soft=$(prlimit --pid "$pipe" --nofile --output SOFT --noheadings)
# starve: the limit is set to the lowest free descriptor, and set again until no descriptor
# below it is free (one open for an instant when the limit was set leaves a hole a socket
# could take once it closes)
starve() {
  local n _
  for _ in $(seq 1 50); do
    kill -0 "$pipe" 2>/dev/null || fail "the pipeline exited before it was starved: $(tail -n 5 "$WORK/pipeline.log")"
    n=$(lowest_free)
    prlimit --pid "$pipe" --nofile="$n:$hard"
    sleep 0.05
    [ "$(lowest_free)" -ge "$n" ] && return 0
  done
  fail "a descriptor below the limit kept coming free"
}
# starved_until PATTERN: starves until the log has PATTERN. A descriptor open for an instant
# while the lowest free one is sought leaves a hole below the limit: starve again.
starved_until() {
  local tries
  for tries in 1 2 3 4 5 6; do
    grep -q "$1" "$WORK/pipeline.log" && return 0
    starve
    wait_for 5 grep -q "$1" "$WORK/pipeline.log" && return 0
  done
  fail "never out of descriptors after $tries tries (${1}): $(tail -n 5 "$WORK/pipeline.log")"
}
restore() { prlimit --pid "$pipe" --nofile="$soft:$hard"; }

# 1. the S3 source (libcurl) mid-game
head -n 20 "$SRC/sql/data/game.txt" > "$WORK/part.txt"
swift_put "$WORK/part.txt" gamestreams/short/gamestream.txt
starved_until "S3 GET .*out of file descriptors"
restore
wait_for 30 test -s "$WORK/box/19.json" || fail "the documents after the S3 shortage were not written"

# 2. the SQL Server results sink (FreeTDS) at the final: down first, so the write waits, then
#    back while no socket can be made
stop_server "$TDS_PID"
swift_put "$SRC/sql/data/game.txt" gamestreams/short/gamestream.txt # the rest of the game, to its end
last=$(($(wc -l < "$SRC/sql/data/game.txt") - 1))
wait_for 60 test -s "$WORK/box/$last.json" || fail "the last document was not written"
wait_for 30 grep -q "results sink mssql://.*retry" "$WORK/pipeline.log" || fail "the results were not retried"
# while the server is still down each try needs a socket, so the shortage is met before the
# game can end; the server comes back while no socket can be made, then the limit does
starved_until "SQL Server .*out of file descriptors"
start_tds "$TDS_PORT"
restore
wait_for 60 grep -q "wrote teams2" "$WORK/pipeline.log" || fail "the final tables were not written"
# a single game ends the run once its tables are written: the metrics file is its last word
rc=0; wait "$pipe" || rc=$?
[ $rc = 0 ] || fail "the pipeline exited $rc"
n=$(sed -n 's/^sidearm_local_shortages_total{resource="descriptors"} //p' "$WORK/metrics")
[ "${n:-0}" -ge 1 ] || fail "no descriptor shortage counted: $(grep shortages "$WORK/metrics")"
grep -qx 'sidearm_sink_up{sink="results"} 1' "$WORK/metrics" || fail "the results sink was given up"
grep -qx 'sidearm_sink_up{sink="boxscores"} 1' "$WORK/metrics" || fail "the box-score sink was given up"
oracle --events "$SRC/sql/data/game.txt" --reference "$SRC/sql/data/reference.json" --docs-dir "$WORK/box" \
  >/dev/null || fail "the documents differ from the model"
tds_query "SELECT id, wins, losses FROM teams2 ORDER BY id" | grep -q "^101	8	3$" ||
  fail "teams2 does not count the game: $(tds_query "SELECT id, wins, losses FROM teams2 ORDER BY id")"
pass "out of descriptors mid-game over S3 and SQL Server: counted ($n), retried, nothing lost"
