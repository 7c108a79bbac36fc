#!/usr/bin/env bash
# A restart while the pipeline is down leaves nothing of the abandoned run (issue 7,
# defect 5), on the embedded backends. Between `pipeline --once` runs the producer:
#  1) plays random game A to its end;
#  2) starts over with a shorter, different game B (A's documents have higher _ids);
#  3) plays A to its end again, then replays A from the start, cut short: the same first
#     line (the same run id), a shorter object.
# Each time the box-score directory must equal a fresh run of the current stream into an
# empty one (but for updated_at), every document carrying the current run's id.
. "$SRC/tests/lib.sh"
D=$WORK/var; mkdir -p "$D"

# reference SEED DB: teams/players of DB are reset to random game SEED's rosters.
reference() {
  "$BIN/gamestream-sim" --random "$1" --reset-reference "sqlite://$2" --target "file://$WORK/ref-game-$1.txt" \
    --delay 0 2>>"$WORK/sim.log" || fail "resetting the reference of $2 to game $1 failed"
}

# produce FILE: the producer, while the pipeline is down, replaces the stream with FILE.
produce() { cp "$1" "$D/gamestream.txt.tmp" && mv "$D/gamestream.txt.tmp" "$D/gamestream.txt"; }

# once NAME: the pipeline processes what D's stream holds and exits 0.
once() { "$BIN/pipeline" --data-dir "$D" --once 2>>"$WORK/$1.log" || fail "$1: pipeline --once exited $?"; }

# same_as_fresh NAME SEED STREAM [tables]: D's documents equal those of a fresh run of STREAM
# (with game SEED's rosters) into an empty directory, all of them of that run, the highest
# _id being STREAM's last event; with "tables" (a final STREAM), teams2/players2 too.
same_as_fresh() {
  local n=$1 f=$WORK/fresh-$1 last
  mkdir -p "$f"
  reference "$2" "$f/sidearm.db"
  cp "$3" "$f/gamestream.txt"
  "$BIN/pipeline" --data-dir "$f" --once 2>"$WORK/fresh-$n.log" || fail "$n: the fresh run exited $?"
  last=$(awk 'NF { id = $1 } END { print id }' "$3")
  "$PYTHON" - "$D/boxscores" "$f/boxscores" "$last" <<'PY' || fail "$n: documents of another run are left"
import json, os, re, sys
def docs(d):
    return {int(f[:-5]): json.load(open(os.path.join(d, f), encoding="utf-8"))
            for f in os.listdir(d) if re.fullmatch(r"-?\d+\.json", f)}
got, fresh, last = docs(sys.argv[1]), docs(sys.argv[2]), int(sys.argv[3])
run = fresh[last].get("run")
assert max(got) == last, f"the highest _id is {max(got)}, not the stream's last event {last}"
other = sorted(i for i, d in got.items() if d.get("run") != run)
assert not other, f"documents {other} are not of run {run}"
PY
  docs_equal "$D/boxscores" "$f/boxscores" || fail "$n: the documents differ from a fresh run's"
  if [ "${4:-}" = tables ]; then
    for t in teams2 players2; do
      results_rows "sqlite://$D/sidearm.db" $t "$WORK/$n-$t.json"
      results_rows "sqlite://$f/sidearm.db" $t "$WORK/fresh-$n-$t.json"
      cmp -s "$WORK/$n-$t.json" "$WORK/fresh-$n-$t.json" || fail "$n: $t differs from a fresh run's"
    done
  fi
}

# 1) game A to its end
reference 1 "$D/sidearm.db"
"$BIN/gamestream-sim" --random 1 --delay 0 --target "file://$WORK/a.txt" 2>>"$WORK/sim.log" || fail "sim of game A failed"
produce "$WORK/a.txt"
once a
same_as_fresh a 1 "$WORK/a.txt" tables
pass "game A: $(wc -l < "$WORK/a.txt") events, final"

# 2) while down, the producer starts over with game B, shorter (20 lines) and different
reference 2 "$D/sidearm.db"
"$BIN/gamestream-sim" --random 2 --delay 0 --target "file://$WORK/b-full.txt" 2>>"$WORK/sim.log" || fail "sim of game B failed"
head -n 20 "$WORK/b-full.txt" > "$WORK/b.txt"
[ "$(head -n 1 "$WORK/a.txt")" != "$(head -n 1 "$WORK/b.txt")" ] || fail "games A and B start alike"
produce "$WORK/b.txt"
once b
same_as_fresh b 2 "$WORK/b.txt"
pass "game B over game A while down: only B's 20 documents, as a fresh run of B"

# 3) while down, game A again to its end (a longer restart), then A replayed from the start
# and cut at 20 lines: the same first bytes and run id, a shorter object
reference 1 "$D/sidearm.db"
produce "$WORK/a.txt"
once a-again
same_as_fresh a-again 1 "$WORK/a.txt" tables
head -n 20 "$WORK/a.txt" > "$WORK/a20.txt"
produce "$WORK/a20.txt"
once a-replayed
same_as_fresh a-replayed 1 "$WORK/a20.txt"
pass "game A replayed from the start while down: documents past its 20th line gone, as a fresh run"
