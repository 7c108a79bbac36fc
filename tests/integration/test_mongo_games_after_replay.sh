#!/usr/bin/env bash
# MongoDB's sidearm.games (each game's latest document, for one query a page) follows a
# replay of the game, whatever its length (the MongoDB stand-in). A game under a prefix
# ends at event 4; its stream is then replaced by a run with the same first line (the same
# run id) that ends at event 2: a corrected replay cut short. The forget of that run keeps
# event 0..2 in sidearm.boxscores, and every put of the new run to "games" was refused as
# older than the stored event 4: the abandoned run's final stayed there for good, though
# the game was reported written. The forget now applies to "games" too.
. "$SRC/tests/lib.sh"
start_mongo; server_env
V=$WORK/var; mkdir -p "$V"; seed_sqlite "$V/sidearm.db"
G=$WORK/games; mkdir -p "$G/g1"
echo '{"home": 101, "away": 205}' >"$G/g1/game.json"
printf '0 59:00 101 2 1\n1 58:00 101 2 0\n2 57:00 205 5 1\n3 56:00 205 5 1\n4 00:00 0 0 0\n' >"$WORK/a.txt"
printf '0 59:00 101 2 1\n1 58:00 205 5 0\n2 00:00 0 0 0\n' >"$WORK/b.txt" # the same first line
produce() { cp "$1" "$G/g1/s.tmp" && mv "$G/g1/s.tmp" "$G/g1/gamestream.txt"; }
once() {
  "$BIN/pipeline" --source "file://$G/" --reference "sqlite://$V/sidearm.db" --results "sqlite://$V/sidearm.db" \
    --boxscores "$MONGO_URI" --once 2>>"$WORK/$1.log" || fail "run $1 exited $?: $(tail -n 3 "$WORK/$1.log")"
}
latest() {
  mongo_docs games | "$PYTHON" -c 'import json,sys
d = [json.loads(l) for l in sys.stdin]
print(*(["none"] if not d else [d[0]["event_id"], d[0]["state"], "%d-%d" % (d[0]["home"]["score"], d[0]["away"]["score"])]))'
}
produce "$WORK/a.txt"; once a
[ "$(latest)" = "4 final 1-2" ] || fail "after the first run sidearm.games holds '$(latest)', not event 4, final 1-2"
produce "$WORK/b.txt"; once b
n=$(mongo_docs boxscores '{"game": "g1"}' | wc -l)
[ "$n" = 3 ] || fail "sidearm.boxscores holds $n documents of g1, not the replay's 3"
[ "$(latest)" = "2 final 1-0" ] || fail "sidearm.games holds '$(latest)' after the shorter replay, not its final (event 2, final 1-0)"
# and back to the longer run: its final is on top again
produce "$WORK/a.txt"; once c
[ "$(latest)" = "4 final 1-2" ] || fail "sidearm.games holds '$(latest)' after the longer run again, not event 4, final 1-2"
pass "sidearm.games follows a replay with the same first line, shorter and then longer"
