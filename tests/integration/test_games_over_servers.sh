#!/usr/bin/env bash
# Game day over the wire (issue 8): 5 random games at once, started at different times,
# under an s3:// prefix (Swift s3api); one pipeline follows them all into MongoDB and SQL
# Server, and MongoDB is stopped and started again while every game is live. Everything is
# read back over the wire: the streams and game.json with Swift's own API, each game's
# box-score documents (filter {game: G}) and sidearm.games with mongo-c-driver, teams2 and
# players2 with FreeTDS tsql. Each game matches the independent model at every event,
# sidearm.games holds each game's final document, the season tables are the reference plus
# the sum of all 5 games, and each game's stream was read only when it changed.
. "$SRC/tests/lib.sh"
start_s3; start_mongo; start_tds; server_env
N=5
PREFIX=s3://gamestreams/day-1/
games=()
for i in $(seq 1 $N); do games+=("$(printf 'game-%03d' "$i")"); done

"$BIN/pipeline" --source "$PREFIX" --reference "$SQL_URI" --boxscores "$MONGO_URI" --results "$SQL_URI" \
  --poll-ms 50 --backoff-max-ms 800 --timeout-ms 3000 2>"$WORK/pipeline.log" &
pipe=$!; PIDS+=("$pipe")
"$BIN/gamestream-sim" --games $N --random 300 --delay 0.006 --stagger 1.5 --target "$PREFIX" \
  --reset-reference "$SQL_URI" 2>"$WORK/sim.log" &
sim=$!; PIDS+=("$sim")

# MongoDB goes down once the last game has begun (the first one is in Q2 by then)
wait_for 60 grep -q "game-005: Wrote day-1/game-005/gamestream.txt .* at 5" "$WORK/sim.log" \
  || fail "the last game did not start"
# (the stand-in does not keep indexes across its restart: look before stopping it)
has_index() { grep -q '"key" : { "game" : 1, "event_id" : -1 }' <<<"$(mongo_docs boxscores --indexes)"; }
wait_for 10 has_index || fail "the index for a game's documents, newest first, is missing"
stop_server "$MONGO_PID"; forget_pid "$MONGO_PID"
wait_for 20 grep -q "box-score sink mongodb://.*retry" "$WORK/pipeline.log" || fail "no retries while MongoDB was down"
goals_before=$(log_count "goal:" "$WORK/pipeline.log")
more_goals() { [ "$(log_count "goal:" "$WORK/pipeline.log")" -gt $((goals_before + 2)) ]; }
wait_for 30 more_goals || fail "the games stalled while MongoDB was down"
if grep -q "game-001: Wrote .* at 00:00" "$WORK/sim.log"; then
  fail "game-001 ended before MongoDB came back: not every game was live during the outage"
fi
start_mongo "$MONGO_PORT"
wait "$sim" || fail "gamestream-sim --games $N failed"

day_fetch gamestreams/day-1 "${games[@]}"

# every game's final document in sidearm.games, then every game retired (results written)
all_final() { day_all_final "${games[@]}"; }
# (by the clock: one look over the wire takes longer than wait_for's 0.1 s step)
deadline=$((SECONDS + 60))
until all_final; do
  if grep -q "gave up on box-score sink" "$WORK/pipeline.log"; then
    fail "the pipeline gave up on MongoDB after its restart: $(grep -m1 "refused\|gave up" "$WORK/pipeline.log")"
  fi
  [ $SECONDS -lt $deadline ] || fail "not every game's final document reached MongoDB: $(cut -c1-200 "$WORK/games.jsonl")"
  sleep 0.5
done
all_retired() { [ "$(log_count ": done: " "$WORK/pipeline.log")" -ge $N ]; }
wait_for 30 all_retired || fail "not every game was retired (final and written)"
kill -TERM "$pipe"; rc=0; wait "$pipe" || rc=$?
[ $rc = 0 ] || fail "pipeline exited $rc after SIGTERM"
grep -q "recovered after" "$WORK/pipeline.log" || fail "the MongoDB recovery was not logged"

day_check "${games[@]}"

# S3 economy: a game's stream is read only when the listing shows it changed (not once per
# tick), from the consumed offset with a 64-byte overlap; the done: line also gives the bytes
# whole-object reads would have cost
"$PYTHON" - "$WORK/pipeline.log" "$WORK/s3" "${games[@]}" <<'PY' || fail "a stream was read more than it changed"
import re, sys
log = open(sys.argv[1], encoding="utf-8", errors="replace").read()
for g in sys.argv[3:]:
    m = re.search(rf"{g}: done: .*; (\d+) polls read (\d+) bytes of a (\d+)-byte stream \(whole-object reads: (\d+) bytes\)", log)
    assert m, f"{g}: no done: line"
    polls, read, size, whole = map(int, m.groups())
    text = open(f"{sys.argv[2]}/{g}/gamestream.txt", encoding="utf-8").read()
    puts = len(text.splitlines())          # the producer rewrites the object once per event
    print(f"{g}: {polls} reads for {puts} rewrites, {read} bytes read of a {size}-byte stream"
          f" ({whole} bytes by whole-object reads)")
    assert size == len(text.encode()), (g, size)
    assert 0 < polls <= puts + 1, f"{g}: {polls} reads for {puts} rewrites of its stream"
    assert size <= read <= size + 64 * polls, f"{g}: {read} bytes read of a {size}-byte stream in {polls} reads"
    assert read * 3 < whole, f"{g}: {read} bytes read, whole-object reads would have cost {whole}"
PY
pass "$N games through S3, MongoDB (restarted mid-game) and SQL Server: every document the model's, games and the season right"
