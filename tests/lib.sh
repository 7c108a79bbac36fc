# shellcheck shell=bash
# lib.sh — shared helpers for the script tests. Source it; BIN and SRC come from ctest.
# Every test gets its own scratch directory, removed (with any process it started)
# on exit, so no test leaves anything behind.
# Under pipefail, `cmd | grep -q` fails when grep quits before cmd has written all (SIGPIPE):
# match a long output (curl /metrics, --help) with `grep ... >/dev/null` instead.
set -euo pipefail
: "${BIN:?BIN is set by ctest}" "${SRC:?SRC is set by ctest}"
PYTHON=${PYTHON:-/usr/bin/python3}
# as in the Dockerfile: the MongoDB driver's /dev/shm counters are off (a pid reused after a
# kill -9, as the crash tests do, otherwise makes the driver print a raw line on stderr)
export MONGOC_DISABLE_SHM=1
# the pipeline's HTTP server is off unless a test asks for it (--http 127.0.0.1:PORT on a
# port from free_ports): tests run in parallel and cannot all listen on the default 8080
export HTTP_LISTEN=off
# the programs are dumpable, so a test run by a user without CAP_SYS_PTRACE can read their
# /proc/PID/fd (http_client.py listening); tests/pipeline/test_secrets.sh unsets it to see the
# default (no core dumps, not dumpable)
export CORE_DUMPS=1
WORK=$(mktemp -d "${TMPDIR:-/tmp}/sidearm-test.XXXXXX")
PIDS=()
S3_STOP=()
S3_STOP_TLS=()
MOUNTS=()   # mounts a test made in its own mount namespace, unmounted before $WORK goes

cleanup() {
  local rc=$?
  for d in "${S3_STOP_TLS[@]}"; do bash "$SRC/tests/servers/tls_terminator.sh" stop "$d" >/dev/null 2>&1 || true; done
  for d in "${S3_STOP[@]}"; do bash "$SRC/tests/servers/s3_swift_server.sh" stop "$d" >/dev/null 2>&1 || true; done
  for pid in "${PIDS[@]}"; do kill "$pid" 2>/dev/null || true; done
  for pid in "${PIDS[@]}"; do wait "$pid" 2>/dev/null || true; done
  for m in "${MOUNTS[@]}"; do umount "$m" 2>/dev/null || true; done
  if [ $rc -ne 0 ] && [ -d "$WORK" ]; then
    echo "--- logs in $WORK (kept because the test failed) ---" >&2
    for f in "$WORK"/*.log; do [ -f "$f" ] && { echo "== $f" >&2; tail -n 30 "$f" >&2; }; done
  else
    rm -rf "$WORK"
  fi
  exit $rc
}
trap cleanup EXIT

fail() { echo "FAIL: $*" >&2; exit 1; }
pass() { echo "ok - $*"; }

# wait_for SECONDS CMD...: polls CMD every 0.1 s until it succeeds.
wait_for() {
  local secs=$1; shift
  local n=$((secs * 10))
  while [ $n -gt 0 ]; do
    "$@" >/dev/null 2>&1 && return 0
    sleep 0.1
    n=$((n - 1))
  done
  return 1
}

seed_sqlite() { sqlite3 "$1" < "$SRC/sql/sqlite/seed.sql"; }

# sample_game NAME: a data dir $WORK/NAME (D) with the seed reference and the sample game.
sample_game() {
  D=$WORK/$1; mkdir -p "$D"
  seed_sqlite "$D/sidearm.db"
  cp "$SRC/sql/data/game.txt" "$D/gamestream.txt"
}

# sample_final NAME: D holds the 77 documents of the sample game, the last one final at 11-9,
# and teams2/players2.
sample_final() {
  local n
  n=$(find "$D/boxscores" -maxdepth 1 -name '*.json' | wc -l)
  [ "$n" = 77 ] || fail "$1: $n documents, not the sample game's 77"
  "$PYTHON" - "$D/boxscores/76.json" <<'PY' || fail "$1: the last document is not the final 11-9"
import json, sys
doc = json.load(open(sys.argv[1], encoding="utf-8"))
assert doc["state"] == "final", doc["state"]
assert (doc["home"]["score"], doc["away"]["score"]) == (11, 9), (doc["home"]["score"], doc["away"]["score"])
PY
  [ "$(sqlite3 "$D/sidearm.db" "SELECT count(*) FROM teams2")" = 4 ] || fail "$1: teams2 not written"
  [ "$(sqlite3 "$D/sidearm.db" "SELECT count(*) FROM players2")" = 24 ] || fail "$1: players2 not written"
  [ "$(sqlite3 "$D/sidearm.db" "SELECT wins FROM teams2 WHERE id = 101")" = 8 ] || fail "$1: teams2 lacks the win"
}

gone() { ! kill -0 "$1" 2>/dev/null; }

# stops_on SIGNAL PID NAME: one SIGNAL ends PID (a child of this shell) within 20 s, exit 0.
stops_on() {
  local rc=0
  kill "-$1" "$2"
  wait_for 20 gone "$2" || fail "$3: one $1 did not stop the pipeline within 20 s"
  wait "$2" || rc=$?
  [ $rc = 0 ] || fail "$3: the pipeline exited $rc after $1, not 0"
}

oracle() { "$PYTHON" "$SRC/tests/tools/oracle.py" check "$@"; }

# ---------------------------------------------------------------- test servers
# Each start_* picks free loopback ports, starts a server of tests/servers/ in the
# background under this test's scratch directory, waits until it answers, and
# registers it for cleanup. They set the variables named in their comment.
SERVERS=$SRC/tests/servers

# free_ports N: prints a base port such that base..base+N-1 are free on 127.0.0.1 and
# reserved for this test. Tests run in parallel, and a port that is free now may be taken
# by another test before its server binds it, so reservations are kept in a shared
# registry (under a lock) until the reserving test's shell exits.
free_ports() {
  "$PYTHON" - "$1" "$$" <<'PY'
import fcntl, os, random, socket, sys
n, owner = int(sys.argv[1]), sys.argv[2]
registry = "/tmp/sidearm-test-ports.txt"
with open("/tmp/sidearm-test-ports.lock", "a+") as lock:
    fcntl.flock(lock, fcntl.LOCK_EX)
    live, taken = [], set()
    if os.path.exists(registry):
        for entry in open(registry).read().split():
            pid, port = entry.split(":")
            try:
                os.kill(int(pid), 0)
            except OSError:
                continue            # its test is over: the port is free again
            live.append(entry)
            taken.add(int(port))
    # stay below the kernel's ephemeral range: a client retrying a closed port in that range
    # can end up connected to itself (TCP self-connect) and hold the port a server needs
    try:
        low = int(open("/proc/sys/net/ipv4/ip_local_port_range").read().split()[0])
    except (OSError, ValueError, IndexError):
        low = 32768
    top = max(low, 12000) - n - 1
    for _ in range(500):
        base = random.randint(10000, top)
        ports = range(base, base + n)
        if taken.intersection(ports):
            continue
        socks = []
        try:
            for p in ports:
                s = socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
                s.bind(("127.0.0.1", p)); socks.append(s)
        except OSError:
            continue
        finally:
            for s in socks: s.close()
        live += [f"{owner}:{p}" for p in ports]
        with open(registry + ".tmp", "w") as f:
            f.write("\n".join(live) + "\n")
        os.replace(registry + ".tmp", registry)
        print(base)
        break
    else:
        sys.exit("no free ports")
PY
}

port_open() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }

# start_tds [PORT]: TDS_PORT, TDS_DB (SQLite file behind it), TDS_PID. Login sa / $TDS_PASSWORD.
start_tds() {
  TDS_PORT=${1:-$(free_ports 1)}
  TDS_DB=${TDS_DB:-$WORK/tds.sqlite}
  TDS_PASSWORD=${TDS_PASSWORD:-Tds-Test-Pw1}
  TDS_USER=sa TDS_PASSWORD=$TDS_PASSWORD "$PYTHON" "$SERVERS/tds_server.py" "$TDS_PORT" "$TDS_DB" \
    >>"$WORK/tds.log" 2>&1 &
  TDS_PID=$!; PIDS+=("$TDS_PID")
  wait_for 20 port_open "$TDS_PORT" || fail "TDS stand-in did not start on $TDS_PORT"
}

# start_mongo [PORT]: MONGO_PORT, MONGO_PID. Root user mongo / $MONGO_TEST_PASSWORD.
start_mongo() {
  MONGO_PORT=${1:-$(free_ports 1)}
  MONGO_TEST_PASSWORD=${MONGO_TEST_PASSWORD:-mongopass}
  "$PYTHON" "$SERVERS/mongo_wire_server.py" --port "$MONGO_PORT" --auth "mongo:$MONGO_TEST_PASSWORD" \
    --data "$WORK/mongo-data.json" >>"$WORK/mongo.log" 2>&1 &
  MONGO_PID=$!; PIDS+=("$MONGO_PID")
  wait_for 30 port_open "$MONGO_PORT" || fail "MongoDB stand-in did not start on $MONGO_PORT"
}

# stop_server PID: SIGTERM and wait (the MongoDB stand-in saves its data then).
stop_server() { kill "$1" 2>/dev/null || true; wait "$1" 2>/dev/null || true; }

# start_kafka [BROKERS] [TOPIC] [PARTITIONS]: librdkafka's mock cluster as a process
# (tests/servers/kafka_mock.c; 3 brokers, topic gamestreams-events of 12 partitions by
# default): KAFKA_BROKERS (its bootstrap list, exported), KAFKA_TOPIC, KAFKA_PID.
# kafka_ctl CMD sends it a control command (down ID|all, up ID|all, errors APIKEY N CODE,
# coordinator GROUP ID, rtt ID|all MS, leader TOPIC PARTITION ID) and waits for its answer;
# a refused command fails the test. TOPIC may be a comma-separated list.
start_kafka() {
  KAFKA_CTL=$WORK/kafka.ctl
  [ -p "$KAFKA_CTL" ] || mkfifo "$KAFKA_CTL"
  KAFKA_TOPIC=${2:-gamestreams-events}
  "$BIN/kafka_mock" "${1:-3}" "$KAFKA_TOPIC" "${3:-12}" "$KAFKA_CTL" >"$WORK/kafka.boot" 2>>"$WORK/kafka.log" &
  KAFKA_PID=$!; PIDS+=("$KAFKA_PID")
  wait_for 20 test -s "$WORK/kafka.boot" || fail "the Kafka mock cluster did not start (log: $WORK/kafka.log)"
  KAFKA_BROKERS=$(head -n 1 "$WORK/kafka.boot")
  export KAFKA_BROKERS KAFKA_TOPIC
}
kafka_answered() { [ "$(log_count "kafka_mock: $2: " "$WORK/kafka.log")" -gt "$1" ]; }
kafka_ctl() {
  local before
  before=$(log_count "kafka_mock: $*: " "$WORK/kafka.log")
  echo "$*" >"$KAFKA_CTL"
  wait_for 10 kafka_answered "$before" "$*" || fail "kafka_mock did not answer '$*'"
  grep -F -- "kafka_mock: $*: " "$WORK/kafka.log" | tail -n 1 | grep -q ': ok$' || fail "kafka_mock refused '$*'"
}

# mongo_docs COLLECTION [--indexes]: the documents (or indexes) of sidearm.COLLECTION,
# one JSON per line, by _id.
mongo_docs() {
  MONGO_PASSWORD=$MONGO_TEST_PASSWORD "$BIN/mongo_dump" "mongodb://mongo@127.0.0.1:$MONGO_PORT/?authSource=admin" \
    sidearm "$@"
}

# server_env: the environment pipeline and gamestream-sim need for the started servers.
server_env() {
  export S3_ENDPOINT=127.0.0.1:${S3_PORT:-1} S3_ACCESS_KEY=$S3_TEST_ACCESS S3_SECRET_KEY=$S3_TEST_SECRET
  export MSSQL_PASSWORD=${TDS_PASSWORD:-Tds-Test-Pw1} MONGO_PASSWORD=${MONGO_TEST_PASSWORD:-mongopass}
  export SRC_URI=s3://gamestreams/gamestream.txt
  export SQL_URI=mssql://sa@127.0.0.1:${TDS_PORT:-1}/sidearmdb
  export MONGO_URI=mongodb://mongo@127.0.0.1:${MONGO_PORT:-1}/sidearm.boxscores
}

# start_s3: S3_PORT, S3_DIR. Swift + s3api; access key $S3_TEST_ACCESS, secret $S3_TEST_SECRET.
export S3_TEST_ACCESS=${S3_TEST_ACCESS:-sidearm:producer} S3_TEST_SECRET=${S3_TEST_SECRET:-Swift-Test-Pw1}
start_s3() {
  local asked=${1:-} tries=0
  S3_DIR=$WORK/s3
  S3_STOP+=("$S3_DIR")
  while :; do
    S3_PORT=${asked:-$(free_ports 5)}
    if bash "$SERVERS/s3_swift_server.sh" start "$S3_DIR" "$S3_PORT" >>"$WORK/s3.log" 2>&1; then
      return 0
    fi
    tries=$((tries + 1))
    # a port can still be taken by a process outside the tests: try other ports
    if [ -n "$asked" ] || [ $tries -ge 3 ]; then
      fail "Swift s3api did not start (log: $WORK/s3.log)"
    fi
  done
}
stop_s3() { bash "$SERVERS/s3_swift_server.sh" stop "$S3_DIR" >/dev/null 2>&1 || true; }

# start_s3_tls: after start_s3, a TLS front (stunnel4, tests/servers/tls_terminator.sh) on
# S3_TLS_PORT with a certificate for 127.0.0.1 signed by a CA made here: S3_CA (its PEM)
# and S3_OTHER_CA (a CA that signed nothing here).
start_s3_tls() {
  S3_TLS_DIR=$WORK/tls
  S3_STOP_TLS+=("$S3_TLS_DIR")
  S3_TLS_PORT=$(free_ports 1)
  bash "$SERVERS/tls_terminator.sh" start "$S3_TLS_DIR" "$S3_TLS_PORT" "$S3_PORT" >>"$WORK/tls.log" 2>&1 \
    || fail "the TLS front did not start (log: $WORK/tls.log)"
  export S3_CA=$S3_TLS_DIR/ca.pem S3_OTHER_CA=$S3_TLS_DIR/other-ca.pem
}

# tds_query SQL: runs SQL on the stand-in through FreeTDS tsql, prints rows tab-separated.
tds_query() {
  printf '%s\ngo\n' "$1" | TDSVER=7.4 tsql -H 127.0.0.1 -p "$TDS_PORT" -U sa -P "${TDS_PASSWORD:-Tds-Test-Pw1}" \
    -D "${TDS_DATABASE:-sidearmdb}" -o qh 2>/dev/null | sed '/^$/d'
}

# tds_rows TABLE OUT: the rows of teams/players/teams2/players2 as the SQL Server stand-in
# holds them, read through FreeTDS tsql, as a JSON list of lists ordered by id.
tds_rows() {
  local cols="id, name, conference, wins, losses"
  case $1 in players*) cols="id, name, number, shots, goals, teamid" ;; esac
  tds_query "SELECT $cols FROM $1 ORDER BY id" > "$WORK/$1.tsv"
  "$PYTHON" - "$WORK/$1.tsv" "$2" "$cols" <<'PY'
import json, sys
names = [c.strip() for c in sys.argv[3].split(",")]
text = {"name", "conference", "number"}
rows = [[v if n in text else int(v) for n, v in zip(names, l.rstrip("\n").split("\t"))]
        for l in open(sys.argv[1], encoding="utf-8") if l.strip()]
json.dump(rows, open(sys.argv[2], "w", encoding="utf-8"))
PY
}

# tds_reference_json OUT: teams and players from the stand-in as {"teams": [...],
# "players": [...]}, the oracle's reference format.
tds_reference_json() {
  tds_rows teams "$WORK/ref-teams.json"
  tds_rows players "$WORK/ref-players.json"
  "$PYTHON" - "$WORK/ref-teams.json" "$WORK/ref-players.json" "$1" <<'PY'
import json, sys
t, p = (json.load(open(f)) for f in sys.argv[1:3])
json.dump({"teams": [dict(zip(("id", "name", "conference", "wins", "losses"), r)) for r in t],
           "players": [dict(zip(("id", "name", "number", "shots", "goals", "teamid"), r)) for r in p]},
          open(sys.argv[3], "w", encoding="utf-8"))
PY
}

# split_docs JSONL DIR: one N.json per document, named by _id (the oracle's --docs-dir).
split_docs() {
  mkdir -p "$2"
  "$PYTHON" - "$1" "$2" <<'PY'
import json, sys
for line in open(sys.argv[1], encoding="utf-8"):
    d = json.loads(line)
    json.dump(d, open(f"{sys.argv[2]}/{d['_id']}.json", "w", encoding="utf-8"))
PY
}

# ---------------------------------------------------------------- sinks read back, crashes
# These read what a run left in its sinks, whatever their kind, so a crashed run can be
# compared with an uninterrupted one.

# sink_docs URI DIR: the box-score documents of a file:// or mongodb:// sink as DIR/<_id>.json
# (a mongodb:// sink must be on the started stand-in, $MONGO_PORT).
sink_docs() {
  rm -rf "$2"
  case $1 in
    file://*) mkdir -p "$2"; find "${1#file://}" -maxdepth 1 -name '*.json' -exec cp {} "$2"/ \; ;;
    mongodb://*)
      local coll=${1##*/}; coll=${coll%%\?*}; coll=${coll#*.}
      mongo_docs "$coll" > "$2.jsonl"; split_docs "$2.jsonl" "$2" ;;
    *) fail "sink_docs: unknown sink $1" ;;
  esac
}

# results_rows URI TABLE OUT: teams2/players2 (or teams/players) of a sqlite:// or mssql://
# results sink as a JSON list of lists ordered by id (tds_rows' format, the oracle's input).
results_rows() {
  case $1 in
    sqlite://*)
      local cols="id, name, conference, wins, losses"
      case $2 in players*) cols="id, name, number, shots, goals, teamid" ;; esac
      "$PYTHON" - "${1#sqlite://}" "$2" "$3" "$cols" <<'PY'
import json, sqlite3, sys
db, table, out, cols = sys.argv[1:5]
rows = [list(r) for r in sqlite3.connect(db).execute(f"SELECT {cols} FROM {table} ORDER BY id")]
json.dump(rows, open(out, "w", encoding="utf-8"))
PY
      ;;
    mssql://*)
      local port=${1##*:}; port=${port%%/*}
      TDS_PORT=$port tds_rows "$2" "$3" ;;
    *) fail "results_rows: unknown results sink $1" ;;
  esac
}

# docs_equal DIR_A DIR_B: the same set of documents <_id>.json, each equal but for
# updated_at and source (the stream's location: two copies of one stream compare equal);
# prints every difference. Fails on an empty A.
docs_equal() {
  "$PYTHON" - "$1" "$2" <<'PY'
import json, os, re, sys
def load(d):
    out = {}
    for f in os.listdir(d):
        if re.fullmatch(r"-?\d+\.json", f):
            doc = json.load(open(os.path.join(d, f), encoding="utf-8"))
            doc.pop("updated_at", None)
            doc.pop("source", None)
            out[int(f[:-5])] = doc
    return out
a, b = load(sys.argv[1]), load(sys.argv[2])
bad = [] if a else [f"no documents in {sys.argv[1]}"]
for i in sorted(set(a) | set(b)):
    if i not in b:
        bad.append(f"document {i} only in {sys.argv[1]} (game {a[i].get('game')}, state {a[i].get('state')})")
    elif i not in a:
        bad.append(f"document {i} missing from {sys.argv[1]}")
    elif a[i] != b[i]:
        keys = sorted(k for k in set(a[i]) | set(b[i]) if a[i].get(k) != b[i].get(k))
        bad.append(f"document {i} differs in {keys}: {json.dumps({k: a[i].get(k) for k in keys})[:300]}"
                   f" vs {json.dumps({k: b[i].get(k) for k in keys})[:300]}")
for line in bad[:20]:
    print(line, file=sys.stderr)
if len(bad) > 20:
    print(f"... and {len(bad) - 20} more", file=sys.stderr)
sys.exit(1 if bad else 0)
PY
}

# same_outputs NAME SINK_A RESULTS_A SINK_B RESULTS_B: every document (but updated_at) and
# teams2/players2 of run A equal run B's. Copies land in $WORK/NAME-{a,b}*.
same_outputs() {
  local n=$1 t
  sink_docs "$2" "$WORK/$n-a"; sink_docs "$4" "$WORK/$n-b"
  docs_equal "$WORK/$n-a" "$WORK/$n-b" || fail "$n: documents differ from the uninterrupted run's"
  for t in teams2 players2; do
    results_rows "$3" "$t" "$WORK/$n-a-$t.json"; results_rows "$5" "$t" "$WORK/$n-b-$t.json"
    [ "$(cat "$WORK/$n-a-$t.json")" != "[]" ] || fail "$n: $t is empty"
    cmp -s "$WORK/$n-a-$t.json" "$WORK/$n-b-$t.json" \
      || fail "$n: $t differs: $(cat "$WORK/$n-a-$t.json") vs $(cat "$WORK/$n-b-$t.json")"
  done
}

# crash_seed: seeds $RANDOM from CRASH_SEED (a fixed default) and prints it, so the kill
# times of a failing run can be replayed with CRASH_SEED=N.
crash_seed() {
  CRASH_SEED=${CRASH_SEED:-4711}
  echo "crash seed $CRASH_SEED (replay the same kill times with CRASH_SEED=$CRASH_SEED)"
  RANDOM=$CRASH_SEED
}

# crash_loop KILLS MAX_GAP_MS LOG CMD...: starts CMD in the background (stderr appended to
# LOG) and SIGKILLs it after a random 10..MAX_GAP_MS ms, until KILLS kills hit a running
# process (a run that ended by itself is started again too); then starts it a last time
# and leaves that run's pid in CRASH_PID. CRASH_KILLS counts the kills that hit.
crash_loop() {
  local kills=$1 max=$2 log=$3 pid gap rc tries=0; shift 3
  CRASH_KILLS=0
  while [ "$CRASH_KILLS" -lt "$kills" ]; do
    tries=$((tries + 1))
    [ $tries -le $((kills * 5)) ] || fail "only $CRASH_KILLS of $kills kills hit a running pipeline"
    gap=$((10 + RANDOM % (max - 9)))
    "$@" 2>>"$log" &
    pid=$!
    sleep "$(printf '%d.%03d' $((gap / 1000)) $((gap % 1000)))"
    kill -KILL "$pid" 2>/dev/null || true
    rc=0; wait "$pid" 2>/dev/null || rc=$?
    if [ $rc = 137 ]; then
      CRASH_KILLS=$((CRASH_KILLS + 1))
      echo "--- SIGKILL $CRASH_KILLS after ${gap} ms" >>"$log"
    else
      echo "--- the run ended by itself (status $rc) within ${gap} ms" >>"$log"
    fi
  done
  "$@" 2>>"$log" &
  CRASH_PID=$!; PIDS+=("$CRASH_PID")
}

# The crash scenarios below are shared by the embedded and the over-the-wire crash tests.
# The test sets REF (reference URI), PIPE_OPTS (more pipeline options) and defines
# scenario_uris NAME, which sets STREAM (a fresh stream the sim writes and the pipeline
# reads), CRASH_SINK/CRASH_RES (the run that is killed) and CLEAN_SINK/CLEAN_RES (the
# uninterrupted run), all empty.

# sink_has URI ID: the sink holds the document with this _id.
sink_has() { sink_docs "$1" "$WORK/probe" && test -s "$WORK/probe/$2.json"; }

# oracle_check NAME EVENTS: run B of same_outputs NAME (the uninterrupted one) is the
# independent model's game too, so both runs cannot be wrong the same way.
oracle_check() {
  local ref=${REF#sqlite://}
  case $REF in mssql://*) tds_reference_json "$WORK/$1-ref.json"; ref=$WORK/$1-ref.json ;; esac
  oracle --events "$2" --reference "$ref" --docs-dir "$WORK/$1-b" \
    --teams2 "$WORK/$1-b-teams2.json" --players2 "$WORK/$1-b-players2.json" || fail "$1: the uninterrupted run differs from the model"
}

# crash_game NAME SEED KILLS DELAY MAX_GAP_MS: gamestream-sim plays random game SEED with
# DELAY; one pipeline follows it uninterrupted while another is SIGKILLed KILLS times at
# random points (crash_loop) and restarted with the same options. Both must end with the
# same documents and tables, and those must be the model's.
crash_game() {
  local n=$1 seed=$2 kills=$3 delay=$4 gap=$5 sim clean
  scenario_uris "$n"
  "$BIN/gamestream-sim" --random "$seed" --reset-reference "$REF" --target "file://$WORK/$n-game.txt" --delay 0 \
    2>"$WORK/$n-reset.log" || fail "$n: resetting the reference failed"
  "$BIN/pipeline" --source "$STREAM" --reference "$REF" --boxscores "$CLEAN_SINK" --results "$CLEAN_RES" \
    "${PIPE_OPTS[@]}" 2>"$WORK/$n-clean.log" &
  clean=$!; PIDS+=("$clean")
  "$BIN/gamestream-sim" --random "$seed" --target "$STREAM" --delay "$delay" 2>"$WORK/$n-sim.log" &
  sim=$!; PIDS+=("$sim")
  crash_loop "$kills" "$gap" "$WORK/$n-crash.log" "$BIN/pipeline" --source "$STREAM" --reference "$REF" \
    --boxscores "$CRASH_SINK" --results "$CRASH_RES" "${PIPE_OPTS[@]}"
  wait "$sim" || fail "$n: sim failed"
  wait "$clean" || fail "$n: the uninterrupted pipeline exited $?"
  wait "$CRASH_PID" || fail "$n: the pipeline after the last kill exited $?"
  same_outputs "$n" "$CRASH_SINK" "$CRASH_RES" "$CLEAN_SINK" "$CLEAN_RES"
  oracle_check "$n" "$WORK/$n-game.txt"
  pass "$n: $CRASH_KILLS SIGKILLs during game $seed, then the same documents and tables as an uninterrupted run"
}

# sink_docs_equal URI DIR_A DIR_B: the documents of sink URI, copied to DIR_A, are DIR_B's.
sink_docs_equal() { sink_docs "$1" "$2" && docs_equal "$2" "$3"; }

# stream_put FILE URI: the producer rewrites the whole stream at once (file:// by rename,
# s3:// in one PUT).
stream_put() {
  case $2 in
    file://*) cp "$1" "${2#file://}.tmp" && mv "${2#file://}.tmp" "${2#file://}" ;;
    s3://*) swift_put "$1" "${2#s3://}" ;;
    *) fail "stream_put: unknown stream $2" ;;
  esac
}

# restart_while_down NAME SEED_A KILL_AT DELAY GAME_B LINES [SEED_B]: the pipeline follows
# random game SEED_A (played with DELAY) until it has written document KILL_AT and is
# SIGKILLed; the producer then starts over with the first LINES lines of the stream GAME_B
# (after resetting the reference to random game SEED_B's rosters, when given) and the
# pipeline is started again with the same options. Once it has caught up, its documents
# must be an uninterrupted run's over those LINES lines (nothing of game A above them);
# then the producer writes the rest of GAME_B, and the end must equal an uninterrupted
# run of GAME_B alone.
restart_while_down() {
  local n=$1 a=$2 at=$3 delay=$4 b=$5 k=$6 seed_b=${7:-} sim pipe
  scenario_uris "$n"
  "$BIN/gamestream-sim" --random "$a" --reset-reference "$REF" --target "file://$WORK/$n-a.txt" --delay 0 \
    2>"$WORK/$n-reset.log" || fail "$n: resetting the reference failed"
  "$BIN/gamestream-sim" --random "$a" --target "$STREAM" --delay "$delay" 2>"$WORK/$n-sim-a.log" &
  sim=$!; PIDS+=("$sim")
  "$BIN/pipeline" --source "$STREAM" --reference "$REF" --boxscores "$CRASH_SINK" --results "$CRASH_RES" \
    "${PIPE_OPTS[@]}" 2>"$WORK/$n-crash.log" &
  pipe=$!; PIDS+=("$pipe")
  wait_for 120 sink_has "$CRASH_SINK" "$at" || fail "$n: game A did not reach document $at"
  kill -KILL "$pipe"; wait "$pipe" 2>/dev/null || true
  kill "$sim" 2>/dev/null || true; wait "$sim" 2>/dev/null || true # it may have ended already
  echo "--- SIGKILL at document $at; the producer starts over with $k lines of $b" >>"$WORK/$n-crash.log"
  if [ -n "$seed_b" ]; then
    "$BIN/gamestream-sim" --random "$seed_b" --reset-reference "$REF" --target "file://$WORK/$n-b-full.txt" \
      --delay 0 2>>"$WORK/$n-reset.log" || fail "$n: resetting the reference for game B failed"
  fi
  head -n "$k" "$b" > "$WORK/$n-b-start.txt"
  stream_put "$WORK/$n-b-start.txt" "$STREAM"
  "$BIN/pipeline" --source "$STREAM" --reference "$REF" --boxscores "$CRASH_SINK" --results "$CRASH_RES" \
    "${PIPE_OPTS[@]}" 2>>"$WORK/$n-crash.log" &
  pipe=$!; PIDS+=("$pipe")
  # what an uninterrupted run has at this point: the documents of those lines alone
  # (one stream that grows, as the producer's: the same game from the same source)
  cp "$WORK/$n-b-start.txt" "$WORK/$n-clean-stream.txt"
  "$BIN/pipeline" --source "file://$WORK/$n-clean-stream.txt" --reference "$REF" --boxscores "$CLEAN_SINK" \
    --results "$CLEAN_RES" "${PIPE_OPTS[@]}" --once 2>"$WORK/$n-clean-start.log" || fail "$n: the run over game B's start failed"
  sink_docs "$CLEAN_SINK" "$WORK/$n-start-b"
  if ! wait_for 60 sink_docs_equal "$CRASH_SINK" "$WORK/$n-start-a" "$WORK/$n-start-b"; then
    docs_equal "$WORK/$n-start-a" "$WORK/$n-start-b" || true
    fail "$n: caught up with the restarted stream ($k lines), the sink is not an uninterrupted run's"
  fi
  stream_put "$b" "$STREAM"
  wait "$pipe" || fail "$n: the restarted pipeline exited $?"
  cp "$b" "$WORK/$n-clean-stream.txt"
  "$BIN/pipeline" --source "file://$WORK/$n-clean-stream.txt" --reference "$REF" --boxscores "$CLEAN_SINK" \
    --results "$CLEAN_RES" "${PIPE_OPTS[@]}" --once 2>"$WORK/$n-clean.log" || fail "$n: the uninterrupted run of game B failed"
  same_outputs "$n" "$CRASH_SINK" "$CRASH_RES" "$CLEAN_SINK" "$CLEAN_RES"
  oracle_check "$n" "$b"
  pass "$n: killed at document $at of game $a, the producer started over with $(basename "$b"): its documents and tables alone, at its start and at its end"
}

# forget_pid PID: a server that was stopped is no longer cleaned up (its pid may be reused).
forget_pid() {
  local keep=() p
  for p in "${PIDS[@]}"; do [ "$p" = "$1" ] || keep+=("$p"); done
  PIDS=("${keep[@]}")
}

# kill_s3_proxy / start_s3_proxy: SIGKILL the Swift proxy of start_s3, the S3 endpoint
# (connections are refused), and start it again on S3_PORT; the storage servers and the
# objects stay. A whole Swift takes tens of seconds to start, the proxy a few.
kill_s3_proxy() { kill -KILL "$(cat "$S3_DIR/run/proxy.pid")" 2>/dev/null || true; }
start_s3_proxy() {
  (setsid /usr/bin/swift-proxy-server "$S3_DIR/proxy-server.conf" >>"$S3_DIR/run/proxy.log" 2>&1 &
   echo $! >"$S3_DIR/run/proxy.pid")
  wait_for 120 curl -sf -o /dev/null "http://127.0.0.1:$S3_PORT/healthcheck" || fail "the Swift proxy did not start again"
}

# swift_auth: SWIFT_URL and SWIFT_TOKEN, a session with the Swift API of start_s3;
# swift_auth_try: the same, returning 1 instead of failing the test when there is no token.
swift_auth_try() {
  local headers
  headers=$(curl -sf -m 60 -D - -o /dev/null -H "X-Auth-User: $S3_TEST_ACCESS" -H "X-Auth-Key: $S3_TEST_SECRET" \
    "http://127.0.0.1:$S3_PORT/auth/v1.0") || return 1
  SWIFT_URL=$(printf '%s\n' "$headers" | tr -d '\r' | sed -n 's/^X-Storage-Url: //Ip')
  SWIFT_TOKEN=$(printf '%s\n' "$headers" | tr -d '\r' | sed -n 's/^X-Auth-Token: //Ip')
}
swift_auth() { swift_auth_try || fail "swift_auth: no token"; }

# swift_put FILE BUCKET/KEY: replaces the object (making the bucket when missing) in one PUT,
# through the Swift API of start_s3: the producer's rewrite of the whole stream.
swift_put() {
  swift_auth
  curl -sf -m 60 -o /dev/null -X PUT -H "X-Auth-Token: $SWIFT_TOKEN" "$SWIFT_URL/${2%%/*}" || fail "swift_put: no bucket ${2%%/*}"
  curl -sf -m 60 -o /dev/null -X PUT -H "X-Auth-Token: $SWIFT_TOKEN" --data-binary "@$1" "$SWIFT_URL/$2" \
    || fail "swift_put: PUT $2 failed"
}

# swift_get BUCKET/KEY OUT: GET the object (or a listing, BUCKET?prefix=P) through the Swift API,
# independent of the project's S3 code.
swift_get() {
  swift_auth
  curl -sf -m 60 -o "$2" -H "X-Auth-Token: $SWIFT_TOKEN" "$SWIFT_URL/$1" || fail "swift_get: GET $1 failed"
}

# log_count PATTERN FILE: how many lines of FILE match PATTERN (0 when none).
log_count() { grep -c -- "$1" "$2" || true; }

# oracle_game GAME_DIR REF_DB DOCS_DIR: the documents of the game in GAME_DIR (game.json,
# gamestream.txt) match the independent model at every event.
oracle_game() {
  local home away
  read -r home away < <("$PYTHON" -c 'import json,sys; m=json.load(open(sys.argv[1])); print(m["home"], m["away"])' \
    "$1/game.json")
  "$PYTHON" "$SRC/tests/tools/oracle.py" check --events "$1/gamestream.txt" --reference "$2" \
    --home "$home" --away "$away" --docs-dir "$3" >/dev/null
}

# play_followed PID DIR SIM_ARGS...: gamestream-sim plays the sample game (DELAY 0.002,
# 7 s) while the pipeline PID follows it with a long poll; the pipeline must be done within
# 45 s (so pushes, not the poll, drove its reads), and its documents (DIR/boxscores) and
# tables (DIR/sidearm.db) must be the model's.
play_followed() {
  local pid=$1 dir=$2; shift 2
  DELAY=0.002 "$BIN/gamestream-sim" "$@" 2>>"$WORK/sim.log" || fail "gamestream-sim $* failed"
  wait_for 45 eval "! kill -0 $pid" || fail "the game was not done within 45 s of a 60 s poll: no push"
  wait "$pid" || fail "pipeline exited $?"
  oracle --events "$SRC/sql/data/game.txt" --reference "$SRC/sql/data/reference.json" \
    --docs-dir "$dir/boxscores" --sqlite "$dir/sidearm.db" || fail "box scores or tables differ from the model"
}

# ---------------------------------------------------------------- a game day over the servers

# day_fetch PATH GAME...: each game's game.json and gamestream.txt as S3 holds them under
# PATH (bucket/prefix, no trailing /), read with Swift's own API into $WORK/s3/<game>/.
day_fetch() {
  local path=$1 g; shift
  for g in "$@"; do
    mkdir -p "$WORK/s3/$g"
    swift_get "$path/$g/game.json" "$WORK/s3/$g/game.json"
    swift_get "$path/$g/gamestream.txt" "$WORK/s3/$g/gamestream.txt"
  done
}

# day_all_final GAME...: sidearm.games holds each game's final document (its stream's last
# event), after day_fetch.
day_all_final() {
  mongo_docs games > "$WORK/games.jsonl" || return 1
  "$PYTHON" - "$WORK/games.jsonl" "$WORK/s3" "$@" <<'PY'
import json, sys
got = {d["_id"]: d for d in map(json.loads, open(sys.argv[1]))}
for g in sys.argv[3:]:
  last = int(open(f"{sys.argv[2]}/{g}/gamestream.txt").read().splitlines()[-1].split()[0])
  d = got.get(g)
  if not d or d["state"] != "final" or d["event_id"] != last:
      sys.exit(1)
PY
}

# day_check GAME...: after day_fetch, each game's documents in sidearm.boxscores (read back
# with a filter on its id) are the model's at every event and of one run; nothing else is
# there; sidearm.games is each game's final document; teams2/players2 over tsql are the
# reference plus the sum of all the games, and game_teams has 2 rows per game.
day_check() {
  local N=$# g home away specs=() total=0
  tds_reference_json "$WORK/ref.json"
  for g in "$@"; do
    read -r home away < <("$PYTHON" -c 'import json,sys; m=json.load(open(sys.argv[1])); print(m["home"], m["away"])' \
      "$WORK/s3/$g/game.json")
    mongo_docs boxscores "{\"game\": \"$g\"}" > "$WORK/$g.jsonl"
    total=$((total + $(wc -l < "$WORK/$g.jsonl")))
    # <event_id>.json with _id set back to the event id (the oracle's --docs-dir); the
    # compound key, the game and a single run are checked on the way
    "$PYTHON" - "$WORK/$g.jsonl" "$WORK/docs/$g" "$g" <<'PY' || fail "$g: documents are not keyed by (game, event_id)"
import json, os, sys
src, out, game = sys.argv[1:4]
os.makedirs(out)
runs = set()
for line in open(src, encoding="utf-8"):
    d = json.loads(line)
    assert d["_id"] == {"game": game, "event_id": d["event_id"]}, d["_id"]
    assert d["game"] == game, d["game"]
    runs.add(d["run"])
    d["_id"] = d["event_id"]
    json.dump(d, open(f"{out}/{d['event_id']}.json", "w", encoding="utf-8"))
assert len(runs) == 1, runs
PY
    oracle --events "$WORK/s3/$g/gamestream.txt" --reference "$WORK/ref.json" --home "$home" --away "$away" \
      --docs-dir "$WORK/docs/$g" >/dev/null || fail "$g: a document in MongoDB is not the box score after its event"
    specs+=(--game "$WORK/s3/$g/gamestream.txt:$home:$away")
  done
  [ "$(mongo_docs boxscores | wc -l)" = "$total" ] || fail "sidearm.boxscores holds documents of no game of the $N"

  # sidearm.games: one document per game, _id = the game id, equal to its final document
  "$PYTHON" - "$WORK/games.jsonl" "$WORK/docs" "$@" <<'PY' || fail "sidearm.games is not each game's final document"
import json, os, sys
got = [json.loads(l) for l in open(sys.argv[1], encoding="utf-8")]
assert sorted(d["_id"] for d in got) == sorted(sys.argv[3:]), [d["_id"] for d in got]
for d in got:
    last = max(int(f[:-5]) for f in os.listdir(f"{sys.argv[2]}/{d['_id']}"))
    final = json.load(open(f"{sys.argv[2]}/{d['_id']}/{last}.json", encoding="utf-8"))
    for x in (d, final):
        x.pop("_id"); x.pop("updated_at", None)
    if d != final:
        sys.exit(f"{d['game']}: differs in {sorted(k for k in set(d) | set(final) if d.get(k) != final.get(k))}")
PY

  # the season tables over tsql: the reference plus the sum of all the games, and each game's rows
  tds_season_check "$WORK/ref.json" "${specs[@]}"
}

# tds_season_check REF_JSON --game EVENTS:HOME:AWAY...: teams2/players2 over tsql are the
# reference (tds_reference_json) plus each game's result once, and game_teams holds 2 rows
# for each game.
tds_season_check() {
  local ref=$1 n; shift
  n=$(($# / 2))
  tds_rows teams2 "$WORK/teams2.json"
  tds_rows players2 "$WORK/players2.json"
  "$PYTHON" "$SRC/tests/tools/oracle.py" season --reference "$ref" "$@" \
    --teams2 "$WORK/teams2.json" --players2 "$WORK/players2.json" || fail "teams2/players2 are not the season of the $n games"
  [ "$(tds_query "SELECT count(*), count(DISTINCT game) FROM game_teams")" = "$(printf '%s\t%s' $((2 * n)) $n)" ] \
    || fail "game_teams is not 2 rows for each of the $n games: $(tds_query "SELECT game, teamid FROM game_teams")"
}

# sqlite_day_check GAMES_DIR DB DOCS_DIR GAME...: each game (GAMES_DIR/<game>/game.json and
# gamestream.txt) has documents DOCS_DIR/<game>/ that are the model's at every event, and
# teams2/players2 in DB (its teams/players the reference) count every final once.
sqlite_day_check() {
  local dir=$1 db=$2 docs=$3 g; shift 3
  for g in "$@"; do
    oracle_game "$dir/$g" "$db" "$docs/$g" || fail "$g: a document is not the box score after its event"
  done
  season_specs "$dir" "$@"
  "$PYTHON" "$SRC/tests/tools/oracle.py" season --reference "$db" "${SPECS[@]}" --sqlite "$db" ||
    fail "teams2/players2 are not the reference plus every final once"
}

# season_specs GAMES_DIR [GAME...]: SPECS, the oracle's --game EVENTS:HOME:AWAY of each game
# (GAMES_DIR/<game>/game.json and gamestream.txt); without GAME, of every folder of GAMES_DIR.
# One python for all of them (a benchmark has 10,000 games).
season_specs() {
  local dir=$1 spec; shift
  SPECS=()
  while read -r spec; do SPECS+=(--game "$spec"); done < <("$PYTHON" - "$dir" "$@" <<'PY'
import json, os, sys
d = sys.argv[1]
for g in sys.argv[2:] or sorted(os.listdir(d)):
    m = json.load(open(os.path.join(d, g, "game.json")))
    print(f"{d}/{g}/gamestream.txt:{m['home']}:{m['away']}")
PY
)
}

# minio_event FILE KEY: the webhook body MinIO sends for a PUT of gamestreams/KEY (KEY URL-encoded)
minio_event() {
  cat >"$1" <<JSON
{"EventName":"s3:ObjectCreated:Put","Key":"gamestreams/x","Records":[{"eventVersion":"2.0",
"eventSource":"minio:s3","awsRegion":"","eventTime":"2026-11-28T19:04:05.123Z","eventName":"s3:ObjectCreated:Put",
"userIdentity":{"principalId":"minio"},"requestParameters":{},"responseElements":{},
"s3":{"s3SchemaVersion":"1.0","configurationId":"Config","bucket":{"name":"gamestreams","arn":"arn:aws:s3:::gamestreams"},
"object":{"key":"$2","size":16,"eTag":"9b2cf535f27731c974343645a3985328","sequencer":"187C2E1E0B6F1D2A"}}}]}
JSON
}

# listings PORT: sidearm_source_listings_total of the pipeline serving /metrics on PORT
listings() {
  curl -sf "http://127.0.0.1:$1/metrics" >"$WORK/metrics" || return 1
  awk '/^sidearm_source_listings_total\{/ { n += $2 } END { print n + 0 }' "$WORK/metrics"
}
