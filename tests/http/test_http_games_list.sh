#!/usr/bin/env bash
# GET /v1/games is made once per change (issue 17, item 15): with 30 games final, 40
# requests in a row get byte-identical bodies, one ETag, 304 for If-None-Match, and not
# one entry rendered again (sidearm_http_list_renders_total in /metrics); a new game then
# costs exactly one entry rendered, not 31. Counts, never timings.
. "$SRC/tests/lib.sh"
G=$WORK/games
P=$(free_ports 1)
URL=http://127.0.0.1:$P
"$BIN/gamestream-sim" --games 30 --random 11 --delay 0 --stagger 0 --target "file://$G/" \
  --reset-reference "sqlite://$WORK/ref.db" 2>"$WORK/sim.log" || fail "gamestream-sim --games 30 failed"
"$BIN/pipeline" --source "file://$G/" --reference "sqlite://$WORK/ref.db" --results "sqlite://$WORK/ref.db" \
  --boxscores "file://$WORK/box" --poll-ms 50 --http "127.0.0.1:$P" 2>"$WORK/pipeline.log" &
pipe=$!; PIDS+=("$pipe")
retired() { # N: the pipeline retired N games (final and written)
  curl -sf "$URL/metrics" | grep -x "sidearm_games_retired_total $1" >/dev/null
}
wait_for 120 retired 30 || fail "the 30 games were not all retired: $(curl -s "$URL/metrics" | grep retired)"
renders() { curl -sf "$URL/metrics" | sed -n 's/^sidearm_http_list_renders_total //p'; }

curl -sf -D "$WORK/h0" "$URL/v1/games" -o "$WORK/list0.json" || fail "/v1/games failed"
"$PYTHON" -c 'import json,sys; g=json.load(open(sys.argv[1]))["games"]; sys.exit(not (len(g) == 30 and all(x["state"] == "final" for x in g)))' \
  "$WORK/list0.json" || fail "/v1/games does not list 30 final games"
etag=$(tr -d '\r' <"$WORK/h0" | sed -n 's/^etag: //Ip')
[ -n "$etag" ] || fail "/v1/games has no ETag"
before=$(renders)
[ -n "$before" ] || fail "no sidearm_http_list_renders_total in /metrics"
for i in $(seq 1 40); do
  curl -sf -D "$WORK/h" "$URL/v1/games" -o "$WORK/list.json" || fail "/v1/games failed (request $i)"
  cmp -s "$WORK/list0.json" "$WORK/list.json" || fail "request $i: another body while no game changed"
  [ "$(tr -d '\r' <"$WORK/h" | sed -n 's/^etag: //Ip')" = "$etag" ] || fail "request $i: another ETag"
done
[ "$(renders)" = "$before" ] || fail "40 requests with no change rendered $(( $(renders) - before )) entries again"
[ "$(curl -s -o /dev/null -w '%{http_code}' -H "If-None-Match: $etag" "$URL/v1/games")" = 304 ] ||
  fail "If-None-Match with the list's ETag is not 304"
pass "40 requests while no game changed: identical bytes, one ETag, 304 on If-None-Match, no entry rendered again"

# one more game (game-001's teams and stream under a new id): one entry rendered
mkdir "$G/game-031"
cp "$G/game-001/game.json" "$G/game-031/game.json"
cp "$G/game-001/gamestream.txt" "$G/game-031/.tmp" && mv "$G/game-031/.tmp" "$G/game-031/gamestream.txt"
wait_for 120 retired 31 || fail "game-031 was not retired"
curl -sf -D "$WORK/h1" "$URL/v1/games" -o "$WORK/list1.json" || fail "/v1/games failed after game-031"
[ "$(renders)" = $((before + 1)) ] || fail "a new game rendered $(( $(renders) - before )) entries, not 1"
"$PYTHON" - "$WORK/list0.json" "$WORK/list1.json" "$WORK/box" <<'PY' || fail "the list after game-031 is wrong"
import json, os, sys
old, new = (json.load(open(p))["games"] for p in sys.argv[1:3])
assert [g["game"] for g in new if g["game"] != "game-031"] == [g["game"] for g in old], "the other games moved"
assert [g for g in new if g["game"] != "game-031"] == old, "another game's entry changed"
[g] = [g for g in new if g["game"] == "game-031"]
box = os.path.join(sys.argv[3], "game-031")
last = max((f for f in os.listdir(box) if f[:-5].isdigit()), key=lambda f: int(f[:-5]))
doc = json.load(open(os.path.join(box, last)))
assert (g["state"], g["event_id"], g["home"]["score"]) == ("final", doc["_id"], doc["home"]["score"]), (g, doc["_id"])
PY
[ "$(tr -d '\r' <"$WORK/h1" | sed -n 's/^etag: //Ip')" != "$etag" ] || fail "the ETag did not change with the list"
kill -TERM "$pipe"; wait "$pipe" || fail "pipeline exited $?"
pass "a 31st game: exactly one entry rendered, the others kept byte for byte, a new ETag"
