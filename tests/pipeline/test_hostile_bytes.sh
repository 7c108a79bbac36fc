#!/usr/bin/env bash
# Any byte sequence is safe (issue 7, defects 1 and 10): a stream line with a byte that
# is not UTF-8 or with terminal escapes, and player/team names that are not UTF-8 in the
# reference, are rejected or carried as text, never fatal. Every document and the
# tables are written, JSON logs stay one valid JSON object a line, plain logs carry no
# raw control character, and a game id that is not a safe name is a usage error.
. "$SRC/tests/lib.sh"
D=$WORK/var; mkdir -p "$D"
seed_sqlite "$D/sidearm.db"
sqlite3 "$D/sidearm.db" "UPDATE players SET name = CAST(X'4C69616DFF1B5B324A' AS TEXT) WHERE id = 1;
                         UPDATE teams SET name = CAST(X'C3FF' AS TEXT) WHERE id = 101"
printf '1 59:00 101 2 1\n2 58:00 205 5 0\n3 55:22 205 \xff 1\n4 55:00 205 \x1b[2J 1\r\n5 54:00 101 2 1\n' > "$D/gamestream.txt"
printf '6 53:00 101 \xc3\xa9\xed\xa0\x80 0\n7 00:00 0 0 0\n' >> "$D/gamestream.txt"

"$BIN/pipeline" --data-dir "$D" --once --log-format json 2>"$WORK/json.log" || fail "pipeline exited $? (json logs)"
"$PYTHON" - "$WORK/json.log" "$D/boxscores" <<'PY' || fail "json logs or documents are wrong"
import json, sys
logs = [json.loads(l) for l in open(sys.argv[1], "rb")]   # every line parses
assert any("line 3 rejected" in l["msg"] for l in logs)
d = sys.argv[2]
last = json.load(open(f"{d}/7.json"))
assert last["state"] == "final" and last["home"]["score"] == 2, last["home"]["score"]
assert last["home"]["name"] == "\ufffd\ufffd", repr(last["home"]["name"])
assert last["home"]["players"][0]["name"] == "Liam\ufffd\x1b[2J", repr(last["home"]["players"][0]["name"])
rej = [json.loads(l) for l in open(f"{d}/rejects.jsonl", "rb")]
assert [r["line"] for r in rej] == [3, 4, 6], [r["line"] for r in rej]
assert rej[0]["raw"] == "3 55:22 205 \ufffd 1", repr(rej[0]["raw"])
assert rej[1]["raw"] == "4 55:00 205 \x1b[2J 1", repr(rej[1]["raw"])
PY
[ "$(sqlite3 "$D/sidearm.db" "SELECT wins FROM teams2 WHERE id = 101")" = \
  "$(($(sqlite3 "$D/sidearm.db" "SELECT wins FROM teams WHERE id = 101") + 1))" ] || fail "teams2 not written"

rm -rf "$D/boxscores"
"$BIN/pipeline" --data-dir "$D" --once 2>"$WORK/plain.log" || fail "pipeline exited $? (plain logs)"
grep -q 'line 3 rejected: .*\\xff' "$WORK/plain.log" || fail "the bad byte is not shown escaped"
grep -q 'line 4 rejected: .*\\x1b\[2J' "$WORK/plain.log" || fail "ESC is not shown escaped"
if LC_ALL=C grep -q $'[\x01-\x08\x0b-\x1f\x7f]' "$WORK/plain.log"; then fail "a raw control character reached the log"; fi
[ -s "$D/boxscores/7.json" ] || fail "the final document is missing (plain logs)"

for bad in $'g\xff' "a/b" ".." "$(printf 'g%.0s' {1..65})" "" "x y"; do
  rc=0; "$BIN/pipeline" --data-dir "$D" --once --game "$bad" 2>"$WORK/usage.log" || rc=$?
  [ $rc = 2 ] || fail "game id '$bad' gave exit $rc, not 2"
  grep -q -- "--game: a game id" "$WORK/usage.log" || fail "no clear usage error for game id '$bad'"
done
long=$(printf 'g%.0s' {1..64})
"$BIN/pipeline" --data-dir "$D" --once --game "$long" 2>/dev/null || fail "a 64-byte game id is refused"
grep -q "\"game\": *\"$long\"" "$D/boxscores/7.json" || fail "the 64-byte game id is not kept whole"
pass "hostile bytes are escaped or replaced, never fatal"
