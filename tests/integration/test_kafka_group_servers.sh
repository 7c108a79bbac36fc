#!/usr/bin/env bash
# Past one machine (issue 14) over the servers: three pipelines in one Kafka consumer
# group (librdkafka's mock cluster, a 12-partition topic) follow 20 random games under
# s3://gamestreams/day/ (Swift s3api) into MongoDB and SQL Server (the stand-ins).
# gamestream-sim writes each stream and sends MinIO's Kafka message after each write.
#   1. one member is killed with SIGKILL mid-day: the others take its games over; the
#      takeover time (kill -> a survivor's first box score of each moved game) is printed;
#   2. a fourth member joins (scale up), then one is stopped with SIGTERM (scale down: it
#      leaves the group, and exits 0 having written what it had);
#   3. at the end, every game's documents in MongoDB are the model's at every event and of
#      one run, sidearm.games holds each final, and teams2/players2 over tsql are the
#      reference plus every final exactly once.
. "$SRC/tests/lib.sh"
start_s3; start_mongo; start_tds; server_env
start_kafka 3 gamestreams-events 12
N=20
games=()
for i in $(seq 1 $N); do games+=("$(printf 'game-%03d' "$i")"); done

member() { # NAME: a pipeline of group "day"
  "$BIN/pipeline" --source s3://gamestreams/day/ --reference "$SQL_URI" --boxscores "$MONGO_URI" --results "$SQL_URI" \
    --kafka-brokers "$KAFKA_BROKERS" --kafka-topic "$KAFKA_TOPIC" --kafka-group day --kafka-session-timeout-ms 6000 \
    --poll-ms 1000 --safety-poll-ms 5000 --backoff-max-ms 800 --timeout-ms 3000 --http off --verbose --metrics-file "$WORK/$1.prom" \
    2>"$WORK/$1.log" &
  PIDS+=("$!")
  printf -v "${1}_PID" %s "$!"
}
a_PID='' c_PID='' # set by member() through printf -v, as b_PID and d_PID
"$BIN/gamestream-sim" --reset-reference "$SQL_URI" --events /dev/null --target "file://$WORK/unused.txt" 2>/dev/null
member a; member b; member c
members_of() { local m n=0; for m in "$@"; do grep -q "kafka: group day rebalanced" "$WORK/$m.log" && n=$((n + 1)); done; echo $n; }
three() { [ "$(members_of a b c)" = 3 ]; }
wait_for 60 three || fail "the three members were not all assigned partitions"

"$BIN/gamestream-sim" --games $N --random 4100 --delay 0.01 --stagger 0.5 --target s3://gamestreams/day/ \
  --reset-reference "$SQL_URI" --kafka-brokers "$KAFKA_BROKERS" --kafka-topic "$KAFKA_TOPIC" 2>"$WORK/sim.log" &
sim=$!; PIDS+=("$sim")

# 1. c dies once every game has begun
wait_for 90 grep -q "game-0$N: Wrote" "$WORK/sim.log" || fail "the last game did not start"
sleep 2
mapfile -t moved < <(grep -o "game-[0-9]*: found:" "$WORK/c.log" | cut -d: -f1 | sort -u)
[ ${#moved[@]} -gt 0 ] || fail "c follows no game: nothing would move"
kill -KILL "$c_PID"
killed_at=$(date +%s.%N)
written_elsewhere() { # the first document a survivor wrote of each moved game, after the kill
  local g
  for g in "${moved[@]}"; do grep -q "$g: document [0-9]* written" "$WORK/a.log" "$WORK/b.log" || return 1; done
}
wait_for 90 written_elsewhere || fail "the survivors did not take over c's games (${moved[*]})"
"$PYTHON" - "$killed_at" "$WORK/a.log" "$WORK/b.log" "${moved[@]}" <<'PY'
import datetime, re, sys
killed, logs, games = float(sys.argv[1]), sys.argv[2:4], sys.argv[4:]
lines = [l for f in logs for l in open(f, encoding="utf-8", errors="replace")]
def when(l):
    return datetime.datetime.strptime(l.split()[0], "%Y-%m-%dT%H:%M:%S.%fZ").replace(
        tzinfo=datetime.timezone.utc).timestamp()
took = []
for g in games:
    t = min(when(l) for l in lines if re.search(rf"{g}: document \d+ written", l) and when(l) > killed)
    took.append(t - killed)
    print(f"takeover of {g}: its first document from a survivor {t - killed:.1f} s after the kill")
print(f"takeover: {len(took)} games, min {min(took):.1f} s, max {max(took):.1f} s (session timeout 6 s)")
PY
pass "c was SIGKILLed mid-day; a and b took its ${#moved[@]} games over"

# 2. scale up, then down
member d
joined() { grep -q "kafka: group day rebalanced" "$WORK/d.log"; }
wait_for 60 joined || fail "d was not assigned partitions"
kill -TERM "$a_PID"; rc=0; wait "$a_PID" || rc=$?
[ $rc = 0 ] || fail "a exited $rc after SIGTERM (scale down)"
pass "d joined (scale up) and a left with SIGTERM, exit 0 (scale down)"

wait "$sim" || fail "gamestream-sim failed"
day_fetch gamestreams/day "${games[@]}"
deadline=$((SECONDS + 120))
until day_all_final "${games[@]}"; do
  [ $SECONDS -lt $deadline ] || fail "not every game's final document reached MongoDB"
  sleep 1
done
retired() { [ "$(cat "$WORK"/[abcd].log | grep -c "final and written: retired")" -ge $N ]; }
wait_for 60 retired || fail "not every final was written"
for m in b d; do
  pid=${m}_PID
  kill -TERM "${!pid}"; rc=0; wait "${!pid}" || rc=$?
  [ $rc = 0 ] || fail "$m exited $rc after SIGTERM"
done
day_check "${games[@]}"
pass "$N games over S3, MongoDB and SQL Server by a group that lost a member, gained one and shed one: every document the model's, every final counted once"
