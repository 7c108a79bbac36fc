#!/usr/bin/env bash
# gamestream-sim --games N under a file:// prefix: one folder per game with its game.json
# (distinct teams) and a complete gamestream.txt; --reset-reference loads every game's
# teams and rosters once with no shared id, and each game, folded by pipeline --once
# against those tables, matches the independent model. Starts are staggered, a game can
# replay a file of --events-dir, and a target that is not a prefix is a usage error.
. "$SRC/tests/lib.sh"

# check_game DIR ID REF_DB: the game's stream folded against the reset reference (a copy,
# so teams2/players2 are this game's alone) is the model's at every event.
check_game() {
  local dir=$1 id=$2 db=$WORK/$2.db home away
  home=$("$PYTHON" -c 'import json,sys; print(json.load(open(sys.argv[1]))["home"])' "$dir/$id/game.json")
  away=$("$PYTHON" -c 'import json,sys; print(json.load(open(sys.argv[1]))["away"])' "$dir/$id/game.json")
  cp "$3" "$db"
  "$BIN/pipeline" --source "file://$dir/$id/gamestream.txt" --reference "sqlite://$db" --results "sqlite://$db" \
    --boxscores "file://$WORK/docs-$id" --home "$home" --away "$away" --game "$id" --once \
    2>"$WORK/pipeline-$id.log" || fail "pipeline on $id failed"
  oracle --events "$dir/$id/gamestream.txt" --reference "$db" --home "$home" --away "$away" \
    --docs-dir "$WORK/docs-$id" --sqlite "$db" || fail "$id differs from the model"
}

G=$WORK/games
"$BIN/gamestream-sim" --games 3 --random 7 --delay 0 --stagger 0 --target "file://$G/" \
  --reset-reference "sqlite://$WORK/ref.db" 2>"$WORK/sim.log" || fail "gamestream-sim --games 3 failed"
[ "$(cd "$G" && echo *)" = "game-001 game-002 game-003" ] || fail "folders: $(cd "$G" && echo *)"
"$PYTHON" - "$G" "$WORK/ref.db" <<'PY' || fail "game.json, streams or rosters are wrong"
import datetime, json, os, sqlite3, sys
root, db = sys.argv[1:3]
pairs, bad = [], []
for g in sorted(os.listdir(root)):
    m = json.load(open(os.path.join(root, g, "game.json")))
    if set(m) != {"home", "away", "start"} or not all(isinstance(m[k], int) and m[k] > 0 for k in ("home", "away")):
        bad.append(f"{g}: game.json {m}")
        continue
    datetime.datetime.strptime(m["start"], "%Y-%m-%dT%H:%M:%SZ")
    pairs.append((m["home"], m["away"]))
    lines = open(os.path.join(root, g, "gamestream.txt")).read().splitlines()
    if not lines or lines[-1].split()[1:] != ["00:00", "0", "0", "0"] or len(lines) < 50:
        bad.append(f"{g}: the stream does not end with the sentinel ({len(lines)} lines)")
    if sorted(os.listdir(os.path.join(root, g))) != ["game.json", "gamestream.txt"]:
        bad.append(f"{g}: stray files {os.listdir(os.path.join(root, g))}")
teams = [t for p in pairs for t in p]
if len(set(teams)) != len(teams) or any(h == a for h, a in pairs):
    bad.append(f"team pairs are not distinct: {pairs}")
con = sqlite3.connect(db)
ids = {r[0] for r in con.execute("SELECT id FROM teams")}
if ids != set(teams):
    bad.append(f"teams holds {sorted(ids)}, the games play {sorted(teams)}")
for h, a in pairs:
    for t in (h, a):
        n = con.execute("SELECT count(*) FROM players WHERE teamid = ?", (t,)).fetchone()[0]
        if n != 10:
            bad.append(f"team {t} has {n} players, not 10")
n, distinct = con.execute("SELECT count(*), count(DISTINCT id) FROM players").fetchone()
if n != 60 or distinct != 60:
    bad.append(f"players: {n} rows, {distinct} ids")
print("\n".join(bad), file=sys.stderr)
sys.exit(1 if bad else 0)
PY
for id in game-001 game-002 game-003; do check_game "$G" "$id" "$WORK/ref.db"; done
grep -q "game-002: Wrote gamestream.txt to $G/game-002 at 00:00" "$WORK/sim.log" || fail "the log does not name the game"
[ "$(log_count "reset teams (6 rows) and players (60 rows)" "$WORK/sim.log")" = 1 ] || fail "the reference was not reset once"
# (grep -m 1, not grep | head: head closing the pipe early fails the pipeline under pipefail)
first3=$(grep -n -m 1 "game-003: Wrote gamestream.txt" "$WORK/sim.log" | cut -d: -f1)
last1=$(grep -n "game-001: Wrote gamestream.txt" "$WORK/sim.log" | tail -n 1 | cut -d: -f1)
[ "$first3" -lt "$last1" ] || fail "the games were played one after the other, not at once"
pass "3 games under a file:// prefix: game.json, complete streams, one roster per team, each game the model's"

# the same seed gives the same games; seed 8 gives game 1 of seed 7 its game 2
# (and the same with a writer thread for each of two of the games: --writers 2)
"$BIN/gamestream-sim" --games 3 --random 7 --delay 0 --stagger 0 --writers 2 --target "file://$WORK/again/" 2>/dev/null \
  || fail "second run (--writers 2) failed"
for id in game-001 game-002 game-003; do
  cmp -s "$G/$id/gamestream.txt" "$WORK/again/$id/gamestream.txt" || fail "$id differs between two runs of seed 7"
done
"$BIN/gamestream-sim" --random 9 --home 1002 --away 1003 --delay 0 --target "file://$WORK/one.txt" 2>/dev/null
cmp -s "$G/game-002/gamestream.txt" "$WORK/one.txt" || fail "game 2 of seed 7 is not random game 9"
pass "game i is random game SEED+i, the same on every run and with --writers 2"

# staggered starts, interleaved in one process; a game of --events-dir replays its file
mkdir -p "$WORK/ev"; cp "$SRC/sql/data/game.txt" "$WORK/ev/day-002.txt"
"$BIN/gamestream-sim" --games 2 --random 7 --delay 0.0005 --stagger 1.5 --game-prefix day- --events-dir "$WORK/ev" \
  --target "file://$WORK/st/" --reset-reference "sqlite://$WORK/st.db" 2>"$WORK/stagger.log" || fail "staggered run failed"
cmp -s "$SRC/sql/data/game.txt" "$WORK/st/day-002/gamestream.txt" || fail "day-002 is not its events file"
grep -q '"home": 101, "away": 205' "$WORK/st/day-002/game.json" || fail "day-002's teams are not --home/--away"
check_game "$WORK/st" day-001 "$WORK/st.db"
check_game "$WORK/st" day-002 "$WORK/st.db"
"$PYTHON" - "$WORK/stagger.log" <<'PY' || fail "game 2 started less than 1.5 s after the games began"
# a lower bound only: a loaded machine may delay a write, never bring one forward
import datetime, re, sys
stamp = lambda s: datetime.datetime.strptime(s, "%Y-%m-%dT%H:%M:%S.%fZ")
begun, first = None, {}
for line in open(sys.argv[1]):
    m = re.match(r"(\S+) .* playing 2 games", line)
    if m:
        begun = stamp(m.group(1))
    m = re.match(r"(\S+) .* (day-\d+): Wrote gamestream.txt", line)
    if m and m.group(2) not in first:
        first[m.group(2)] = stamp(m.group(1))
gap = (first["day-002"] - begun).total_seconds()
print(f"game 2's first write {gap:.3f} s after the games began", file=sys.stderr)
sys.exit(0 if begun and first["day-001"] >= begun and gap >= 1.5 else 1)
PY
pass "staggered starts; --game-prefix; --events-dir replays a file with --home/--away and the sample rosters"

# usage_error MESSAGE ARGS...: gamestream-sim ARGS exits 2 saying MESSAGE
usage_error() {
  local msg=$1 rc=0; shift
  "$BIN/gamestream-sim" "$@" 2>"$WORK/usage.log" || rc=$?
  if [ $rc != 2 ] || ! grep -q -- "$msg" "$WORK/usage.log"; then
    fail "expected exit 2 saying '$msg', got $rc: $(cat "$WORK/usage.log")"
  fi
}
usage_error "prefix ending in '/'" --games 2 --random 1 --target "file://$WORK/x/gamestream.txt"
usage_error "no --random SEED" --games 2 --delay 0 --target "file://$WORK/x/"
usage_error "makes the game id" --games 2 --random 1 --game-prefix "../" --target "file://$WORK/x/"
[ ! -e "$WORK/x" ] || fail "a usage error wrote something"
pass "usage errors: a target that is no prefix, no seed, an unsafe game id"
