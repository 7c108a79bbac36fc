#!/usr/bin/env bash
# One game.json that hangs does not hold up the others (issue 14's takeover, issue 15's new
# day: hundreds of game.json are read at once, PL_MANIFEST_LANES at a time). Six games under
# an s3:// prefix on Swift s3api; the pipeline reaches Swift through a relay that holds every
# request for game-003/game.json (tests/tools/count_proxy.py STALL) while a file exists.
#  1. While it hangs: the other five games are found, followed to their finals and retired;
#     game-003 is not found, and its read's timeout is logged naming game-003/game.json.
#  2. Released: game-003 is found and retired on the retry. Every game's documents are the
#     independent model's at every event, and teams2/players2 count every final once.
. "$SRC/tests/lib.sh"
N=6
start_s3; server_env
D=$WORK/var; E=$WORK/expect; mkdir -p "$D"
seed_sqlite "$D/sidearm.db"
# the same games (same seed) as files, for the checks
"$BIN/gamestream-sim" --games $N --random 9100 --delay 0 --stagger 0 --target "file://$E/" \
  --reset-reference "sqlite://$D/sidearm.db" 2>"$WORK/expect.log" || fail "writing the expected games failed"
RELAY=$(free_ports 1)
touch "$WORK/requests.log.hold"
"$PYTHON" "$SRC/tests/tools/count_proxy.py" "$RELAY" "$S3_PORT" "$WORK/requests.log" "game-003/game.json" \
  2>"$WORK/relay.log" &
PIDS+=($!)
wait_for 10 port_open "$RELAY" || fail "the relay did not start"

"$BIN/gamestream-sim" --games $N --random 9100 --delay 0.004 --stagger 0.2 --target s3://gamestreams/stall/ \
  2>"$WORK/sim.log" &
SIM=$!; PIDS+=("$SIM")
"$BIN/pipeline" --source s3://gamestreams/stall/ --s3-endpoint "127.0.0.1:$RELAY" --timeout-ms 1500 \
  --backoff-max-ms 1000 --poll-ms 200 --data-dir "$D" --http off 2>"$WORK/pipeline.log" &
PIPE=$!; PIDS+=("$PIPE")
wait "$SIM" || fail "gamestream-sim failed: $(tail -n 3 "$WORK/sim.log")"

others=(game-001 game-002 game-004 game-005 game-006)
retired_all() { for g in "$@"; do grep -q "$g: final and written: retired" "$WORK/pipeline.log" || return 1; done; }
wait_for 90 retired_all "${others[@]}" ||
  fail "the games after the hanging game.json were held up: $(grep -c 'retired' "$WORK/pipeline.log") retired"
grep -q "game-003: found" "$WORK/pipeline.log" && fail "game-003 was found while its game.json hung"
grep -q 'game-003/game.json' "$WORK/requests.log" || fail "game-003/game.json was never asked for"
grep -q "game-003/game.json.*\(timed out\|timeout\)" "$WORK/pipeline.log" ||
  fail "the hanging read is not logged naming game-003/game.json: $(grep -m 3 'game-003' "$WORK/pipeline.log")"
pass "game-003's game.json hung: the other five games were found, followed and retired meanwhile"

rm -f "$WORK/requests.log.hold"
wait_for 60 retired_all game-003 || fail "game-003 was not followed once its game.json answered"
sqlite_day_check "$E" "$D/sidearm.db" "$D/boxscores" game-001 game-002 game-003 game-004 game-005 game-006
kill -TERM "$PIPE"; wait "$PIPE" || fail "the pipeline exited $? after SIGTERM"
pass "released: game-003 followed to its final; every document is the model's and every final counted once"
