#!/usr/bin/env bash
# bench/games.sh — game day (issue 8): one `pipeline` following many live games under a
# prefix, on the embedded backends. Measures, it never asserts a speed (exit 1 only when a
# run could not be made or its output is wrong: documents missing, tables not the season).
#
#   bench/games.sh [file|s3|all]      (default all)
#
#   file  gamestream-sim --games $GAMES --delay $DELAY under a file:// prefix, the pipeline
#         polling every $POLL_MS ms (--data-dir: SQLite + DIR/boxscores/<game>/<event>.json)
#   s3    the same with $S3_GAMES games under s3://gamestreams/<day>/ on a local Swift
#         (tests/servers/s3_swift_server.sh, as tests/lib.sh's start_s3 starts it)
#
# Environment: GAMES (1000), S3_GAMES (100), DELAY (0.05 real s per game s: an hour in 3 min),
# STAGGER (0.05 s between game starts; S3_STAGGER 0.5), POLL_MS (250), SEED (1),
# BUILD_DIR (build; NO_BUILD=1 skips scripts/build.sh), ORACLE_SAMPLE (20 games checked
# document by document against tests/tools/oracle.py), RETIRE_WAIT (120 s the pipeline gets
# after the sim ends to write every final), BENCH_KEEP=1 keeps the scratch dir. For bench/push.sh:
# PIPELINE_ARGS and SIM_ARGS (extra words for the pipeline and the measured sim), BENCH_LOGS (a
# directory that gets the last run's sim.log and pipeline.log, and requests.txt for s3).
# PIPELINE_TUNABLES: the pipeline's GLIBC_TUNABLES (glibc.malloc.tcache_count=4096, as the image and
# the systemd unit set it; "" for glibc's defaults).
# BOX=mongo: box scores go to MongoDB (the project's stand-in, tests/servers/mongo_wire_server.py)
# instead of the directory sink; see "latency" below. BOX=mongo+s3 (file mode only): to MongoDB
# and, at once, to s3://boxscores/<run>/ on a local Swift through a counting proxy (issue 16:
# bench/sinks.sh compares it with BOX=mongo): freshness is reported per sink, and the bucket's
# PUTs per game.
#
# What is measured and how:
# - documents: every line of every game's final gamestream.txt must have DIR/<game>/<id>.json,
#   the last one in state "final"; teams2/players2 must equal `oracle.py season` over all games.
# - latency, producer write -> document written: gamestream-sim logs each write of a stream
#   ("<game>: Wrote ... at mm:ss", ms timestamps, logged right after the write went through);
#   an event's write time is the first write of its game at its clock. The document's time
#   is the ctime of DIR/<game>/<id>.json: the sink writes a temporary file, fsyncs it and
#   renames it into place, and the rename sets the ctime (ext4's clock is coarse: a few ms).
#   With BOX=mongo the document's time is when the pipeline logged MongoDB's acknowledgement
#   ("<game>: document N written", --verbose, ms timestamps); the documents are then read back
#   from MongoDB (tests/tools/mongo_dump) into DIR/<game>/<id>.json for the same checks.
# - pipeline CPU: utime+stime from /proc/PID/stat between the sim's start and the moment every
#   game is retired (its final written), over that wall time; peak RSS: VmHWM from
#   /proc/PID/status just before SIGTERM. The sim's CPU and the whole machine's busy time
#   (/proc/stat) over the same window tell the load around it.
# - S3 requests: the pipeline talks to Swift through a counting pass-through proxy
#   (bench/games.sh's own, in Python) that logs each request line it forwards; listings
#   (GET on the bucket with a prefix) vs object GETs. Bytes per game: the pipeline's own
#   "done: ... N polls read B bytes" line per retired game.
# Every run is bounded (timeouts) and leaves no process or file behind.
set -euo pipefail
cd "$(dirname "$0")/.."
SRC=$PWD
BIN=$PWD/${BUILD_DIR:-build}/bin
export SRC BIN
mode=${1:-all}
case $mode in file|s3|all) ;; *) echo "usage: $0 [file|s3|all]" >&2; exit 2 ;; esac
GAMES=${GAMES:-1000} S3_GAMES=${S3_GAMES:-100} DELAY=${DELAY:-0.05} STAGGER=${STAGGER:-0.05}
S3_STAGGER=${S3_STAGGER:-0.5} POLL_MS=${POLL_MS:-250} SEED=${SEED:-1} ORACLE_SAMPLE=${ORACLE_SAMPLE:-20}

[ "${NO_BUILD:-0}" = 1 ] || BUILD_DIR=${BUILD_DIR:-build} bash scripts/build.sh >/dev/null

# tests/lib.sh gives WORK, PIDS, free_ports, start_s3, server_env, wait_for; its cleanup is
# replaced: a benchmark removes its scratch directory whatever happened (BENCH_KEEP=1 keeps it)
# shellcheck source=/dev/null
. "$SRC/tests/lib.sh"
bench_cleanup() {
  local rc=$?
  for d in "${S3_STOP[@]}"; do bash "$SRC/tests/servers/s3_swift_server.sh" stop "$d" >/dev/null 2>&1 || true; done
  for pid in "${PIDS[@]}"; do kill "$pid" 2>/dev/null || true; done
  for pid in "${PIDS[@]}"; do wait "$pid" 2>/dev/null || true; done
  if [ "${BENCH_KEEP:-0}" = 1 ]; then
    echo "scratch directory kept: $WORK" >&2
  else
    if [ $rc -ne 0 ]; then
      for f in "$WORK"/*.log; do [ -f "$f" ] && { echo "== $f" >&2; tail -n 15 "$f" >&2; }; done
    fi
    rm -rf "$WORK"
  fi
  exit $rc
}
trap bench_cleanup EXIT

BOX=${BOX:-dir}
case $BOX in dir|mongo) ;; mongo+s3|dir+s3) [ "$mode" = file ] || { echo "BOX=$BOX runs in file mode only" >&2; exit 2; } ;;
  *) echo "BOX is dir, mongo, mongo+s3 or dir+s3" >&2; exit 2 ;; esac
case $BOX in mongo*) MONGO=1 ;; *) MONGO=0 ;; esac
if [ "$MONGO" = 1 ]; then
  start_mongo
  export MONGO_PASSWORD=$MONGO_TEST_PASSWORD
fi
if [ "${BOX#*+}" = s3 ]; then # the bucket sink's requests through the counting proxy
  start_s3; server_env; swift_auth
  curl -sf -o /dev/null -X PUT -H "X-Auth-Token: $SWIFT_TOKEN" "$SWIFT_URL/boxscores" || fail "no bucket boxscores"
  BPORT=$(free_ports 1)
  "$PYTHON" "$SRC/tests/tools/count_proxy.py" "$BPORT" "$S3_PORT" "$WORK/box-requests.txt" >"$WORK/box-proxy.log" 2>&1 &
  PIDS+=($!)
  wait_for 20 port_open "$BPORT" || fail "the counting proxy did not start"
fi

TCK=$(getconf CLK_TCK)
now() { date +%s.%N; }
# cpu_ticks PID: utime+stime of PID in clock ticks (fields 14 and 15 of /proc/PID/stat,
# counted after the command name, which may hold spaces)
cpu_ticks() { awk '{ sub(/^.*\) /, ""); print $12 + $13 }' "/proc/$1/stat"; }
# machine_ticks: busy and total ticks of all processors (/proc/stat)
machine_ticks() { awk '/^cpu / { t = 0; for (i = 2; i <= NF; i++) t += $i; print t - $5 - $6, t }' /proc/stat; }
hwm_kib() { awk '/^VmHWM/ { print $2 }' "/proc/$1/status"; }

# queued_bytes: the box-score writes waiting (sidearm_sink_queued_bytes) when METRICS_ADDR
# (host:port of the pipeline's --http) is set, else -
queued_bytes() {
  [ -n "${METRICS_ADDR:-}" ] || { echo -; return; }
  curl -sf -m 2 "http://$METRICS_ADDR/metrics" | awk '/^sidearm_sink_queued_bytes/ { q = $2 } END { print q + 0 }' || echo -
}

# sampler PID OUT: one line a second (seconds, pipeline ticks, RSS KiB, machine busy, total,
# queued bytes)
sampler() {
  local pid=$1 out=$2
  while [ -e "/proc/$pid/stat" ]; do
    printf '%s %s %s %s %s\n' "$(now)" "$(cpu_ticks "$pid" 2>/dev/null || echo 0)" \
      "$(awk '/^VmRSS/ { print $2 }' "/proc/$pid/status" 2>/dev/null || echo 0)" "$(machine_ticks)" \
      "$(queued_bytes)" >>"$out"
    sleep 1
  done
}

# retired: every game of the run is final, written and retired (the pipeline's log says so)
retired() { [ "$(grep -c 'final and written: retired' "$R_LOG" || true)" -ge "$R_N" ]; }

# run_games NAME N STAGGER PREFIX [PIPELINE_S3_ENDPOINT]: one measured run; the sim writes the
# games under PREFIX and the pipeline follows PREFIX. The same games (same seeds) are also
# written at once under DIR/expect/, the streams the checks read.
run_games() {
  local name=$1 n=$2 stagger=$3 prefix=$4 endpoint=${5:-} d=$WORK/run-$1 pipe sim samp
  mkdir -p "$d/v"
  case $prefix in file://*) mkdir -p "${prefix#file://}" ;; esac
  sqlite3 "$d/v/sidearm.db" < "$SRC/sql/sqlite/seed.sql"
  local extra=() pargs sargs
  [ -n "$endpoint" ] && extra=(--s3-endpoint "$endpoint")
  [ "$MONGO" = 1 ] &&
    extra+=(--boxscores "mongodb://mongo@127.0.0.1:$MONGO_PORT/sidearm.boxscores?authSource=admin" --verbose)
  [ "$BOX" = dir+s3 ] && extra+=(--boxscores "file://$d/v/boxscores" --verbose)
  [ "${BOX#*+}" = s3 ] && extra+=(--boxscores "s3://boxscores/$name/" --s3-endpoint "127.0.0.1:$BPORT")
  read -r -a pargs <<<"${PIPELINE_ARGS:-}"
  read -r -a sargs <<<"${SIM_ARGS:-}"
  # the rosters first, so the pipeline starts with the reference every game needs
  "$BIN/gamestream-sim" --games "$n" --random "$SEED" --delay 0 --stagger 0 --target "file://$d/expect/" \
    --reset-reference "sqlite://$d/v/sidearm.db" 2>"$d/reset.log" || fail "$name: resetting the reference failed"
  # glibc's malloc tuned as the Dockerfile and the systemd unit do (README "Benchmarks")
  GLIBC_TUNABLES=${PIPELINE_TUNABLES-glibc.malloc.tcache_count=4096} \
  "$BIN/pipeline" --source "$prefix" --data-dir "$d/v" --poll-ms "$POLL_MS" "${extra[@]}" "${pargs[@]}" 2>"$d/pipeline.log" &
  pipe=$!; PIDS+=("$pipe")
  sampler "$pipe" "$d/samples.txt" &
  samp=$!; PIDS+=("$samp")
  sleep 1
  kill -0 "$pipe" 2>/dev/null || fail "$name: the pipeline did not start: $(tail -n 3 "$d/pipeline.log")"
  read -r load1 _ < /proc/loadavg
  local t0 c0 m0 s_end
  t0=$(now); c0=$(cpu_ticks "$pipe"); m0=$(machine_ticks)
  # bound: the last game starts at (n-1)*stagger and lasts 3600*DELAY, plus slack for a slow sim
  s_end=$(awk -v n="$n" -v s="$stagger" -v d="$DELAY" 'BEGIN { printf "%d", (n - 1) * s + 3600 * d * 1.5 + 120 }')
  timeout "$s_end" "$BIN/gamestream-sim" --games "$n" --random "$SEED" --delay "$DELAY" --stagger "$stagger" \
    --target "$prefix" "${sargs[@]}" 2>"$d/sim.log" &
  sim=$!; PIDS+=("$sim")
  local sc=0 st=0 simpid c
  while kill -0 "$sim" 2>/dev/null; do
    # the sim's own CPU, sampled each second (it runs under timeout, its parent)
    simpid=$(pgrep -P "$sim" | head -n 1) || true
    if [ -n "$simpid" ] && c=$(cpu_ticks "$simpid" 2>/dev/null); then sc=$c; fi
    sleep 1
  done
  wait "$sim" || fail "$name: gamestream-sim failed or timed out ($?): $(tail -n 3 "$d/sim.log")"
  st=$(now)
  # bounded by the clock (a loaded machine makes wait_for's 0.1 s steps much longer)
  R_LOG=$d/pipeline.log R_N=$n
  local until=$((SECONDS + ${RETIRE_WAIT:-120}))
  while ! retired && [ $SECONDS -lt $until ]; do sleep 1; done
  retired || echo "!! $name: only $(grep -c 'final and written: retired' "$d/pipeline.log" || true) of $n games retired ${RETIRE_WAIT:-120} s after the sim ended"
  local t1 c1 m1 hwm load_end
  t1=$(now); c1=$(cpu_ticks "$pipe"); m1=$(machine_ticks); hwm=$(hwm_kib "$pipe")
  read -r load_end _ < /proc/loadavg
  kill -TERM "$pipe"
  wait "$pipe" || fail "$name: pipeline exited $? after SIGTERM"
  kill "$samp" 2>/dev/null || true
  if [ -n "${BENCH_LOGS:-}" ]; then cp "$d/sim.log" "$d/pipeline.log" "$BENCH_LOGS/"; fi
  if [ "$BOX" != dir ]; then
    # the documents as MongoDB holds them, as DIR/<game>/<event id>.json (keyed (game, event_id)),
    # and each one's acknowledgement time from the pipeline's log (BOX=dir+s3: the directory
    # sink wrote DIR itself, and its files' ctime is its document's time)
    if [ "$MONGO" = 1 ]; then
      mongo_docs boxscores > "$d/docs.jsonl" || fail "$name: reading the documents back from MongoDB failed"
    else
      : > "$d/docs.jsonl"
    fi
    "$PYTHON" - "$d/docs.jsonl" "$d/v/boxscores" "$d/pipeline.log" "$d/doctimes.txt" <<'PY' || fail "$name: MongoDB's documents are not keyed by (game, event_id)"
import json, os, re, sys
from datetime import datetime, timezone
docs, out, log, times = sys.argv[1:5]
for line in open(docs, encoding="utf-8"):
    d = json.loads(line)
    assert d["_id"] == {"game": d["game"], "event_id": d["event_id"]}, d["_id"]
    os.makedirs(f"{out}/{d['game']}", exist_ok=True)
    d["_id"] = d["event_id"]
    json.dump(d, open(f"{out}/{d['game']}/{d['event_id']}.json", "w", encoding="utf-8"))
ACK = re.compile(r"^(\S+) pipeline debug\s+(\S+): document (-?\d+) written(?: to (\S+))?$")
stamp = lambda s: datetime.strptime(s, "%Y-%m-%dT%H:%M:%S.%fZ").replace(tzinfo=timezone.utc).timestamp()
with open(times, "w") as f:
    for l in open(log, encoding="utf-8"):
        m = ACK.match(l.rstrip("\n"))
        if m:
            f.write(f"{m.group(2)} {m.group(3)} {stamp(m.group(1)):.3f} {m.group(4) or 'boxscores'}\n")
PY
  fi
  grep -q ' error \| fatal ' "$d/pipeline.log" && echo "!! $name: the pipeline logged errors: $(grep -m 3 ' error \| fatal ' "$d/pipeline.log")"

  echo "== $name: $n games, --delay $DELAY, --stagger $stagger, --poll-ms $POLL_MS"
  awk -v t0="$t0" -v t1="$t1" -v st="$st" -v c0="$c0" -v c1="$c1" -v sc="$sc" -v tck="$TCK" -v hwm="$hwm" \
    -v m0="$m0" -v m1="$m1" -v l0="$load1" -v l1="$load_end" 'BEGIN {
      split(m0, a, " "); split(m1, b, " "); w = t1 - t0
      printf "wall %.1f s (sim %.1f s, last final retired %.1f s after the sim ended)\n", w, st - t0, t1 - st
      printf "pipeline CPU %.1f s = %.1f%% of one core; peak RSS (VmHWM) %.1f MiB\n", (c1 - c0) / tck, 100 * (c1 - c0) / tck / w, hwm / 1024
      printf "gamestream-sim CPU %.1f s = %.1f%% of one core\n", sc / tck, 100 * sc / tck / (st - t0)
      printf "machine: %.0f%% of its processors busy over the run (all processes); load average %s at the start, %s at the end\n", 100 * (b[1] - a[1]) / (b[2] - a[2]), l0, l1
    }'
  awk -v tck="$TCK" 'NR > 1 { dt = $1 - t; if (dt > 0) { c = ($2 - p) / tck / dt; if (c > mx) mx = c } }
    { t = $1; p = $2; if ($3 > r) { r = $3; rq = $6 } if ($6 != "-" && $6 > q) q = $6 }
    END { printf "pipeline: busiest second %.0f%% of one core; largest RSS sampled %.1f MiB", 100 * mx, r / 1024
          if (rq != "-" && rq != "") printf " (%.1f MiB of writes queued then); most queued %.1f MiB", rq / 1048576, q / 1048576
          printf "\n" }' \
    "$d/samples.txt"
  "$PYTHON" - "$d/expect" "$d/v/boxscores" "$d/sim.log" "$POLL_MS" "$stagger" "$DELAY" "$d/doctimes.txt" <<'PY' || fail "$name: documents are missing"
import json, os, re, sys
from datetime import datetime, timezone
games_dir, docs_dir, sim_log, poll = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4])
stagger, delay = float(sys.argv[5]), float(sys.argv[6])
acked = {}   # BOX=mongo: (game, event id) -> when MongoDB acknowledged it (first write)
others = {}  # BOX=mongo+s3: the other sinks' acknowledgements, by sink name
if os.path.exists(sys.argv[7]):
    for l in open(sys.argv[7]):
        g, e, t, sink = l.split()
        if sink in ("boxscores", "boxscores-mongodb"):  # the sink under check: MongoDB
            acked.setdefault((g, int(e)), float(t))
        else:
            others.setdefault(sink, {}).setdefault((g, int(e)), float(t))
LINE = re.compile(r"^\s*(-?\d+)\s+(\d{1,2}):(\d\d)\s")
WROTE = re.compile(r"^(\S+) gamestream-sim info\s+(\S+): Wrote \S*gamestream\.txt .* at (\d\d):(\d\d)$")
wrote, late, t0 = {}, [], None
stamp = lambda s: datetime.strptime(s, "%Y-%m-%dT%H:%M:%S.%fZ").replace(tzinfo=timezone.utc).timestamp()
for line in open(sim_log):
    if t0 is None and " playing " in line:
        t0 = stamp(line.split()[0])   # the sim's schedule starts here
    m = WROTE.match(line.rstrip("\n"))
    if m:
        t, clock = stamp(m.group(1)), int(m.group(3)) * 60 + int(m.group(4))
        wrote.setdefault((m.group(2), clock), t)
        num = re.search(r"(\d+)$", m.group(2))
        if t0 is not None and num:   # how late the sim wrote it against its own schedule
            late.append(t - (t0 + (int(num.group(1)) - 1) * stagger + (3600 - clock) * delay))
events = docs = 0
missing, not_final, lat, unmatched = [], [], [], 0
by_minute = {}
for g in sorted(os.listdir(games_dir)):
    clock = 3600
    ids = []
    for raw in open(os.path.join(games_dir, g, "gamestream.txt")):
        m = LINE.match(raw)
        if not m:
            continue
        clock = min(clock, int(m.group(2)) * 60 + int(m.group(3)))   # as the sim times lines
        ids.append((int(m.group(1)), clock))
    events += len(ids)
    for eid, c in ids:
        path = os.path.join(docs_dir, g, f"{eid}.json")
        try:
            st = os.stat(path)
        except FileNotFoundError:
            missing.append(f"{g}/{eid}")
            continue
        docs += 1
        done = acked.get((g, eid)) if acked else st.st_ctime_ns / 1e9
        if (g, c) in wrote and done is not None:
            lat.append((done - wrote[(g, c)]) * 1000)
            if t0 is not None:   # by the minute of the day the producer wrote it
                by_minute.setdefault(int((wrote[(g, c)] - t0) // 60), []).append(lat[-1])
        else:
            unmatched += 1
    if ids and os.path.exists(os.path.join(docs_dir, g, f"{ids[-1][0]}.json")):
        if json.load(open(os.path.join(docs_dir, g, f"{ids[-1][0]}.json")))["state"] != "final":
            not_final.append(g)
print(f"documents: {docs} of {events} events in {len(os.listdir(games_dir))} games"
      + (f"; MISSING {len(missing)}: {' '.join(missing[:10])}" if missing else "")
      + (f"; last document not final in {len(not_final)}: {' '.join(not_final[:10])}" if not_final else ""))
late.sort()
if late:
    print(f"the sim's writes against its schedule: p50 {late[len(late) // 2] * 1000:.0f} ms late, "
          f"p99 {late[int(len(late) * 0.99)] * 1000:.0f} ms, max {late[-1] * 1000:.0f} ms")
lat.sort()
if lat:
    q = lambda p: lat[min(len(lat) - 1, int(len(lat) * p))]
    within = sum(1 for x in lat if x <= poll + 100) / len(lat) * 100
    print(f"latency producer write -> document written ({len(lat)} events{f', {unmatched} without a logged write' if unmatched else ''}): "
          f"p50 {q(0.5):.0f} ms, p90 {q(0.9):.0f} ms, p99 {q(0.99):.0f} ms, max {lat[-1]:.0f} ms; "
          f"{within:.1f}% within poll + 100 ms ({poll + 100} ms)")
    if len(by_minute) > 1:   # a tail is a moment of the day, or the day's start, or all of it
        cells = []
        for m, v in sorted(by_minute.items()):
            v.sort()
            cells.append(f"{m}: {v[min(len(v) - 1, int(len(v) * 0.99))]:.0f}/{v[-1]:.0f}")
        print("latency p99/max by minute of the day (ms): " + ", ".join(cells))
for sink, got in sorted(others.items()):   # a newest-only sink: the events it wrote on their own
    evclock = {}
    for g in os.listdir(games_dir):
        clock = 3600
        for raw in open(os.path.join(games_dir, g, "gamestream.txt")):
            m = LINE.match(raw)
            if m:
                clock = min(clock, int(m.group(2)) * 60 + int(m.group(3)))
                evclock[(g, int(m.group(1)))] = clock
    sl = sorted((t - wrote[(g, evclock[(g, e)])]) * 1000 for (g, e), t in got.items()
                if (g, e) in evclock and (g, evclock[(g, e)]) in wrote)
    if sl:
        q = lambda p: sl[min(len(sl) - 1, int(len(sl) * p))]
        print(f"latency producer write -> document written to {sink} ({len(sl)} documents written of {events} events; "
              f"the rest coalesced into newer ones): p50 {q(0.5):.0f} ms, p90 {q(0.9):.0f} ms, p99 {q(0.99):.0f} ms, "
              f"max {sl[-1]:.0f} ms")
sys.exit(1 if missing or not_final else 0)
PY
  if [ "${BOX#*+}" = s3 ]; then # the bucket holds every game's final as latest.json; PUTs per game
    "$PYTHON" - "$WORK/box-requests.txt" "$name" "$n" "$d/v/boxscores" <<'PY' || fail "$name: the bucket sink's requests"
import collections, sys
reqs, name, n, docs = sys.argv[1], sys.argv[2], int(sys.argv[3]), sys.argv[4]
puts = collections.Counter()
other = 0
for l in open(reqs):
    t, m, p = l.split()
    if m == "PUT" and p.startswith(f"/boxscores/{name}/") and p.endswith("/latest.json"):
        puts[p.split("/")[3]] += 1
    else:
        other += 1
assert len(puts) == n, f"latest.json written for {len(puts)} of {n} games"
v = sorted(puts.values())
print(f"bucket sink: {sum(v)} PUTs of latest.json for {n} games: {sum(v) / n:.1f} per game (min {v[0]}, max {v[-1]}); "
      f"{other} other requests (index.json, rejects)")
PY
  fi
  # the season tables: the reference plus every game's result, by the independent model
  local spec g home away k=0 step
  step=$(( n / ORACLE_SAMPLE > 0 ? n / ORACLE_SAMPLE : 1 ))
  season_specs "$d/expect"
  for spec in "${SPECS[@]}"; do
    [ "$spec" = --game ] && continue
    g=${spec%/gamestream.txt:*}
    IFS=: read -r home away <<<"${spec##*/gamestream.txt:}"
    if [ $((k % step)) = 0 ]; then
      "$PYTHON" "$SRC/tests/tools/oracle.py" check --events "$g/gamestream.txt" --reference "$d/v/sidearm.db" \
        --home "$home" --away "$away" --docs-dir "$d/v/boxscores/$(basename "$g")" >/dev/null \
        || fail "$name: $(basename "$g")'s documents differ from the model"
    fi
    k=$((k + 1))
  done
  "$PYTHON" "$SRC/tests/tools/oracle.py" season --reference "$d/v/sidearm.db" "${SPECS[@]}" --sqlite "$d/v/sidearm.db" \
    >/dev/null || fail "$name: teams2/players2 are not the reference plus every game"
  echo "season: teams2/players2 = reference + all $n games (oracle.py season); documents of $(( (n + step - 1) / step )) games checked event by event (oracle.py check)"
  echo "game_teams: $(sqlite3 "$d/v/sidearm.db" 'SELECT count(DISTINCT game) FROM game_teams') games"
  awk '/ done: .* polls read / { for (i = 1; i <= NF; i++) { if ($i == "polls" && $(i+1) == "read") { p += $(i-1); b += $(i+2); n++ } } }
    END { if (n) printf "pipeline reads: %d games, %.1f polls and %.0f bytes read per game (its done: lines)\n", n, p / n, b / n }' "$d/pipeline.log"
  results_lag "$d/sim.log" "$d/pipeline.log"
}

# results_lag SIM_LOG PIPELINE_LOG: from each game's last write (its final) to the pipeline's
# "<game>: wrote teams2 ..." (the results sink's acknowledgement), both ms timestamps
results_lag() {
  "$PYTHON" - "$1" "$2" <<'PY'
import re, sys
from datetime import datetime, timezone
stamp = lambda s: datetime.strptime(s, "%Y-%m-%dT%H:%M:%S.%fZ").replace(tzinfo=timezone.utc).timestamp()
last = {}
for l in open(sys.argv[1], encoding="utf-8"):
    m = re.match(r"^(\S+) gamestream-sim info\s+(\S+): Wrote ", l)
    if m:
        last[m.group(2)] = stamp(m.group(1))
lag = []
for l in open(sys.argv[2], encoding="utf-8"):
    m = re.match(r"^(\S+) pipeline info\s+(\S+): wrote teams2 ", l)
    if m and m.group(2) in last:
        lag.append(stamp(m.group(1)) - last.pop(m.group(2)))
lag.sort()
if lag:
    q = lambda p: lag[min(len(lag) - 1, int(len(lag) * p))]
    print(f"final -> results written ({len(lag)} games): p50 {q(0.5):.2f} s, p99 {q(0.99):.2f} s, max {lag[-1]:.2f} s; "
          f"{sum(1 for x in lag if x <= 5) / len(lag) * 100:.1f}% within 5 s")
PY
}

# ---------------------------------------------------------------- file://
if [ "$mode" != s3 ]; then
  run_games file "$GAMES" "$STAGGER" "file://$WORK/run-file/live/"
  echo
fi

# ---------------------------------------------------------------- s3:// (Swift)
if [ "$mode" != file ]; then
  if [ ! -x /usr/bin/swift-proxy-server ]; then
    echo "== s3: skipped: Swift is not installed (scripts/install-deps.sh --with-tests)"
    exit 0
  fi
  start_s3; server_env
  # the counting proxy: forwards 127.0.0.1:PPORT to Swift and logs "<time> <request line>"
  # for every request the pipeline makes (it sends no request bodies)
  PPORT=$(free_ports 1)
  "$PYTHON" "$SRC/tests/tools/count_proxy.py" "$PPORT" "$S3_PORT" "$WORK/requests.txt" >"$WORK/proxy.log" 2>&1 &
  PIDS+=($!)
  wait_for 20 port_open "$PPORT" || fail "the counting proxy did not start"
  run_games s3 "$S3_GAMES" "$S3_STAGGER" "s3://gamestreams/day/" "127.0.0.1:$PPORT"
  "$PYTHON" - "$WORK/requests.txt" "$WORK/run-s3/pipeline.log" "$POLL_MS" "$S3_GAMES" <<'PY'
import re, sys
reqs = [l.split() for l in open(sys.argv[1])]
poll, n = int(sys.argv[3]) / 1000, int(sys.argv[4])
lists = [float(t) for t, m, p in reqs if m == "GET" and ("list-type" in p or "prefix=" in p)]
streams = [float(t) for t, m, p in reqs if m == "GET" and p.split("?")[0].endswith("/gamestream.txt")]
manifests = [float(t) for t, m, p in reqs if m == "GET" and p.split("?")[0].endswith("/game.json")]
other = len(reqs) - len(lists) - len(streams) - len(manifests)
# the ticks of the pipeline's life while it listed: first to last listing
span = lists[-1] - lists[0] if len(lists) > 1 else 0
ticks = span / poll if span else 0
print(f"S3 requests by the pipeline (counting proxy): {len(reqs)} in {span:.0f} s = {ticks:.0f} ticks of {poll * 1000:.0f} ms: "
      f"{len(lists)} listings, {len(streams)} stream GETs, {len(manifests)} game.json GETs, {other} other")
if ticks:
    live = sorted(streams)
    print(f"per tick: {len(lists) / ticks:.2f} listings + {len(streams) / ticks:.2f} stream reads + "
          f"{len(manifests) / ticks:.2f} manifest reads = {len(reqs) / ticks:.2f} requests, "
          f"against {n} (one request per game per tick)")
    # the busiest second of stream reads
    peak, j = 0, 0
    for i, t in enumerate(live):
        while live[j] < t - 1:
            j += 1
        peak = max(peak, i - j + 1)
    print(f"busiest second: {peak} stream reads = {peak * poll:.1f} per tick")
PY
  if [ -n "${BENCH_LOGS:-}" ]; then cp "$WORK/requests.txt" "$BENCH_LOGS/"; fi
fi
