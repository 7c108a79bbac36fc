#!/usr/bin/env bash
# Wrong credentials for each server: exit 1 at once with a message naming the server
# and the user or access key, never the secret.
. "$SRC/tests/lib.sh"
start_s3; start_mongo; start_tds; server_env
"$BIN/gamestream-sim" --reset-reference "$SQL_URI" --target "$SRC_URI" --delay 0 2>/dev/null || fail "setup failed"
D=$WORK/d; mkdir -p "$D"; printf '0 59:00 101 2 1\n' > "$D/gamestream.txt"

check() { # name expected-message log-file exit-status
  [ "$4" = 1 ] || fail "$1: exit status $4, expected 1"
  grep -q "$2" "$3" || fail "$1: log does not say '$2'"
  grep -q "wrong-secret" "$3" && fail "$1: the secret reached the log"
  return 0
}
set +e
S3_SECRET_KEY=wrong-secret "$BIN/pipeline" --source "$SRC_URI" --reference "$SQL_URI" --boxscores "file://$D/box" \
  --results "sqlite://$D/r.db" --once 2>"$WORK/s3.log"; rc=$?
check S3 "S3 at $S3_ENDPOINT refused access key '$S3_ACCESS_KEY'" "$WORK/s3.log" $rc
MONGO_PASSWORD=wrong-secret "$BIN/pipeline" --source "file://$D/gamestream.txt" --reference "$SQL_URI" \
  --boxscores "$MONGO_URI" --results "sqlite://$D/r.db" --once 2>"$WORK/mongo.log"; rc=$?
check MongoDB "MongoDB at mongodb://mongo@127.0.0.1:$MONGO_PORT/sidearm.boxscores refused the credentials" "$WORK/mongo.log" $rc
MSSQL_PASSWORD=wrong-secret "$BIN/pipeline" --source "file://$D/gamestream.txt" --reference "$SQL_URI" \
  --boxscores "file://$D/box" --results "sqlite://$D/r.db" --once 2>"$WORK/tds.log"; rc=$?
check "SQL Server" "SQL Server mssql://sa@127.0.0.1:$TDS_PORT/sidearmdb refused login for user 'sa'" "$WORK/tds.log" $rc
set -e
pass "wrong credentials name the server and keep the secret"
