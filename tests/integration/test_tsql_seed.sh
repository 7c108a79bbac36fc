#!/usr/bin/env bash
# The T-SQL seed script works by hand with FreeTDS tsql (creates sidearmdb, loads
# teams/players), and the pipeline reads that reference over TDS.
. "$SRC/tests/lib.sh"
start_tds; server_env
TDSVER=7.4 tsql -H 127.0.0.1 -p "$TDS_PORT" -U sa -P "$TDS_PASSWORD" < "$SRC/sql/mssql/seed.sql" >"$WORK/tsql.log" 2>&1 \
  || fail "tsql could not run sql/mssql/seed.sql"
[ "$(tds_query "SELECT count(*) FROM players")" = 24 ] || fail "seed did not load 24 players"
[ "$(tds_query "SELECT name FROM players WHERE id = 1")" = "Liam O'Brien" ] || fail "a quoted name was mangled"
D=$WORK/d; mkdir -p "$D"; cp "$SRC/sql/data/game.txt" "$D/gamestream.txt"
"$BIN/pipeline" --data-dir "$D" --reference "$SQL_URI" --once 2>"$WORK/pipeline.log" || fail "pipeline failed"
grep -q "reference: 4 teams, 24 players from $SQL_URI" "$WORK/pipeline.log" || fail "reference not read over TDS"
oracle --events "$D/gamestream.txt" --reference "$SRC/sql/data/reference.json" --docs-dir "$D/boxscores" \
  || fail "documents joined with the SQL Server reference differ from the model"
pass "T-SQL seed by hand with tsql, read back by the pipeline"
