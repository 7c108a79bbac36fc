#!/usr/bin/env bash
# Games that are not in the repository: gamestream-sim makes up games and rosters from
# seeds and loads the rosters into SQLite; pipeline --once folds each stream; every
# document (the box score after each event) and teams2/players2 are checked against
# the independent model.
. "$SRC/tests/lib.sh"
for seed in 3 17 101 4242 90001; do
  D=$WORK/g$seed; mkdir -p "$D"
  "$BIN/gamestream-sim" --random "$seed" --reset-reference "sqlite://$D/sidearm.db" \
    --target "file://$D/gamestream.txt" --delay 0 2>"$WORK/sim$seed.log" || fail "sim $seed failed"
  "$BIN/pipeline" --data-dir "$D" --once 2>"$WORK/pipeline$seed.log" || fail "pipeline on game $seed failed"
  oracle --events "$D/gamestream.txt" --reference "$D/sidearm.db" --docs-dir "$D/boxscores" --sqlite "$D/sidearm.db" \
    || fail "game $seed differs from the model"
done
pass "five random games match the model at every event and at the end"
