#!/usr/bin/env bash
# gamestream-sim --games N under an s3:// prefix (Swift's s3api): exactly one game.json and
# one gamestream.txt per game under the prefix, read back over Swift's own API, equal to a
# file:// run of the same seeds; pipeline --once reading each stream over S3 writes the same
# documents as from the file:// copy, and the reset reference holds every game's rosters.
# The S3 run has a writer thread per game (--writers 3), the file:// run one for all.
. "$SRC/tests/lib.sh"
start_s3; server_env

"$BIN/gamestream-sim" --games 3 --random 7 --delay 0 --stagger 0 --writers 3 --target s3://gamestreams/day-1/ \
  --reset-reference "sqlite://$WORK/ref.db" 2>"$WORK/sim.log" || fail "gamestream-sim --games 3 over S3 failed"
"$BIN/gamestream-sim" --games 3 --random 7 --delay 0 --stagger 0 --target "file://$WORK/f/" 2>"$WORK/sim-file.log" \
  || fail "the same games under file:// failed"
grep -q "game-003: Wrote day-1/game-003/gamestream.txt to bucket gamestreams at 00:00" "$WORK/sim.log" \
  || fail "the log does not name the game and its object"
grep -q "starts 0.000 s apart, 3 writers" "$WORK/sim.log" || fail "the sim did not say it writes with 3 threads"

# swift_get PATH OUT: GET <storage url>/PATH through the Swift API.
headers=$(curl -sf -D - -o /dev/null -H "X-Auth-User: $S3_TEST_ACCESS" -H "X-Auth-Key: $S3_TEST_SECRET" \
  "http://127.0.0.1:$S3_PORT/auth/v1.0") || fail "no Swift token"
url=$(printf '%s\n' "$headers" | tr -d '\r' | sed -n 's/^X-Storage-Url: //Ip')
token=$(printf '%s\n' "$headers" | tr -d '\r' | sed -n 's/^X-Auth-Token: //Ip')
swift_get() { curl -sf -o "$2" -H "X-Auth-Token: $token" "$url/$1" || fail "GET $1 failed"; }

swift_get "gamestreams?prefix=day-1/" "$WORK/list.txt"
expected=$(for g in game-001 game-002 game-003; do printf 'day-1/%s/game.json\nday-1/%s/gamestream.txt\n' $g $g; done)
[ "$(cat "$WORK/list.txt")" = "$expected" ] || fail "objects under the prefix: $(cat "$WORK/list.txt")"
pairs=""
for g in game-001 game-002 game-003; do
  mkdir -p "$WORK/s3/$g"
  swift_get "gamestreams/day-1/$g/game.json" "$WORK/s3/$g/game.json"
  swift_get "gamestreams/day-1/$g/gamestream.txt" "$WORK/s3/$g/gamestream.txt"
  cmp -s "$WORK/s3/$g/gamestream.txt" "$WORK/f/$g/gamestream.txt" || fail "$g: the S3 stream is not the file:// one"
  grep -q " 00:00 0 0 0$" <<<"$(tail -n 1 "$WORK/s3/$g/gamestream.txt")" || fail "$g: no sentinel at the end"
  teams=$("$PYTHON" -c 'import json,sys; m=json.load(open(sys.argv[1])); print(m["home"], m["away"], m["start"])' \
    "$WORK/s3/$g/game.json") || fail "$g: game.json is not JSON"
  read -r home away _ <<<"$teams"
  pairs="$pairs $home $away"
  # the project's own reader: the pipeline folds the stream over S3 and over file://
  for src in s3 file; do
    cp "$WORK/ref.db" "$WORK/$g-$src.db"
    uri="s3://gamestreams/day-1/$g/gamestream.txt"
    [ $src = file ] && uri="file://$WORK/f/$g/gamestream.txt"
    "$BIN/pipeline" --source "$uri" --reference "sqlite://$WORK/$g-$src.db" --results "sqlite://$WORK/$g-$src.db" \
      --boxscores "file://$WORK/docs-$g-$src" --home "$home" --away "$away" --game "$g" --once \
      2>"$WORK/pipeline-$g-$src.log" || fail "$g: pipeline over $src failed"
  done
  docs_equal "$WORK/docs-$g-s3" "$WORK/docs-$g-file" || fail "$g: documents over S3 differ from file://"
  oracle --events "$WORK/s3/$g/gamestream.txt" --reference "$WORK/ref.db" --home "$home" --away "$away" \
    --docs-dir "$WORK/docs-$g-s3" --sqlite "$WORK/$g-s3.db" || fail "$g differs from the model"
done
[ "$(tr ' ' '\n' <<<"$pairs" | sed '/^$/d' | sort -u | wc -l)" = 6 ] || fail "team pairs are not distinct:$pairs"
[ "$(sqlite3 "$WORK/ref.db" 'SELECT count(*), count(DISTINCT id) FROM players')" = "60|60" ] \
  || fail "the reset reference does not hold 3 games x 2 rosters of 10 distinct players"
[ "$(sqlite3 "$WORK/ref.db" 'SELECT group_concat(id) FROM (SELECT id FROM teams ORDER BY id)')" = "1000,1001,1002,1003,1004,1005" ] \
  || fail "teams is not the 3 games' teams"
pass "3 games under an s3:// prefix: their objects, streams equal to file://, documents the model's"
