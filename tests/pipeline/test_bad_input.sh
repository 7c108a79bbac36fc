#!/usr/bin/env bash
# Bad input never costs data: each bad line is logged with its line number, recorded
# in rejects.jsonl, and the game goes on; earlier documents stay intact.
. "$SRC/tests/lib.sh"
D=$WORK/var; mkdir -p "$D"
seed_sqlite "$D/sidearm.db"
printf '\xef\xbb\xbf0 59:00 101 2 1\r\n1 58:00 999 2 1\n\n2 57:00 205 5\n3 5x:00 205 5 1\n4 57:00 205 1000 1\n' > "$D/gamestream.txt"
printf '5 56:00 205 5 7\n0 56:30 101 2 1\n6 55:00 205 77 1\n%02000d\n7 54:00 101 8 1\n8 00:00 0 0 0\n' 0 >> "$D/gamestream.txt"
"$BIN/pipeline" --data-dir "$D" --once 2>"$WORK/pipeline.log" || fail "pipeline exited $?"
for want in "line 2 rejected: unknown team 999" "line 4 rejected: expected 5 fields" "line 5 rejected: clock" \
            "line 6 rejected: jersey 1000" "line 7 rejected: goal flag 7" "line 10 rejected: line is longer than 1024" \
            "event 0 at 56:30 is a duplicate" "no jersey 77 on its roster"; do
  grep -q "$want" "$WORK/pipeline.log" || fail "log does not say: $want"
done
[ "$(wc -l < "$D/boxscores/rejects.jsonl")" = 6 ] || fail "rejects.jsonl should hold 6 records"
"$PYTHON" - "$D/boxscores" <<'PY' || fail "documents are wrong"
import json, sys
d = sys.argv[1]
last = json.load(open(f"{d}/8.json"))
assert last["state"] == "final", last["state"]
assert last["home"]["score"] == 2 and last["away"]["score"] == 1, (last["home"]["score"], last["away"]["score"])
assert last["events"]["rejected"] == 6 and last["events"]["duplicates"] == 1, last["events"]
assert json.load(open(f"{d}/0.json"))["home"]["score"] == 1
rej = [json.loads(l) for l in open(f"{d}/rejects.jsonl")]
assert [r["line"] for r in rej] == [2, 4, 5, 6, 7, 10], [r["line"] for r in rej]
assert rej[-1]["truncated"] is True and len(rej[-1]["raw"]) == 200
PY
pass "bad lines are set aside with their line numbers"
