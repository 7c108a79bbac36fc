#!/usr/bin/env bash
# A MinIO event dropped, duplicated or reordered costs at most latency (issue 14): a
# pipeline in a Kafka group follows games under s3://gamestreams/events/ (Swift s3api).
#  - dropped: late-001 (the same game again) is played with no Kafka message at all; the listing and the safety
#    poll still bring every document;
#  - duplicated and reordered: once both games are over, every message of the topic is sent
#    again, shuffled (stale events after newer ones, each one twice); nothing changes: the
#    same documents, the same tables, and the stored offsets reach the end of every
#    partition (each message's work is done, so each is stored).
. "$SRC/tests/lib.sh"
start_s3; server_env
start_kafka 3 gamestreams-events 12
D=$WORK/var; mkdir -p "$D"
seed_sqlite "$D/sidearm.db"
read -r port < <(free_ports 1)
URL=http://127.0.0.1:$port
"$BIN/pipeline" --source s3://gamestreams/events/ --reference "sqlite://$D/sidearm.db" --boxscores "file://$D/boxscores" \
  --results "sqlite://$D/sidearm.db" --kafka-brokers "$KAFKA_BROKERS" --kafka-topic "$KAFKA_TOPIC" --kafka-group ev \
  --poll-ms 400 --safety-poll-ms 2000 --http "127.0.0.1:$port" 2>"$WORK/pipeline.log" &
pipe=$!; PIDS+=("$pipe")
wait_for 60 grep -q "kafka: group ev rebalanced" "$WORK/pipeline.log" || fail "no assignment"

# game-001 with its events, late-001 (the same game, another run of the sim) with none
"$BIN/gamestream-sim" --games 1 --random 8100 --delay 0.004 --target s3://gamestreams/events/ \
  --reset-reference "sqlite://$D/sidearm.db" --kafka-brokers "$KAFKA_BROKERS" --kafka-topic "$KAFKA_TOPIC" \
  2>"$WORK/sim1.log" || fail "gamestream-sim (game-001) failed"
"$BIN/gamestream-sim" --games 1 --random 8100 --delay 0.004 --target s3://gamestreams/events/ --game-prefix late- \
  2>"$WORK/sim2.log" || fail "gamestream-sim (late-001) failed"
games=(game-001 late-001)
retired() { [ "$(log_count "final and written: retired" "$WORK/pipeline.log")" -ge 2 ]; }
wait_for 90 retired || fail "not both games were retired (the one with no events among them?)"
grep -q "late-001: found:" "$WORK/pipeline.log" || fail "the game without events was not followed"
pass "a game whose events were all dropped is followed all the same (listing and safety poll)"

# every message again, shuffled and twice: stale, duplicated, out of order
cp -r "$D/boxscores" "$WORK/before"
sqlite3 "$D/sidearm.db" "SELECT * FROM teams2 ORDER BY id; SELECT * FROM players2 ORDER BY id; SELECT * FROM game_teams ORDER BY game, teamid" >"$WORK/tables.before"
kcat -b "$KAFKA_BROKERS" -C -t "$KAFKA_TOPIC" -o beginning -e -q -f '%k\t%s\n' >"$WORK/all.tsv" 2>/dev/null
total=$(wc -l < "$WORK/all.tsv")
[ "$total" -gt 50 ] || fail "the topic holds $total messages, not game-001's"
"$PYTHON" - "$WORK/all.tsv" "$WORK/again" <<'PY'
import random, sys
rows = [l.rstrip("\n").split("\t", 1) for l in open(sys.argv[1], encoding="utf-8") if "\t" in l]
rows = rows * 2
random.Random(14).shuffle(rows)
with open(sys.argv[2] + ".keys", "w") as k, open(sys.argv[2] + ".values", "w") as v:
    for key, value in rows:
        print(key, file=k); print(value, file=v)
PY
paste -d '\t' "$WORK/again.keys" "$WORK/again.values" |
  kcat -b "$KAFKA_BROKERS" -P -t "$KAFKA_TOPIC" -K '\t' -X partitioner=fnv1a 2>"$WORK/kcat.log"
at_end() { # every partition's stored offset is its end: all the work of every message is done
  curl -sf "$URL/metrics" >"$WORK/metrics" || return 1
  "$PYTHON" - "$WORK/metrics" "$KAFKA_BROKERS" "$KAFKA_TOPIC" <<'PY'
import re, subprocess, sys
text = open(sys.argv[1]).read()
stored = {int(p): float(v) for p, v in re.findall(r'sidearm_kafka_offset\{partition="(\d+)",kind="stored"\} (\S+)', text)}
lag = {int(p): float(v) for p, v in re.findall(r'sidearm_kafka_lag\{partition="(\d+)"\} (\S+)', text)}
ends = {}
out = subprocess.run(["kcat", "-b", sys.argv[2], "-Q", "-t", f"{sys.argv[3]}:0:-1"] +
                     sum([["-t", f"{sys.argv[3]}:{p}:-1"] for p in range(1, 12)], []),
                     capture_output=True, text=True).stdout
for line in out.splitlines():
    m = re.match(r"\S+ \[(\d+)\] offset (\d+)", line)
    if m:
        ends[int(m.group(1))] = int(m.group(2))
bad = [p for p, e in ends.items() if e > 0 and stored.get(p, -1) != e]
sys.exit(1 if bad or not ends else 0)
PY
}
wait_for 60 at_end || fail "the stored offsets did not reach the end of the partitions: $(grep 'kafka_offset.*stored' "$WORK/metrics" | head -5)"
sleep 2
sqlite3 "$D/sidearm.db" "SELECT * FROM teams2 ORDER BY id; SELECT * FROM players2 ORDER BY id; SELECT * FROM game_teams ORDER BY game, teamid" >"$WORK/tables.after"
cmp -s "$WORK/tables.before" "$WORK/tables.after" || fail "the replayed events changed the tables"
for g in "${games[@]}"; do
  docs_equal "$WORK/before/$g" "$D/boxscores/$g" || fail "$g: the replayed events changed its documents"
done
kill -0 "$pipe" || fail "the pipeline died"
pass "$((2 * total)) stale, duplicated and reordered events: the same documents and tables, every offset stored"

kill -TERM "$pipe"; rc=0; wait "$pipe" || rc=$?
[ $rc = 0 ] || fail "the pipeline exited $rc after SIGTERM"
day_fetch gamestreams/events "${games[@]}"
sqlite_day_check "$WORK/s3" "$D/sidearm.db" "$D/boxscores" "${games[@]}"
pass "both games: every document the model's, each final counted once"
