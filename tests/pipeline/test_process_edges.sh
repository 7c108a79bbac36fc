#!/usr/bin/env bash
# The process survives what surrounds it (issue 7):
#  a) defect 9: a closed stderr (`2>&1 | head -1`) costs no document and no table;
#  b) defect 8: a FIFO as the file:// source is never read (no read that blocks), and is
#     followed once it is a regular file; a pipeline waiting for its source is stopped by
#     one SIGTERM;
#  c) defect 13: an unterminated last line is warned about once, folded when the producer
#     ends it, and its bytes are not read again on every poll.
. "$SRC/tests/lib.sh"

# ---- a) stderr closed after the first line
sample_game stderr
set +e
"$BIN/pipeline" --data-dir "$D" --once 2>&1 | head -1 >"$WORK/stderr-first-line.txt"
st=("${PIPESTATUS[@]}")
set -e
[ "${st[0]}" = 0 ] || fail "stderr: the pipeline exited ${st[0]} once its stderr was closed (141 is SIGPIPE)"
grep -q "source file://" "$WORK/stderr-first-line.txt" || fail "stderr: the first log line did not come through"
sample_final stderr
pass "a closed stderr costs nothing: 77 documents, teams2/players2, exit 0"

# ---- b) a FIFO as the source is never read (a read could block for ever); the pipeline
#      says so, waits for a regular file there and follows it once it is one (issue 17
#      item 18: before, the game was given up for the life of the process)
sample_game fifo
mv "$D/gamestream.txt" "$WORK/fifo-game.txt"
mkfifo "$D/gamestream.txt"
"$BIN/pipeline" --data-dir "$D" --poll-ms 20 2>"$WORK/fifo.log" &
pipe=$!; PIDS+=("$pipe")
wait_for 30 grep -q "$D/gamestream.txt.*not a regular file" "$WORK/fifo.log" \
  || fail "fifo: no message naming $D/gamestream.txt and saying it is not a regular file"
sleep 0.5
kill -0 "$pipe" 2>/dev/null || fail "fifo: the pipeline gave up on a stream that was a FIFO for a moment"
cp "$WORK/fifo-game.txt" "$D/gamestream.txt.tmp" && mv "$D/gamestream.txt.tmp" "$D/gamestream.txt"
wait_for 60 gone "$pipe" || fail "fifo: the game did not end once the stream was a regular file"
rc=0; wait "$pipe" || rc=$?
[ $rc = 0 ] || fail "fifo: exit $rc after the stream became a regular file"
sample_final fifo
pass "a FIFO source is never read, and followed once it is a regular file: 77 documents, the tables, exit 0"

D=$WORK/waiting; mkdir -p "$D"
seed_sqlite "$D/sidearm.db"
"$BIN/pipeline" --data-dir "$D" --poll-ms 20 2>"$WORK/waiting.log" &
pipe=$!; PIDS+=("$pipe")
wait_for 30 grep -q "does not exist yet" "$WORK/waiting.log" || fail "waiting: the pipeline does not wait for its stream"
stops_on TERM "$pipe" "waiting for its stream"
pass "a pipeline waiting for its stream stops on one SIGTERM with exit 0"

# ---- c) an unterminated last line
# partial NAME FIRST THEN LINE: the pipeline follows FIRST (its last line has no newline),
# warns once that line LINE has no newline, waits, then the producer rewrites the stream
# as THEN (the line ended, the game finished). Leaves the log in $WORK/NAME.log.
partial() {
  local n=$1 pipe rc=0 polls bytes size
  D=$WORK/$n; mkdir -p "$D"
  seed_sqlite "$D/sidearm.db"
  cp "$2" "$D/gamestream.txt"
  "$BIN/pipeline" --data-dir "$D" --poll-ms 10 2>"$WORK/$n.log" &
  pipe=$!; PIDS+=("$pipe")
  wait_for 30 grep -q "has no newline after" "$WORK/$n.log" || fail "$n: no warning about the unterminated line"
  grep -q "line $4 has no newline after" "$WORK/$n.log" || fail "$n: the warning does not name line $4"
  sleep 1 # about a hundred more polls of the same partial line
  [ "$(log_count "has no newline after" "$WORK/$n.log")" = 1 ] || fail "$n: the partial line is warned about more than once"
  if grep -q '"state": *"final"' "$D"/boxscores/*.json; then fail "$n: the game ended before its last line did"; fi
  cp "$3" "$D/gamestream.txt.tmp" && mv "$D/gamestream.txt.tmp" "$D/gamestream.txt"
  wait_for 60 gone "$pipe" || fail "$n: the game did not end once its last line was ended"
  wait "$pipe" || rc=$?
  [ $rc = 0 ] || fail "$n: the pipeline exited $rc"
  if grep -q "restarted" "$WORK/$n.log"; then fail "$n: ending the line was taken for a restart"; fi
  read -r polls bytes size < <(sed -n 's/.*; \([0-9]*\) polls read \([0-9]*\) bytes of a \([0-9]*\)-byte stream.*/\1 \2 \3/p' \
    "$WORK/$n.log")
  [ -n "${polls:-}" ] || fail "$n: no 'done:' line with the bytes the polls read"
  [ "$size" = "$(stat -c %s "$D/gamestream.txt")" ] || fail "$n: done: reports a $size-byte stream"
  [ "$polls" -ge 50 ] || fail "$n: only $polls polls: the partial line did not wait long"
  [ "$bytes" -le $((size + 64 * polls)) ] \
    || fail "$n: $polls polls read $bytes bytes of a $size-byte stream: held bytes were read again"
  echo "$n: $polls polls read $bytes bytes of a $size-byte stream"
}

# the sample game without its final newline: the sentinel line 77 waits
head -c -1 "$SRC/sql/data/game.txt" > "$WORK/unended.txt"
partial unended "$WORK/unended.txt" "$SRC/sql/data/game.txt" 77
sample_final unended
pass "the sample game minus its final newline: warned once, ended when the newline came, bytes read once"

# a line cut inside its clock; the producer ends it and adds the sentinel
printf '0 59:00 101 2 1\n1 58:00 205 5 0\n2 57:00 101 8 0\n3 56:00 205 9 1\n4 55:00 101 22 0\n5 54:0' > "$WORK/cut.txt"
{ head -c -6 "$WORK/cut.txt"; printf '5 54:00 101 2 1\n6 00:00 0 0 0\n'; } > "$WORK/cut-ended.txt"
partial cut "$WORK/cut.txt" "$WORK/cut-ended.txt" 6
"$PYTHON" - "$WORK/cut/boxscores" <<'PY' || fail "cut: the ended line was not folded whole"
import json, sys
d = sys.argv[1]
assert json.load(open(f"{d}/4.json"))["state"] == "in_progress"
five, last = json.load(open(f"{d}/5.json")), json.load(open(f"{d}/6.json"))
assert five["timestamp"] == "54:00" and five["home"]["score"] == 2, (five["timestamp"], five["home"]["score"])
assert last["state"] == "final" and (last["home"]["score"], last["away"]["score"]) == (2, 1)
assert last["events"] == {"applied": 7, "rejected": 0, "duplicates": 0, "unrostered_shots": 0}, last["events"]
PY
pass "a line cut inside its clock: warned once, folded whole when the producer ended it"
