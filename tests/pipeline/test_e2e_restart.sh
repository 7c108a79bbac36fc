#!/usr/bin/env bash
# A restart in the middle of the game: the sim is stopped, the operator renames a
# player, and the sim replays a different game from the first line. The pipeline starts
# a new run with the reference read again, and the final documents and tables are those
# of the second game alone.
. "$SRC/tests/lib.sh"
D=$WORK/var; mkdir -p "$D"
seed_sqlite "$D/sidearm.db"
"$BIN/pipeline" --data-dir "$D" --poll-ms 20 2>"$WORK/pipeline.log" &
pipe=$!; PIDS+=("$pipe")
DELAY=0.002 "$BIN/gamestream-sim" --target "file://$D/gamestream.txt" 2>"$WORK/sim1.log" &
sim=$!; PIDS+=("$sim")
wait_for 30 grep -q "at 2[0-9]:" "$WORK/sim1.log" || fail "first replay did not reach Q3"
kill $sim; wait $sim 2>/dev/null || true
wait_for 5 test -s "$D/boxscores/30.json" || fail "the first run did not get past event 30"
# the second game: same teams, a different game from the start (ids restart at 0)
awk 'NR % 3 == 1 || /00:00 0 0 0/' "$SRC/sql/data/game.txt" | awk '{ $1 = NR - 1; print }' > "$WORK/game2.txt"
sqlite3 "$D/sidearm.db" "UPDATE players SET name = 'Liam O''Brien Jr.' WHERE id = 1"
"$PYTHON" -c 'import json,sys; d=json.load(open(sys.argv[1])); d["players"][0]["name"]="Liam O'"'"'Brien Jr."; json.dump(d,open(sys.argv[2],"w"))' \
  "$SRC/sql/data/reference.json" "$WORK/reference2.json"
DELAY=0.0005 "$BIN/gamestream-sim" --events "$WORK/game2.txt" --target "file://$D/gamestream.txt" 2>"$WORK/sim2.log"
wait $pipe || fail "pipeline exited $?"
grep -q "the game restarted, run 1 begins" "$WORK/pipeline.log" || fail "the restart was not detected"
last=$(($(wc -l < "$WORK/game2.txt") - 1))
oracle --events "$WORK/game2.txt" --reference "$WORK/reference2.json" \
  --doc "$D/boxscores/$last.json" --sqlite "$D/sidearm.db" || fail "state after the restart is not the second game's"
grep -q "Liam O'Brien Jr." "$D/boxscores/$last.json" || fail "the new run did not read the reference again"
# the abandoned run's documents are gone: the latest _id is the second game's last
latest=$(find "$D/boxscores" -name '[0-9]*.json' -printf '%f\n' | sort -n | tail -1)
[ "$latest" = "$last.json" ] || fail "a document of the abandoned run outranks the new run: $latest"
pass "restart mid-game starts a new run"
