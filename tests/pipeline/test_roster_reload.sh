#!/usr/bin/env bash
# The roster is read when the game starts, not when the pipeline starts (issue 7, defect 7),
# and again, rate-limited by --reload-min-ms, when an unknown jersey shows up:
#  a) a player added after the pipeline started but before the first event is rostered;
#  b) a player added mid-game is rostered once his jersey shows up, with every shot he
#     made, those folded before the reload too, and his goals reach players2;
#  c) teams2 starts from the wins/losses in `teams` when the game starts.
#  d) --once never waits out --reload-min-ms for an unrostered jersey (issue 17, item 11);
#  e) under a prefix, one game's rate-limited reload never delays another game's start
#     (issue 17, item 13).
. "$SRC/tests/lib.sh"

# put_stream DIR FILE: the producer's atomic rewrite of DIR/gamestream.txt with FILE.
put_stream() { cp "$2" "$1/gamestream.txt.tmp" && mv "$1/gamestream.txt.tmp" "$1/gamestream.txt"; }

# start_waiting NAME: a fresh data dir $WORK/NAME with the seed reference and no stream,
# and a pipeline (PIPE) polling it that has read the reference once already, more than
# --reference-max-age-ms (1 s by default) ago: a run that begins now reads it again.
start_waiting() {
  D=$WORK/$1; mkdir -p "$D"
  seed_sqlite "$D/sidearm.db"
  "$BIN/pipeline" --data-dir "$D" --poll-ms 20 "${@:2}" 2>"$WORK/$1.log" &
  PIPE=$!; PIDS+=("$PIPE")
  wait_for 30 grep -q "reference:" "$WORK/$1.log" || fail "$1: the pipeline did not read the reference"
  sleep 1.2
}

# finish NAME: the pipeline ends by itself (the stream holds the final) with status 0.
gone() { ! kill -0 "$1" 2>/dev/null; }
finish() {
  local rc=0
  wait_for 60 gone "$PIPE" || fail "$1: the pipeline did not end after the final whistle"
  wait "$PIPE" || rc=$?
  [ $rc = 0 ] || fail "$1: the pipeline exited $rc"
}

# check_late NAME DOC SHOTS GOALS: in document DOC the home team lists player 999 (#77,
# 'Late Addition') as rostered with SHOTS shots and GOALS goals, and no shot is unrostered;
# players2 holds his season line (10 shots, 4 goals in players) plus this game.
check_late() {
  "$PYTHON" - "$2" "$3" "$4" <<'PY' || fail "$1: the late player is not rostered in $(basename "$2")"
import json, sys
doc, shots, goals = json.load(open(sys.argv[1], encoding="utf-8")), int(sys.argv[2]), int(sys.argv[3])
assert doc["state"] == "final", doc["state"]
assert doc["events"]["unrostered_shots"] == 0, doc["events"]
late = [p for p in doc["home"]["players"] if p["number"] == "77"]
assert len(late) == 1, late
p = late[0]
assert p["rostered"] is True and p["id"] == 999 and p["name"] == "Late Addition", p
assert (p["shots"], p["goals"]) == (shots, goals), p
PY
  local got
  got=$(sqlite3 "$D/sidearm.db" "SELECT name, number, shots, goals, teamid FROM players2 WHERE id = 999")
  [ "$got" = "Late Addition|77|$((10 + $3))|$((4 + $4))|101" ] || fail "$1: players2 row of player 999 is '$got'"
}

LATE="INSERT INTO players (id, name, number, shots, goals, teamid) VALUES (999, 'Late Addition', '77', 10, 4, 101)"

# a) the player is added after the pipeline read the reference, before the first event
start_waiting before
sqlite3 "$D/sidearm.db" "$LATE"
printf '0 59:00 101 77 0\n1 58:00 205 5 1\n2 57:00 101 77 1\n3 56:00 101 2 0\n4 55:00 101 77 1\n5 00:00 0 0 0\n' \
  > "$WORK/before.txt"
put_stream "$D" "$WORK/before.txt"
finish before
check_late before "$D/boxscores/5.json" 3 2
if grep -q "no jersey 77" "$WORK/before.log"; then fail "before: jersey 77 was counted unrostered first"; fi
pass "a player added before the first event is on the roster of the game"

# c) the standings change after the pipeline started, before the first event
start_waiting standings
sqlite3 "$D/sidearm.db" "UPDATE teams SET wins = 20, losses = 1 WHERE id = 101; UPDATE teams SET losses = 9 WHERE id = 205"
printf '0 59:00 101 2 1\n1 58:00 205 5 0\n2 00:00 0 0 0\n' > "$WORK/standings.txt"
put_stream "$D" "$WORK/standings.txt"
finish standings
got=$(sqlite3 "$D/sidearm.db" "SELECT id, wins, losses FROM teams2 WHERE id IN (101, 205) ORDER BY id" | tr '\n' ' ')
[ "$got" = "101|21|1 205|6|10 " ] || fail "standings: teams2 is '$got', not the updated records plus this game"
"$PYTHON" - "$D/boxscores/2.json" <<'PY' || fail "standings: the document does not carry the records of game start"
import json, sys
doc = json.load(open(sys.argv[1], encoding="utf-8"))
got = [(doc[s]["wins"], doc[s]["losses"]) for s in ("home", "away")]
assert got == [(20, 1), (6, 9)], got
PY
pass "teams2 starts from the records in teams when the game starts"

# b) mid-game: the first part has no #77; then he is added, and the rest of the stream, his
# shots and the final whistle, arrives; --reload-min-ms 0 lets his jersey reload at once.
# midgame NAME WHISTLE_APART: with WHISTLE_APART=yes the final whistle comes in a rewrite of
# its own once the reload is logged; with no, in the same rewrite as his shots.
midgame() {
  start_waiting "$1" --reload-min-ms 0
  printf '0 59:00 101 2 1\n1 58:00 205 5 0\n2 57:00 101 8 0\n3 56:00 205 9 1\n' > "$WORK/$1.txt"
  put_stream "$D" "$WORK/$1.txt"
  wait_for 30 test -s "$D/boxscores/3.json" || fail "$1: the first part was not folded"
  sqlite3 "$D/sidearm.db" "$LATE"
  printf '4 55:00 101 77 1\n5 54:00 101 77 0\n6 53:00 205 5 0\n7 52:00 101 77 1\n8 51:00 101 77 0\n' >> "$WORK/$1.txt"
  if [ "$2" = yes ]; then
    put_stream "$D" "$WORK/$1.txt"
    wait_for 30 grep -q "reference read again" "$WORK/$1.log" || fail "$1: jersey 77 did not make the reference be read again"
  fi
  printf '9 00:00 0 0 0\n' >> "$WORK/$1.txt"
  put_stream "$D" "$WORK/$1.txt"
  finish "$1"
  grep -q "reference read again" "$WORK/$1.log" || fail "$1: the log does not say the reference was read again"
  "$PYTHON" - "$D/boxscores/9.json" <<'PY' || fail "$1: the score or the scorers are wrong"
import json, sys
doc = json.load(open(sys.argv[1], encoding="utf-8"))
assert (doc["home"]["score"], doc["away"]["score"]) == (3, 1), (doc["home"]["score"], doc["away"]["score"])
late = [(s["event_id"], s["player_id"], s["name"]) for s in doc["scoring"] if s["number"] == "77"]
assert late == [(4, 999, "Late Addition"), (7, 999, "Late Addition")], late
PY
  check_late "$1" "$D/boxscores/9.json" 4 2
}
midgame midgame-whistle-apart yes
pass "a player added mid-game is rostered when his jersey shows up, with all his shots, in players2 too"
midgame midgame-one-rewrite no
pass "the same when his shots and the final whistle come in one rewrite"

# d) --once does not wait out --reload-min-ms for a jersey not on the roster (issue 17, item
# 11): a cut of a game (not final) where #77 shoots twice, with a 10-minute rate limit. It
# ends by itself with status 0, every document written, and has read the reference at most
# once more than the first read and the run's start.
D=$WORK/once; mkdir -p "$D"
seed_sqlite "$D/sidearm.db"
printf '0 59:00 101 2 1\n1 58:00 101 77 0\n2 57:00 205 5 1\n3 56:00 101 77 1\n' > "$D/gamestream.txt"
"$BIN/pipeline" --data-dir "$D" --once --reload-min-ms 600000 --metrics-file "$WORK/once.prom" 2>"$WORK/once.log" &
PIPE=$!; PIDS+=("$PIPE")
finish once
for e in 0 1 2 3; do test -s "$D/boxscores/$e.json" || fail "once: document $e was not written"; done
"$PYTHON" - "$D/boxscores/3.json" <<'PY' || fail "once: the cut's last document is wrong"
import json, sys
doc = json.load(open(sys.argv[1], encoding="utf-8"))
assert doc["state"] == "in_progress" and doc["events"]["unrostered_shots"] == 2, doc["events"]
PY
loads=$(awk '$1 == "sidearm_reference_loads_total" {print $2}' "$WORK/once.prom")
[ "$loads" = 2 ] || [ "$loads" = 3 ] || fail "once: the reference was read '$loads' times, not 2 or 3"
pass "--once reads the reference again at most once for an unrostered jersey, and does not wait --reload-min-ms"

# e) one game's trouble does not delay another game's start (issue 17, item 13): under a
# prefix with a 10-minute rate limit, game "early" shows #77 (not on the roster) and game
# "nobody" plays teams the reference does not know, so a rate-limited reload is pending
# for 10 minutes; game "late" appears after both, and its run reads the reference and
# writes its documents at once, while that reload is still pending.
G=$WORK/prefix; D=$WORK/prefix-var; mkdir -p "$G/early" "$G/nobody" "$D"
seed_sqlite "$D/sidearm.db"
"$BIN/pipeline" --source "file://$G/" --data-dir "$D" --poll-ms 100 --reload-min-ms 600000 --reference-max-age-ms 0 \
  --metrics-file "$WORK/prefix.prom" 2>"$WORK/prefix.log" &
PIPE=$!; PIDS+=("$PIPE")
echo '{"home": 101, "away": 205}' > "$G/early/game.json"
printf '0 59:00 101 77 1\n1 58:00 205 5 0\n' > "$WORK/early.txt"; put_stream "$G/early" "$WORK/early.txt"
echo '{"home": 9001, "away": 9002}' > "$G/nobody/game.json"
printf '0 59:00 9001 4 1\n' > "$WORK/nobody.txt"; put_stream "$G/nobody" "$WORK/nobody.txt"
wait_for 30 test -s "$D/boxscores/early/1.json" || fail "prefix: early's documents were not written"
wait_for 60 test -s "$D/boxscores/nobody/0.json" ||
  fail "prefix: nobody's document waited for another game's rate-limited reload"
grep -q "early: event 0: team 101 has no jersey 77" "$WORK/prefix.log" || fail "prefix: #77 was not unrostered"
mkdir -p "$G/late"; echo '{"home": 101, "away": 205}' > "$G/late/game.json"
printf '0 59:00 205 5 1\n1 58:00 101 2 0\n2 00:00 0 0 0\n' > "$WORK/late.txt"; put_stream "$G/late" "$WORK/late.txt"
wait_for 60 test -s "$D/boxscores/late/2.json" ||
  fail "prefix: late's documents waited for another game's rate-limited reload"
kill -TERM "$PIPE"; rc=0; wait "$PIPE" || rc=$?
[ $rc = 0 ] || fail "prefix: the pipeline exited $rc after SIGTERM"
# the pending reload never fired: the reads were the first and the runs' starts (two runs
# that begin together may share one; --reference-max-age-ms 0: no run takes an earlier read)
loads=$(awk '$1 == "sidearm_reference_loads_total" {print $2}' "$WORK/prefix.prom")
[ "$loads" = 3 ] || [ "$loads" = 4 ] || fail "prefix: the reference was read '$loads' times, not 3 or 4"
pass "a game's start does not wait for another game's rate-limited reload"

# f) runs that begin within --reference-max-age-ms of a read take it (issue 15: 10,000 games
# that start within a minute must not queue one read each): --once over 6 games under a
# prefix reads the reference once with the default (1 s), and more than once with 0.
G=$WORK/window; mkdir -p "$G"
for i in 1 2 3 4 5 6; do
  mkdir -p "$G/g$i"; echo '{"home": 101, "away": 205}' > "$G/g$i/game.json"
  printf '0 59:00 101 2 1\n1 58:00 205 5 0\n2 00:00 0 0 0\n' > "$G/g$i/gamestream.txt"
done
for age in default 0; do
  D=$WORK/window-$age; mkdir -p "$D"; seed_sqlite "$D/sidearm.db"
  extra=(); [ "$age" = 0 ] && extra=(--reference-max-age-ms 0)
  "$BIN/pipeline" --source "file://$G/" --data-dir "$D" --once "${extra[@]}" --metrics-file "$WORK/window-$age.prom" \
    2>"$WORK/window-$age.log" || fail "window $age: pipeline --once exited $?"
  for i in 1 2 3 4 5 6; do test -s "$D/boxscores/g$i/2.json" || fail "window $age: g$i's final was not written"; done
  [ "$(sqlite3 "$D/sidearm.db" "SELECT wins FROM teams2 WHERE id = 101")" = \
    "$(($(sqlite3 "$D/sidearm.db" "SELECT wins FROM teams WHERE id = 101") + 6))" ] || fail "window $age: teams2 is not the reference plus 6 wins"
  loads=$(awk '$1 == "sidearm_reference_loads_total" {print $2}' "$WORK/window-$age.prom")
  if [ "$age" = default ]; then
    [ "$loads" = 1 ] || fail "window: with the default the reference was read '$loads' times, not once"
  else
    [ "$loads" -ge 2 ] || fail "window: with --reference-max-age-ms 0 the runs' starts did not read the reference ('$loads' reads)"
  fi
done
pass "runs that begin within --reference-max-age-ms of a read share it; 0 reads it for each run"
