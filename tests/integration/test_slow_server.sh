#!/usr/bin/env bash
# A server that accepts connections and never answers: the S3 read hangs on a worker
# thread, the loop stays free, and SIGTERM still ends the program promptly and cleanly
# (the hung read is abandoned; reads can always be redone).
. "$SRC/tests/lib.sh"
PORT=$(free_ports 1)
"$PYTHON" - "$PORT" >"$WORK/blackhole.log" 2>&1 <<'PY' &
import socket, sys, time
s = socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind(("127.0.0.1", int(sys.argv[1]))); s.listen(16)
held = []
while True:
    c, _ = s.accept(); held.append(c)   # never answer
PY
PIDS+=($!)
wait_for 10 port_open "$PORT" || fail "black hole did not start"
D=$WORK/d; mkdir -p "$D"; seed_sqlite "$D/sidearm.db"
S3_ENDPOINT=127.0.0.1:$PORT S3_SECRET_KEY=x "$BIN/pipeline" --data-dir "$D" --source s3://gamestreams/gamestream.txt \
  --timeout-ms 120000 --poll-ms 50 2>"$WORK/pipeline.log" &
pipe=$!; PIDS+=("$pipe")
wait_for 10 grep -q "reference: 4 teams" "$WORK/pipeline.log" || fail "pipeline did not start"
sleep 1
kill -TERM $pipe
gone() { ! kill -0 "$pipe" 2>/dev/null; }
wait_for 5 gone || fail "SIGTERM did not end the pipeline while an S3 read was hanging"
set +e; wait $pipe; rc=$?; set -e
[ $rc = 0 ] || fail "exit status $rc after SIGTERM with nothing pending"
grep -q "SIGTERM received" "$WORK/pipeline.log" || fail "the signal was not logged"
pass "a hung server does not hold the loop or the shutdown"
