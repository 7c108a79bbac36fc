#!/usr/bin/env bash
# Crash safety over the wire (S3 stream on Swift, MongoDB stand-in documents, SQL Server
# stand-in reference and results), the same scenarios as tests/pipeline/test_crash_safety.sh
# with fewer kills: SIGKILLs at random points during a game, the producer replaying the
# same game while the pipeline is down, and the producer starting another game while it
# is down. The killed run writes to sidearm.NAME-crash and the SQL Server stand-in, the
# uninterrupted run to sidearm.NAME-clean and a second stand-in; every document (but
# updated_at) and teams2/players2 are read back over the wire and compared.
. "$SRC/tests/lib.sh"
crash_seed
start_s3; start_mongo
TDS_DB=$WORK/clean.sqlite start_tds; CLEAN_TDS=$TDS_PORT
start_tds; server_env
REF=$SQL_URI
# every scenario is its own game (one game id belongs to one source, issue 17 item 2)
scenario_uris() {
  PIPE_OPTS=(--poll-ms 50 --backoff-max-ms 800 --timeout-ms 3000 --game "$1")
  STREAM=s3://gamestreams/$1.txt
  CRASH_SINK=mongodb://mongo@127.0.0.1:$MONGO_PORT/sidearm.$1-crash CRASH_RES=$SQL_URI
  CLEAN_SINK=mongodb://mongo@127.0.0.1:$MONGO_PORT/sidearm.$1-clean CLEAN_RES=mssql://sa@127.0.0.1:$CLEAN_TDS/sidearmdb
}
# the second stand-in only takes results: it needs the database
TDS_PORT=$CLEAN_TDS TDS_DATABASE=master tds_query "CREATE DATABASE sidearmdb" >/dev/null

crash_game kills 11 "${CRASH_KILLS_SERVERS:-6}" 0.004 1500

"$BIN/gamestream-sim" --random 3 --target "file://$WORK/game3.txt" --delay 0 2>/dev/null
# fresh_results: the next scenario's season is its game alone, without the earlier ones
fresh_results() {
  local port
  for port in "$TDS_PORT" "$CLEAN_TDS"; do
    TDS_PORT=$port tds_query "DELETE FROM game_teams; DELETE FROM game_players; DELETE FROM game_sources" >/dev/null \
      || fail "clearing the results on port $port failed"
  done
}
fresh_results
restart_while_down same-game 3 50 0.003 "$WORK/game3.txt" 10

"$BIN/gamestream-sim" --random 2 --target "file://$WORK/game2.txt" --delay 0 2>/dev/null
{ head -n 25 "$WORK/game2.txt"; echo "25 00:00 0 0 0"; } > "$WORK/game2-short.txt"
fresh_results
restart_while_down other-game 1 45 0.003 "$WORK/game2-short.txt" 10 2
