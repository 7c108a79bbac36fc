#!/usr/bin/env bash
# Runs the mssql:// backend tests against the TDS stand-in started on a free port.
. "$SRC/tests/lib.sh"
# databases where the stand-in refuses writes, like a read-only one or one the user may not write
export TDS_READONLY_DATABASES=readonlydb TDS_DENIED_DATABASES=denieddb
start_tds; server_env
# a reserved port nothing listens on: connections to it are refused
TDS_CLOSED_PORT=$(free_ports 1)
export TDS_PORT TDS_CLOSED_PORT TDS_DB
"$BIN/test_mssql" || fail "mssql backend tests"
