#!/usr/bin/env bash
# Runs the mssql:// backend tests against the TDS stand-in started on a free port.
. "$SRC/tests/lib.sh"
start_tds; server_env
export TDS_PORT
"$BIN/test_mssql" || fail "mssql backend tests"
