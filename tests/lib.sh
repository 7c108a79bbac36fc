# shellcheck shell=bash
# lib.sh — shared helpers for the script tests. Source it; BIN and SRC come from ctest.
# Every test gets its own scratch directory, removed (with any process it started)
# on exit, so no test leaves anything behind.
set -euo pipefail
: "${BIN:?BIN is set by ctest}" "${SRC:?SRC is set by ctest}"
PYTHON=${PYTHON:-/usr/bin/python3}
WORK=$(mktemp -d "${TMPDIR:-/tmp}/sidearm-test.XXXXXX")
PIDS=()
S3_STOP=()

cleanup() {
  local rc=$?
  for d in "${S3_STOP[@]}"; do bash "$SRC/tests/servers/s3_swift_server.sh" stop "$d" >/dev/null 2>&1 || true; done
  for pid in "${PIDS[@]}"; do kill "$pid" 2>/dev/null || true; done
  for pid in "${PIDS[@]}"; do wait "$pid" 2>/dev/null || true; done
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
