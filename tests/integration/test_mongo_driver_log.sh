#!/usr/bin/env bash
# The MongoDB driver's own log lines go through the pipeline's logger, never raw to
# stdout or stderr: with a URI option the driver warns about (?foo=bar) and the
# password from MONGO_PASSWORD (a password inside the URI is refused), --log-format json gives only JSON lines on stderr (the warning
# among them), plain gives the usual lines, stdout stays empty, and no password shows.
. "$SRC/tests/lib.sh"
start_mongo; server_env
D=$WORK/d; mkdir -p "$D"
seed_sqlite "$D/sidearm.db"
printf '0 59:00 101 2 1\n1 58:10 205 7 1\n' > "$D/gamestream.txt"
uri="mongodb://mongo@127.0.0.1:$MONGO_PORT/sidearm.boxscores?foo=bar"
for format in json plain; do
  "$BIN/pipeline" --source "file://$D/gamestream.txt" --reference "sqlite://$D/sidearm.db" --boxscores "$uri" \
    --results "sqlite://$D/sidearm.db" --once --log-format $format >"$WORK/$format.out" 2>"$WORK/$format.log" ||
    fail "$format: pipeline failed"
  [ -s "$WORK/$format.out" ] && fail "$format: the driver wrote to stdout: $(head -3 "$WORK/$format.out")"
  grep -q "$MONGO_TEST_PASSWORD" "$WORK/$format.log" && fail "$format: the password reached the log"
done
"$PYTHON" - "$WORK/json.log" <<'PY' || fail "json: stderr is not JSON lines with the driver's warning"
import json, sys
lines = [json.loads(l) for l in open(sys.argv[1], encoding="utf-8")]
warned = [l for l in lines if l["level"] == "warn" and "foo" in l["msg"] and l["msg"].startswith("mongoc")]
sys.exit(0 if warned else "no driver warning among %d lines" % len(lines))
PY
grep -Eq ' warn +mongoc: .*foo' "$WORK/plain.log" || fail "plain: no driver warning in the log"
pass "the MongoDB driver logs through the pipeline's logger"
