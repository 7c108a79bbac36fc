#!/usr/bin/env bash
# Crash safety on the embedded path (file:// stream, SQLite, directory of documents).
#  1. While gamestream-sim plays a random game, the pipeline is SIGKILLed at 20 random
#     points and started again with the same options each time; a second pipeline follows
#     the same stream uninterrupted into separate sinks. Every document (but updated_at)
#     and teams2/players2 must be the same, and the model's.
#  2. The producer replays the same game from the start while the pipeline is down
#     (identical first bytes, shorter object).
#  3. The producer restarts with another game while the pipeline is down (game A killed
#     at document 45, game B = the first 25 events of another random game).
#  4. As 3, but game B begins with the same line as game A.
#  In 2-4 the pipeline is started again when the producer has written 10 lines: once it
#  has caught up, the sink must hold what an uninterrupted run over those 10 lines holds
#  (no document of the abandoned run above them); at the end, the documents and tables
#  of game B run alone.
# The kill times come from CRASH_SEED (printed; set it to replay a failure).
. "$SRC/tests/lib.sh"
crash_seed
REF=sqlite://$WORK/ref.db
PIPE_OPTS=(--poll-ms 20)
scenario_uris() {
  mkdir -p "$WORK/$1"
  STREAM=file://$WORK/$1/gamestream.txt
  CRASH_SINK=file://$WORK/$1/crash-docs CRASH_RES=sqlite://$WORK/$1/crash.db
  CLEAN_SINK=file://$WORK/$1/clean-docs CLEAN_RES=sqlite://$WORK/$1/clean.db
}

crash_game kills 11 "${CRASH_KILLS_EMBEDDED:-20}" 0.003 600
# nothing a killed write left half done stays behind
leftover=$(find "$WORK/kills/crash-docs" -name '*.tmp*' | head -3)
[ -z "$leftover" ] || fail "SIGKILLed writes left temporary files behind: $leftover"

"$BIN/gamestream-sim" --random 3 --target "file://$WORK/game3.txt" --delay 0 2>/dev/null
restart_while_down same-game 3 50 0.002 "$WORK/game3.txt" 10

"$BIN/gamestream-sim" --random 2 --target "file://$WORK/game2.txt" --delay 0 2>/dev/null
{ head -n 25 "$WORK/game2.txt"; echo "25 00:00 0 0 0"; } > "$WORK/game2-short.txt"
restart_while_down other-game 1 45 0.002 "$WORK/game2-short.txt" 10 2

# another game that begins with the same line as game A: telling the runs apart by their
# first bytes is not enough
"$BIN/gamestream-sim" --random 1 --target "file://$WORK/game1.txt" --delay 0 2>/dev/null
{ head -n 1 "$WORK/game1.txt"; sed -n 2,25p "$WORK/game2.txt"; echo "x 00:00 0 0 0"; } \
  | awk '{ $1 = NR - 1; print }' > "$WORK/game2-same-start.txt"
restart_while_down same-first-line 1 45 0.002 "$WORK/game2-same-start.txt" 10 2
