#!/usr/bin/env bash
# gamestream-sim --kafka-brokers/--kafka-topic (issue 14): after each write, the message
# MinIO's Kafka target sends, through the Kafka stand-in (librdkafka's mock cluster, 12
# partitions), read back with kcat: one message per write; the key is "<bucket>/<key>"
# (file://: bucket "" and the key relative to the prefix, "/game-001/gamestream.txt");
# the value is {"EventName","Key","Records":[the webhook's record]} with s3.object.key
# URL-escaped; the partition is MinIO's (kk_partition, common/kafka_key.c). With every
# broker down the sim still writes every line, says so once naming a broker, and exits.
. "$SRC/tests/lib.sh"
start_kafka 3 gamestreams-events 12
G=$WORK/games; mkdir -p "$G"
"$BIN/gamestream-sim" --games 4 --random 60 --delay 0 --stagger 0 --target "file://$G/" \
  --kafka-brokers "$KAFKA_BROKERS" --kafka-topic "$KAFKA_TOPIC" 2>"$WORK/sim.log" || fail "sim failed: $(tail -n 5 "$WORK/sim.log")"
writes=$(log_count ": Wrote " "$WORK/sim.log")
[ "$writes" -gt 40 ] || fail "only $writes writes logged"
kcat -b "$KAFKA_BROKERS" -C -t "$KAFKA_TOPIC" -o beginning -e -q -f '%k %p %s\n' >"$WORK/msgs" || fail "kcat failed"
[ "$(wc -l <"$WORK/msgs")" -eq "$writes" ] || fail "$writes writes but $(wc -l <"$WORK/msgs") messages"
"$BIN/kafka_partition" 12 <"$WORK/msgs" >"$WORK/parts" || fail "not MinIO's partition: $(grep BAD "$WORK/parts" | cut -c1-200)"
"$PYTHON" - "$WORK/msgs" "$G" <<'PY' || fail "a message is not what MinIO's Kafka target sends"
import json, os, sys, urllib.parse
msgs, root = sys.argv[1:3]
last, parts = {}, {}
for n, line in enumerate(open(msgs, encoding="utf-8"), 1):
    key, part, value = line.rstrip("\n").split(" ", 2)
    assert key.startswith("/game-") and key.count("/") == 2, f"message {n}: key {key!r}"
    v = json.loads(value)
    assert set(v) == {"EventName", "Key", "Records"}, f"message {n}: {sorted(v)}"
    assert v["EventName"] == "s3:ObjectCreated:Put" and v["Key"] == key, f"message {n}: {v['EventName']} {v['Key']}"
    rec, = v["Records"]
    assert rec["eventName"] == "s3:ObjectCreated:Put" and rec["eventSource"] == "minio:s3", rec
    s3 = rec["s3"]
    assert s3["bucket"]["name"] == "", s3["bucket"]
    ok = s3["object"]["key"]
    assert "/" not in ok and urllib.parse.unquote(ok) == key[1:], f"message {n}: object key {ok!r} for {key!r}"
    size = s3["object"]["size"]
    assert size >= last.get(key, 0), f"message {n}: {key} shrinks from {last.get(key)} to {size}"
    last[key] = size
    parts.setdefault(key.split("/")[1], set()).add(int(part))
files = {"/" + os.path.relpath(os.path.join(d, f), root) for d, _, fs in os.walk(root) for f in fs}
assert set(last) == files, f"keys {sorted(last)} but files {sorted(files)}"
for k, size in last.items():
    assert size == os.path.getsize(root + k), f"{k}: last event says {size} bytes"
print(f"{n} messages, {len(files)} objects, partitions per game: {sorted((g, sorted(p)) for g, p in parts.items())}")
PY
pass "one MinIO-format message per write ($writes), keys, values and partitions as MinIO's"

# every broker down: the streams are still written, the trouble said once, the exit bounded
kafka_ctl "down all"
D=$WORK/down; mkdir -p "$D"
"$BIN/gamestream-sim" --games 2 --random 30 --delay 0 --stagger 0 --target "file://$D/" --timeout-ms 1500 \
  --kafka-brokers "$KAFKA_BROKERS" --kafka-topic "$KAFKA_TOPIC" 2>"$WORK/down.log" || fail "sim failed with the brokers down"
[ "$(log_count "all [0-9]* lines written" "$WORK/down.log")" -eq 2 ] || fail "not every line written: $(tail -n 3 "$WORK/down.log")"
[ "$(grep -c 'warn .*--kafka-brokers: 127\.0\.0\.1:[0-9]*/[a-z0-9]*: .*logged once' "$WORK/down.log")" -eq 1 ] ||
  fail "the broker trouble is not said once, naming the broker: $(grep -- --kafka "$WORK/down.log" | head -n 3)"
grep -q -- "--kafka-brokers: .*events were \(not delivered\|still queued\)" "$WORK/down.log" || fail "the lost events are not counted"
! grep -q '|rdkafka#' "$WORK/down.log" || fail "librdkafka's own lines at the default level: $(grep -m 2 '|rdkafka#' "$WORK/down.log")"
kafka_ctl "up all"
pass "brokers down: every line written, the trouble said once, the lost events counted"
