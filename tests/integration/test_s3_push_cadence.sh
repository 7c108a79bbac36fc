#!/usr/bin/env bash
# Listing cadence under an s3:// prefix with MinIO notifications (issue 15), over Swift's
# s3api: once a notification has named one of the prefix's games, a quiet minute (scheduled
# games, a break) keeps the poll timer's work (a listing of every page of the prefix) at
# --safety-poll-ms; before, a minute without a notification brought the full listing back
# every --poll-ms (here ~30 listings in 3 s at 100 ms). A new game announced by its
# notifications is still found and followed to its final at once.
. "$SRC/tests/lib.sh"
start_s3; server_env
D=$WORK/var; mkdir -p "$D"
seed_sqlite "$D/sidearm.db"
export NOTIFY_TOKEN=cadence-t0ken
PREFIX=s3://gamestreams/quiet/
"$BIN/gamestream-sim" --games 4 --random 7 --delay 0 --stagger 0 --target "$PREFIX" \
  --reset-reference "sqlite://$D/sidearm.db" 2>"$WORK/sim.log" || fail "gamestream-sim could not write the games"
read -r PORT < <(free_ports 1)
"$BIN/pipeline" --source "$PREFIX" --data-dir "$D" --http "127.0.0.1:$PORT" --poll-ms 100 --safety-poll-ms 60000 \
  2>"$WORK/pipeline.log" &
pipe=$!; PIDS+=("$pipe")
retired() { [ "$(log_count 'final and written: retired' "$WORK/pipeline.log")" -ge "$1" ]; }
wait_for 90 retired 4 || fail "the 4 games were not all written: $(tail -n 3 "$WORK/pipeline.log")"

# one notification of the prefix: game-001's game.json written again (as MinIO would say)
minio_event "$WORK/event.json" "quiet%2Fgame-001%2Fgame.json"
code=$(curl -s -o /dev/null -w '%{http_code}' -X POST -H "Authorization: Bearer $NOTIFY_TOKEN" \
  -H 'Content-Type: application/json' --data-binary "@$WORK/event.json" "http://127.0.0.1:$PORT/minio/events")
[ "$code" = 200 ] || fail "the notification was answered $code"
echo "# a quiet minute and more (no notification), then 3 s counted"
sleep 63
l0=$(listings "$PORT") || fail "no /metrics"; sleep 3; l1=$(listings "$PORT")
[ $((l1 - l0)) -le 1 ] || fail "a quiet prefix whose notifications once flowed was listed $((l1 - l0)) times in 3 s \
at --poll-ms 100: every tick again after a quiet minute, not every --safety-poll-ms"
pass "a quiet minute after a notification: $((l1 - l0)) listings in 3 s at --poll-ms 100 (--safety-poll-ms 60000)"

# a new game, announced as MinIO announces it: found and followed to its final on its events
"$BIN/gamestream-sim" --games 1 --random 8 --game-prefix late- --delay 0.002 --stagger 0 --target "$PREFIX" \
  --notify "http://127.0.0.1:$PORT/minio/events" 2>"$WORK/sim-late.log" || fail "the late game could not be played"
wait_for 30 retired 5 || fail "the late game, announced by notifications, was not written within 30 s: $(tail -n 3 "$WORK/pipeline.log")"
kill -TERM "$pipe"; wait "$pipe" || fail "pipeline exited $? after SIGTERM"
pass "a new game announced by its notifications was found and written to its final (safety poll a minute away)"
