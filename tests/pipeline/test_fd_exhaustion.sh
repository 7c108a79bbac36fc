#!/usr/bin/env bash
# Issue 17 item 1: out of file descriptors. 100 finished games under a file:// prefix are
# run under `ulimit -n 64` (soft and hard) while 80 idle HTTP connections are held open to
# the pipeline's --http port (tests/tools/idle_clients.py opens one again whenever the
# server closes it). Twice: `pipeline --once`, then a long-running pipeline into fresh
# sinks. Each run must give every game all its documents and its game_teams rows, and
# teams2/players2 the reference plus every game, all equal to the independent model
# (tests/tools/games_check.py over oracle.py), read back from the sinks; it must exit 0,
# never log "final and written" for a game whose data is missing, and not flood its log
# with accept/EMFILE lines. The long-running one must answer /healthz once the idle clients
# are gone. Running out of descriptors is transient: nothing is given up for it.
#   test_fd_exhaustion.sh           directory and SQLite sinks (e2e_fd_exhaustion)
#   test_fd_exhaustion.sh servers   MongoDB and SQL Server stand-ins (integration_fd_exhaustion),
#                                   25 games: every final rewrites the whole players2 table, and
#                                   100 games take the Python stand-ins minutes
. "$SRC/tests/lib.sh"
MODE=${1:-embedded}
N=100 IDLE=80
[ "$MODE" != servers ] || N=25
G=$WORK/games
PORTS=$(free_ports 2)

if [ "$MODE" = servers ]; then
  start_mongo; start_tds; server_env
  REF=$SQL_URI
else
  seed_sqlite "$WORK/ref.db"
  REF=sqlite://$WORK/ref.db
fi
"$BIN/gamestream-sim" --games $N --random 1700 --delay 0 --stagger 0 --target "file://$G/" \
  --reset-reference "$REF" 2>"$WORK/sim.log" || fail "gamestream-sim --games $N failed"
if [ "$MODE" = servers ]; then tds_reference_json "$WORK/reference.json"; else cp "$WORK/ref.db" "$WORK/reference.db"; fi

# sinks NAME: DOCS and RES, fresh sinks for one run
sinks() {
  if [ "$MODE" = servers ]; then
    DOCS=mongodb://mongo@127.0.0.1:$MONGO_PORT/sidearm.$1
    RES=$SQL_URI
    tds_query "DELETE FROM game_teams; DELETE FROM game_players; DELETE FROM teams2; DELETE FROM players2" >/dev/null
  else
    cp "$WORK/reference.db" "$WORK/$1.db"
    DOCS=file://$WORK/$1-docs RES=sqlite://$WORK/$1.db REF=sqlite://$WORK/$1.db
  fi
}

# check NAME: what the run left in DOCS and RES, read back, is every game's model
check() {
  local n=$1 ref=$WORK/reference.db docs=${DOCS#file://}
  if [ "$MODE" = servers ]; then
    ref=$WORK/reference.json docs=$WORK/$n-read
    mongo_docs "${DOCS##*.}" > "$WORK/$n-docs.jsonl"
    "$PYTHON" - "$WORK/$n-docs.jsonl" "$docs" <<'PY'
import json, os, sys
for line in open(sys.argv[1], encoding="utf-8"):
    d = json.loads(line)
    os.makedirs(os.path.join(sys.argv[2], d["game"]), exist_ok=True)
    d["_id"] = d["event_id"]
    json.dump(d, open(os.path.join(sys.argv[2], d["game"], f"{d['event_id']}.json"), "w", encoding="utf-8"))
PY
    tds_query "SELECT game, teamid, opponent, score, opponent_score, result FROM game_teams" > "$WORK/$n-game_teams.tsv"
  else
    sqlite3 -separator $'\t' "${RES#sqlite://}" \
      "SELECT game, teamid, opponent, score, opponent_score, result FROM game_teams" > "$WORK/$n-game_teams.tsv"
  fi
  results_rows "$RES" teams2 "$WORK/$n-teams2.json"
  results_rows "$RES" players2 "$WORK/$n-players2.json"
  "$PYTHON" "$SRC/tests/tools/games_check.py" --games "$G" --reference "$ref" --docs "$docs" \
    --game-teams "$WORK/$n-game_teams.tsv" --teams2 "$WORK/$n-teams2.json" --players2 "$WORK/$n-players2.json" \
    --log "$WORK/$n.log" || fail "$n: under descriptor exhaustion, games lost data (above)"
}

# not_flooded NAME: the log holds fewer than 100 lines about accept or EMFILE
FLOOD='accept|errno 24|Too many open files|EMFILE'
not_flooded() {
  local lines
  lines=$(grep -c -E "$FLOOD" "$WORK/$1.log" || true)
  [ "$lines" -lt 100 ] || fail "$1: $lines log lines about accept/EMFILE ($(du -h "$WORK/$1.log" | cut -f1) of log): $(grep -m 2 -E "$FLOOD" "$WORK/$1.log")"
}

# watch NAME SECONDS CMD...: wait_for, but a log past 20 MB (a normal run writes < 1 MB)
# fails at once, so a flooding pipeline cannot fill the disk
watch() {
  local n=$1 deadline=$((SECONDS + $2)); shift 2
  until "$@"; do
    [ "$(stat -c %s "$WORK/$n.log")" -lt 20000000 ] || not_flooded "$n"
    [ $SECONDS -lt $deadline ] || return 1
    sleep 0.2
  done
}

# run NAME PORT OPTIONS...: the pipeline under ulimit -n 64 with IDLE idle connections held
# to its HTTP port (PIPE, CROWD); waits until the crowd is connected
run() {
  local n=$1 port=$2; shift 2
  (ulimit -n 64; exec "$BIN/pipeline" --source "file://$G/" --reference "$REF" --boxscores "$DOCS" \
     --results "$RES" --http "127.0.0.1:$port" --poll-ms 50 "$@") 2>"$WORK/$n.log" &
  PIPE=$!; PIDS+=("$PIPE")
  "$PYTHON" "$SRC/tests/tools/idle_clients.py" "$port" $IDLE 300 "$WORK/$n-crowd" >"$WORK/$n-crowd.out" &
  CROWD=$!; PIDS+=("$CROWD")
  watch "$n" 60 test -e "$WORK/$n-crowd" || fail "$n: the $IDLE idle connections were never all established"
}

crowd_gone() {
  kill -TERM "$CROWD"; wait "$CROWD" || fail "the idle clients failed"
  echo "$1: $(cat "$WORK/$1-crowd.out")"
}

# 1. --once: every game read, written and the run over, exit 0
sinks once
run once "$PORTS" --once
watch once 240 gone "$PIPE" || fail "once: pipeline --once was still running after 240 s"
rc=0; wait "$PIPE" || rc=$?
crowd_gone once
[ $rc = 0 ] || fail "once: pipeline --once exited $rc: $(grep -m 3 -E 'gave up|error' "$WORK/once.log")"
not_flooded once
check once
pass "pipeline --once, $N games under ulimit -n 64 with $IDLE idle HTTP connections: exit 0, every game's documents and tables the model's"

# 2. long-running: every game retired, each one's data there; /healthz once the crowd leaves
sinks follow
run follow $((PORTS + 1))
all_retired() { [ "$(log_count ": final and written" "$WORK/follow.log")" -ge $N ] || ! kill -0 "$PIPE"; }
watch follow 240 all_retired || fail "follow: only $(log_count ": final and written" "$WORK/follow.log") of $N games retired in 240 s"
kill -0 "$PIPE" 2>/dev/null || fail "follow: the pipeline exited on its own: $(grep -m 3 -E 'gave up|error' "$WORK/follow.log")"
crowd_gone follow
wait_for 30 curl -sf -m 2 -o /dev/null "http://127.0.0.1:$((PORTS + 1))/healthz" \
  || fail "follow: /healthz does not answer after the idle clients left"
kill -TERM "$PIPE"; rc=0; wait "$PIPE" || rc=$?
[ $rc = 0 ] || fail "follow: the pipeline exited $rc after SIGTERM"
not_flooded follow
check follow
if grep -q "gave up" "$WORK/once.log" "$WORK/follow.log"; then
  fail "a sink was given up for running out of descriptors: $(grep -h -m 2 "gave up" "$WORK/once.log" "$WORK/follow.log")"
fi
pass "long-running, $N games under ulimit -n 64 with $IDLE idle HTTP connections: every game retired with its data, /healthz after, exit 0"
