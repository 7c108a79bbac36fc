#!/usr/bin/env bash
# The same game id on two days, over the wire (issue 17, item 2): day 1's
# s3://gamestreams/2026-11-28/ and day 2's s3://gamestreams/2026-11-29/ both hold
# game-001. Day 2's game-001 is refused (naming both sources), its other game is written,
# and day 1's documents (MongoDB, read back with mongo-c-driver) and rows (SQL Server,
# read back with tsql) are intact. Then the results database alone knows day 1 (its
# documents were removed from MongoDB): day 2's game-001 is refused by game_sources.
. "$SRC/tests/lib.sh"
start_s3; start_mongo; start_tds; server_env
"$BIN/gamestream-sim" --reset-reference "$SQL_URI" --target "s3://gamestreams/unused.txt" --delay 0 --events /dev/null \
  2>"$WORK/reset.log" || fail "reset of the reference failed"
printf '{"home": 101, "away": 205}\n' > "$WORK/day1.json"
printf '{"home": 118, "away": 230}\n' > "$WORK/day2.json"
printf '{"home": 101, "away": 230}\n' > "$WORK/day2-002.json"
printf '0 59:00 118 3 1\n1 58:00 230 4 1\n2 00:00 0 0 0\n' > "$WORK/day2.txt"
printf '0 59:00 101 2 1\n1 00:00 0 0 0\n' > "$WORK/day2-002.txt"
swift_put "$WORK/day1.json" gamestreams/2026-11-28/game-001/game.json
swift_put "$SRC/sql/data/game.txt" gamestreams/2026-11-28/game-001/gamestream.txt
swift_put "$WORK/day2.json" gamestreams/2026-11-29/game-001/game.json
swift_put "$WORK/day2.txt" gamestreams/2026-11-29/game-001/gamestream.txt
swift_put "$WORK/day2-002.json" gamestreams/2026-11-29/game-002/game.json
swift_put "$WORK/day2-002.txt" gamestreams/2026-11-29/game-002/gamestream.txt

run_day() { # run_day DAY LOG: pipeline --once over that day's prefix; its exit status
  local rc=0
  "$BIN/pipeline" --source "s3://gamestreams/$1/" --reference "$SQL_URI" --boxscores "$MONGO_URI" \
    --results "$SQL_URI" --once --timeout-ms 5000 2>"$WORK/$2.log" || rc=$?
  echo "$rc"
}
snapshot() { # snapshot NAME: game-001's documents and rows as the servers hold them
  mongo_docs boxscores '{"game": "game-001"}' | "$PYTHON" -c '
import json, sys
for d in sorted((json.loads(l) for l in sys.stdin), key=lambda d: d["event_id"]):
    d.pop("updated_at", None); print(json.dumps(d, sort_keys=True))' > "$WORK/$1-docs"
  tds_query "SELECT game, teamid, opponent, score, opponent_score, result FROM game_teams WHERE game = 'game-001' ORDER BY teamid" \
    > "$WORK/$1-rows"
}

[ "$(run_day 2026-11-28 day1)" = 0 ] || fail "day 1 failed: $(tail -3 "$WORK/day1.log")"
snapshot day1
[ "$(wc -l < "$WORK/day1-docs")" = 77 ] || fail "day 1 wrote $(wc -l < "$WORK/day1-docs") documents to MongoDB, not 77"
grep -q '"source": "s3://gamestreams/2026-11-28/game-001/gamestream.txt"' "$WORK/day1-docs" ||
  fail "the documents do not carry their source"
[ "$(tds_query "SELECT source FROM game_sources WHERE game = 'game-001'")" = \
  "s3://gamestreams/2026-11-28/game-001/gamestream.txt" ] || fail "game_sources does not hold day 1's source"

rc=$(run_day 2026-11-29 day2)
[ "$rc" = 1 ] || fail "day 2 exited $rc, not 1 (game-001 is refused)"
grep 'game-001: refused' "$WORK/day2.log" | grep 's3://gamestreams/2026-11-28/game-001/gamestream.txt' |
  grep -q 's3://gamestreams/2026-11-29/game-001/gamestream.txt' || fail "the refusal does not name both sources"
snapshot day2
cmp -s "$WORK/day1-docs" "$WORK/day2-docs" || fail "day 2 changed day 1's documents in MongoDB ($(wc -l < "$WORK/day2-docs") left)"
cmp -s "$WORK/day1-rows" "$WORK/day2-rows" || fail "day 2 replaced day 1's game_teams rows: $(cat "$WORK/day2-rows")"
[ "$(mongo_docs boxscores '{"game": "game-002"}' | wc -l)" = 2 ] || fail "day 2's game-002 was not written"
[ "$(tds_query "SELECT count(DISTINCT game) FROM game_teams")" = 2 ] || fail "game_teams does not hold 2 games"
grep -q 'gave up on' "$WORK/day2.log" && fail "a sink was given up: $(grep -m1 'gave up' "$WORK/day2.log")"
pass "over S3, MongoDB and SQL Server: day 2's game-001 refused; day 1's 77 documents and rows intact; game-002 written"

# day 1 again from the same source: the same documents and rows
[ "$(run_day 2026-11-28 day1-again)" = 0 ] || fail "day 1 again failed: $(tail -3 "$WORK/day1-again.log")"
snapshot again
cmp -s "$WORK/day1-docs" "$WORK/again-docs" || fail "day 1 again changed its documents"
cmp -s "$WORK/day1-rows" "$WORK/again-rows" || fail "day 1 again changed its rows"
pass "day 1 processed again: the same documents and rows"

# only the results database knows day 1 now: game_sources refuses day 2's game-001
"$PYTHON" - "$MONGO_PORT" <<'PY' 2>"$WORK/drop.log" || fail "could not remove day 1's documents: $(cat "$WORK/drop.log")"
import os, sys
from pymongo import MongoClient
c = MongoClient("127.0.0.1", int(sys.argv[1]), username="mongo", password=os.environ["MONGO_PASSWORD"], authSource="admin")
c.sidearm.boxscores.delete_many({"game": "game-001"})
c.sidearm.games.delete_many({"_id": "game-001"})
PY
rc=$(run_day 2026-11-29 day2-results)
[ "$rc" = 1 ] || fail "day 2 with only the results database knowing day 1 exited $rc, not 1"
grep 'game-001: refused' "$WORK/day2-results.log" | grep -q 'SQL Server' || fail "the results sink did not refuse game-001"
[ "$(tds_query "SELECT game, teamid, opponent, score, opponent_score, result FROM game_teams WHERE game = 'game-001' ORDER BY teamid")" \
  = "$(cat "$WORK/day1-rows")" ] || fail "the results sink replaced day 1's rows"
pass "with only SQL Server knowing day 1, game_sources refuses day 2's game-001 and keeps day 1's rows"
