#!/usr/bin/env bash
# --once under a prefix finishes what the source holds and exits (issue 17, items 11 and 14),
# over file:// (argument "file") or S3 (Swift s3api, argument "s3"):
#  - "played" is a whole game, "cut" a game still going, and both have a shot by #77, who
#    is not on the roster, with a 10-minute --reload-min-ms: neither waits for a reload;
#  - "scheduled" has its game.json and no stream yet: it is said, not waited for.
# The run ends by itself with status 0, every document of both games written, the final
# game's rows in game_teams, and nothing written for the scheduled one.
. "$SRC/tests/lib.sh"
mode=${1:-file}
V=$WORK/var; mkdir -p "$V"
seed_sqlite "$V/sidearm.db"
printf '0 59:00 101 2 1\n1 58:00 101 77 0\n2 57:00 205 5 1\n3 00:00 0 0 0\n' > "$WORK/played.txt"
printf '0 59:00 205 5 1\n1 58:00 101 77 1\n2 57:00 101 2 0\n' > "$WORK/cut.txt"
echo '{"home": 101, "away": 205}' > "$WORK/game.json"
if [ "$mode" = s3 ]; then
  start_s3; server_env
  SOURCE=s3://gamestreams/day-1/
  put() { swift_put "$1" "gamestreams/day-1/$2"; }
else
  G=$WORK/games; mkdir -p "$G"
  SOURCE=file://$G/
  put() { mkdir -p "$G/$(dirname "$2")" && cp "$1" "$G/$2"; }
fi
for g in played cut scheduled; do put "$WORK/game.json" "$g/game.json"; done
put "$WORK/played.txt" played/gamestream.txt
put "$WORK/cut.txt" cut/gamestream.txt

"$BIN/pipeline" --source "$SOURCE" --data-dir "$V" --once --reload-min-ms 600000 --poll-ms 100 \
  2>"$WORK/pipeline.log" &
pipe=$!; PIDS+=("$pipe")
gone() { ! kill -0 "$pipe" 2>/dev/null; }
wait_for 120 gone || fail "--once under a prefix did not exit"
rc=0; wait "$pipe" || rc=$?
[ $rc = 0 ] || fail "--once exited $rc"
for e in 0 1 2 3; do test -s "$V/boxscores/played/$e.json" || fail "played: document $e was not written"; done
for e in 0 1 2; do test -s "$V/boxscores/cut/$e.json" || fail "cut: document $e was not written"; done
"$PYTHON" - "$V/boxscores/played/3.json" "$V/boxscores/cut/2.json" <<'PY' || fail "the last documents are wrong"
import json, sys
played, cut = (json.load(open(p, encoding="utf-8")) for p in sys.argv[1:])
assert played["state"] == "final" and played["events"]["unrostered_shots"] == 1, played["events"]
assert cut["state"] == "in_progress" and cut["events"]["unrostered_shots"] == 1, cut["events"]
PY
[ "$(sqlite3 "$V/sidearm.db" "SELECT count(*) FROM game_teams WHERE game = 'played'")" = 2 ] ||
  fail "played: its game_teams rows were not written"
[ ! -e "$V/boxscores/scheduled" ] || fail "scheduled: something was written for a game with no stream"
grep -q "scheduled: --once: .* is not there yet: the game is scheduled, not waited for" "$WORK/pipeline.log" ||
  fail "scheduled: the log does not say the game was not waited for"
pass "--once under a prefix ($mode) writes what the source holds and exits 0, a scheduled game said, not waited for"

# a game.json that is invalid cannot change before a one-shot run ends: the game is not
# dropped in silence; the run says so and exits 1, and the other game is still written
if [ "$mode" = s3 ]; then
  SOURCE=s3://gamestreams/day-2/
  put() { swift_put "$1" "gamestreams/day-2/$2"; }
else
  G=$WORK/games2; mkdir -p "$G"
  SOURCE=file://$G/
fi
echo '{"home": 101}' > "$WORK/bad.json"
put "$WORK/game.json" good/game.json
put "$WORK/played.txt" good/gamestream.txt
put "$WORK/bad.json" bad/game.json
put "$WORK/played.txt" bad/gamestream.txt
rc=0
"$BIN/pipeline" --source "$SOURCE" --data-dir "$V" --once --poll-ms 100 2>"$WORK/bad.log" || rc=$?
[ $rc = 1 ] || fail "--once with an invalid game.json exited $rc, not 1: $(tail -n 3 "$WORK/bad.log")"
for e in 0 1 2 3; do test -s "$V/boxscores/good/$e.json" || fail "good: document $e was not written"; done
[ ! -e "$V/boxscores/bad" ] || fail "bad: something was written for a game with an invalid game.json"
grep -q "bad: game.json is invalid: .*--once: this game is NOT followed" "$WORK/bad.log" ||
  fail "the invalid game.json is not reported as an error: $(grep bad: "$WORK/bad.log")"
pass "--once under a prefix ($mode): an invalid game.json is an error (exit 1), the other game is written"
