#!/usr/bin/env bash
# bench/kafka.sh — past one machine (issue 14): three pipelines in one Kafka consumer group
# (librdkafka's mock cluster, tests/servers/kafka_mock.c, 12 partitions) follow a game day
# under a file:// prefix; gamestream-sim writes the games and sends MinIO's Kafka message
# after each write. One instance is SIGKILLed in the middle of the day. Measures, never
# asserts a speed (exit 1 only when the day's output is wrong: a document missing, the
# season tables not the reference plus every final once).
#
#   bench/kafka.sh              (GAMES=1000 DELAY=0.05 STAGGER=0.05: about 6 minutes)
#   GAMES=30 DELAY=0.01 bench/kafka.sh     a smoke run (about 1 minute)
#   SOURCE=s3 GAMES=300 STAGGER=0.3 DELAY=0.1 bench/kafka.sh   the day under s3://gamestreams/day/
#                               on a local Swift (tests/servers/s3_swift_server.sh); each instance
#                               talks to it through its own counting proxy (tests/tools/count_proxy.py),
#                               so S3 requests per game are counted per instance
#
# Environment: GAMES (1000), DELAY (0.05 real s per game s: an hour in 3 min), STAGGER (0.05 s
# between game starts), POLL_MS (1000; the safety poll, SAFETY_POLL_MS, 5000), SESSION_MS
# (6000, the group's session timeout), KILL_AFTER (seconds after the sim starts: 60% of the
# day by default), SEED (1), BUILD_DIR (build; NO_BUILD=1 skips scripts/build.sh), BENCH_KEEP=1.
#
# What is measured and how (as bench/games.sh measures one process):
# - latency, producer write -> document written: the sim logs each write ("<game>: Wrote ...
#   at mm:ss", ms timestamps); the document's time is the ctime of DIR/<game>/<id>.json (the
#   directory sink renames it into place). Before the kill (events written before it) and
#   after it (written once every moved game had a new document): p50 and p99.
# - takeover: from the SIGKILL to the first document a survivor wrote of each game the dead
#   instance followed (file ctimes, after the kill).
# - events lost: lines of the final streams with no document (must be 0); season tables
#   checked against tests/tools/oracle.py.
# - CPU (utime+stime) and peak RSS (VmHWM) per instance; reads (polls) per game from each
#   instance's "done:" lines. A file:// read is a stat and a read, not a request: SOURCE=s3
#   counts the S3 requests (listings, stream GETs, game.json GETs, other) each instance made,
#   per game of the day, before and after the kill.
set -euo pipefail
cd "$(dirname "$0")/.."
SRC=$PWD
BIN=$PWD/${BUILD_DIR:-build}/bin
export SRC BIN
SOURCE=${SOURCE:-file} GAMES=${GAMES:-1000} DELAY=${DELAY:-0.05} STAGGER=${STAGGER:-0.05} POLL_MS=${POLL_MS:-1000}
SAFETY_POLL_MS=${SAFETY_POLL_MS:-5000} SESSION_MS=${SESSION_MS:-6000} SEED=${SEED:-1}
day_s=$(awk -v n="$GAMES" -v s="$STAGGER" -v d="$DELAY" 'BEGIN { printf "%d", (n - 1) * s + 3600 * d }')
KILL_AFTER=${KILL_AFTER:-$((day_s * 6 / 10))}
[ "${NO_BUILD:-0}" = 1 ] || BUILD_DIR=${BUILD_DIR:-build} bash scripts/build.sh >/dev/null

# shellcheck source=/dev/null
. "$SRC/tests/lib.sh"
bench_cleanup() {
  local rc=$?
  for d in "${S3_STOP[@]}"; do bash "$SRC/tests/servers/s3_swift_server.sh" stop "$d" >/dev/null 2>&1 || true; done
  for pid in "${PIDS[@]}"; do kill "$pid" 2>/dev/null || true; done
  for pid in "${PIDS[@]}"; do wait "$pid" 2>/dev/null || true; done
  if [ "${BENCH_KEEP:-0}" = 1 ]; then echo "scratch directory kept: $WORK" >&2; else rm -rf "$WORK"; fi
  exit $rc
}
trap bench_cleanup EXIT
TCK=$(getconf CLK_TCK)
cpu_ticks() { awk '{ sub(/^.*\) /, ""); print $12 + $13 }' "/proc/$1/stat"; }
hwm_kib() { awk '/^VmHWM/ { print $2 }' "/proc/$1/status"; }

start_kafka 3 gamestreams-events 12
D=$WORK/var G=$WORK/games
mkdir -p "$D" "$G"
sqlite3 "$D/sidearm.db" < "$SRC/sql/sqlite/seed.sql"
"$BIN/gamestream-sim" --games "$GAMES" --random "$SEED" --delay 0 --stagger 0 --target "file://$WORK/expect/" \
  --reset-reference "sqlite://$D/sidearm.db" 2>"$WORK/reset.log"
declare -A PID
SOURCE_URI=file://$G/ ENDPOINT=()
if [ "$SOURCE" = s3 ]; then
  start_s3; server_env
  SOURCE_URI=s3://gamestreams/day/
fi
for m in a b c; do
  if [ "$SOURCE" = s3 ]; then # this instance's counting proxy to Swift
    port=$(free_ports 1)
    "$PYTHON" "$SRC/tests/tools/count_proxy.py" "$port" "$S3_PORT" "$WORK/requests-$m.txt" >"$WORK/proxy-$m.log" 2>&1 &
    PIDS+=("$!")
    wait_for 20 port_open "$port" || fail "the counting proxy of $m did not start"
    ENDPOINT=(--s3-endpoint "127.0.0.1:$port")
  fi
  "$BIN/pipeline" --source "$SOURCE_URI" "${ENDPOINT[@]}" --reference "sqlite://$D/sidearm.db" --boxscores "file://$D/boxscores" \
    --results "sqlite://$D/sidearm.db" --kafka-brokers "$KAFKA_BROKERS" --kafka-topic "$KAFKA_TOPIC" \
    --kafka-group bench --kafka-session-timeout-ms "$SESSION_MS" --poll-ms "$POLL_MS" --safety-poll-ms "$SAFETY_POLL_MS" \
    --http off 2>"$WORK/$m.log" &
  PID[$m]=$!; PIDS+=("$!")
done
assigned() { for m in a b c; do grep -q "kafka: group bench rebalanced" "$WORK/$m.log" || return 1; done; }
wait_for 120 assigned || fail "the three members were not assigned partitions"
sleep 2

"$BIN/gamestream-sim" --games "$GAMES" --random "$SEED" --delay "$DELAY" --stagger "$STAGGER" --target "$SOURCE_URI" \
  --kafka-brokers "$KAFKA_BROKERS" --kafka-topic "$KAFKA_TOPIC" 2>"$WORK/sim.log" &
sim=$!; PIDS+=("$sim")
t0=$(date +%s.%N)
sleep "$KILL_AFTER"
victim=c
c_cpu=$(cpu_ticks "${PID[c]}"); c_hwm=$(hwm_kib "${PID[c]}")
kill -KILL "${PID[c]}"
killed_at=$(date +%s.%N)
wait "$sim" || fail "gamestream-sim failed"
retired() { [ "$(cat "$WORK"/[abc].log | grep -c "final and written: retired")" -ge "$GAMES" ]; }
until=$((SECONDS + 300))
while ! retired && [ $SECONDS -lt $until ]; do sleep 2; done
t1=$(date +%s.%N)
declare -A CPU HWM
for m in a b; do CPU[$m]=$(cpu_ticks "${PID[$m]}"); HWM[$m]=$(hwm_kib "${PID[$m]}"); done
for m in a b; do kill -TERM "${PID[$m]}"; wait "${PID[$m]}" || true; done

echo "== $GAMES games over $SOURCE_URI, 3 instances in one group (12 partitions), --delay $DELAY, --stagger $STAGGER," \
  "--poll-ms $POLL_MS, --safety-poll-ms $SAFETY_POLL_MS, session timeout $SESSION_MS ms; $victim SIGKILLed" \
  "$(awk -v a="$killed_at" -v b="$t0" 'BEGIN { printf "%.0f", a - b }') s into the day"
awk -v t0="$t0" -v t1="$t1" -v k="$killed_at" -v tck="$TCK" -v ca="${CPU[a]}" -v cb="${CPU[b]}" -v cc="$c_cpu" \
  -v ha="${HWM[a]}" -v hb="${HWM[b]}" -v hc="$c_hwm" 'BEGIN {
    w = t1 - t0; printf "wall %.0f s\n", w
    printf "a: CPU %.1f s (%.1f%% of one core), peak RSS %.1f MiB\n", ca / tck, 100 * ca / tck / w, ha / 1024
    printf "b: CPU %.1f s (%.1f%% of one core), peak RSS %.1f MiB\n", cb / tck, 100 * cb / tck / w, hb / 1024
    printf "c (until killed): CPU %.1f s (%.1f%% of one core), peak RSS %.1f MiB\n", cc / tck, 100 * cc / tck / (k - t0), hc / 1024
  }'
if [ "$SOURCE" = s3 ]; then
  "$PYTHON" - "$WORK" "$GAMES" "$killed_at" <<'PY'
import sys
work, n, killed = sys.argv[1], int(sys.argv[2]), float(sys.argv[3])
def kind(method, path):
    key = path.split("?")[0]
    if method == "GET" and ("list-type" in path or "prefix=" in path):
        return "listings"
    if key.endswith("/gamestream.txt"):
        return "stream " + method + "s"
    if key.endswith("/game.json"):
        return "game.json " + method + "s"
    return "other"
total = {"before": 0, "after": 0}
for m in "abc":
    reqs = [l.split() for l in open(f"{work}/requests-{m}.txt")]
    by = {}
    for t, method, path in reqs:
        by[kind(method, path)] = by.get(kind(method, path), 0) + 1
        total["before" if float(t) < killed else "after"] += 1
    print(f"S3 requests by {m}{' (until killed)' if m == 'c' else ''}: {len(reqs)} = {len(reqs) / n:.1f} per game of the day; "
          + ", ".join(f"{v} {k}" for k, v in sorted(by.items())))
print(f"S3 requests per game, 3 instances together: {(total['before'] + total['after']) / n:.1f} "
      f"({total['before']} before the kill, {total['after']} after it, {n} games)")
PY
fi
"$PYTHON" - "$WORK" "$GAMES" "$killed_at" <<'PY' || fail "documents are missing"
import os, re, sys
from datetime import datetime, timezone
work, n, killed = sys.argv[1], int(sys.argv[2]), float(sys.argv[3])
stamp = lambda s: datetime.strptime(s, "%Y-%m-%dT%H:%M:%S.%fZ").replace(tzinfo=timezone.utc).timestamp()
wrote = {}
for l in open(f"{work}/sim.log", encoding="utf-8"):
    m = re.match(r"(\S+) gamestream-sim info\s+(\S+): Wrote .* at (\d\d):(\d\d)$", l.rstrip("\n"))
    if m:
        wrote.setdefault((m.group(2), int(m.group(3)) * 60 + int(m.group(4))), stamp(m.group(1)))
victim = set(re.findall(r"(\S+): found:", open(f"{work}/c.log", encoding="utf-8").read()))
missing, lat_before, took, reads = 0, [], {}, []
for i in range(1, n + 1):
    g = f"game-{i:0{max(3, len(str(n)))}d}"
    lines = open(f"{work}/expect/{g}/gamestream.txt").read().splitlines()
    for line in lines:
        f = line.split()
        eid, (mm, ss) = int(f[0]), f[1].split(":")
        p = f"{work}/var/boxscores/{g}/{eid}.json"
        if not os.path.exists(p):
            missing += 1
            continue
        done = os.stat(p).st_ctime
        w = wrote.get((g, int(mm) * 60 + int(ss)))
        if g in victim and done > killed:
            took[g] = min(took.get(g, done), done)
        if w is not None and done < killed:
            lat_before.append((done - w) * 1000)
takeover_end = max(took.values()) if took else killed
lat_after = []
for i in range(1, n + 1):
    g = f"game-{i:0{max(3, len(str(n)))}d}"
    for line in open(f"{work}/expect/{g}/gamestream.txt").read().splitlines():
        f = line.split(); eid, (mm, ss) = int(f[0]), f[1].split(":")
        p = f"{work}/var/boxscores/{g}/{eid}.json"
        w = wrote.get((g, int(mm) * 60 + int(ss)))
        if w is not None and w > takeover_end and os.path.exists(p):
            lat_after.append((os.stat(p).st_ctime - w) * 1000)
def pct(v, q):
    v = sorted(v); return v[min(len(v) - 1, int(len(v) * q))] if v else float("nan")
print(f"latency before the kill: {len(lat_before)} events, p50 {pct(lat_before, .5):.0f} ms, p99 {pct(lat_before, .99):.0f} ms")
print(f"latency after the takeover: {len(lat_after)} events, p50 {pct(lat_after, .5):.0f} ms, p99 {pct(lat_after, .99):.0f} ms")
if took:
    t = sorted(v - killed for v in took.values())
    print(f"takeover of the {len(victim)} games of the killed instance: first document after the kill "
          f"p50 {pct(t, .5):.1f} s, max {t[-1]:.1f} s ({len(t)} games had a later document)")
for m in "ab":
    for l in open(f"{work}/{m}.log", encoding="utf-8"):
        r = re.search(r": done: .*; (\d+) polls read", l)
        if r:
            reads.append(int(r.group(1)))
if reads:
    print(f"reads per game (survivors' done: lines, {len(reads)} games): mean {sum(reads) / len(reads):.1f}, max {max(reads)}")
print(f"events lost: {missing}")
sys.exit(1 if missing else 0)
PY
mapfile -t all < <(cd "$WORK/expect" && ls)
season_specs "$WORK/expect" "${all[@]}"
"$PYTHON" "$SRC/tests/tools/oracle.py" season --reference "$D/sidearm.db" "${SPECS[@]}" --sqlite "$D/sidearm.db" >/dev/null ||
  fail "teams2/players2 are not the reference plus every final once"
echo "season tables: the reference plus every final once"
