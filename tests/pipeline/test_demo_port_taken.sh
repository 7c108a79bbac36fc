#!/usr/bin/env bash
# scripts/demo.sh notices a pipeline that stopped (issue 18 item 10): with the port of
# HTTP_LISTEN held by another program, the demo says the port is taken and how to choose
# another (HTTP_LISTEN), and exits at once with the pipeline's status, instead of waiting
# out the game and failing on a box-score folder that was never made. Then, on a free
# port, the demo still plays the game to the end (the check is no false alarm).
. "$SRC/tests/lib.sh"
P=$(free_ports 2)
"$PYTHON" -c '
import socket, sys, time
s = socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1); s.bind(("127.0.0.1", int(sys.argv[1]))); s.listen(1)
open(sys.argv[2], "w").close(); time.sleep(120)' "$P" "$WORK/busy" &
PIDS+=("$!")
wait_for 10 test -e "$WORK/busy" || fail "could not hold the port"

# generous bound: before the fix the demo played the whole game (DELAY 0.05: about 3 minutes)
rc=0
DEMO_SETUP=0 BIN_DIR="$BIN" DEMO_DIR="$WORK/var" HTTP_LISTEN="127.0.0.1:$P" DELAY=0.05 KEEP=0 \
  timeout 60 bash "$SRC/scripts/demo.sh" </dev/null >"$WORK/demo.out" 2>&1 || rc=$?
[ $rc != 124 ] || fail "the demo did not stop within 60 s with its port taken: $(tail -5 "$WORK/demo.out")"
[ $rc = 2 ] || fail "the demo exited $rc with its port taken, not the pipeline's 2: $(cat "$WORK/demo.out")"
grep -q "cannot listen for HTTP on 127.0.0.1:$P: Address already in use" "$WORK/demo.out" ||
  fail "the pipeline's reason is not shown: $(cat "$WORK/demo.out")"
grep -q "demo: 127.0.0.1:$P is taken by another program. Choose another port with HTTP_LISTEN" "$WORK/demo.out" ||
  fail "the demo does not say the port is taken and how to choose one: $(cat "$WORK/demo.out")"
grep -q "Final\." "$WORK/demo.out" && fail "the demo went on to the final with no pipeline"
grep -q "No such file" "$WORK/demo.out" && fail "the demo went on to read what was never written"
pass "demo with its port taken: says so, names HTTP_LISTEN, exits 2 at once"

rc=0
DEMO_SETUP=0 BIN_DIR="$BIN" DEMO_DIR="$WORK/var2" HTTP_LISTEN="127.0.0.1:$((P + 1))" DELAY=0.0005 KEEP=0 \
  timeout 120 bash "$SRC/scripts/demo.sh" </dev/null >"$WORK/demo2.out" 2>&1 || rc=$?
[ $rc = 0 ] || fail "the demo on a free port exited $rc: $(tail -20 "$WORK/demo2.out")"
grep -q "Final\. The page stays up at http://127.0.0.1:$((P + 1))/" "$WORK/demo2.out" || fail "no final on a free port"
[ "$(sqlite3 "$WORK/var2/sidearm.db" "SELECT count(*) FROM teams2")" -ge 2 ] || fail "the demo on a free port wrote no teams2"
pass "demo on a free port plays the game to the end"
