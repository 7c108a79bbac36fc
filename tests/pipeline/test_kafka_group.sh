#!/usr/bin/env bash
# Past one machine (issue 14), over a file:// prefix: two pipelines in one Kafka consumer
# group (librdkafka's mock cluster, a 12-partition topic) follow 8 random games that
# gamestream-sim plays and announces as MinIO's Kafka target would. Each game is followed
# by exactly the instance owning its partition (MinIO's mapping, recomputed here by an
# independent model of sarama's hash partitioner). One instance is killed with SIGKILL in
# the middle of the day: the survivor takes its partitions over and its games; the
# takeover time (kill -> the survivor's first read of each moved game) is printed. Then
# every game's documents match the independent model at every event, and teams2/players2
# are the reference plus every final once. Then a third instance joins (scale up): /v1/games
# of each lists only the games of its own partitions, a's /metrics passes promtool and names
# its partitions, and the season stays counted once.
. "$SRC/tests/lib.sh"
command -v promtool >/dev/null || fail "promtool is missing (Debian package prometheus: scripts/install-deps.sh --with-tests)"
start_kafka 3 gamestreams-events 12
D=$WORK/var; G=$WORK/games
mkdir -p "$D" "$G"
seed_sqlite "$D/sidearm.db"
N=8
# MinIO's partition of a key over 12 partitions, modelled apart from the C code: sarama's
# hash partitioner (FNV-1a 32, as int32, modulo, negated when negative)
cat >"$WORK/kpart.py" <<'PY'
def part(key):
    h = 0x811C9DC5
    for c in key.encode():
        h = ((h ^ c) * 0x01000193) & 0xFFFFFFFF
    s = h - (1 << 32) if h & 0x80000000 else h
    return abs(s) % 12
PY

# member NAME: a pipeline of group "day"; NAME_PID and NAME_PORT
member() {
  local port
  read -r port < <(free_ports 1)
  "$BIN/pipeline" --source "file://$G/" --reference "sqlite://$D/sidearm.db" --boxscores "file://$D/boxscores" \
    --results "sqlite://$D/sidearm.db" --kafka-brokers "$KAFKA_BROKERS" --kafka-topic "$KAFKA_TOPIC" \
    --kafka-group day --kafka-session-timeout-ms 6000 --poll-ms 500 --http "127.0.0.1:$port" \
    2>"$WORK/$1.log" &
  PIDS+=("$!")
  printf -v "${1}_PID" %s "$!"
  printf -v "${1}_PORT" %s "$port"
}
a_PID='' a_PORT='' b_PID='' # set by member() through printf -v
member a
member b
two_members() { grep -q "rebalanced: partitions [0-9,]* of 12 assigned here" "$WORK/a.log" &&
  [ "$(grep "rebalanced:" "$WORK/a.log" | tail -n 1 | grep -o 'partitions [0-9,]*' | tr ',' '\n' | wc -l)" -lt 12 ] &&
  grep -q "rebalanced: partitions" "$WORK/b.log"; }
wait_for 60 two_members || fail "the two members did not share the topic: $(grep -h rebalanced "$WORK"/[ab].log)"
curl -sf "http://127.0.0.1:$a_PORT/readyz" | grep -q '"ready":true' || fail "a is not ready once assigned"

"$BIN/gamestream-sim" --games $N --random 900 --delay 0.008 --stagger 0.6 --target "file://$G/" \
  --reset-reference "sqlite://$D/sidearm.db" --kafka-brokers "$KAFKA_BROKERS" --kafka-topic "$KAFKA_TOPIC" \
  2>"$WORK/sim.log" &
sim=$!; PIDS+=("$sim")

# ownership before the kill: each game found by the owner of its partition, and only there
wait_for 60 grep -q "game-$(printf %03d $N): Wrote" "$WORK/sim.log" || fail "the last game did not start"
sleep 2
owners() { # the partitions each member was assigned last, and each game's finder
  "$PYTHON" - "$WORK" "$N" <<'PY'
import re, sys
work, n = sys.argv[1], int(sys.argv[2])
sys.path.insert(0, work)
from kpart import part
mine = {}
for m in "ab":
    log = open(f"{work}/{m}.log", encoding="utf-8").read()
    last = re.findall(r"rebalanced: partitions ([0-9,]+) of 12", log)[-1]
    mine[m] = {int(p) for p in last.split(",")}
    mine[m + "found"] = set(re.findall(r"(game-\d+): found:", log))
bad = []
for i in range(1, n + 1):
    g = f"game-{i:03d}"
    owner = [m for m in "ab" if part(f"/{g}/gamestream.txt") in mine[m]]
    finders = [m for m in "ab" if g in mine[m + "found"]]
    if owner != finders:
        bad.append(f"{g}: partition {part(f'/{g}/gamestream.txt')} owned by {owner}, followed by {finders}")
print("\n".join(bad))
sys.exit(1 if bad else 0)
PY
}
owners || fail "a game is not followed by exactly the owner of its partition"
pass "two members share the 12 partitions; each game is followed by the owner of its partition only"

# b stops answering for longer than the session (SIGSTOP): the group goes on without it, and
# when it runs again its assignment is lost while the brokers answer: it pauses its games
kill -STOP "$b_PID"
sleep 9
kill -CONT "$b_PID"
wait_for 30 grep -q "lost while the brokers answer" "$WORK/b.log" ||
  fail "b did not see its membership lost: $(grep "kafka: " "$WORK/b.log" | tail -n 3)"
rejoined() { [ "$(grep -c "kafka: group day rebalanced" "$WORK/b.log")" -ge 2 ]; }
wait_for 60 rejoined || fail "b did not rejoin the group"
pass "b stopped past its session: the group went on, b paused its games and rejoined"

# b dies in the middle of the day
# the games b follows now: found, and not dropped or retired since
followed() {
  "$PYTHON" - "$1" <<'PY'
import re, sys
now = set()
for l in open(sys.argv[1], encoding="utf-8"):
    m = re.search(r" (game-\d+): (found:|its partition is assigned elsewhere|final and written)", l)
    if m:
        (now.add if m.group(2) == "found:" else now.discard)(m.group(1))
print("\n".join(sorted(now)))
PY
}
mapfile -t moved < <(followed "$WORK/b.log")
a_lines=$(wc -l < "$WORK/a.log")
[ ${#moved[@]} -gt 0 ] || fail "b follows no game: nothing would move"
kill -KILL "$b_PID"
killed_at=$(date +%s.%N)
taken() { for g in "${moved[@]}"; do tail -n +$((a_lines + 1)) "$WORK/a.log" | grep -q "$g: found:" || return 1; done; }
wait_for 60 taken || fail "a did not take over b's games (${moved[*]}): $(grep rebalanced "$WORK/a.log" | tail -n 2)"
"$PYTHON" - "$WORK/a.log" "$killed_at" "$a_lines" "${moved[@]}" <<'PY'
import datetime, sys
log, killed = open(sys.argv[1], encoding="utf-8").read().splitlines()[int(sys.argv[3]):], float(sys.argv[2])
for g in sys.argv[4:]:
    line = next(l for l in log if f"{g}: found:" in l)
    t = datetime.datetime.strptime(line.split()[0], "%Y-%m-%dT%H:%M:%S.%fZ").replace(tzinfo=datetime.timezone.utc)
    print(f"takeover of {g}: {t.timestamp() - killed:.1f} s after the kill (session timeout 6 s)")
PY
pass "a took over b's games after b's SIGKILL"

wait "$sim" || fail "gamestream-sim failed"
all_retired() { [ "$(log_count "final and written: retired" "$WORK/a.log")" -ge ${#moved[@]} ] &&
  [ "$(cat "$WORK"/[ab].log | grep -c "final and written: retired")" -ge $N ]; }
wait_for 90 all_retired || fail "not every game was retired"
# scale up: c joins; a gives up half its partitions, and /v1/games of each lists only the
# games of its own partitions (a game that moved is not shown by its former owner)
c_PID='' c_PORT=''
member c
a_halved() { [ "$(grep "rebalanced:" "$WORK/a.log" | tail -n 1 | grep -o 'partitions [0-9,]*' | tr ',' '\n' |
  wc -l)" -lt 12 ] && grep -q "rebalanced: partitions" "$WORK/c.log"; }
wait_for 60 a_halved || fail "c did not join: $(grep -h rebalanced "$WORK"/[ac].log | tail -n 3)"
sleep 1
listed_by_owner() {
  curl -sf "http://127.0.0.1:$a_PORT/v1/games" >"$WORK/a.games" && curl -sf "http://127.0.0.1:$c_PORT/v1/games" >"$WORK/c.games" &&
  "$PYTHON" - "$WORK" <<'PY'
import json, re, sys
work = sys.argv[1]
sys.path.insert(0, work)
from kpart import part
bad = []
for m in "ac":
    mine = {int(p) for p in re.findall(r"rebalanced: partitions ([0-9,]+) of 12",
                                       open(f"{work}/{m}.log", encoding="utf-8").read())[-1].split(",")}
    body = json.load(open(f"{work}/{m}.games", encoding="utf-8"))
    games = body["games"] if isinstance(body, dict) else body
    for g in games:
        if part(f"/{g['game']}/gamestream.txt") not in mine:
            bad.append(f"{m} lists {g['game']} of partition {part(f'/' + g['game'] + '/gamestream.txt')}, not its own")
print("\n".join(bad))
sys.exit(1 if bad else 0)
PY
}
wait_for 20 listed_by_owner || fail "/v1/games lists a game whose partition is another member's"
pass "scale up: c joins, and /v1/games of a and c list only the games of their own partitions"
# /metrics with Kafka: promtool accepts it, and it says what the log and the listing say
curl -sf "http://127.0.0.1:$a_PORT/metrics" >"$WORK/a.metrics" || fail "no /metrics from a"
promtool check metrics <"$WORK/a.metrics" >"$WORK/promtool.log" 2>&1 || { cat "$WORK/promtool.log" >&2
  fail "promtool check metrics: a's /metrics with Kafka"; }
nparts=$(grep "rebalanced:" "$WORK/a.log" | tail -n 1 | grep -o 'partitions [0-9,]*' | tr ',' '\n' | wc -l)
grep -qx "sidearm_kafka_partitions_assigned $nparts" "$WORK/a.metrics" ||
  fail "sidearm_kafka_partitions_assigned is not the $nparts partitions a's log names: $(grep kafka_partitions "$WORK/a.metrics")"
[ "$(grep -c '^sidearm_kafka_offset{partition="[0-9]*",kind="stored"}' "$WORK/a.metrics")" = "$nparts" ] ||
  fail "a's stored offsets are not one series per assigned partition"
grep -q '^sidearm_kafka_rebalances_total [2-9]' "$WORK/a.metrics" || fail "a counts fewer than 2 rebalances"
pass "a's /metrics passes promtool: $nparts partitions assigned, one offset series each, the rebalances counted"
kill -TERM "$c_PID"; rc=0; wait "$c_PID" || rc=$?
[ $rc = 0 ] || fail "c exited $rc after SIGTERM"

kill -TERM "$a_PID"; rc=0; wait "$a_PID" || rc=$?
[ $rc = 0 ] || fail "a exited $rc after SIGTERM"
grep -q "kafka: leaving group\|did not end within" "$WORK/a.log" && fail "a did not leave the group cleanly"

mapfile -t all < <(for i in $(seq 1 $N); do printf 'game-%03d\n' "$i"; done)
sqlite_day_check "$G" "$D/sidearm.db" "$D/boxscores" "${all[@]}"
pass "after the kill: every document of the $N games is the model's, and the season tables count each final once"
