#!/usr/bin/env bash
# CORS in headless chromium (issue 18, item 6): the pipeline with --cors-origins naming a
# second origin (another port); a page there reads /v1/games and the SSE stream, a page on a
# third origin is refused by the browser.
. "$SRC/tests/lib.sh"
D=$WORK/var; mkdir -p "$D"
seed_sqlite "$D/sidearm.db"
cp "$SRC/sql/data/game.txt" "$D/gamestream.txt"
P=$(free_ports 3); OK=$((P + 1)); BAD=$((P + 2))
URL=http://127.0.0.1:$P
"$BIN/pipeline" --data-dir "$D" --poll-ms 20 --follow --http "127.0.0.1:$P" \
  --cors-origins "http://127.0.0.1:$OK" 2>"$WORK/pipeline.log" &
PIDS+=("$!")
wait_for 30 curl -sf "$URL/v1/games/game-1" || fail "the pipeline does not serve game-1 on $P"
PYTHONPATH="$SRC/tests/http" "$PYTHON" "$SRC/tests/http/test_browser_cors.py" "$URL" "$OK" "$BAD" >"$WORK/cors.log" 2>&1 \
  || { cat "$WORK/cors.log" >&2; fail "the browser CORS test failed"; }
cat "$WORK/cors.log"
pass "chromium: a page on http://127.0.0.1:$OK reads the API and its stream; one on :$BAD is refused"
