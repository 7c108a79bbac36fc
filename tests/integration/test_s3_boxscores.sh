#!/usr/bin/env bash
# The s3:// box-score sink (issue 16), over Swift's s3api, read back through the Swift API
# (independent of the project's S3 code): every game's <prefix><game>/latest.json is its final
# document by the independent model, sent as application/json with the operator's
# Cache-Control, with both signers (SigV4 through libcurl, V2 through libs3); <prefix>index.json
# lists every game with its final score; a rejected line is kept as <prefix><game>/rejects/<id>.json. Then a live game: a conditional GET of
# latest.json with its ETag is 304 until the next event, and 200 with the new document after.
. "$SRC/tests/lib.sh"
start_s3; server_env
D=$WORK/var; G=$WORK/games; mkdir -p "$D" "$G"
seed_sqlite "$D/sidearm.db"
swift_auth
curl -sf -o /dev/null -X PUT -H "X-Auth-Token: $SWIFT_TOKEN" "$SWIFT_URL/boxscores" || fail "no bucket boxscores"
"$BIN/gamestream-sim" --games 4 --random 60 --delay 0 --stagger 0 --target "file://$G/" \
  --reset-reference "sqlite://$D/sidearm.db" 2>"$WORK/sim.log" || fail "gamestream-sim could not write the games"
# a bad line in game-002, set aside and recorded
sed -i '3a this is not a shot' "$G/game-002/gamestream.txt"

# head_of KEY: the Swift API's answer headers for boxscores/KEY, lower-cased names
head_of() { curl -sf -I -H "X-Auth-Token: $SWIFT_TOKEN" "$SWIFT_URL/boxscores/$1" | tr -d '\r' | sed 's/^\([^:]*\):/\L\1:/'; }

for sig in v4 v2; do
  "$BIN/pipeline" --source "file://$G/" --reference "sqlite://$D/sidearm.db" --results "sqlite://$D/sidearm.db" \
    --boxscores "s3://boxscores/$sig/" --s3-signature "$sig" --boxscores-cache-control "public, max-age=3" --once \
    2>"$WORK/pipeline-$sig.log" || fail "$sig: pipeline --once exited $?: $(tail -n 3 "$WORK/pipeline-$sig.log")"
  for d in "$G"/game-*; do
    g=$(basename "$d")
    read -r home away < <("$PYTHON" -c 'import json,sys; m=json.load(open(sys.argv[1])); print(m["home"], m["away"])' "$d/game.json")
    swift_get "boxscores/$sig/$g/latest.json" "$WORK/$sig-$g.json"
    oracle --events "$d/gamestream.txt" --reference "$D/sidearm.db" --home "$home" --away "$away" \
      --doc "$WORK/$sig-$g.json" >/dev/null || fail "$sig: $g's latest.json is not its final document"
    head_of "$sig/$g/latest.json" >"$WORK/head"
    grep -qx 'content-type: application/json' "$WORK/head" || fail "$sig: $g's latest.json: $(grep -i content-type "$WORK/head")"
    grep -qx 'cache-control: public, max-age=3' "$WORK/head" || fail "$sig: $g's latest.json has no Cache-Control: $(cat "$WORK/head")"
  done
  # index.json: every game once, final, with the score of its latest.json
  swift_get "boxscores/$sig/index.json" "$WORK/$sig-index.json"
  head_of "$sig/index.json" | grep -qx 'content-type: application/json' || fail "$sig: index.json is not application/json"
  "$PYTHON" - "$WORK/$sig-index.json" "$WORK" "$sig" <<'PY' || fail "$sig: index.json does not show every game's final (above)"
import json, sys
idx, work, sig = json.load(open(sys.argv[1])), sys.argv[2], sys.argv[3]
games = [e["game"] for e in idx["games"]]
assert games == sorted(games) and len(games) == len(set(games)) == 4, f"games listed: {games}"
for e in idx["games"]:
    doc = json.load(open(f"{work}/{sig}-{e['game']}.json"))
    want = (doc["state"], doc["home"]["score"], doc["away"]["score"], doc["event_id"], doc["updated_at"])
    got = (e["state"], e["home"]["score"], e["away"]["score"], e["event_id"], e["updated_at"])
    assert got == want and e["state"] == "final", f"{e['game']}: index.json shows {got}, latest.json {want}"
    assert e["home"]["name"] == doc["home"]["name"] and e["away"]["teamid"] == doc["away"]["teamid"], e
PY
  swift_get "boxscores?prefix=$sig/game-002/rejects/" "$WORK/rejects.txt"
  [ "$(grep -c '^v[24]/game-002/rejects/game-002:4:[0-9a-f]*\.json$' "$WORK/rejects.txt")" = 1 ] ||
    fail "$sig: the rejected line of game-002 is not recorded once: $(cat "$WORK/rejects.txt")"
  swift_get "boxscores/$(head -n 1 "$WORK/rejects.txt")" "$WORK/reject.json"
  grep -q '"raw":"this is not a shot"' "$WORK/reject.json" || fail "$sig: the reject record: $(cat "$WORK/reject.json")"
  pass "$sig: 4 games' latest.json = the model's final, application/json, Cache-Control as set; index.json lists each final; the bad line recorded"
done

# a live game: 304 on the ETag until the next event
L=$WORK/live; mkdir -p "$L/day-1"
cp "$G/game-001/game.json" "$L/day-1/game.json" # game-001's teams, its first lines
head -n 1 "$G/game-001/gamestream.txt" >"$L/day-1/gamestream.txt"
"$BIN/pipeline" --source "file://$L/" --reference "sqlite://$D/sidearm.db" --results "sqlite://$D/sidearm.db" \
  --boxscores "s3://boxscores/live/" --http off --poll-ms 100 2>"$WORK/pipeline-live.log" &
pipe=$!; PIDS+=("$pipe")
status_of() { curl -s -o "$WORK/got.json" -w '%{http_code}' -H "X-Auth-Token: $SWIFT_TOKEN" "$@" "$SWIFT_URL/boxscores/live/day-1/latest.json"; }
status_is() { local want=$1; shift; [ "$(status_of "$@")" = "$want" ]; }
wait_for 30 status_is 200 || fail "the live game's latest.json was not written: $(tail -n 3 "$WORK/pipeline-live.log")"
etag=$(head_of live/day-1/latest.json | sed -n 's/^etag: //p')
[ -n "$etag" ] || fail "latest.json has no ETag"
sleep 1
[ "$(status_of -H "If-None-Match: $etag")" = 304 ] || fail "a conditional GET with the current ETag was not 304"
head -n 2 "$G/game-001/gamestream.txt" >"$L/day-1/gamestream.tmp" && mv "$L/day-1/gamestream.tmp" "$L/day-1/gamestream.txt"
wait_for 30 status_is 200 -H "If-None-Match: $etag" || fail "latest.json did not change after the next event"
grep -q '"event_id":1' "$WORK/got.json" || fail "the changed latest.json is not event 1: $(head -c 200 "$WORK/got.json")"
kill -TERM "$pipe"; wait "$pipe" || fail "pipeline exited $? after SIGTERM"
pass "a conditional GET of latest.json: 304 on its ETag until the next event, then 200 with event 1"
