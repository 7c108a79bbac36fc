#!/usr/bin/env bash
# The live page on the real pipeline (issue 9): pipeline --follow serves HTTP on a free port
# over the embedded backends; headless chromium opens the page, then gamestream-sim plays the
# sample game into the file:// source. The page must follow the game without a reload and
# end at the final score and the final document (checked by oracle.py against the model).
# Screenshot: $BIN/../live-page.png.
. "$SRC/tests/lib.sh"
D=$WORK/var; mkdir -p "$D"
seed_sqlite "$D/sidearm.db"
port=$(free_ports 1)
"$BIN/pipeline" --data-dir "$D" --poll-ms 50 --follow --http "127.0.0.1:$port" 2>"$WORK/pipeline.log" &
pipe=$!; PIDS+=("$pipe")
wait_for 30 port_open "$port" || fail "pipeline does not serve HTTP on $port"
"$PYTHON" "$SRC/tests/http/test_live_page.py" "http://127.0.0.1:$port/" "$D/boxscores" \
  "$SRC/sql/data/game.txt" "$SRC/pipeline/web/index.html" "$BIN/../live-page.png" -- \
  "$BIN/gamestream-sim" --target "file://$D/gamestream.txt" --delay 0.005 >"$WORK/page.log" 2>&1 \
  || { cat "$WORK/page.log" >&2; fail "the live page test failed"; }
cat "$WORK/page.log"
oracle --events "$SRC/sql/data/game.txt" --reference "$SRC/sql/data/reference.json" \
  --docs-dir "$D/boxscores" || fail "the documents the page showed differ from the model"
kill -TERM "$pipe"
wait "$pipe" || fail "pipeline exited $? after SIGTERM"
pass "live page follows the sample game on the real pipeline to its final score"
