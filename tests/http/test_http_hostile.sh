#!/usr/bin/env bash
# Hostile HTTP (issue 17, items 4, 6, 7, 8, 12): --http binds exactly the address given
# (IPv4, IPv6, every address), read back from the socket table; two processes started at
# once on one port: one serves, the other exits 2 and never says it serves; an ambiguous
# request length (two Content-Lengths, "2, 30", "+2", Transfer-Encoding on a GET or with a
# length) gets 400 and its connection closed, nothing smuggled after it; WebSocket and h2c
# upgrades and CONNECT are refused and closed, and more of them than --http-max-conns leave
# /healthz answering; a POST body sent a byte a second is cut at --http-body-timeout-s;
# a wrong token is refused before the body is read; Content-Length: 0 on /minio/events.
# Assertions on outcomes (statuses, socket addresses, counters), never on speed.
. "$SRC/tests/lib.sh"
CLIENT=$SRC/tests/http/http_client.py
D=$WORK/var; mkdir -p "$D"
P=$(free_ports 1)
URL=http://127.0.0.1:$P

# --http binds exactly the address given
for form in "127.0.0.1:$P=127.0.0.1:$P" "[::1]:$P=[::1]:$P" "*:$P=0.0.0.0:$P" "0.0.0.0:$P=0.0.0.0:$P" \
  ":$P=0.0.0.0:$P"; do
  spec=${form%%=*} want=${form#*=}
  "$BIN/pipeline" --data-dir "$D" --follow --http "$spec" 2>"$WORK/bind.log" &
  pipe=$!; PIDS+=("$pipe")
  wait_for 30 grep -q "HTTP API on" "$WORK/bind.log" || fail "--http $spec: no server: $(cat "$WORK/bind.log")"
  got=$("$PYTHON" "$CLIENT" listen-addrs "$pipe")
  [ "$got" = "$want" ] || fail "--http $spec listens on '$got', not $want"
  grep -qF "HTTP API on http://$want/" "$WORK/bind.log" || fail "--http $spec: the log does not name $want"
  kill -TERM "$pipe"; wait "$pipe" || fail "--http $spec: exit $?"
done
rc=0; "$BIN/pipeline" --data-dir "$D" --once --http "localhost:$P" 2>"$WORK/name.log" || rc=$?
{ [ $rc = 2 ] && grep -q "not an IP address" "$WORK/name.log"; } || fail "--http localhost:$P: exit $rc: $(cat "$WORK/name.log")"
pass "--http 127.0.0.1, [::1], *, 0.0.0.0 and :PORT each listen on exactly that address; a host name is a usage error"

# two processes started at the same instant on one port, several times: exactly one
# says it serves (and does), the other exits 2 naming the address
for round in 1 2 3 4 5 6; do
  rm -f "$WORK"/race.*
  for who in a b; do
    ( rc=0; "$BIN/pipeline" --data-dir "$D" --follow --http "127.0.0.1:$P" 2>"$WORK/race.$who.log" || rc=$?
      echo $rc >"$WORK/race.$who.rc" ) &
  done
  one_exited() { [ -e "$WORK/race.a.rc" ] || [ -e "$WORK/race.b.rc" ]; }
  wait_for 30 one_exited || fail "round $round: neither process exited: $(cat "$WORK"/race.*.log)"
  if [ -e "$WORK/race.a.rc" ]; then lost=a won=b; else lost=b won=a; fi
  [ "$(cat "$WORK/race.$lost.rc")" = 2 ] || fail "round $round: the loser exited $(cat "$WORK/race.$lost.rc"), not 2"
  grep -q "cannot listen for HTTP on 127.0.0.1:$P: Address already in use" "$WORK/race.$lost.log" ||
    fail "round $round: the loser does not name the address: $(cat "$WORK/race.$lost.log")"
  grep -q "HTTP API on" "$WORK/race.$lost.log" && fail "round $round: the process that exited 2 said it serves"
  wait_for 30 grep -q "HTTP API on http://127.0.0.1:$P/" "$WORK/race.$won.log" ||
    fail "round $round: the winner does not say it serves: $(cat "$WORK/race.$won.log")"
  [ "$(curl -s "$URL/healthz")" = ok ] || fail "round $round: the winner does not answer"
  winner=$(pgrep -f -n "pipeline --data-dir $D --follow --http 127.0.0.1:$P") || fail "round $round: no winner process"
  kill -TERM "$winner"
  wait_for 30 test -e "$WORK/race.$won.rc" || fail "round $round: the winner did not stop"
  [ "$(cat "$WORK/race.$won.rc")" = 0 ] || fail "round $round: the winner exited $(cat "$WORK/race.$won.rc")"
done
pass "two processes started at once on one port, 6 times: one serves, the other exits 2 naming the address"

# hostile framing and upgrades, three rounds of each, with --http-max-conns 4
NOTIFY_TOKEN=s3cret "$BIN/pipeline" --data-dir "$D" --follow --http "127.0.0.1:$P" --http-max-conns 4 \
  --http-body-timeout-s 2 2>"$WORK/hostile.log" &
pipe=$!; PIDS+=("$pipe")
wait_for 30 curl -sf "$URL/healthz" || fail "no answer on /healthz"
for round in 1 2 3; do
  "$PYTHON" "$CLIENT" hostile "$P" >"$WORK/hostile.out" 2>"$WORK/hostile.err" ||
    fail "round $round: $(cat "$WORK/hostile.err")"
done
cat "$WORK/hostile.out"
[ "$(curl -s --max-time 10 "$URL/healthz")" = ok ] || fail "/healthz does not answer after 33 hostile requests"
curl -s "$URL/metrics" >"$WORK/metrics.txt"
grep -qx 'sidearm_http_limit_hits_total{limit="framing"} 24' "$WORK/metrics.txt" || fail "framing refusals not counted 24: $(grep limit= "$WORK/metrics.txt")"
grep -qx 'sidearm_http_limit_hits_total{limit="upgrade"} 9' "$WORK/metrics.txt" || fail "upgrades not counted 9"
grep -qx 'sidearm_http_connections 1' "$WORK/metrics.txt" || fail "connections other than this one counted open: $(grep connections "$WORK/metrics.txt")"
pass "ambiguous lengths and blanks before a framing header's colon get 400 (411 for a chunked POST), upgrades 400, CONNECT 405, each closed, nothing smuggled; /healthz answers after 33 of them over --http-max-conns 4"

# the token before the body; a slow body is cut; an empty body is answered
[ "$("$PYTHON" "$CLIENT" post-headers "$P" "Bearer wrong")" = 401 ] || fail "a wrong token is not refused before the body"
[ "$("$PYTHON" "$CLIENT" slow-body "$P" 1 20 "Bearer s3cret")" = 408 ] || fail "a body sent a byte a second was not cut at --http-body-timeout-s 2"
grep -q "cut a body on /minio/events still coming after 2 s" "$WORK/hostile.log" || fail "the slow body is not logged"
[ "$(curl -s -o /dev/null -w '%{http_code}' -X POST -H 'Authorization: Bearer s3cret' -H 'Content-Type: application/json' -H 'Content-Length: 0' \
  "$URL/minio/events")" = 400 ] || fail "POST /minio/events with Content-Length: 0 is not 400"
[ "$(curl -s "$URL/healthz")" = ok ] || fail "/healthz does not answer after the body cases"
kill -TERM "$pipe"; wait "$pipe" || fail "pipeline exited $?"
grep -q "handles open at exit" "$WORK/hostile.log" && fail "the loop did not close cleanly"
pass "a wrong token gets 401 before the body; a body a byte a second gets 408 at 2 s; Content-Length: 0 gets 400"
