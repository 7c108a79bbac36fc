#!/usr/bin/env bash
# Runs the mssql:// backend tests against the TDS stand-in started on a free port.
. "$SRC/tests/lib.sh"
start_tds; server_env
# a reserved port nothing listens on: connections to it are refused
TDS_CLOSED_PORT=$(free_ports 1)
export TDS_PORT TDS_CLOSED_PORT
"$BIN/test_mssql" || fail "mssql backend tests"
