#!/usr/bin/env bash
# Sinks are independent (issue 7, defect 2): a results sink that fails for good (here
# teams2 is a view, so SQLite refuses to replace it) is reported and given up, and every
# box-score document, the final one included, is still written; the exit status says
# the tables were not written. And the other way round: a box-score sink that fails for
# good (its directory is a regular file) does not stop teams2/players2.
. "$SRC/tests/lib.sh"
D=$WORK/var; mkdir -p "$D"
seed_sqlite "$D/sidearm.db"
cp "$SRC/sql/data/game.txt" "$D/gamestream.txt"
cp "$D/sidearm.db" "$WORK/results.db"
sqlite3 "$WORK/results.db" "DROP TABLE IF EXISTS teams2; CREATE VIEW teams2 AS SELECT 1 AS id"

rc=0; "$BIN/pipeline" --data-dir "$D" --results "sqlite://$WORK/results.db" --once 2>"$WORK/pipeline.log" || rc=$?
[ $rc = 1 ] || fail "a failed results write gave exit $rc, not 1"
grep -q 'results sink .*use DROP VIEW' "$WORK/pipeline.log" || fail "the results error is not reported with its cause"
grep -q 'teams2/players2 were NOT written' "$WORK/pipeline.log" || fail "the unwritten tables are not reported"
n=$(find "$D/boxscores" -name '[0-9]*.json' | wc -l)
[ "$n" = 77 ] || fail "only $n of 77 box-score documents were written"
grep -q '"state": *"final"' "$D/boxscores/76.json" || fail "the final document is missing"

: > "$WORK/not-a-dir"
rc=0; "$BIN/pipeline" --data-dir "$D" --boxscores "file://$WORK/not-a-dir" --once 2>"$WORK/pipeline2.log" || rc=$?
[ $rc = 1 ] || fail "a failed box-score sink gave exit $rc, not 1"
grep -q 'gave up on box-score sink' "$WORK/pipeline2.log" || fail "the box-score sink failure is not reported"
grep -q 'wrote teams2 and players2 to .*: this game.s 2 teams and [0-9]* players counted (of 4 teams, 24 players)' "$WORK/pipeline2.log" || fail "teams2/players2 not written"
[ "$(sqlite3 "$D/sidearm.db" "SELECT count(*) FROM players2")" = 24 ] || fail "players2 is not in the database"
pass "one sink failing for good never stops the other"
