#!/usr/bin/env bash
# A stop while a game's run waits for the reference must not delete the game's documents
# (the TDS stand-in for SQL Server, the MongoDB stand-in). A run's first bytes wait for a
# read of teams/players (--reference-max-age-ms 0: every run reads them again). A SIGTERM
# came while that read was out, and other writes were still being made; when the read came
# back the run was folded under the stop: nothing was folded, yet the run's first fold
# "ended" and queued its forget of what the sinks hold of the game beyond this run, keeping
# nothing (no event folded, a run id never hashed). The drain wrote it: every document the
# day had written of the game was gone from MongoDB, and the next start writes back only
# the newest. Now a read that ends after the stop is neither folded nor forgotten.
#  1. pipeline A follows two games live to their finals: MongoDB holds their documents;
#  2. pipeline B starts over the same day with game-001's folder moved out, its MongoDB
#     traffic held (tests/tools/hold_relay.py), so game-002's first write stays out; then
#     its reads of the reference are held too (a relay in front of the TDS stand-in) and
#     game-001's folder comes back: B's run of game-001 waits on the held read. SIGTERM;
#     the reference read is let through, then MongoDB, within the drain;
#  3. MongoDB still holds every document A wrote, and B exits 0.
. "$SRC/tests/lib.sh"
start_tds; start_mongo; server_env
DAY=$WORK/day; mkdir -p "$DAY"
"$BIN/gamestream-sim" --games 1 --random 9100 --delay 0 --stagger 0 --target "file://$WORK/expect/" \
  --reset-reference "$SQL_URI" 2>"$WORK/reset.log" || fail "resetting the reference failed: $(tail -n 2 "$WORK/reset.log")"

# 1. pipeline A, live, to the finals
"$BIN/pipeline" --source "file://$DAY/" --reference "$SQL_URI" --results "$SQL_URI" --boxscores "$MONGO_URI" \
  --poll-ms 50 2>"$WORK/a.log" &
A=$!; PIDS+=("$A")
DELAY=0.003 "$BIN/gamestream-sim" --games 2 --random 9100 --stagger 0 --target "file://$DAY/" 2>"$WORK/sim.log" \
  || fail "gamestream-sim failed: $(tail -n 2 "$WORK/sim.log")"
retired() { [ "$(log_count "final and written: retired" "$1")" -ge 2 ]; }
wait_for 60 retired "$WORK/a.log" || fail "pipeline A did not write the games: $(tail -n 3 "$WORK/a.log")"
kill -TERM "$A"; wait "$A" || fail "pipeline A exited $?"
game_docs() { mongo_docs boxscores '{"game": "game-001"}'; }
game_docs >"$WORK/before.jsonl"
before=$(wc -l <"$WORK/before.jsonl")
events=$(wc -l <"$DAY/game-001/gamestream.txt")
[ "$before" -gt 10 ] || fail "MongoDB holds $before documents of game-001 after A ($events events)"

# 2. pipeline B: its MongoDB writes held, then its reference read again for game-001's run,
# and B is stopped meanwhile
base=$(free_ports 2); TP=$base MP=$((base + 1)); HOLD_T=$WORK/tds.hold HOLD_M=$WORK/mongo.hold
"$PYTHON" "$SRC/tests/tools/hold_relay.py" "$TP" "$TDS_PORT" "$HOLD_T" 2>"$WORK/relay-tds.log" &
PIDS+=($!)
"$PYTHON" "$SRC/tests/tools/hold_relay.py" "$MP" "$MONGO_PORT" "$HOLD_M" 2>"$WORK/relay-mongo.log" &
PIDS+=($!)
wait_for 10 port_open "$TP" || fail "the relay in front of the TDS stand-in did not start"
wait_for 10 port_open "$MP" || fail "the relay in front of MongoDB did not start"
mv "$DAY/game-001" "$WORK/game-001"
touch "$HOLD_M"
"$BIN/pipeline" --source "file://$DAY/" --reference "mssql://sa@127.0.0.1:$TP/sidearmdb" --results "$SQL_URI" \
  --boxscores "mongodb://mongo@127.0.0.1:$MP/sidearm.boxscores" --poll-ms 50 --reference-max-age-ms 0 \
  --verbose 2>"$WORK/b.log" &
B=$!; PIDS+=("$B")
folded() { grep -q "game-002: final: " "$WORK/b.log"; }
wait_for 30 folded || fail "pipeline B did not fold game-002: $(tail -n 3 "$WORK/b.log")"
touch "$HOLD_T"
mv "$WORK/game-001" "$DAY/game-001"
held() { grep -q "held" "$HOLD_T.log"; }
wait_for 30 held || fail "B's run of game-001 did not read the reference again: $(tail -n 3 "$WORK/b.log")"
kill -TERM "$B"
sleep 0.3
rm -f "$HOLD_T"
sleep 0.5
rm -f "$HOLD_M"
rc=0; wait "$B" || rc=$?
[ $rc = 0 ] || fail "pipeline B exited $rc: $(tail -n 3 "$WORK/b.log")"

# 3. every document A wrote is still there
game_docs >"$WORK/after.jsonl"
after=$(wc -l <"$WORK/after.jsonl")
[ "$after" = "$before" ] || fail "MongoDB held $before documents of game-001 before B, $after after B was \
stopped during its run's reference read: $(tail -n 4 "$WORK/b.log")"
cmp -s "$WORK/before.jsonl" "$WORK/after.jsonl" || fail "game-001's documents changed though B folded none of it"
pass "a stop during a run's reference read, other writes out: game-001's $before documents stay in MongoDB (exit 0)"
