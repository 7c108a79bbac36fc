#!/usr/bin/env bash
# Descriptor exhaustion (issue 17, item 1, the HTTP half): under ulimit -n 64 with 80 idle
# HTTP connections held open, HTTP keeps the last descriptors (a quarter of the limit,
# at least 16) for the sinks and sources: connections past that are closed at accept,
# counted and logged a few times at most (not once per accept: no busy loop), and the
# game's 77 documents and its tables are all written and equal the model. Once the
# clients go away, /healthz answers again.
. "$SRC/tests/lib.sh"
CLIENT=$SRC/tests/http/http_client.py
D=$WORK/var; mkdir -p "$D"
seed_sqlite "$D/sidearm.db"
P=$(free_ports 1)
URL=http://127.0.0.1:$P
( ulimit -n 64; exec "$BIN/pipeline" --data-dir "$D" --poll-ms 20 --follow --http "127.0.0.1:$P" \
    --http-header-timeout-s 600 ) 2>"$WORK/pipeline.log" &
pipe=$!; PIDS+=("$pipe")
wait_for 30 curl -sf "$URL/healthz" || fail "no answer on /healthz"
"$PYTHON" "$CLIENT" hold-idle "$P" 80 "$WORK/held" "$WORK/stop" >"$WORK/kept" 2>"$WORK/hold.log" &
holder=$!; PIDS+=("$holder")
wait_for 30 test -e "$WORK/held" || fail "could not open the connections: $(cat "$WORK/hold.log")"
wait_for 30 grep -q "refused a connection: descriptor" "$WORK/pipeline.log" ||
  fail "80 idle connections under ulimit -n 64 were never refused: $(tail -5 "$WORK/pipeline.log")"
DELAY=0.001 "$BIN/gamestream-sim" --target "file://$D/gamestream.txt" 2>"$WORK/sim.log" || fail "sim failed"
wait_for 120 grep -q "wrote teams2" "$WORK/pipeline.log" || fail "the results were not written: $(tail -5 "$WORK/pipeline.log")"
wait_for 60 test -e "$D/boxscores/76.json" || fail "the final document was not written"
touch "$WORK/stop"; wait "$holder" || fail "the holder failed: $(cat "$WORK/hold.log")"
kept=$(cat "$WORK/kept")
{ [ "$kept" -ge 16 ] && [ "$kept" -lt 64 ]; } || fail "$kept of 80 idle connections were kept open (ulimit -n 64)"
wait_for 30 curl -sf "$URL/healthz" || fail "/healthz does not answer once the clients went away"
curl -sf "$URL/metrics" >"$WORK/metrics.txt" || fail "/metrics failed"
grep -qE '^sidearm_http_limit_hits_total\{limit="descriptors"\} [1-9]' "$WORK/metrics.txt" ||
  fail "the refused connections are not counted: $(grep limit= "$WORK/metrics.txt")"
kill -TERM "$pipe"; wait "$pipe" || fail "pipeline exited $?"
# a handful of rate-limited lines, where libwebsockets used to log 'accept: errno 24' in a loop
n=$(grep -c "http" "$WORK/pipeline.log" || true)
[ "$n" -le 12 ] || fail "$n HTTP log lines: $(grep http "$WORK/pipeline.log" | sort | uniq -c | sort -rn | head -5)"
grep -q "errno 24\|Too many open files" "$WORK/pipeline.log" && fail "a descriptor ran out: $(grep -m3 'errno 24\|Too many' "$WORK/pipeline.log")"
oracle --events "$SRC/sql/data/game.txt" --reference "$SRC/sql/data/reference.json" \
  --docs-dir "$D/boxscores" --sqlite "$D/sidearm.db" || fail "box scores or tables differ from the model"
pass "ulimit -n 64, 80 idle connections: $kept kept, the rest refused at accept ($n HTTP log lines); all 77 documents and the tables written"
