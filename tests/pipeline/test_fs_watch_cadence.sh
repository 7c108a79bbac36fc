#!/usr/bin/env bash
# Listing cadence under a watched file:// prefix (issue 15): the listing stats every file of
# every game folder, so at thousands of games it must not run every --poll-ms tick while the
# file system already says what changed. With the prefix and every game folder watched on a
# local file system, the poll timer's work runs every --safety-poll-ms even when no game
# moves (quiet, scheduled games); a new folder and a stream write still go out at once, on
# their file-system events. Before, a quiet prefix was listed every --poll-ms (here: ~60
# listings in 3 s at 50 ms).
. "$SRC/tests/lib.sh"

G=$WORK/games; V=$WORK/v; mkdir -p "$G" "$V"
seed_sqlite "$V/sidearm.db"
quiet_game() { # quiet_game ID: scheduled, one shot so far
  mkdir -p "$G/$1"
  echo '{"home": 101, "away": 205}' >"$G/$1/game.json"
  echo "0 59:47 101 2 0" >"$G/$1/gamestream.txt"
}
for i in $(seq -w 1 40); do quiet_game "q$i"; done

read -r PORT < <(free_ports 1)
"$BIN/pipeline" --source "file://$G/" --data-dir "$V" --poll-ms 50 --safety-poll-ms 60000 \
  --http "127.0.0.1:$PORT" 2>"$WORK/pipeline.log" &
pipe=$!; PIDS+=("$pipe")
found() { [ "$(log_count ': found: ' "$WORK/pipeline.log")" -ge "$1" ]; }
wait_for 30 found 40 || fail "the 40 games were not all found: $(tail -n 3 "$WORK/pipeline.log")"
wait_for 20 test -s "$V/boxscores/q40/0.json" || fail "q40's first document was not written"

wait_for 10 listings "$PORT" || fail "no /metrics"
sleep 1  # the listing the last push asked for has come back
l0=$(listings "$PORT"); sleep 3; l1=$(listings "$PORT")
[ $((l1 - l0)) -le 1 ] ||
  fail "a watched, quiet prefix was listed $((l1 - l0)) times in 3 s with --poll-ms 50: every tick, not every --safety-poll-ms"
pass "40 quiet games, all folders watched: $((l1 - l0)) listings in 3 s at --poll-ms 50 (--safety-poll-ms 60000)"

# the file system still drives the reads: a new game folder, and a write to a quiet game
quiet_game q41
wait_for 20 test -s "$V/boxscores/q41/0.json" || fail "a new game folder was not followed within 20 s: no push from the prefix watch"
printf '0 59:47 101 2 0\n1 58:10 205 9 1\n' >"$G/q07/gamestream.txt.tmp" && mv "$G/q07/gamestream.txt.tmp" "$G/q07/gamestream.txt"
wait_for 20 test -s "$V/boxscores/q07/1.json" || fail "a write to a quiet game was not read within 20 s: no push from its folder's watch"
l2=$(listings "$PORT")
pass "a new folder and a write were read on their file-system events ($((l2 - l1)) listings meanwhile, asked for by the new folder)"
grep -q "polling every --poll-ms instead\|raises no file-system event" "$WORK/pipeline.log" &&
  fail "the log says the watch is not trusted here: $(grep -m1 'poll-ms' "$WORK/pipeline.log")"
kill -TERM "$pipe"; wait "$pipe" || fail "pipeline exited $? after SIGTERM"
pass "exit 0 after SIGTERM"
