#!/usr/bin/env bash
# Game day on the embedded backends (issue 8): one pipeline follows every game under a
# file:// prefix, found while it runs. 20 random games start at different times; one
# is restarted with another game after its final; one has an invalid game.json; one
# plays teams the reference does not know. Every game's documents match the independent
# model at every event, in its own folder, and teams2/players2 are the reference plus
# the sum of every final game, whatever order they finished in.
. "$SRC/tests/lib.sh"
G=$WORK/games; V=$WORK/var; mkdir -p "$G" "$V"
seed_sqlite "$V/sidearm.db"
"$BIN/pipeline" --source "file://$G/" --data-dir "$V" --poll-ms 50 --reload-min-ms 200 2>"$WORK/pipeline.log" &
pipe=$!; PIDS+=("$pipe")

# a folder that is not a game, a game whose manifest is wrong, a game of unknown teams
mkdir -p "$G/bad" "$G/unknown" "$G/not a game"
echo '{"home": 9001}' > "$G/bad/game.json"
printf '0 59:00 9001 1 1\n1 00:00 0 0 0\n' > "$G/bad/gamestream.txt"
printf '0 59:00 101 2 1\n1 00:00 0 0 0\n' > "$G/not a game/gamestream.txt"
echo '{"home": 9001, "away": 9002}' > "$G/unknown/game.json"
printf '0 59:00 9001 4 1\n1 58:00 9002 5 1\n2 57:00 9001 4 1\n3 00:00 0 0 0\n' > "$G/unknown/gamestream.txt"

"$BIN/gamestream-sim" --games 20 --random 100 --delay 0.002 --stagger 0.3 --target "file://$G/" \
  --reset-reference "sqlite://$V/sidearm.db" 2>"$WORK/sim.log" || fail "gamestream-sim --games failed"

# game-005 is played again from the start with another game of the same teams
read -r home away < <("$PYTHON" -c 'import json,sys; m=json.load(open(sys.argv[1])); print(m["home"], m["away"])' \
  "$G/game-005/game.json")
"$BIN/gamestream-sim" --random 777 --home "$home" --away "$away" --delay 0 \
  --target "file://$WORK/replay.txt" 2>/dev/null || fail "the replay could not be made"
head -n 12 "$WORK/replay.txt" > "$G/game-005/.tmp" && mv "$G/game-005/.tmp" "$G/game-005/gamestream.txt"
sleep 1
cp "$WORK/replay.txt" "$G/game-005/.tmp" && mv "$G/game-005/.tmp" "$G/game-005/gamestream.txt"

all_final() {
  "$PYTHON" - "$G" "$V/boxscores" <<'PY'
import json, os, sys
games, docs = sys.argv[1], sys.argv[2]
for g in sorted(os.listdir(games)):
    if not g.startswith("game-") and g != "unknown":
        continue
    last = open(os.path.join(games, g, "gamestream.txt")).read().splitlines()[-1].split()[0]
    path = os.path.join(docs, g, f"{last}.json")
    if not os.path.exists(path) or json.load(open(path))["state"] != "final":
        sys.exit(1)
PY
}
wait_for 120 all_final || fail "not every game reached its final document"
sleep 1   # the last results write
kill -TERM "$pipe"; wait "$pipe" || fail "pipeline exited $? after SIGTERM"

specs=()
for d in "$G"/game-*; do
  g=$(basename "$d")
  read -r home away < <("$PYTHON" -c 'import json,sys; m=json.load(open(sys.argv[1])); print(m["home"], m["away"])' \
    "$d/game.json")
  "$PYTHON" "$SRC/tests/tools/oracle.py" check --events "$d/gamestream.txt" --reference "$V/sidearm.db" \
    --home "$home" --away "$away" --docs-dir "$V/boxscores/$g" >/dev/null || fail "$g: documents differ from the model"
  specs+=(--game "$d/gamestream.txt:$home:$away")
done
[ "${#specs[@]}" = 40 ] || fail "expected 20 games, found $((${#specs[@]} / 2))"
"$PYTHON" "$SRC/tests/tools/oracle.py" season --reference "$V/sidearm.db" "${specs[@]}" \
  --game "$G/unknown/gamestream.txt:9001:9002" --sqlite "$V/sidearm.db" || fail "teams2/players2 are not the season"
[ "$(sqlite3 "$V/sidearm.db" "SELECT count(DISTINCT game) FROM game_teams")" = 21 ] || fail "game_teams lacks games"
grep -q 'game-005.*rewritten\|game-005.*following it again' "$WORK/pipeline.log" || fail "the restart of game-005 was not seen"
"$PYTHON" - "$V/boxscores/game-005" <<'PY' || fail "game-005 kept documents of its first run"
import json, os, sys
runs = {json.load(open(os.path.join(sys.argv[1], f)))["run"] for f in os.listdir(sys.argv[1]) if f[0].isdigit()}
assert len(runs) == 1, runs
PY
grep -q 'bad: game.json is invalid: .*"away"' "$WORK/pipeline.log" || fail "the bad manifest was not reported"
[ ! -e "$V/boxscores/bad" ] || fail "a game with an invalid game.json was followed"
grep -q "folder 'not a game' .* is not a game" "$WORK/pipeline.log" || fail "an unsafe folder name was not refused"
[ "$(grep -c "not a game" "$WORK/pipeline.log")" = 1 ] || fail "the refused folder was logged more than once"
pass "every game under a prefix, each in its own folder, and the season tables add up"
