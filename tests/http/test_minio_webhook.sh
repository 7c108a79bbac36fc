#!/usr/bin/env bash
# MinIO webhook end to end (issue 9): the pipeline follows a stream on S3 (Swift's s3api)
# with --poll-ms 60000, so after its first read it would not read again for a minute;
# gamestream-sim writes the game and POSTs MinIO's event for each write to the pipeline's
# POST /minio/events. Every document must arrive (within 45 s: the notifications drive
# the reads). Before the game: a wrong or missing token is 401, a malformed body 400 (its
# reason logged once however often it comes), an event for a key the pipeline does not
# follow 200 and ignored, a 2 MiB body 413; none of them starts a read. Then the same
# under a prefix: three games made while the pipeline runs are found (game.json events
# list the prefix at once) and followed on their streams' events.
. "$SRC/tests/lib.sh"
start_s3; server_env
port=$(free_ports 1)
D=$WORK/var; mkdir -p "$D"
seed_sqlite "$D/sidearm.db"
export NOTIFY_TOKEN=webhook-t0ken
"$BIN/pipeline" --source "$SRC_URI" --data-dir "$D" --http "127.0.0.1:$port" --poll-ms 60000 \
  2>"$WORK/pipeline.log" &
pipe=$!; PIDS+=("$pipe")
URL=http://127.0.0.1:$port/minio/events
wait_for 30 port_open "$port" || fail "the pipeline's HTTP server did not start"
wait_for 30 grep -q "reference:" "$WORK/pipeline.log" || fail "the pipeline did not start"

# post BODY_FILE [AUTH_HEADER...]: prints the status
post() {
  local body=$1; shift
  curl -s -o "$WORK/answer" -w '%{http_code}' -X POST -H 'Content-Type: application/json' "$@" \
    --data-binary "@$body" "$URL" || true
}
minio_event "$WORK/ours.json" gamestream.txt
minio_event "$WORK/other.json" "other%2Fgamestream.txt"
printf '{"Records": [' >"$WORK/malformed.json"
head -c $((2 << 20)) /dev/zero | tr '\0' ' ' >"$WORK/big.json"
polls_before=$(log_count "polls read" "$WORK/pipeline.log")

[ "$(post "$WORK/ours.json" -H "Authorization: Bearer wrong-t0ken")" = 401 ] || fail "a wrong token is not 401"
[ "$(post "$WORK/ours.json" -H "Authorization: Bearer webhook-t0ke")" = 401 ] || fail "a token prefix is not 401"
[ "$(post "$WORK/ours.json")" = 401 ] || fail "a missing token is not 401"
[ "$(post "$WORK/malformed.json" -H "Authorization: Bearer $NOTIFY_TOKEN")" = 400 ] || fail "malformed JSON is not 400"
[ "$(post "$WORK/malformed.json" -H "Authorization: Bearer $NOTIFY_TOKEN")" = 400 ] || fail "malformed JSON is not 400"
[ "$(post "$WORK/other.json" -H "Authorization: Bearer $NOTIFY_TOKEN")" = 200 ] || fail "an unknown key is not 200"
[ "$(post "$WORK/big.json" -H "Authorization: Bearer $NOTIFY_TOKEN")" = 413 ] || fail "a 2 MiB body is not 413"
# a web page can POST text/plain or a form to any address without a CORS preflight: refused unread
for ct in 'text/plain' 'application/x-www-form-urlencoded' 'application/jsonp'; do
  code=$(curl -s -o /dev/null -w '%{http_code}' -X POST -H "Origin: https://evil.example" -H "Content-Type: $ct" \
    -H "Authorization: Bearer $NOTIFY_TOKEN" --data-binary "@$WORK/ours.json" "$URL" || true)
  [ "$code" = 415 ] || fail "a $ct notification is $code, not 415"
done
code=$(curl -s -o /dev/null -w '%{http_code}' -X POST -H 'Content-Type: application/json; charset=utf-8' \
  -H "Authorization: Bearer $NOTIFY_TOKEN" --data-binary "@$WORK/other.json" "$URL" || true)
[ "$code" = 200 ] || fail "application/json with a charset is $code, not 200"
[ "$(log_count "malformed MinIO notification: not JSON" "$WORK/pipeline.log")" = 1 ] ||
  fail "a malformed body's reason is not logged exactly once"
! grep -q "webhook-t0ken\|wrong-t0ken" "$WORK/pipeline.log" || fail "a token was logged"
[ "$(log_count "polls read" "$WORK/pipeline.log")" = "$polls_before" ] || fail "a refused notification changed something"
kill -0 "$pipe" || fail "the pipeline died on a bad request"
pass "401 wrong or missing token, 400 malformed (logged once), 200 unknown key, 413 for 2 MiB, 415 for text/plain and forms"
# bodies are read whole: 20 held open at once (250 took 270 MB): 16 are read, 4 get 503
busy=$("$PYTHON" "$SRC/tests/http/http_client.py" post-crowd "$port" 20 "Bearer $NOTIFY_TOKEN") || fail "post-crowd failed"
[ "$busy" = 4 ] || fail "20 webhook bodies held open at once: $busy answered 503, not the 4 past 16"
[ "$(post "$WORK/other.json" -H "Authorization: Bearer $NOTIFY_TOKEN")" = 200 ] || fail "no 200 once the held bodies were closed"
pass "20 webhook bodies at once: 16 read, 4 get 503; then served again"


play_followed "$pipe" "$D" --target "$SRC_URI" --notify "$URL"
! grep -q -- "--notify: POST" "$WORK/sim.log" || fail "a notification was refused: $(grep -- "--notify" "$WORK/sim.log" | head -3)"
pass "every document over S3, read on MinIO-format notifications (poll every 60 s)"

# ---- games under an s3:// prefix, made while the pipeline runs
port2=$(free_ports 1)
V=$WORK/prefix; mkdir -p "$V"
seed_sqlite "$V/sidearm.db"
"$BIN/gamestream-sim" --games 3 --random 40 --delay 0 --stagger 0 --target "file://$WORK/copy/" \
  --reset-reference "sqlite://$V/sidearm.db" 2>"$WORK/copy.log" || fail "the file:// copy of the games failed"
"$BIN/pipeline" --source s3://gamestreams/day/ --data-dir "$V" --http "127.0.0.1:$port2" --poll-ms 60000 \
  2>"$WORK/prefix.log" &
pipe=$!; PIDS+=("$pipe")
wait_for 30 grep -q "reference:" "$WORK/prefix.log" || fail "the prefix pipeline did not start"
sleep 1   # its first (and, for a minute, only) listing
"$BIN/gamestream-sim" --games 3 --random 40 --delay 0.002 --stagger 0.5 --target s3://gamestreams/day/ \
  --notify "http://127.0.0.1:$port2/minio/events" 2>"$WORK/sim-games.log" || fail "gamestream-sim --games failed"
all_final() {
  for g in game-001 game-002 game-003; do
    last=$(tail -n 1 "$WORK/copy/$g/gamestream.txt" | cut -d' ' -f1)
    grep -Eq '"state": *"final"' "$V/boxscores/$g/$last.json" 2>/dev/null || return 1
  done
}
wait_for 45 all_final || fail "not every game under the prefix was final within 45 s of a 60 s poll"
kill -TERM "$pipe"; wait "$pipe" || fail "the prefix pipeline exited $? after SIGTERM"
for g in game-001 game-002 game-003; do
  oracle_game "$WORK/copy/$g" "$V/sidearm.db" "$V/boxscores/$g" || fail "$g: documents differ from the model"
done
pass "three games under an s3:// prefix, found and followed on notifications (poll every 60 s)"

# no token: a warning at start when the listener is not loopback, none on loopback
sample_game open
for listen in "0.0.0.0:$(free_ports 1)" "127.0.0.1:$(free_ports 1)"; do
  NOTIFY_TOKEN='' "$BIN/pipeline" --data-dir "$D" --once --http "$listen" 2>"$WORK/open.log" ||
    fail "pipeline --once --http $listen exited $?: $(tail -n 2 "$WORK/open.log")"
  n=$(log_count "POST /minio/events on .* takes notifications from anyone" "$WORK/open.log")
  case $listen in 0.0.0.0:*) [ "$n" = 1 ] || fail "no warning for an open webhook on $listen" ;;
                  *) [ "$n" = 0 ] || fail "a warning for the webhook on loopback $listen" ;; esac
done
pass "without NOTIFY_TOKEN a non-loopback listener is warned about at start, a loopback one is not"
