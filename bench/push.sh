#!/usr/bin/env bash
# bench/push.sh — push freshness (issue 9): how soon after the producer's write a box score is
# written and reaches an SSE client when notifications, not polling, drive the reads. Measures,
# it never asserts a speed (exit 1 only when a run could not be made or its output is wrong).
#
#   bench/push.sh [s3|file|all]      (default all)
#
#   s3    1 game under s3://gamestreams/day/ on a local Swift (tests/lib.sh's start_s3), played by
#         `gamestream-sim --delay $S3_DELAY --notify http://127.0.0.1:PORT/minio/events`, followed
#         by `pipeline --http 127.0.0.1:PORT --poll-ms P` for each P of $S3_POLLS (60000: only the
#         notifications drive the reads; 250: the default poll, which the safety poll
#         --safety-poll-ms 5000 replaces while notifications flow). NOTIFY_TOKEN is set for both.
#   file  $GAMES games under a file:// prefix, the pipeline pushed by the file system
#         (uv_fs_event, no --notify), for each --poll-ms of $FILE_POLLS (60000 and the default 250).
#
# Each run is one run of bench/games.sh (so the same checks: every event's document, the last
# one final, teams2/players2 = oracle.py season over all games, some games event by event), with
# PIPELINE_ARGS / SIM_ARGS adding --http / --notify, and BENCH_LOGS keeping its logs here.
# Box scores go to the directory sink (--data-dir: DIR/boxscores/<game>/<event>.json): the
# document's ctime (the sink's rename into place) is the write time. With BOX=mongo they go to
# the MongoDB stand-in instead, and the write time is when the pipeline logged MongoDB's
# acknowledgement (bench/games.sh).
#
# Environment: S3_DELAY (0.02: an hour in 72 s), S3_POLLS ("60000 250"), GAMES (1000),
# FILE_POLLS ("60000 250"), DELAY (0.05, file), SEED (1), NOTIFY_TOKEN (a fixed bench token),
# BUILD_DIR (build; NO_BUILD=1 skips scripts/build.sh).
#
# What is measured and how (bench/games.sh's header has the rest):
# - producer write -> document written: the ctime of DIR/<game>/<id>.json minus the time
#   gamestream-sim logged the write (ms timestamps, logged right after the PUT went through).
# - producer write -> SSE receipt (s3): a Python client on GET /v1/games/game-001/events
#   (reconnecting until the game is known) records when each event (`id:` = event id) ends;
#   the first event it gets is the state at connection, not a new write, and is left out.
# - S3 requests per game: the counting pass-through proxy (tests/tools/count_proxy.py) between the
#   pipeline and Swift, against the game's events.
# Every run is bounded (timeouts) and leaves no process or file behind.
set -euo pipefail
mode=${1:-all}
[[ $mode =~ ^(file|s3|all)$ ]] || { echo "usage: $0 [file|s3|all]" >&2; exit 2; }
cd "$(dirname "$0")/.." && SRC=$PWD && BIN=$SRC/${BUILD_DIR:-build}/bin && export SRC BIN
S3_DELAY=${S3_DELAY:-0.02} S3_POLLS=${S3_POLLS:-60000 250} FILE_POLLS=${FILE_POLLS:-60000 250}
SEED=${SEED:-1}
export NOTIFY_TOKEN=${NOTIFY_TOKEN:-bench-push-token} SEED GAMES=${GAMES:-1000}

[ "${NO_BUILD:-0}" = 1 ] || BUILD_DIR=${BUILD_DIR:-build} bash scripts/build.sh >/dev/null
export NO_BUILD=1

# tests/lib.sh gives WORK (removed on exit), PIDS, free_ports, fail
# shellcheck source=tests/lib.sh
. "$SRC/tests/lib.sh"

# sse_client URL OUT SECONDS: "<receive time> <event id>" per event until a final document
sse_client() {
  "$PYTHON" - "$@" <<'PY'
import http.client, sys, time, urllib.parse
url, out, bound = urllib.parse.urlsplit(sys.argv[1]), open(sys.argv[2], "w", buffering=1), time.time() + float(sys.argv[3])
while time.time() < bound:
    try:
        c = http.client.HTTPConnection(url.hostname, url.port, timeout=30)
        c.request("GET", url.path, headers={"Accept": "text/event-stream"})
        r = c.getresponse()
    except OSError:
        time.sleep(0.05)
        continue
    if r.status != 200:   # 404 until the pipeline knows the game
        r.read(); c.close(); time.sleep(0.05)
        continue
    eid, final = None, False
    while time.time() < bound:
        line = r.fp.readline()
        if not line:
            break
        line = line.rstrip(b"\r\n")
        if line.startswith(b"id:"):
            eid = line[3:].strip().decode()
        elif line.startswith(b"data:") and b'"state":"final"' in line:
            final = True
        elif not line and eid is not None:
            out.write(f"{time.time():.6f} {eid}\n")
            eid = None
            if final:
                sys.exit(0)
    c.close()
sys.exit(1)
PY
}

# summary LOGS: SSE latency and S3 requests per game for one s3 run (the stream from DIR/expect)
summary() {
  "$PYTHON" - "$1" "$WORK/expect/game-001/gamestream.txt" <<'PY'
import os, re, sys
from datetime import datetime, timezone
logs, stream = sys.argv[1], sys.argv[2]
clock_of, clock = {}, 3600
for raw in open(stream):
    m = re.match(r"^\s*(-?\d+)\s+(\d{1,2}):(\d\d)\s", raw)
    if m:   # the sim writes a line at the lowest clock seen so far, as bench/games.sh times it
        clock = min(clock, int(m.group(2)) * 60 + int(m.group(3)))
        clock_of[m.group(1)] = clock
wrote = {}
for line in open(os.path.join(logs, "sim.log")):
    m = re.match(r"^(\S+) gamestream-sim info\s+game-001: Wrote .* at (\d\d):(\d\d)$", line.rstrip("\n"))
    if m:
        t = datetime.strptime(m.group(1), "%Y-%m-%dT%H:%M:%S.%fZ").replace(tzinfo=timezone.utc).timestamp()
        wrote.setdefault(int(m.group(2)) * 60 + int(m.group(3)), t)
recv = [l.split() for l in open(os.path.join(logs, "sse.txt"))]
lat = sorted((float(t) - wrote[clock_of[e]]) * 1000 for t, e in recv[1:] if e in clock_of and clock_of[e] in wrote)
if lat:
    q = lambda p: lat[min(len(lat) - 1, int(len(lat) * p))]
    print(f"latency producer write -> SSE receipt ({len(lat)} events after the first of {len(recv)} received, "
          f"{len(clock_of)} in the game): p50 {q(0.5):.0f} ms, p90 {q(0.9):.0f} ms, p99 {q(0.99):.0f} ms, max {lat[-1]:.0f} ms")
else:
    print("!! no SSE event to measure")
reqs = [l.split() for l in open(os.path.join(logs, "requests.txt"))]
# where the time goes: write -> the pipeline's GET of the stream (as the proxy saw it), then
# that GET -> SSE receipt (Swift's answer, the proxy, folding, the sink's fsync and rename)
gets = sorted(float(t) for t, m, p in reqs if p.split("?")[0].endswith("/gamestream.txt"))
a, b = [], []
for t, e in recv[1:]:
    if e in clock_of and clock_of[e] in wrote:
        w = wrote[clock_of[e]]
        g = next((x for x in gets if x >= w - 0.002), None)
        if g is not None and g <= float(t):
            a.append((g - w) * 1000); b.append((float(t) - g) * 1000)
for name, v in (("write -> stream GET sent", sorted(a)), ("stream GET sent -> SSE receipt", sorted(b))):
    if v:
        print(f"  {name}: p50 {v[len(v) // 2]:.0f} ms, p99 {v[min(len(v) - 1, int(len(v) * 0.99))]:.0f} ms, max {v[-1]:.0f} ms")
kind = lambda m, p: ("listing" if "list-type" in p or "prefix=" in p else "stream" if p.split("?")[0].endswith("/gamestream.txt")
                     else "manifest" if p.split("?")[0].endswith("/game.json") else "other")
n = {}
for _, m, p in reqs:
    n[kind(m, p)] = n.get(kind(m, p), 0) + 1
span = float(reqs[-1][0]) - float(reqs[0][0]) if len(reqs) > 1 else 0
print(f"S3 requests for the game: {len(reqs)} over {span:.0f} s against {len(clock_of)} events "
      f"({n.get('stream', 0)} stream GETs, {n.get('listing', 0)} listings, {n.get('manifest', 0)} game.json GETs, {n.get('other', 0)} other)")
PY
}

# ---------------------------------------------------------------- s3:// (Swift), 1 game
if [ "$mode" != file ]; then
  if [ ! -x /usr/bin/swift-proxy-server ]; then
    echo "== s3: skipped: Swift is not installed (scripts/install-deps.sh --with-tests)"
  else
    # the game's stream, as the measured sim writes it (same seed), for the event -> clock map
    "$BIN/gamestream-sim" --games 1 --random "$SEED" --delay 0 --stagger 0 --target "file://$WORK/expect/" \
      2>"$WORK/expect.log" || fail "writing the expected stream failed"
    for poll in $S3_POLLS; do
      logs=$WORK/s3-$poll
      mkdir -p "$logs"
      port=$(free_ports 1)
      bound=$(awk -v d="$S3_DELAY" 'BEGIN { printf "%d", 3600 * d * 1.5 + 240 }')
      sse_client "http://127.0.0.1:$port/v1/games/game-001/events" "$logs/sse.txt" "$bound" &
      sse=$!; PIDS+=("$sse")
      echo "== push s3: 1 game, --notify, --poll-ms $poll, SSE client on :$port"
      S3_GAMES=1 DELAY=$S3_DELAY POLL_MS=$poll BENCH_LOGS=$logs \
        PIPELINE_ARGS="--http 127.0.0.1:$port" SIM_ARGS="--notify http://127.0.0.1:$port/minio/events" \
        timeout "$bound" bash bench/games.sh s3 || fail "s3 run at --poll-ms $poll failed"
      wait "$sse" || echo "!! the SSE client did not see the final document"
      summary "$logs"
      echo
    done
  fi
fi

# ---------------------------------------------------------------- file:// prefix, GAMES games
if [ "$mode" != s3 ]; then
  for poll in $FILE_POLLS; do
    echo "== push file: $GAMES games, file-system push (uv_fs_event), --poll-ms $poll"
    POLL_MS=$poll bash bench/games.sh file || fail "file run at --poll-ms $poll failed"
    echo
  done
fi
