#!/usr/bin/env bash
# The seed scripts are generated from sql/data/reference.json and must match it.
. "$SRC/tests/lib.sh"
"$PYTHON" "$SRC/sql/gen-seed.py" --check || fail "sql/*/seed.sql are stale: run sql/gen-seed.py"
seed_sqlite "$WORK/s.db"
[ "$(sqlite3 "$WORK/s.db" "select count(*) from players")" = 24 ] || fail "seed did not load 24 players"
pass "seed scripts are current and load"
