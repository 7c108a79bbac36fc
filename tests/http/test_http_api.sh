#!/usr/bin/env bash
# The HTTP API on the pipeline's own loop (issue 9), on the embedded backends: health and
# readiness, the games and their documents (the very bytes the sink got), Server-Sent
# Events in order for a reader while 200 idle clients and one that never reads are
# connected, Last-Event-ID, 404/405/413, the header timeout, the connection limit, the
# OpenAPI document against the real answers, --http off and a port in use.
# Assertions are on outcomes, never on speed.
. "$SRC/tests/lib.sh"
CLIENT=$SRC/tests/http/http_client.py
D=$WORK/var; mkdir -p "$D"
P=$(free_ports 1)
URL=http://127.0.0.1:$P

"$BIN/pipeline" --data-dir "$D" --poll-ms 20 --follow --http "127.0.0.1:$P" --sse-backlog-kib 48 \
  2>"$WORK/pipeline.log" &
pipe=$!; PIDS+=("$pipe")
wait_for 30 curl -sf "$URL/healthz" || fail "no answer on /healthz"
[ "$(curl -s "$URL/healthz")" = ok ] || fail "/healthz does not say ok"
# no reference database yet: not ready, and it says why
[ "$(curl -s -w ' %{http_code}' "$URL/readyz")" = '{"ready":false,"waiting_for":["reference"]} 503' ] ||
  fail "/readyz before the reference: $(curl -s "$URL/readyz")"
seed_sqlite "$WORK/seed.db" && mv "$WORK/seed.db" "$D/sidearm.db"
wait_for 30 curl -sf "$URL/readyz" || fail "/readyz did not become ready: $(curl -s "$URL/readyz")"
[ "$(curl -s "$URL/readyz")" = '{"ready":true}' ] || fail "/readyz body: $(curl -s "$URL/readyz")"
pass "healthz ok; readyz 503 waiting for the reference, 200 once it is loaded"

# SSE: one reader, 200 idle clients, one client that never reads; then the game is played
"$PYTHON" "$CLIENT" sse-crowd "$P" game-1 "$WORK/sse.json" "$WORK/sse.ready" 200 2>"$WORK/crowd.log" &
crowd=$!; PIDS+=("$crowd")
wait_for 60 test -e "$WORK/sse.ready" || fail "the SSE clients did not connect: $(cat "$WORK/crowd.log")"
DELAY=0.001 "$BIN/gamestream-sim" --target "file://$D/gamestream.txt" 2>"$WORK/sim.log" || fail "sim failed"
wait "$crowd" || fail "the SSE reader failed: $(cat "$WORK/crowd.log")"
wait_for 60 test -e "$D/boxscores/76.json" || fail "the sink did not get the final document"
"$PYTHON" - "$WORK/sse.json" "$D/boxscores" <<'PY' || fail "the SSE reader did not get every document in order"
import json, os, sys
events = json.load(open(sys.argv[1]))
sink = sorted(int(f[:-5]) for f in os.listdir(sys.argv[2]) if f.endswith(".json"))
ids = [e["id"] for e in events]
assert all(e["event"] == "boxscore" and e["_id"] == e["id"] for e in events), events[:3]
assert ids == sink, f"SSE ids {ids} != sink documents {sink}"
PY
grep -q "dropped an SSE client of game game-1" "$WORK/pipeline.log" || fail "the client that never reads was not dropped"
pass "SSE: the reader got all 77 documents in order beside 200 idle clients; the non-reader was dropped"

# /v1/games and /v1/games/{id} against what the directory sink wrote
curl -sf "$URL/v1/games" -o "$WORK/games.json" || fail "/v1/games failed"
curl -sf -D "$WORK/doc.h" "$URL/v1/games/game-1" -o "$WORK/doc.json" || fail "/v1/games/game-1 failed"
"$PYTHON" - "$WORK/games.json" "$WORK/doc.json" "$D/boxscores/76.json" <<'PY' || fail "the API differs from the sink"
import json, sys
games, api, sink = (json.load(open(p, encoding="utf-8")) for p in sys.argv[1:4])
assert api == sink, "GET /v1/games/game-1 is not the sink's newest document"
[g] = games["games"]
want = {"game": "game-1", "state": "final", "period": sink["period"], "timestamp": sink["timestamp"],
        "quarter_clock": sink["quarter_clock"],
        "event_id": sink["_id"], "updated_at": sink["updated_at"],
        "home": {k: sink["home"][k] for k in ("teamid", "name", "score")},
        "away": {k: sink["away"][k] for k in ("teamid", "name", "score")}}
assert g == want, f"{g} != {want}"
PY
# the ETag: the event id and the FNV-1a 64 of the document's bytes (the same event published
# again with other bytes, a stalled game say, must not be 304 to a client holding the old)
ETAG=$("$PYTHON" -c 'import sys
h = 14695981039346656037
for b in open(sys.argv[1], "rb").read():
    h = ((h ^ b) * 1099511628211) % (1 << 64)
print(f"\"76-{h:016x}\"")' "$WORK/doc.json")
tr -d '\r' <"$WORK/doc.h" | grep -qiF "etag: $ETAG" || fail "no ETag $ETAG: $(cat "$WORK/doc.h")"
tr -d '\r' <"$WORK/doc.h" | grep -qi '^content-type: application/json' || fail "not application/json"
tr -d '\r' <"$WORK/doc.h" | grep -qix 'x-content-type-options: nosniff' || fail "no X-Content-Type-Options: nosniff"
# serialised once: the API's bytes are the sink's bytes (the file adds a newline)
head -c -1 "$D/boxscores/76.json" | cmp -s - "$WORK/doc.json" || fail "GET /v1/games/game-1 is not byte-identical to 76.json"
# /metrics: valid exposition (promtool), and counting what this run did
curl -sf "$URL/metrics" -o "$WORK/metrics.txt" || fail "/metrics failed"
promtool check metrics <"$WORK/metrics.txt" || fail "promtool rejects /metrics"
grep -qx 'sidearm_events_applied_total 77' "$WORK/metrics.txt" || fail "/metrics: events applied is not 77 (ids 0-76)"
grep -qE '^sidearm_http_limit_hits_total\{limit="slow_client"\} [1-9]' "$WORK/metrics.txt" ||
  fail "/metrics: the dropped SSE client is not counted"
grep -qE '^sidearm_http_responses_total\{code="2xx"\} [1-9]' "$WORK/metrics.txt" || fail "/metrics: no 2xx responses counted"
[ "$(curl -s -o /dev/null -w '%{http_code}' -H "If-None-Match: $ETAG" "$URL/v1/games/game-1")" = 304 ] || fail "If-None-Match: no 304"
[ "$(curl -s -o /dev/null -w '%{http_code}' -H 'If-None-Match: "76"' "$URL/v1/games/game-1")" = 200 ] || fail "an ETag of the event id alone: no 200"
pass "/v1/games and /v1/games/game-1 match the sink's newest document; ETag and 304"

# a reconnect with Last-Event-ID gets the newest document at once
"$PYTHON" "$CLIENT" sse-first "$P" game-1 70 "$WORK/first.json" 2>>"$WORK/client.log" || fail "the reconnect failed"
"$PYTHON" - "$WORK/first.json" "$D/boxscores/76.json" <<'PY' || fail "the reconnect did not get the newest document"
import json, sys
ev, sink = json.load(open(sys.argv[1])), json.load(open(sys.argv[2]))
assert ev["id"] == "76" and ev["event"] == "boxscore" and json.loads(ev["data"]) == sink, ev.get("id")
PY
pass "a reconnect with Last-Event-ID gets the newest document at once"

# statuses
code() { curl -s -o /dev/null -w '%{http_code}' "$@"; }
for p in /nope /v1/games/nope /v1/games/nope/events /v1/games/game-1/nope /v1; do
  [ "$(code "$URL$p")" = 404 ] || fail "$p is not 404"
done
[ "$(code -X POST "$URL/healthz")" = 405 ] || fail "POST /healthz is not 405"
[ "$(code -X DELETE "$URL/v1/games")" = 405 ] || fail "DELETE /v1/games is not 405"
curl -s -o /dev/null -D "$WORK/allow.h" -X DELETE "$URL/v1/games"
tr -d '\r' <"$WORK/allow.h" | grep -qix 'allow: GET, HEAD, OPTIONS' || fail "405 on /v1/games does not say Allow: GET, HEAD, OPTIONS"
[ "$(code "$URL/minio/events")" = 405 ] || fail "GET /minio/events is not 405"
# the page's icon: no 404 in the browser's console
[ "$(curl -s -o "$WORK/icon" -w '%{http_code} %{content_type}' "$URL/favicon.ico")" = "200 image/svg+xml" ] \
  || fail "/favicon.ico is not 200 image/svg+xml"
cmp -s "$WORK/icon" "$SRC/pipeline/web/favicon.svg" || fail "/favicon.ico is not pipeline/web/favicon.svg"
# OPTIONS is 204 with Allow (no longer 405), on the read API and on /minio/events
curl -s -o /dev/null -D "$WORK/opt.h" -X OPTIONS "$URL/v1/games"
tr -d '\r' <"$WORK/opt.h" | head -1 | grep -q ' 204' || fail "OPTIONS /v1/games is not 204: $(cat "$WORK/opt.h")"
tr -d '\r' <"$WORK/opt.h" | grep -qix 'allow: GET, HEAD, OPTIONS' || fail "OPTIONS /v1/games does not say Allow: GET, HEAD, OPTIONS"
[ "$(code -X OPTIONS "$URL/minio/events")" = 204 ] || fail "OPTIONS /minio/events is not 204"
head -c $((2 * 1024 * 1024)) /dev/zero | tr '\0' x >"$WORK/big.bin"
[ "$(code -X POST --data-binary "@$WORK/big.bin" "$URL/minio/events")" = 413 ] || fail "a 2 MiB POST is not 413"
[ "$(code -X POST -H 'Transfer-Encoding: chunked' --data-binary "@$WORK/big.bin" "$URL/minio/events")" = 411 ] ||
  fail "a chunked POST is not 411 (chunked bodies are not read)"
[ "$(code "$URL/healthz")" = 200 ] || fail "the server stopped answering after the 413s"
# HEAD: the GET's status and headers (its Content-Length and ETag), no body; the same connection goes on
curl -s -I "$URL/v1/games/game-1" -o "$WORK/head.h" -w '%{http_code} %{size_download}\n' >"$WORK/head.out" ||
  fail "HEAD /v1/games/game-1 failed"
[ "$(cat "$WORK/head.out")" = "200 0" ] || fail "HEAD /v1/games/game-1: $(cat "$WORK/head.out"), not 200 without a body"
tr -d '\r' <"$WORK/head.h" | grep -qix "content-length: $(stat -c %s "$WORK/doc.json")" ||
  fail "HEAD /v1/games/game-1: Content-Length is not the GET's body length"
tr -d '\r' <"$WORK/head.h" | grep -qixF "etag: $ETAG" || fail "HEAD /v1/games/game-1: no ETag $ETAG"
for p in / /healthz /readyz /metrics /openapi.json /v1/games /v1/games/game-1/events; do
  [ "$(curl -s -I -o /dev/null -w '%{http_code} %{size_download}' "$URL$p")" = "200 0" ] || fail "HEAD $p is not 200 without a body"
done
[ "$(curl -s -I -o /dev/null -w '%{http_code}' "$URL/v1/games/nope")" = 404 ] || fail "HEAD of an unknown game is not 404"
curl -s -o /dev/null -w '%{http_code}\n' -I "$URL/healthz" --next -o /dev/null -w '%{http_code}\n' "$URL/healthz" \
  >"$WORK/keep.out" || fail "a GET after a HEAD on one connection failed"
[ "$(tr '\n' ' ' <"$WORK/keep.out")" = "200 200 " ] || fail "a GET after a HEAD on one connection: $(cat "$WORK/keep.out")"
pass "404 for unknown paths and games, 405 for wrong methods, 413 for a 2 MiB body, 411 for a chunked one, HEAD as GET without a body"

# OpenAPI: parses, names every path served, and documents each real answer's status
curl -sf "$URL/openapi.json" -o "$WORK/openapi.json" || fail "/openapi.json failed"
n_probe=0
probe() { # DOC_PATH METHOD URL_PATH [CURL ARGS]: "DOC_PATH METHOD STATUS BODY_FILE CONTENT_TYPE"
  local path=$1 method=$2 url=$3 body; shift 3
  n_probe=$((n_probe + 1)); body=$WORK/probe.$n_probe
  echo "$path $method $(curl -s -o "$body" -w '%{http_code}' -X "$method" --max-time 5 "$@" "$URL$url") $body" \
    "$(curl -s -o /dev/null -w '%{content_type}' -X "$method" --max-time 5 "$@" "$URL$url")"
}
{
  probe / GET /
  probe /healthz GET /healthz
  probe /readyz GET /readyz
  probe /metrics GET /metrics
  probe /openapi.json GET /openapi.json
  probe /favicon.ico GET /favicon.ico
  probe /v1/games GET /v1/games
  probe '/v1/games/{id}' GET /v1/games/game-1
  probe '/v1/games/{id}' GET /v1/games/nope
  probe '/v1/games/{id}' GET /v1/games/game-1 -H "If-None-Match: $ETAG"
  probe '/v1/games/{id}/events' GET /v1/games/nope/events
  probe /minio/events POST /minio/events -d '{}' -H 'Content-Type: application/json'
  probe /minio/events POST /minio/events --data-binary "@$WORK/big.bin"
  for p in / /favicon.ico /healthz /readyz /metrics /openapi.json /v1/games /minio/events; do probe "$p" OPTIONS "$p"; done
  probe '/v1/games/{id}' OPTIONS /v1/games/game-1
  probe '/v1/games/{id}/events' OPTIONS /v1/games/game-1/events
  probe /minio/events POST /minio/events -d 'not json' -H 'Content-Type: application/json'
  probe /v1/games DELETE /v1/games
  probe /minio/events GET /minio/events
} >"$WORK/probes.txt"
# an SSE stream never ends: its status is read from its first bytes
echo "/v1/games/{id}/events GET $(curl -s -o /dev/null -w '%{http_code} - %{content_type}' --max-time 2 "$URL/v1/games/game-1/events" || true)" \
  >>"$WORK/probes.txt"
"$PYTHON" "$SRC/tests/http/check_openapi.py" "$WORK/openapi.json" "$WORK/probes.txt" ||
  fail "openapi.json does not describe the real answers"
pass "openapi.json is OpenAPI 3.1, documents every path and status seen, and every JSON body validates against it"

# the README's metric table against what /metrics emits
curl -sf "$URL/metrics" -o "$WORK/metrics.txt" || fail "/metrics failed"
"$PYTHON" "$SRC/tests/http/check_readme_metrics.py" "$SRC/README.md" "$WORK/metrics.txt" \
  sidearm_http_limit_hits_total:limit sidearm_games:state sidearm_local_shortages_total:resource || fail "the README's metric table is not what /metrics emits"
pass "every metric and label value the README lists is emitted, and every sidearm_* family emitted is in the README"

# SIGTERM with an SSE stream, an idle keep-alive connection and a half-sent request open:
# each is closed, the loop closes cleanly (no leak under ASan) and the exit is 0
"$PYTHON" "$CLIENT" hold "$P" game-1 "$WORK/hold.ready" >"$WORK/hold.out" 2>"$WORK/hold.log" &
hold=$!; PIDS+=("$hold")
wait_for 30 test -e "$WORK/hold.ready" || fail "could not open the connections to hold: $(cat "$WORK/hold.log")"
kill -TERM "$pipe"
wait "$pipe" || fail "pipeline exited $? after SIGTERM with connections open"
wait "$hold" || fail "the held connections: $(cat "$WORK/hold.log")"
[ "$(cat "$WORK/hold.out")" = eof ] || fail "the held connections were not all closed"
grep -q "handles open at exit" "$WORK/pipeline.log" && fail "the loop did not close cleanly"
pass "SIGTERM with an SSE stream, a keep-alive and a half-sent request open: all closed, clean exit 0"

# limits: a header sent one byte a second is cut at --http-header-timeout-s; a 5th
# connection over --http-max-conns 4 is closed at once, and the server still serves
"$BIN/pipeline" --data-dir "$D" --poll-ms 20 --follow --http "127.0.0.1:$P" --http-max-conns 4 \
  --http-header-timeout-s 2 --http-max-sse 1 --http-max-header-bytes 2048 2>"$WORK/limits.log" &
pipe=$!; PIDS+=("$pipe")
wait_for 30 curl -sf "$URL/healthz" || fail "no answer on /healthz (limits)"
secs=$("$PYTHON" "$CLIENT" slowloris "$P" 2>>"$WORK/client.log") || fail "slowloris: not cut off"
"$PYTHON" -c "import sys; sys.exit(0 if float(sys.argv[1]) >= 2 else 1)" "$secs" ||
  fail "a slow header was cut after $secs s, before --http-header-timeout-s 2"
pass "a header sent one byte a second is cut off after $secs s (--http-header-timeout-s 2)"
[ "$("$PYTHON" "$CLIENT" conn-limit "$P" 4 2>>"$WORK/client.log")" = closed ] || fail "a 5th connection over --http-max-conns 4 was not closed"
wait_for 30 curl -sf "$URL/healthz" || fail "no answer after the connection limit"
grep -q "refused a connection: 4 open (--http-max-conns 4)" "$WORK/limits.log" || fail "the connection limit was not logged"
grep -q "sent no whole request" "$WORK/limits.log" || fail "the header timeout was not logged"
pass "the 5th connection over --http-max-conns 4 is closed; the server serves again once they are gone"
[ "$("$PYTHON" "$CLIENT" sse-two "$P" game-1 2>>"$WORK/client.log")" = 503 ] || fail "a 2nd SSE stream over --http-max-sse 1 is not 503"
big=$(head -c 3000 /dev/zero | tr '\0' a)
[ "$(code -H "X-Big: $big" "$URL/healthz")" = 000 ] || fail "a 3000-byte header over --http-max-header-bytes 2048 was served"
[ "$(code -H "X-Small: abc" "$URL/healthz")" = 200 ] || fail "no answer after the oversized header"
for _ in $(seq 40); do code -H "X-Big: $big" "$URL/healthz" >/dev/null || true; done # libwebsockets says each: 5 a 10 s shown
lws_lines=$(log_count "http (libwebsockets): " "$WORK/limits.log")
[ "$lws_lines" -le 6 ] || fail "41 oversized headers made $lws_lines libwebsockets log lines, not at most 6"
grep -q "refused an SSE client: 1 streams open (--http-max-sse 1)" "$WORK/limits.log" || fail "the SSE limit was not logged"
kill -TERM "$pipe"; wait "$pipe" || fail "pipeline exited $? (limits)"
pass "a 2nd SSE stream over --http-max-sse 1 gets 503; a header block over --http-max-header-bytes closes the connection"

# --http-max-sse-per-peer: one address cannot take every stream; another address still gets one
"$BIN/pipeline" --data-dir "$D" --poll-ms 20 --follow --http "127.0.0.1:$P" --http-max-sse-per-peer 1 \
  2>"$WORK/peers.log" &
pipe=$!; PIDS+=("$pipe")
wait_for 30 curl -sf "$URL/healthz" || fail "no answer on /healthz (per peer)"
got=$("$PYTHON" "$CLIENT" sse-peers "$P" game-1 2>>"$WORK/client.log") || fail "sse-peers failed: $(tail -n 3 "$WORK/client.log")"
[ "$got" = "503 200" ] || fail "with --http-max-sse-per-peer 1, a 2nd stream from one address and one from another got $got, not 503 200"
grep -q "refused an SSE client: 1 streams open from 127.0.0.1 (--http-max-sse-per-peer 1)" "$WORK/peers.log" ||
  fail "the per-peer SSE limit was not logged"
kill -TERM "$pipe"; wait "$pipe" || fail "pipeline exited $? (per peer)"
pass "--http-max-sse-per-peer 1: a 2nd stream from one address gets 503, one from another address 200"

# stream requests with a body, or with bytes after them (a hostile probe: each held a header
# buffer in CLOSE-WAIT for good once its client closed; 264 of them, --http-max-conns + 8,
# took the whole server down until restart): 400 for a body; bytes after one are let go with their client;
# with --http-max-conns 8, 5 rounds of 6 of each at once, nothing left open
"$BIN/pipeline" --data-dir "$D" --poll-ms 20 --follow --http "127.0.0.1:$P" --http-max-conns 8 \
  2>"$WORK/junk.log" &
pipe=$!; PIDS+=("$pipe")
wait_for 30 curl -sf "$URL/healthz" || fail "no answer on /healthz (stream requests with bytes after them)"
for round in 1 2 3 4 5; do # 6 at once, under the limit: a stuck one takes a slot for good
  got=$("$PYTHON" "$CLIENT" sse-junk "$P" game-1 6 body 2>>"$WORK/client.log") || fail "sse-junk body failed"
  [ "$got" = "6 0 6" ] || fail "round $round, 6 stream requests with a body: $got (400s, 200s, closed by the server), not 6 0 6"
done
for round in 1 2 3 4 5; do # served or closed, each must be let go when its client closes
  "$PYTHON" "$CLIENT" sse-junk "$P" game-1 6 pipelined >/dev/null 2>>"$WORK/client.log" || fail "sse-junk pipelined failed"
done
wait_for 10 curl -sf "$URL/healthz" || fail "no answer on /healthz after 60 stream requests with bytes after them"
settled() {
  curl -s "$URL/metrics" >"$WORK/junk-metrics.txt" &&
    grep -qx 'sidearm_sse_clients 0' "$WORK/junk-metrics.txt" && grep -qx 'sidearm_http_connections 1' "$WORK/junk-metrics.txt"
}
wait_for 10 settled || fail "connections left open after the stream requests: $(grep -E '^sidearm_(sse_clients|http_connections) ' "$WORK/junk-metrics.txt")"
[ "$(ss -Htn state close-wait "( sport = :$P )" | wc -l)" = 0 ] || fail "connections in CLOSE-WAIT on $P: $(ss -Htn state close-wait "( sport = :$P )" | head -n 3)"
kill -TERM "$pipe"; wait "$pipe" || fail "pipeline exited $? (stream requests with bytes after them)"
pass "stream requests with a body get 400, those with bytes after them are let go, 30 of each over --http-max-conns 8; none left open, /healthz answers"

# every game under a prefix: /v1/games lists them (followed or, once final, retired) and
# each game's document is its sink's newest
G=$WORK/games
"$BIN/gamestream-sim" --games 3 --random 7 --delay 0 --stagger 0 --target "file://$G/" \
  --reset-reference "sqlite://$WORK/ref.db" 2>"$WORK/sim3.log" || fail "gamestream-sim --games 3 failed"
"$BIN/pipeline" --source "file://$G/" --reference "sqlite://$WORK/ref.db" --results "sqlite://$WORK/ref.db" \
  --boxscores "file://$WORK/box3" --poll-ms 50 --http "127.0.0.1:$P" 2>"$WORK/prefix.log" &
pipe=$!; PIDS+=("$pipe")
all_final() {
  curl -sf "$URL/v1/games" -o "$WORK/games3.json" &&
    "$PYTHON" -c 'import json,sys; g=json.load(open(sys.argv[1]))["games"]; sys.exit(not (len(g) == 3 and all(x["state"] == "final" for x in g)))' "$WORK/games3.json"
}
wait_for 60 all_final || fail "/v1/games does not show 3 final games: $(cat "$WORK/games3.json")"
for id in game-001 game-002 game-003; do
  last=$("$PYTHON" -c 'import json,sys; print([g["event_id"] for g in json.load(open(sys.argv[1]))["games"] if g["game"] == sys.argv[2]][0])' "$WORK/games3.json" "$id").json
  wait_for 30 test -e "$WORK/box3/$id/$last" || fail "$id: the sink did not get document $last"
  curl -sf "$URL/v1/games/$id" -o "$WORK/$id.json" || fail "GET /v1/games/$id failed"
  "$PYTHON" - "$WORK/games3.json" "$WORK/$id.json" "$WORK/box3/$id/$last" "$id" <<'PY' || fail "$id: the API differs from its sink"
import json, sys
games, api, sink = (json.load(open(p, encoding="utf-8")) for p in sys.argv[1:4])
assert api == sink, "the document is not the sink's newest"
[g] = [x for x in games["games"] if x["game"] == sys.argv[4]]
assert (g["home"]["score"], g["away"]["score"], g["event_id"]) == (sink["home"]["score"], sink["away"]["score"], sink["event_id"]), g
PY
done
kill -TERM "$pipe"; wait "$pipe" || fail "pipeline under a prefix exited $?"
pass "under a prefix: /v1/games lists the 3 games, each document is its sink's newest"

# --http off: nothing listens; a port in use: a clear configuration error (exit 2)
"$BIN/pipeline" --data-dir "$D" --follow --http off 2>"$WORK/off.log" &
pipe=$!; PIDS+=("$pipe")
wait_for 30 grep -q "source file://" "$WORK/off.log" || fail "pipeline --http off did not start"
sleep 0.5
"$PYTHON" "$CLIENT" listening "$pipe" && fail "--http off: the pipeline listens on a socket"
grep -q "HTTP API" "$WORK/off.log" && fail "--http off: a server was started"
kill -TERM "$pipe"; wait "$pipe" || fail "pipeline --http off exited $?"
"$PYTHON" -c '
import socket, sys, time
s = socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1); s.bind(("127.0.0.1", int(sys.argv[1]))); s.listen(1)
open(sys.argv[2], "w").close(); time.sleep(60)' "$P" "$WORK/busy" &
busy=$!; PIDS+=("$busy")
wait_for 10 test -e "$WORK/busy" || fail "could not hold the port"
rc=0; "$BIN/pipeline" --data-dir "$D" --once --http "127.0.0.1:$P" 2>"$WORK/busy.log" || rc=$?
[ $rc = 2 ] || fail "a port in use: exit $rc, not 2"
grep -q "cannot listen for HTTP on 127.0.0.1:$P: Address already in use" "$WORK/busy.log" ||
  fail "a port in use is not named: $(cat "$WORK/busy.log")"
pass "--http off serves nothing; a port in use fails with exit 2 naming the address"
