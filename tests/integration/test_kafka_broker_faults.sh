#!/usr/bin/env bash
# Broker trouble is not game trouble (issue 14): a pipeline in a Kafka group follows 3
# random games under s3://gamestreams/faults/ (Swift s3api), announced by gamestream-sim
# as MinIO's Kafka target would, through librdkafka's mock cluster (tests/servers/kafka_mock.c).
#  - every broker down at start: /readyz says it waits for Kafka; once they are up the
#    group assigns the partitions and the games are followed;
#  - mid-game: one broker down (made the group's coordinator first), then all of them for longer than the session timeout, and
#    injected request errors (Fetch, OffsetCommit, Heartbeat): the documents keep coming
#    (the safety poll reads the streams), /readyz names the brokers, and when they return
#    the instance says so and rejoins;
#  - at the end every document is the model's and teams2/players2 count each final once.
. "$SRC/tests/lib.sh"
start_s3; server_env
start_kafka 3 gamestreams-events 12
D=$WORK/var; mkdir -p "$D"
seed_sqlite "$D/sidearm.db"
N=3
read -r port < <(free_ports 1)
URL=http://127.0.0.1:$port

kafka_ctl "down all"
"$BIN/pipeline" --source s3://gamestreams/faults/ --reference "sqlite://$D/sidearm.db" --boxscores "file://$D/boxscores" \
  --results "sqlite://$D/sidearm.db" --kafka-brokers "$KAFKA_BROKERS" --kafka-topic "$KAFKA_TOPIC" --kafka-group faults \
  --kafka-session-timeout-ms 6000 --poll-ms 300 --safety-poll-ms 600 --http "127.0.0.1:$port" 2>"$WORK/pipeline.log" &
pipe=$!; PIDS+=("$pipe")
waits_for_kafka() { curl -s "$URL/readyz" | grep -q '"waiting_for":\[[^]]*kafka: '; }
wait_for 20 waits_for_kafka || fail "/readyz does not say it waits for Kafka: $(curl -s "$URL/readyz")"
sleep 2
kafka_ctl "up all"
wait_for 60 grep -q "kafka: group faults rebalanced" "$WORK/pipeline.log" || fail "no assignment once the brokers were up"
ready() { curl -s "$URL/readyz" | grep -q '"ready":true'; }
wait_for 20 ready || fail "not ready once assigned: $(curl -s "$URL/readyz")"
pass "every broker down at start: /readyz waits for Kafka; assigned once they are up"

"$BIN/gamestream-sim" --games $N --random 7300 --delay 0.012 --stagger 0.5 --target s3://gamestreams/faults/ \
  --reset-reference "sqlite://$D/sidearm.db" --kafka-brokers "$KAFKA_BROKERS" --kafka-topic "$KAFKA_TOPIC" \
  2>"$WORK/sim.log" &
sim=$!; PIDS+=("$sim")
docs() { find "$D/boxscores" -name '[0-9]*.json' 2>/dev/null | wc -l; }
more_docs() { [ "$(docs)" -gt "$1" ]; }
wait_for 60 more_docs 20 || fail "no documents before the faults"

kafka_ctl "coordinator faults 1" # broker 1 is the group's coordinator: down, the group cannot meet
kafka_ctl "down 1"
down_at=$SECONDS
n=$(docs); wait_for 20 more_docs $((n + 10)) || fail "documents stopped with one broker down"
while [ $((SECONDS - down_at)) -lt 9 ]; do sleep 1; done # past the 6 s session timeout
n=$(docs); wait_for 20 more_docs $((n + 10)) || fail "documents stopped once the coordinator was lost"
kafka_ctl "errors 1 20 6"    # Fetch: NOT_LEADER_FOR_PARTITION
kafka_ctl "errors 8 5 15"    # OffsetCommit: COORDINATOR_NOT_AVAILABLE
kafka_ctl "errors 12 5 27"   # Heartbeat: REBALANCE_IN_PROGRESS
n=$(docs); wait_for 20 more_docs $((n + 10)) || fail "documents stopped under injected request errors"
kafka_ctl "up 1"
pass "one broker down (the coordinator) and request errors mid-game: the documents keep coming"

kafka_ctl "down all"
down_at=$SECONDS
names_brokers() { curl -s "$URL/readyz" | grep -qF "no broker of $KAFKA_BROKERS answers"; }
wait_for 30 names_brokers || fail "/readyz does not name the brokers that are down: $(curl -s "$URL/readyz")"
n=$(docs); wait_for 30 more_docs $((n + 10)) || fail "documents stopped with every broker down"
while [ $((SECONDS - down_at)) -lt 10 ]; do sleep 1; done # past the 6 s session timeout
n=$(docs); wait_for 30 more_docs $((n + 5)) || fail "documents stopped once the session timed out"
grep -q "kafka: .*all_brokers_down\|_ALL_BROKERS_DOWN" "$WORK/pipeline.log" || fail "the outage was not logged"
[ "$(log_count "no broker of $KAFKA_BROKERS answers: the games owned are followed by polling" "$WORK/pipeline.log")" = 1 ] ||
  fail "the outage is not logged once naming the brokers: $(grep -m3 'ALL_BROKERS_DOWN' "$WORK/pipeline.log")"
kafka_ctl "up all"
wait_for 60 grep -q "kafka: brokers $KAFKA_BROKERS answer again" "$WORK/pipeline.log" || fail "the recovery was not logged"
wait_for 60 ready || fail "not ready after the brokers returned: $(curl -s "$URL/readyz")"
pass "every broker down mid-game, past the session timeout: followed by polling, /readyz names the brokers, rejoined"

wait "$sim" || fail "gamestream-sim failed"
retired() { [ "$(log_count "final and written: retired" "$WORK/pipeline.log")" -ge $N ]; }
wait_for 90 retired || fail "not every game was retired"
curl -sf "$URL/metrics" > "$WORK/metrics"
grep -q '^sidearm_kafka_errors_total{kind="all_brokers_down"} [1-9]' "$WORK/metrics" ||
  fail "the outage is not counted: $(grep kafka_errors "$WORK/metrics")"
! grep -q "dropped here" "$WORK/pipeline.log" || fail "a game was dropped, with no other member to take it: $(grep -m1 "dropped here" "$WORK/pipeline.log")"
kill -TERM "$pipe"; rc=0; wait "$pipe" || rc=$?
[ $rc = 0 ] || fail "the pipeline exited $rc after SIGTERM"
day_fetch gamestreams/faults game-001 game-002 game-003
sqlite_day_check "$WORK/s3" "$D/sidearm.db" "$D/boxscores" game-001 game-002 game-003
pass "after the broker faults: every document is the model's and every final is counted once"
