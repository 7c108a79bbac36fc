#!/usr/bin/env bash
# A game's identity on the embedded backends (issue 17, items 2, 19, 21).
#  1. The same game id under two prefixes (day 1 and day 2 both have game-001): day 2's
#     game-001 is refused, naming both sources, and day 1's documents and rows are read
#     back intact; day 2's other game is written; the exit and the metrics say so. Day 1
#     processed again gives the same documents and tables (a restart of the same source).
#  2. The same in the single-object mode (--game G from another stream).
#  3. A team missing from teams is null in the documents, and filled once the reference
#     gains it (mid-game, without a new line).
#  4. Folders whose names differ only by case: the second is refused, logged once; a
#     game.json edited while its game is followed is logged once as ignored.
. "$SRC/tests/lib.sh"
V=$WORK/var; D1=$WORK/gamestreams/2026-11-28; D2=$WORK/gamestreams/2026-11-29
mkdir -p "$V" "$D1/game-001" "$D2/game-001" "$D2/game-002"
seed_sqlite "$V/sidearm.db"
echo '{"home": 101, "away": 205}' > "$D1/game-001/game.json"
cp "$SRC/sql/data/game.txt" "$D1/game-001/gamestream.txt"
echo '{"home": 118, "away": 230}' > "$D2/game-001/game.json"
printf '0 59:00 118 3 1\n1 58:00 230 4 1\n2 00:00 0 0 0\n' > "$D2/game-001/gamestream.txt"
echo '{"home": 101, "away": 230}' > "$D2/game-002/game.json"
printf '0 59:00 101 2 1\n1 00:00 0 0 0\n' > "$D2/game-002/gamestream.txt"

rows() { sqlite3 "$V/sidearm.db" "SELECT * FROM game_teams WHERE game = '$1' ORDER BY teamid"; }

"$BIN/pipeline" --source "file://$D1/" --data-dir "$V" --once 2>"$WORK/day1.log" || fail "day 1 exited $?"
cp -r "$V/boxscores/game-001" "$WORK/day1-docs"
rows game-001 > "$WORK/day1-rows"
sqlite3 "$V/sidearm.db" "SELECT * FROM teams2 ORDER BY id" > "$WORK/day1-teams2"
n=$(find "$WORK/day1-docs" -maxdepth 1 -name '[0-9]*.json' | wc -l)
[ "$n" = 77 ] || fail "day 1 wrote $n documents, not 77"
grep -q "\"source\":\"file://$D1/game-001/gamestream.txt\"" "$WORK/day1-docs/76.json" ||
  fail "a document does not carry its source: $(head -c 300 "$WORK/day1-docs/76.json")"
[ "$(sqlite3 "$V/sidearm.db" "SELECT source FROM game_sources WHERE game = 'game-001'")" = \
  "file://$D1/game-001/gamestream.txt" ] || fail "game_sources does not hold day 1's source"

rc=0
"$BIN/pipeline" --source "file://$D2/" --data-dir "$V" --once --metrics-file "$WORK/day2.prom" \
  2>"$WORK/day2.log" || rc=$?
[ "$rc" = 1 ] || fail "day 2 exited $rc, not 1 (a game was refused)"
[ "$(grep -c 'game-001: refused' "$WORK/day2.log")" = 1 ] || fail "the refusal is not logged once: $(grep -c refused "$WORK/day2.log")"
grep 'game-001: refused' "$WORK/day2.log" | grep -q "file://$D1/game-001/gamestream.txt" || fail "the refusal does not name day 1's source"
grep 'game-001: refused' "$WORK/day2.log" | grep -q "file://$D2/game-001/gamestream.txt" || fail "the refusal does not name day 2's source"
grep 'game-001: refused' "$WORK/day2.log" | grep -q "date in the folder name" || fail "the refusal does not say how to name games"
grep -qx 'sidearm_games_refused_total 1' "$WORK/day2.prom" || fail "the metrics do not count the refused game"
diff -r "$WORK/day1-docs" "$V/boxscores/game-001" >/dev/null || fail "day 2 changed day 1's documents of game-001"
[ "$(rows game-001)" = "$(cat "$WORK/day1-rows")" ] || fail "day 2 replaced day 1's game_teams rows: $(rows game-001)"
[ -s "$V/boxscores/game-002/1.json" ] || fail "day 2's game-002 was not written beside the refused game"
[ "$(sqlite3 "$V/sidearm.db" "SELECT count(DISTINCT game) FROM game_teams")" = 2 ] || fail "game_teams does not hold 2 games"
[ "$(sqlite3 "$V/sidearm.db" "SELECT wins + losses FROM teams2 WHERE id = 101") " = \
  "$(( $(sqlite3 "$V/sidearm.db" "SELECT wins + losses FROM teams WHERE id = 101") + 2 )) " ] ||
  fail "teams2 does not count both of 101's games"
# a long-running process says so on /readyz (and stays ready: the sinks are not given up)
P=$(free_ports 1)
"$BIN/pipeline" --source "file://$D2/" --data-dir "$V" --poll-ms 50 --http "127.0.0.1:$P" 2>"$WORK/day2-live.log" &
pipe=$!; PIDS+=("$pipe")
wait_for 30 grep -q 'game-001: refused' "$WORK/day2-live.log" || fail "the long-running process did not refuse game-001"
[ "$(curl -s -w ' %{http_code}' "http://127.0.0.1:$P/readyz")" = '{"ready":true,"games_refused":1} 200' ] ||
  fail "/readyz does not show the refused game: $(curl -s "http://127.0.0.1:$P/readyz")"
rc=0; kill -TERM "$pipe"; wait "$pipe" || rc=$?
[ "$rc" = 1 ] || fail "the long-running process exited $rc after SIGTERM, not 1"
diff -r "$WORK/day1-docs" "$V/boxscores/game-001" >/dev/null || fail "the long-running day 2 changed day 1's documents"
[ "$(rows game-001)" = "$(cat "$WORK/day1-rows")" ] || fail "the long-running day 2 replaced day 1's rows"
pass "day 2's game-001 refused naming both sources; day 1's 77 documents and rows intact; game-002 written; exit 1, counted, on /readyz"

# the same stream from the same source again: the same documents and tables, exit 0
"$BIN/pipeline" --source "file://$D1/" --data-dir "$V" --once 2>"$WORK/day1-again.log" || fail "day 1 again exited $?"
docs_equal "$WORK/day1-docs" "$V/boxscores/game-001" || fail "day 1 again changed its documents"
grep -q "\"source\":\"file://$D1/game-001/gamestream.txt\"" "$V/boxscores/game-001/76.json" || fail "the source changed"
[ "$(rows game-001)" = "$(cat "$WORK/day1-rows")" ] || fail "day 1 again changed its rows"
pass "day 1 processed again: the same documents and rows"

# 2. the single-object mode: --game G from another stream is refused too
S=$WORK/single; mkdir -p "$S"; seed_sqlite "$S/sidearm.db"
cp "$SRC/sql/data/game.txt" "$WORK/monday.txt"
printf '0 59:00 101 2 1\n1 00:00 0 0 0\n' > "$WORK/tuesday.txt"
"$BIN/pipeline" --source "file://$WORK/monday.txt" --data-dir "$S" --once 2>"$WORK/monday.log" || fail "monday exited $?"
cp -r "$S/boxscores" "$WORK/monday-docs"
rc=0; "$BIN/pipeline" --source "file://$WORK/tuesday.txt" --data-dir "$S" --once 2>"$WORK/tuesday.log" || rc=$?
[ "$rc" = 1 ] || fail "the single game from another stream exited $rc, not 1"
grep -q "refused: .*monday.txt.*tuesday.txt" "$WORK/tuesday.log" || fail "the single-object refusal does not name both streams"
diff -r "$WORK/monday-docs" "$S/boxscores" >/dev/null || fail "the other stream changed the documents"
[ "$(sqlite3 "$S/sidearm.db" "SELECT count(*) FROM game_teams")" = 2 ] || fail "the other stream changed game_teams"
pass "single-object mode: the same --game from another stream is refused; the documents and rows stay"

# 3. a team missing from teams: null, then filled when the reference gains it
G=$WORK/live; L=$WORK/live-var; mkdir -p "$G/late" "$L"; seed_sqlite "$L/sidearm.db"
echo '{"home": 101, "away": 9999}' > "$G/late/game.json"
printf '0 59:00 101 2 1\n1 58:00 9999 4 0\n' > "$G/late/gamestream.txt"
"$BIN/pipeline" --source "file://$G/" --data-dir "$L" --poll-ms 50 --reload-min-ms 200 2>"$WORK/live.log" &
pipe=$!; PIDS+=("$pipe")
wait_for 30 test -s "$L/boxscores/late/1.json" || fail "the game of an unknown team got no document"
"$PYTHON" - "$L/boxscores/late/1.json" <<'PY' || fail "the unknown team is not null"
import json, sys
away = json.load(open(sys.argv[1]))["away"]
assert away["teamid"] == 9999 and all(k in away and away[k] is None for k in ("name", "conference", "wins", "losses")), away
PY
[ "$(grep -c 'team 9999 is not in' "$WORK/live.log")" = 1 ] || fail "the unknown team is not logged once"
sqlite3 "$L/sidearm.db" "INSERT INTO teams (id, name, conference, wins, losses) VALUES (9999, 'Late Larks', 'Plains', 2, 5)"
late_named() { "$PYTHON" -c 'import json,sys; sys.exit(json.load(open(sys.argv[1]))["away"]["name"] != "Late Larks")' \
  "$L/boxscores/late/1.json"; }
wait_for 30 late_named || fail "the team was not filled in once the reference gained it"
kill -TERM "$pipe"; wait "$pipe" || fail "pipeline exited $? after SIGTERM"
pass "a team missing from teams is null (logged once) and filled when the reference gains it"

# 4. ids that differ only by case, and game.json edited while the game is followed
C=$WORK/case; CV=$WORK/case-var; mkdir -p "$C/Game-7" "$C/game-7" "$CV"; seed_sqlite "$CV/sidearm.db"
for g in Game-7 game-7; do
  echo '{"home": 101, "away": 205}' > "$C/$g/game.json"
  printf '0 59:00 101 2 1\n' > "$C/$g/gamestream.txt"
done
"$BIN/pipeline" --source "file://$C/" --data-dir "$CV" --poll-ms 50 2>"$WORK/case.log" &
pipe=$!; PIDS+=("$pipe")
wait_for 30 test -s "$CV/boxscores/Game-7/0.json" || fail "Game-7 got no document"
echo '{"home": 205, "away": 101}' > "$C/Game-7/game.json.tmp" && mv "$C/Game-7/game.json.tmp" "$C/Game-7/game.json"
wait_for 30 grep -q 'Game-7: game.json changed while the game is followed' "$WORK/case.log" ||
  fail "the game.json edit was not logged"
printf '0 59:00 101 2 1\n1 00:00 0 0 0\n' > "$C/Game-7/gamestream.txt"
wait_for 30 test -s "$CV/boxscores/Game-7/1.json" || fail "Game-7 did not go on after the game.json edit"
sleep 0.5
kill -TERM "$pipe"; wait "$pipe" || fail "pipeline exited $? after SIGTERM"
[ ! -e "$CV/boxscores/game-7" ] || fail "game-7 was followed beside Game-7"
[ "$(grep -c "folder 'game-7' .* differs only by case from game 'Game-7'" "$WORK/case.log")" = 1 ] ||
  fail "game-7 is not refused once: $(grep -c game-7 "$WORK/case.log")"
[ "$(grep -c 'game.json changed while the game is followed' "$WORK/case.log")" = 1 ] || fail "the edit is not logged once"
grep -q '"home":{"teamid":101' "$CV/boxscores/Game-7/1.json" || fail "the edit changed the sides mid-game"
pass "a folder differing only by case is refused once; a game.json edit mid-game is logged once and ignored"
