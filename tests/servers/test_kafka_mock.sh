#!/usr/bin/env bash
# The Kafka stand-in (tests/servers/kafka_mock.c) does what the Kafka tests rely on, seen
# through a real client (kcat): two topics; keyed messages produced with librdkafka's
# fnv1a partitioner land where MinIO's mapping says and are consumed back; a broker set
# down is unreachable and a partition it leads takes no messages until it is up again;
# pushed request errors and a response delay fail a produce, and the next one succeeds;
# a partition's leader moves
kafka_ctl "leader t2 0 3"
kc -L -t t2 2>/dev/null | grep -q "partition 0, leader 3," || fail "partition 0 of t2 is not led by broker 3: $(kc -L -t t2 2>&1)"

# a bad command is refused.
. "$SRC/tests/lib.sh"
start_kafka 3 t1,t2 4
grep -q "kafka_mock: ready: 3 brokers" "$WORK/kafka.log" || fail "no ready line: $(cat "$WORK/kafka.log")"
kc() { kcat -b "$KAFKA_BROKERS" -X message.timeout.ms=3000 "$@"; }
kc -L >"$WORK/meta" 2>&1 || fail "kcat -L: $(cat "$WORK/meta")"
for t in t1 t2; do grep -q "topic \"$t\" with 4 partitions" "$WORK/meta" || fail "no topic $t: $(cat "$WORK/meta")"; done
[ "$(grep -c '^  broker [123] at 127.0.0.1:' "$WORK/meta")" -eq 3 ] || fail "not 3 brokers: $(cat "$WORK/meta")"

# keyed messages: where MinIO's mapping says, and back in full
for i in $(seq 1 20); do echo "b/game-$i/gamestream.txt|v$i"; done >"$WORK/in"
kc -P -t t1 -K '|' -X partitioner=fnv1a -l "$WORK/in" || fail "produce failed"
kc -C -t t1 -o beginning -e -q -f '%k %p %s\n' >"$WORK/out" || fail "consume failed"
[ "$(wc -l <"$WORK/out")" -eq 20 ] || fail "consumed $(wc -l <"$WORK/out") of 20: $(cat "$WORK/out")"
"$BIN/kafka_partition" 4 <"$WORK/out" >"$WORK/parts" || fail "partition not MinIO's: $(grep BAD "$WORK/parts")"
[ "$(cut -d' ' -f3 "$WORK/out" | sort -u | wc -l)" -ge 3 ] || fail "20 keys in fewer than 3 partitions"

# the leader of partition 0 goes down: unreachable, and partition 0 takes nothing
leader=$(sed -n 's/^ *partition 0, leader \([0-9]*\),.*/\1/p' "$WORK/meta" | head -n 1)
[ -n "$leader" ] || fail "no leader for partition 0"
kafka_ctl "down $leader"
leader_port=$(sed -n "s/^  broker $leader at 127.0.0.1:\([0-9]*\).*/\1/p" "$WORK/meta")
port_open "$leader_port" && fail "broker $leader (port $leader_port) still accepts connections when down"
echo down | kc -P -t t1 -p 0 2>"$WORK/down.err" && fail "a produce to partition 0 worked with its leader down"
grep -q "Delivery failed" "$WORK/down.err" || fail "no delivery failure: $(cat "$WORK/down.err")"
kafka_ctl "up $leader"
echo up | kc -P -t t1 -p 0 2>"$WORK/up.err" || fail "broker $leader back up, partition 0 still refuses: $(cat "$WORK/up.err")"

# every broker down, then up
kafka_ctl "down all"
echo none | kc -P -t t2 -p 1 2>/dev/null && fail "a produce worked with every broker down"
kafka_ctl "up all"
echo back | kc -P -t t2 -p 1 || fail "brokers up, produce still fails"

# pushed errors: the next Produce (API key 0) fails with TOPIC_AUTHORIZATION_FAILED (29)
kafka_ctl "errors 0 1 29"
echo refused | kc -P -t t2 -p 2 2>"$WORK/err.err" && fail "a produce worked despite the pushed error"
grep -q -i "authoriz" "$WORK/err.err" || fail "not the pushed error: $(cat "$WORK/err.err")"
echo after | kc -P -t t2 -p 2 || fail "the error was pushed once, the next produce still fails"

# a response delay past the client's timeout fails it; none, and it works
kafka_ctl "rtt all 3000"
echo slow | kc -P -t t2 -p 3 -X message.timeout.ms=1000 2>/dev/null && fail "a produce beat a 3 s delay with a 1 s timeout"
kafka_ctl "rtt all 0"
echo fast | kc -P -t t2 -p 3 || fail "no delay, produce still fails"
kc -C -t t2 -o beginning -e -q -f '%p %s\n' | sort >"$WORK/t2"
printf '1 back\n2 after\n3 fast\n' | diff - "$WORK/t2" || fail "topic t2 holds other messages than the ones acknowledged"

# a partition's leader moves
kafka_ctl "leader t2 0 3"
kc -L -t t2 2>/dev/null | grep -q "partition 0, leader 3," || fail "partition 0 of t2 is not led by broker 3: $(kc -L -t t2 2>&1)"

# a bad command is refused and said
echo "down 9" >"$KAFKA_CTL"
wait_for 10 grep -q "kafka_mock: down 9: refused" "$WORK/kafka.log" || fail "broker 9 of 3 was not refused"
pass "kafka_mock_control"
