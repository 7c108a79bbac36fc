#!/usr/bin/env bash
# Issue 16: box scores to MongoDB (the stand-in) and the bucket (Swift s3api) at once, each
# sink on its own. Read back over the wire: MongoDB through mongo_dump, the bucket through
# the Swift API, every request to the bucket counted by a relay (tests/tools/count_proxy.py).
#  1. 20 random games, live: every game's documents in MongoDB are the independent model's
#     at every event; its latest.json equals MongoDB's newest document and the model's final;
#     index.json lists every game with its final score; /metrics and /readyz name each sink.
#     Mid-game the Swift proxy is killed and brought back: MongoDB keeps getting documents
#     (it never waits for the bucket) and /readyz names the bucket's sink; then MongoDB is
#     stopped and started again while the bucket keeps getting documents. Both end complete.
#     PUTs of a game's latest.json stay within its events + 3 (coalescing).
#  2. The bucket refused for good (a wrong secret): MongoDB gets every final, the exit
#     status is 1, and the message names the bucket's sink; a game whose bucket request
#     was still out when the sink was given up settles too (--once ends).
. "$SRC/tests/lib.sh"
N=20
start_s3; start_mongo; server_env
swift_auth
curl -sf -o /dev/null -X PUT -H "X-Auth-Token: $SWIFT_TOKEN" "$SWIFT_URL/boxscores" || fail "no bucket boxscores"
D=$WORK/var; G=$WORK/games; mkdir -p "$D" "$G"
seed_sqlite "$D/sidearm.db"
PORTS=$(free_ports 3); RELAY=$PORTS HTTP=$((PORTS + 1))
"$PYTHON" "$SRC/tests/tools/count_proxy.py" "$RELAY" "$S3_PORT" "$WORK/requests.log" 2>"$WORK/relay.log" &
PIDS+=($!)
wait_for 10 port_open "$RELAY" || fail "the counting relay did not start"
export S3_ENDPOINT=127.0.0.1:$RELAY

DELAY=0.012 "$BIN/gamestream-sim" --games $N --random 4200 --stagger 0.3 --target "file://$G/" \
  --reset-reference "sqlite://$D/sidearm.db" 2>"$WORK/sim.log" &
SIM=$!; PIDS+=("$SIM")
"$BIN/pipeline" --source "file://$G/" --reference "sqlite://$D/sidearm.db" --results "sqlite://$D/sidearm.db" \
  --boxscores "$MONGO_URI" --boxscores "s3://boxscores/day/" --index-interval-ms 1000 --poll-ms 100 \
  --backoff-max-ms 500 --http "127.0.0.1:$HTTP" 2>"$WORK/pipeline.log" &
PIPE=$!; PIDS+=("$PIPE")

mongo_count() { mongo_docs boxscores | wc -l; }
# newest_of GAME: the event_id of the game's latest.json in the bucket (0 when none; the
# GET's HTTP status in $WORK/last-get). On a 401 that GET is made again with a new token
# (it runs in $(...): the token is not kept): Swift's tempauth checks tokens in memcached.
newest_of() {
  local code try
  for try in 1 2; do
    code=$(curl -s -m 10 -o "$WORK/newest.json" -w '%{http_code}' -H "X-Auth-Token: $SWIFT_TOKEN" \
      "$SWIFT_URL/boxscores/day/$1/latest.json" 2>/dev/null) || code=000
    [ "$code" = 401 ] && [ $try = 1 ] && swift_auth_try && continue
    break
  done
  echo "GET $1/latest.json: HTTP $code" >"$WORK/last-get"
  [ "$code" = 200 ] && "$PYTHON" -c 'import json,sys; print(json.load(open(sys.argv[1]))["event_id"])' \
    "$WORK/newest.json" 2>/dev/null || echo 0
}
grows() { [ "$(mongo_count)" -gt "$1" ]; }
newer_than() { [ "$(newest_of "$1")" -gt "$2" ]; }

wait_for 30 newer_than game-001 0 || fail "no latest.json for game-001: $(tail -n 3 "$WORK/pipeline.log")"
curl -sf "http://127.0.0.1:$HTTP/metrics" >"$WORK/metrics.txt" || fail "no /metrics"
for s in boxscores-mongodb boxscores-s3 results; do
  grep -q "^sidearm_sink_writes_done_total{sink=\"$s\"}" "$WORK/metrics.txt" || fail "/metrics has no writes of sink $s"
done

# the bucket down: MongoDB goes on, /readyz names the bucket's sink
kill_s3_proxy
before=$(mongo_count)
wait_for 20 grows $((before + 40)) || fail "MongoDB got no documents while the bucket was down (it waited): $before"
body=$(curl -s "http://127.0.0.1:$HTTP/readyz")
grep -q 'boxscores sink boxscores-s3' <<<"$body" || fail "/readyz does not name the bucket's sink: $body"
grep -q 'boxscores-mongodb' <<<"$body" && fail "/readyz names MongoDB's sink, which is up: $body"
start_s3_proxy
pass "the bucket down: MongoDB went from $before to $(mongo_count) documents, /readyz named boxscores-s3"

# MongoDB down: the bucket goes on
stop_server "$MONGO_PID"; forget_pid "$MONGO_PID"
seen=$(newest_of game-002)
wait_for 20 newer_than game-002 $((seen + 5)) \
  || fail "the bucket got no newer document while MongoDB was down (it waited): game-002 at $seen"
pass "MongoDB down: game-002's latest.json went from event $seen to $(newest_of game-002)"
start_mongo "$MONGO_PORT"

wait_for 300 gone "$SIM" || fail "gamestream-sim did not end within 300 s: $(tail -n 2 "$WORK/sim.log")"
wait "$SIM" || fail "gamestream-sim exited $?"
all_final() {
  local d g last have
  for d in "$G"/game-*; do
    g=$(basename "$d"); last=$(tail -n 1 "$d/gamestream.txt" | cut -d' ' -f1)
    have=$(newest_of "$g")
    [ "$have" = "$last" ] || {
      echo "$g: latest.json at event $have ($(cat "$WORK/last-get")), its stream ends at $last" >"$WORK/lagging"
      return 1
    }
  done
  [ "$(log_count ": final and written" "$WORK/pipeline.log")" -ge $N ]
}
if ! wait_for 90 all_final; then
  tail -n 20 "$S3_DIR/run/proxy.log" >"$WORK/swift-proxy-tail.log" 2>&1 || true
  fail "not every game's final reached both sinks: $(grep -c ': final and written' "$WORK/pipeline.log") retired; $(cat "$WORK/lagging" 2>/dev/null)"
fi
sleep 1.5 # one more --index-interval-ms
kill -TERM "$PIPE"
wait_for 30 gone "$PIPE" || fail "SIGTERM did not stop the pipeline within 30 s"
rc=0; wait "$PIPE" || rc=$?
[ $rc = 0 ] || fail "the pipeline exited $rc: $(grep -m 3 -E 'error|gave up' "$WORK/pipeline.log")"

# every game: MongoDB's documents the model's at every event; latest.json = MongoDB's newest = the model's final
swift_get "boxscores/day/index.json" "$WORK/index.json"
for d in "$G"/game-*; do
  g=$(basename "$d")
  read -r home away < <("$PYTHON" -c 'import json,sys; m=json.load(open(sys.argv[1])); print(m["home"], m["away"])' "$d/game.json")
  mongo_docs boxscores "{\"game\": \"$g\"}" >"$WORK/$g.jsonl"
  swift_get "boxscores/day/$g/latest.json" "$WORK/$g-latest.json"
  "$PYTHON" - "$WORK/$g.jsonl" "$WORK/docs/$g" "$WORK/$g-latest.json" "$WORK/index.json" "$g" <<'PY' \
    || fail "$g: the bucket and MongoDB disagree (above)"
import json, os, sys
src, out, latest, index, game = sys.argv[1:6]
os.makedirs(out)
docs = {}
for line in open(src, encoding="utf-8"):
    d = json.loads(line)
    d["_id"] = d["event_id"]
    docs[d["event_id"]] = d
    json.dump(d, open(f"{out}/{d['event_id']}.json", "w", encoding="utf-8"))
newest = docs[max(docs)]
bucket = json.load(open(latest, encoding="utf-8"))
bucket["_id"] = bucket["event_id"]
assert bucket == newest, f"latest.json differs from MongoDB's newest in {sorted(k for k in bucket if bucket[k] != newest.get(k))}"
line = [e for e in json.load(open(index, encoding="utf-8"))["games"] if e["game"] == game]
assert len(line) == 1, f"index.json lists {game} {len(line)} times"
e = line[0]
want = ("final", newest["home"]["score"], newest["away"]["score"], newest["event_id"])
assert (e["state"], e["home"]["score"], e["away"]["score"], e["event_id"]) == want, f"index.json: {e}, want {want}"
PY
  oracle --events "$d/gamestream.txt" --reference "$D/sidearm.db" --home "$home" --away "$away" \
    --docs-dir "$WORK/docs/$g" >/dev/null || fail "$g: a document in MongoDB is not the model's after its event"
  oracle --events "$d/gamestream.txt" --reference "$D/sidearm.db" --home "$home" --away "$away" \
    --doc "$WORK/$g-latest.json" >/dev/null || fail "$g: latest.json is not the model's final"
  # requests for the game's latest.json: at most its events + 3 (retries after the outage included)
  events=$(wc -l <"$d/gamestream.txt")
  puts=$(grep -c " PUT /boxscores/day/$g/latest.json$" "$WORK/requests.log" || true)
  [ "$puts" -le $((events + 3)) ] || fail "$g: $puts PUTs of latest.json for $events events"
  echo "$g: $events events, $puts PUTs of latest.json, $(wc -l <"$WORK/$g.jsonl") documents in MongoDB"
done
[ "$("$PYTHON" -c 'import json,sys; print(len(json.load(open(sys.argv[1]))["games"]))' "$WORK/index.json")" = $N ] \
  || fail "index.json does not list the $N games"
pass "$N games to MongoDB and the bucket at once, through an outage of each: every document in MongoDB the model's, latest.json = MongoDB's newest = the model's final, index.json lists every final, PUTs per game within events + 3"

# 2. the bucket refused for good: MongoDB drains, exit 1, the sink named
G2=$WORK/games2; mkdir -p "$G2"
"$BIN/gamestream-sim" --games 3 --random 4300 --delay 0 --stagger 0 --target "file://$G2/" 2>>"$WORK/sim.log" \
  || fail "gamestream-sim --games 3 failed"
# every game's requests to the bucket are held (a relay) until game-001's and game-002's are
# both out; then game-001's (and the others') go: their refusal gives the sink up while
# game-002's is still out, and that one goes only once MongoDB has game-002's final. Its
# own refusal then comes back to a sink given up already (a CI run never ended this way:
# the write it held stayed queued)
HOLD_PORT=$(free_ports 1); touch "$WORK/held.log.hold" "$WORK/held.log.hold.1"
"$PYTHON" "$SRC/tests/tools/count_proxy.py" "$HOLD_PORT" "$S3_PORT" "$WORK/held.log" /refused/game-002/,/refused/ \
  2>>"$WORK/relay.log" &
PIDS+=($!)
wait_for 10 port_open "$HOLD_PORT" || fail "the holding relay did not start"
rc=0
S3_ENDPOINT=127.0.0.1:$HOLD_PORT S3_SECRET_KEY=wrong-secret timeout 300 "$BIN/pipeline" --source "file://$G2/" \
  --reference "sqlite://$D/sidearm.db" --results "sqlite://$D/sidearm.db" \
  --boxscores "mongodb://mongo@127.0.0.1:$MONGO_PORT/sidearm.refused" \
  --boxscores "s3://boxscores/refused/" --once --http off 2>"$WORK/refused.log" &
REFUSED=$!
both_out() { grep -q "/refused/game-001/" "$WORK/held.log" && grep -q "/refused/game-002/" "$WORK/held.log"; }
wait_for 60 both_out || fail "game-001's and game-002's requests to the bucket were not both out: $(cat "$WORK/held.log")"
rm -f "$WORK/held.log.hold.1"
wait_for 60 grep -q "gave up on box-score sink" "$WORK/refused.log" \
  || fail "the bucket's sink was not given up: $(tail -n 3 "$WORK/refused.log")"
game2_final() { [ "$(mongo_docs refused '{"game": "game-002"}' | wc -l)" -ge 1 ]; }
wait_for 60 game2_final || fail "no document of game-002 in MongoDB while its bucket request was held"
rm -f "$WORK/held.log.hold"
wait "$REFUSED" || rc=$?
[ $rc != 124 ] || fail "with the bucket refusing, --once did not end within 300 s: $(tail -n 3 "$WORK/refused.log")"
[ $rc = 1 ] || fail "with the bucket refusing, the exit status was $rc, not 1"
grep -q "gave up on box-score sink s3://boxscores/refused/.*boxscores-s3" "$WORK/refused.log" \
  || fail "the message does not name the bucket's sink: $(grep -m 2 -E 'gave up|error' "$WORK/refused.log")"
# --once reads each finished stream whole: one document per game, its final
for d in "$G2"/game-*; do
  g=$(basename "$d"); last=$(tail -n 1 "$d/gamestream.txt" | cut -d' ' -f1)
  got=$(mongo_docs refused "{\"game\": \"$g\"}" | "$PYTHON" -c 'import json,sys; print(max([json.loads(l)["event_id"] for l in sys.stdin] or [0]))')
  [ "$got" = "$last" ] || fail "$g: MongoDB's newest is event $got, not the final $last, while the bucket was refused"
done
pass "the bucket refused for good: MongoDB got every final, exit 1, the message names boxscores-s3"
