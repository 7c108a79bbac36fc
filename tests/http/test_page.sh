#!/usr/bin/env bash
# The live page alone in headless chromium (issue 9), against tests/http/fake_api.py: the
# sample game's real documents (from the pipeline's directory sink) with hostile names, sent
# through SSE one by one. Screenshots go to the build folder.
. "$SRC/tests/lib.sh"
D=$WORK/var; mkdir -p "$D"
seed_sqlite "$D/sidearm.db"
cp "$SRC/sql/data/game.txt" "$D/gamestream.txt"
"$BIN/pipeline" --data-dir "$D" --once 2>"$WORK/pipeline.log" || fail "pipeline --once exited $?"
"$PYTHON" "$SRC/tests/http/test_page.py" "$D/boxscores" "$BIN/.." >"$WORK/page.log" 2>&1 \
  || { cat "$WORK/page.log" >&2; fail "the page test failed"; }
cat "$WORK/page.log"
pass "live page against the fake API (screenshots: $BIN/../page-fake-*.png)"
