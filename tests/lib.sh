# lib.sh — shared helpers for the script tests. Source it; BIN and SRC come from ctest.
# Every test gets its own scratch directory, removed (with any process it started)
# on exit, so no test leaves anything behind.
set -euo pipefail
: "${BIN:?BIN is set by ctest}" "${SRC:?SRC is set by ctest}"
PYTHON=${PYTHON:-/usr/bin/python3}
WORK=$(mktemp -d "${TMPDIR:-/tmp}/sidearm-test.XXXXXX")
PIDS=()

cleanup() {
  local rc=$?
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
