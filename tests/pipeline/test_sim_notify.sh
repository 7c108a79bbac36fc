#!/usr/bin/env bash
# gamestream-sim --notify (issue 9): after each write it POSTs the event MinIO's webhook
# would send, with the Bearer token of NOTIFY_TOKEN. A tiny receiver records the
# requests: one per write, in order, each body read by the pipeline's own parser
# (minio_event_dump) naming the object written and its size; file:// keys are relative
# to the target root. A receiver that is down or answers 500 is logged; the sim goes on.
. "$SRC/tests/lib.sh"
port=$(free_ports 2)
start_sink() { # start_sink PORT OUT [STATUS]
  "$PYTHON" "$SRC/tests/tools/notify_sink.py" "$@" 2>>"$WORK/sink.log" &
  PIDS+=("$!")
  wait_for 10 port_open "$1" || fail "the receiver did not start"
}
start_sink "$port" "$WORK/single.jsonl"
export NOTIFY_TOKEN=s3cr3t-t0ken

# check_events JSONL ROOT: every request is a MinIO event for a file under ROOT, with the
# token; prints "key size" per request, in order
check_events() {
  "$PYTHON" - "$1" "$2" "$BIN/minio_event_dump" <<'PY'
import json, os, re, subprocess, sys
jsonl, root, dump = sys.argv[1:4]
seqs = []
for n, line in enumerate(open(jsonl), 1):
    r = json.loads(line)
    assert r["path"] == "/minio/events", r["path"]
    assert r["authorization"] == "Bearer s3cr3t-t0ken", f"request {n}: token {r['authorization']!r}"
    b = json.loads(r["body"])
    assert b["EventName"] == "s3:ObjectCreated:Put", b
    rec, = b["Records"]
    assert rec["eventVersion"] == "2.0" and rec["eventSource"] == "minio:s3", rec
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z", rec["eventTime"]), rec["eventTime"]
    obj = rec["s3"]["object"]
    assert rec["s3"]["bucket"]["name"] == "" and re.fullmatch(r"[0-9a-f]{32}", obj["eTag"]), rec
    assert "/" not in obj["key"], f"the key is not URL-encoded: {obj['key']}"
    seqs.append(int(obj["sequencer"], 16))
    out = subprocess.run([dump], input=r["body"].encode(), capture_output=True, check=True).stdout.decode()
    name, bucket, key, size = out.rstrip("\n").split("\t")
    assert name == "s3:ObjectCreated:Put" and bucket == "" and key == b["Key"], (out, b["Key"])
    assert os.path.exists(os.path.join(root, key)), key
    print(key, size)
assert seqs == sorted(seqs), "sequencers go backwards"
PY
}

# ---- one stream: key "gamestream.txt" (relative to its folder)
D=$WORK/one; mkdir -p "$D"
DELAY=0 "$BIN/gamestream-sim" --target "file://$D/gamestream.txt" --notify "http://127.0.0.1:$port/minio/events" \
  >"$WORK/sim.out" 2>"$WORK/sim.log" || fail "sim failed"
[ ! -s "$WORK/sim.out" ] || fail "the sim printed the receiver's answers: $(head -c 200 "$WORK/sim.out")"
writes=$(log_count "Wrote gamestream.txt" "$WORK/sim.log")
check_events "$WORK/single.jsonl" "$D" > "$WORK/single.txt" || fail "an event is not what MinIO sends"
[ "$writes" -gt 10 ] || fail "only $writes writes logged"
[ "$(wc -l < "$WORK/single.txt")" = "$writes" ] || fail "$writes writes but $(wc -l < "$WORK/single.txt") events"
[ "$(cut -d' ' -f1 "$WORK/single.txt" | sort -u)" = gamestream.txt ] || fail "keys: $(sort -u "$WORK/single.txt" | head)"
[ "$(tail -n1 "$WORK/single.txt" | cut -d' ' -f2)" = "$(stat -c %s "$D/gamestream.txt")" ] ||
  fail "the last event's size is not the stream's"
sort -n -k2 -c "$WORK/single.txt" || fail "sizes go backwards"
pass "one stream: one MinIO event per write ($writes), with the token, keys relative to its folder"

# ---- --games: game.json then gamestream.txt of each game, keys "<game>/<name>"
start_sink $((port + 1)) "$WORK/games.jsonl"
G=$WORK/games
SIM_NOTIFY_URL="http://127.0.0.1:$((port + 1))/minio/events" "$BIN/gamestream-sim" --games 2 --random 3 --delay 0 \
  --stagger 0 --target "file://$G/" 2>"$WORK/sim-games.log" || fail "sim --games failed"
check_events "$WORK/games.jsonl" "$G" > "$WORK/games.txt" || fail "an event of --games is not what MinIO sends"
writes=$(log_count "Wrote " "$WORK/sim-games.log")
[ "$(wc -l < "$WORK/games.txt")" = "$writes" ] || fail "$writes writes but $(wc -l < "$WORK/games.txt") events"
[ "$(cut -d' ' -f1 "$WORK/games.txt" | sort -u | tr '\n' ' ')" = \
  "game-001/game.json game-001/gamestream.txt game-002/game.json game-002/gamestream.txt " ] ||
  fail "keys under the prefix: $(cut -d' ' -f1 "$WORK/games.txt" | sort -u | tr '\n' ' ')"
grep -q 'game-001%2Fgamestream.txt' "$WORK/games.jsonl" || fail "the object key is not URL-encoded like MinIO's"
pass "--games: one event per write ($writes), keys <game>/<name> relative to the prefix"

# ---- a receiver that is down, or answers 500: logged, the sim goes on
closed=$(free_ports 1)
DELAY=0 "$BIN/gamestream-sim" --target "file://$WORK/down/gamestream.txt" --notify "http://127.0.0.1:$closed/x" \
  2>"$WORK/down.log" || fail "the sim stopped because the receiver is down"
grep -q -- "--notify: POST for gamestream.txt failed" "$WORK/down.log" || fail "a failed POST was not logged"
cmp -s "$WORK/down/gamestream.txt" "$D/gamestream.txt" || fail "the game was not written whole"
start_sink "$closed" "$WORK/500.jsonl" 500
DELAY=0 "$BIN/gamestream-sim" --target "file://$WORK/down/gamestream.txt" --notify "http://127.0.0.1:$closed/x" \
  2>"$WORK/500.log" || fail "the sim stopped on a 500"
grep -q -- "answered 500; going on" "$WORK/500.log" || fail "a 500 was not logged"
! grep -q "s3cr3t" "$WORK"/*.log || fail "the token was logged"
pass "a receiver down or failing is logged and the sim goes on; the token is never logged"
