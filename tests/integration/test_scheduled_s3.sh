#!/usr/bin/env bash
# Scheduled games under an s3:// prefix cost no requests of their own (issue 15), over
# Swift's s3api, each pipeline's requests counted by a relay (tests/tools/count_proxy.py).
# A game with a game.json and no stream yet has not started: its stream is read when a
# listing shows it or a notification names it, not on a timer. Before, each such game read
# its absent stream every backoff step (0.1 s doubling to --backoff-max-ms, 10 s): 1,000
# scheduled games were ~130 requests a second against the store, and a notification that
# came during the backoff waited for it, so a game's first event was up to 10 s late.
# Two pipelines follow the same day: A with notifications (gamestream-sim --notify, its
# safety listing every 400 ms), B polling (a listing every 200 ms, no notification). Game 3 is
# scheduled 40 s before its first event: each pipeline reads its absent stream at most twice
# before then, and shows the first event within 3 s of its write. Then 30 new games at once,
# notified to A: A lists the prefix at most once every --poll-ms for them.
. "$SRC/tests/lib.sh"
start_s3; server_env
for p in a b; do mkdir -p "$WORK/$p"; done
PREFIX=s3://gamestreams/sched/
# the rosters first (the same games written at once elsewhere), so both start with them
"$BIN/gamestream-sim" --games 3 --random 5 --delay 0 --stagger 0 --target "file://$WORK/expect/" \
  --reset-reference "sqlite://$WORK/a/sidearm.db" 2>"$WORK/reset.log" || fail "resetting the reference failed"
cp "$WORK/a/sidearm.db" "$WORK/b/sidearm.db"
base=$(free_ports 3); RA=$base RB=$((base + 1)) PA=$((base + 2))
for p in a b; do
  r=$RA; [ $p = b ] && r=$RB
  "$PYTHON" "$SRC/tests/tools/count_proxy.py" "$r" "$S3_PORT" "$WORK/$p/requests.log" 2>"$WORK/$p/relay.log" &
  PIDS+=($!)
  wait_for 20 port_open "$r" || fail "relay $p did not start"
done
export NOTIFY_TOKEN=sched-t0ken
"$BIN/pipeline" --source "$PREFIX" --data-dir "$WORK/a" --s3-endpoint "127.0.0.1:$RA" --http "127.0.0.1:$PA" \
  --poll-ms 200 --safety-poll-ms 400 2>"$WORK/a/pipeline.log" &
PIDS+=($!); pa=$!
"$BIN/pipeline" --source "$PREFIX" --data-dir "$WORK/b" --s3-endpoint "127.0.0.1:$RB" --poll-ms 200 \
  2>"$WORK/b/pipeline.log" &
PIDS+=($!); pb=$!
wait_for 20 port_open "$PA" || fail "pipeline A's HTTP port did not open: $(tail -n 3 "$WORK/a/pipeline.log")"
# game i starts 20 s after game i-1; a game lasts 7.2 s
"$BIN/gamestream-sim" --games 3 --random 5 --delay 0.002 --stagger 20 --target "$PREFIX" \
  --notify "http://127.0.0.1:$PA/minio/events" 2>"$WORK/sim.log" || fail "gamestream-sim failed: $(tail -n 3 "$WORK/sim.log")"
retired() { [ "$(log_count 'final and written: retired' "$WORK/$1/pipeline.log")" -ge "$2" ]; }
for p in a b; do
  wait_for 60 retired $p 3 || fail "pipeline $p did not write the 3 games: $(tail -n 3 "$WORK/$p/pipeline.log")"
done
# a burst of 30 new games written at once, every write notified to A: each notification of
# a game not followed wants a listing, and they share one every --poll-ms (200 ms); before,
# each started one as soon as the last ended
"$BIN/gamestream-sim" --games 30 --random 50 --game-prefix burst- --delay 0 --stagger 0 --writers 8 --target "$PREFIX" \
  --notify "http://127.0.0.1:$PA/minio/events" 2>"$WORK/sim-burst.log" || fail "the burst failed: $(tail -n 3 "$WORK/sim-burst.log")"
for p in a b; do
  wait_for 60 retired $p 33 || fail "pipeline $p did not write the 30 games of the burst: $(tail -n 3 "$WORK/$p/pipeline.log")"
done
"$PYTHON" - "$WORK/a/requests.log" "$WORK/sim-burst.log" <<'PY' || fail "pipeline A listed the prefix too often in the burst"
import sys
from datetime import datetime, timezone
t = lambda s: datetime.strptime(s, "%Y-%m-%dT%H:%M:%S.%fZ").replace(tzinfo=timezone.utc).timestamp()
log = [l for l in open(sys.argv[2]) if " Wrote " in l]
manifests = [t(l.split()[0]) for l in log if "/game.json " in l]
first_stream = min(t(l.split()[0]) for l in log if "/gamestream.txt " in l)
# the 30 game.json, notified one after the other, then the first stream write
t0, t1 = manifests[0], first_stream
lists = [float(r[0]) for r in (l.split() for l in open(sys.argv[1]))
         if r[1] == "GET" and ("list-type" in r[2] or "prefix=" in r[2]) and t0 <= float(r[0]) <= t1]
bound = int((t1 - t0) / 0.2) + int((t1 - t0) / 0.4) + 2 # and the safety listing's
print(f"# burst: {len(manifests)} new games' game.json notified in {t1 - t0:.2f} s; pipeline A listed the "
      f"prefix {len(lists)} times meanwhile (at most {bound}: one a --poll-ms, and the safety listing's)")
if len(manifests) != 30 or len(lists) > bound:
    sys.exit(f"{len(lists)} listings for {len(manifests)} new games, more than one every --poll-ms ({bound})")
PY
kill -TERM "$pa" "$pb"; wait "$pa" || fail "pipeline A exited $? after SIGTERM"; wait "$pb" || fail "pipeline B exited $?"

# the first write of game-003's stream, and when each pipeline saw its first event
first_write=$(grep -m1 'game-003: Wrote sched/game-003/gamestream.txt' "$WORK/sim.log" | cut -d' ' -f1)
[ -n "$first_write" ] || fail "the sim's log has no write of game-003"
for p in a b; do
  seen=$(grep -m1 'game-003: state scheduled -> in_progress' "$WORK/$p/pipeline.log" | cut -d' ' -f1)
  [ -n "$seen" ] || fail "pipeline $p never saw game-003 begin"
  "$PYTHON" - "$WORK/$p/requests.log" "$first_write" "$seen" "$p" <<'PY' || fail "pipeline $p: see above"
import sys
from datetime import datetime, timezone
log, first, seen, p = sys.argv[1:]
t = lambda s: datetime.strptime(s, "%Y-%m-%dT%H:%M:%S.%fZ").replace(tzinfo=timezone.utc).timestamp()
first, seen = t(first), t(seen)
reqs = [l.split() for l in open(log)]
before = [r for r in reqs if r[1] == "GET" and r[2].split("?")[0].endswith("/game-003/gamestream.txt")
          and float(r[0]) < first]
print(f"# pipeline {p}: {len(before)} reads of game-003's absent stream in the 40 s before its first write; "
      f"its first event seen {seen - first:.2f} s after the write")
if len(before) > 2:
    sys.exit(f"pipeline {p}: {len(before)} reads of a scheduled game's absent stream (at most 2: it is read when "
             "a listing shows it or a notification names it, not on a timer)")
if seen - first > 3:
    sys.exit(f"pipeline {p}: the game's first event was seen {seen - first:.2f} s after its write (at most 3 s)")
# every read of a stream is one the producer's writes called for: a safety listing does not
# read again what a push's read already found (before: each listing re-read every stream
# that moved since the last, ~18 more reads a game here at --safety-poll-ms 400). A listing
# that sees a write before its push's read has begun asks for one more read: 10% allowed
sim = [l for l in open(sys.argv[1].replace(f"/{p}/requests.log", "/sim.log")) if " Wrote " in l]
for g in ("game-001", "game-002", "game-003"):
    writes = sum(f" {g}: Wrote " in l and "/gamestream.txt " in l for l in sim)
    reads = sum(r[1] == "GET" and r[2].split("?")[0].endswith(f"/{g}/gamestream.txt") for r in reqs)
    print(f"# pipeline {p}: {g}: {reads} reads of its stream for {writes} writes")
    if reads > writes * 1.1 + 2:
        sys.exit(f"pipeline {p}: {g}: {reads} reads for {writes} writes (at most 10% more, and the first read "
                 "before the game starts)")
PY
done
pass "scheduled games: no reads of their own before their streams appear, and the first event at once (push and polling)"
# what was written is the games' own: each pipeline's final documents are those of the streams
for p in a b; do
  for g in game-001 game-002 game-003; do
    last=$(tail -n 1 "$WORK/expect/$g/gamestream.txt" | cut -d' ' -f1)
    doc=$WORK/$p/boxscores/$g/$last.json
    if [ ! -f "$doc" ] || ! grep -q '"state": *"final"' "$doc"; then
      fail "pipeline $p: $g's final document $last is missing or not final"
    fi
  done
done
pass "both pipelines wrote every game's final document"
