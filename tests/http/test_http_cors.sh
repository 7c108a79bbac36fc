#!/usr/bin/env bash
# CORS on the read API (issue 18, item 6), with curl: without --cors-origins no CORS header
# and OPTIONS is 204 with Allow (no longer 405); with it, a listed origin gets
# Access-Control-Allow-Origin on every GET/HEAD answer (errors and the SSE stream included)
# and the preflight's answer on OPTIONS, any other origin nothing; Vary: Origin; "*";
# the default port of an origin; a malformed origin is a configuration error naming it.
. "$SRC/tests/lib.sh"
D=$WORK/var; mkdir -p "$D"
seed_sqlite "$D/sidearm.db"
cp "$SRC/sql/data/game.txt" "$D/gamestream.txt"
P=$(free_ports 1)
URL=http://127.0.0.1:$P
GOOD=http://127.0.0.1:4100
BAD=http://127.0.0.1:4101

# serve ARGS...: the pipeline on $P over the sample game (played to its final at once)
serve() {
  "$BIN/pipeline" --data-dir "$D" --poll-ms 20 --follow --http "127.0.0.1:$P" "$@" 2>>"$WORK/pipeline.log" &
  pipe=$!; PIDS+=("$pipe")
  wait_for 30 curl -sf "$URL/v1/games/game-1" || fail "the pipeline does not serve game-1 on $P"
}
stop() { kill -TERM "$pipe"; wait "$pipe" || fail "pipeline exited $? after SIGTERM"; }
# headers NAME CURL-ARGS...: the answer's status line and headers, lower case, without CR, in $WORK/NAME.h
headers() {
  local name=$1; shift
  curl -s -o /dev/null -D - --max-time 2 "$@" | tr -d '\r' | tr '[:upper:]' '[:lower:]' >"$WORK/$name.h" || true
}
has() { grep -qx "$2" "$WORK/$1.h" || fail "$1: no '$2' in: $(cat "$WORK/$1.h")"; }
hasnt() { grep -q "$2" "$WORK/$1.h" && fail "$1: '$2' in: $(cat "$WORK/$1.h")"; return 0; }

serve
headers default-get -H "Origin: $GOOD" "$URL/v1/games"
has default-get 'http/1.1 200 ok'
hasnt default-get '^access-control-'
hasnt default-get '^vary:'
headers default-options -X OPTIONS -H "Origin: $GOOD" -H 'Access-Control-Request-Method: GET' "$URL/v1/games"
has default-options 'http/1.1 204 *'
has default-options 'allow: get, head, options'
hasnt default-options '^access-control-'
hasnt default-options '^content-length:'
stop
pass "without --cors-origins: no CORS header; OPTIONS is 204 with Allow, not 405"

serve --cors-origins "$GOOD, https://Scores.Example.org:443"
for path in /v1/games /v1/games/game-1 /v1/games/nope /openapi.json /; do
  headers get -H "Origin: $GOOD" "$URL$path"
  has get "access-control-allow-origin: $GOOD"
  has get 'vary: origin'
  has get 'access-control-expose-headers: etag'
  headers head -I -H "Origin: $GOOD" "$URL$path"
  has head "access-control-allow-origin: $GOOD"
  headers other -H "Origin: $BAD" "$URL$path"
  hasnt other '^access-control-'
  has other 'vary: origin'
  headers none "$URL$path"
  hasnt none '^access-control-'
done
# the event stream: its headers carry the origin too (curl stops it after 2 s)
headers sse -H "Origin: $GOOD" "$URL/v1/games/game-1/events"
has sse 'http/1.1 200 ok'
has sse 'content-type: text/event-stream'
has sse "access-control-allow-origin: $GOOD"
headers sse-bad -H "Origin: $BAD" "$URL/v1/games/game-1/events"
hasnt sse-bad '^access-control-'
# an origin given with upper case and its default port is the one browsers send
headers case -H 'Origin: https://scores.example.org' "$URL/v1/games"
has case 'access-control-allow-origin: https://scores.example.org'
pass "a listed origin gets Access-Control-Allow-Origin on GET, HEAD, errors and the SSE stream; others none; Vary: Origin"

headers pre -X OPTIONS -H "Origin: $GOOD" -H 'Access-Control-Request-Method: GET' \
  -H 'Access-Control-Request-Headers: if-none-match' "$URL/v1/games/game-1"
has pre 'http/1.1 204 *'
has pre "access-control-allow-origin: $GOOD"
has pre 'access-control-allow-methods: get, head'
grep -q '^access-control-allow-headers:.*if-none-match' "$WORK/pre.h" || fail "the preflight does not allow If-None-Match: $(cat "$WORK/pre.h")"
grep -q '^access-control-allow-headers:.*last-event-id' "$WORK/pre.h" || fail "the preflight does not allow Last-Event-ID"
has pre 'access-control-max-age: 600'
has pre 'vary: origin'
has pre 'allow: get, head, options'
hasnt pre '^content-length:'
headers pre-bad -X OPTIONS -H "Origin: $BAD" -H 'Access-Control-Request-Method: GET' "$URL/v1/games"
has pre-bad 'http/1.1 204 *'
hasnt pre-bad '^access-control-'
headers pre-minio -X OPTIONS -H "Origin: $GOOD" -H 'Access-Control-Request-Method: POST' "$URL/minio/events"
has pre-minio 'allow: post, options'
hasnt pre-minio '^access-control-'
[ "$(curl -s -o /dev/null -w '%{http_code}' -X OPTIONS -H "Origin: $GOOD" "$URL/nope")" = 404 ] || fail "OPTIONS /nope is not 404"
# a preflight and a GET on one keep-alive connection: the 204 without a body ends its transaction
curl -s -o /dev/null -w '%{http_code}\n' -X OPTIONS -H "Origin: $GOOD" "$URL/v1/games" --next \
  -o /dev/null -w '%{http_code}\n' -H "Origin: $GOOD" "$URL/v1/games" >"$WORK/keep.out" || fail "OPTIONS then GET failed"
[ "$(tr '\n' ' ' <"$WORK/keep.out")" = "204 200 " ] || fail "OPTIONS then GET on one connection: $(cat "$WORK/keep.out")"
stop
pass "OPTIONS: the preflight's answer for a listed origin (methods, headers, max-age), Allow only for others"

serve --cors-origins '*'
headers any -H "Origin: $BAD" "$URL/v1/games"
has any 'access-control-allow-origin: \*'
hasnt any '^vary:'
stop
CORS_ORIGINS="$GOOD" serve
headers env -H "Origin: $GOOD" "$URL/v1/games"
has env "access-control-allow-origin: $GOOD"
stop
pass "--cors-origins '*' lets any origin read (no Vary); CORS_ORIGINS sets it too"

for bad in 'ftp://a.example' 'https://a.example/' 'https://a.example/x' 'a.example' 'https://a.example:99999' 'https://'; do
  rc=0; "$BIN/pipeline" --data-dir "$D" --once --http "127.0.0.1:$P" --cors-origins "$bad" 2>"$WORK/bad.log" || rc=$?
  [ $rc = 2 ] || fail "--cors-origins '$bad': exit $rc, not 2"
  grep -qF -- "--cors-origins: '$bad' is not an origin" "$WORK/bad.log" || fail "--cors-origins '$bad': $(cat "$WORK/bad.log")"
done
pass "a malformed origin is a configuration error naming it (exit 2)"
