#!/usr/bin/env bash
# S3 Signature V4 and V2, and HTTPS, end to end: gamestream-sim writes the sample game to
# Swift s3api and the pipeline reads it (--once), signed with each signature; a wrong
# secret under V4 is refused naming the endpoint and the access key, never the secret.
# Over TLS (stunnel4 in front of Swift, with a CA made here): verified with --s3-ca-file;
# refused with a certificate error with no CA or the wrong one; --s3-insecure works and
# says so loudly; v2 with --s3-ca-file is a configuration error.
. "$SRC/tests/lib.sh"
start_s3; server_env; start_s3_tls
unset SRC_URI SQL_URI MONGO_URI
seed_sqlite "$WORK/ref.db"

# run NAME BUCKET OPTS...: the sim writes the game to s3://BUCKET/g.txt, the pipeline reads it
# back with the same OPTS, and its documents and tables are the model's.
run() {
  local n=$1 b=$2; shift 2
  "$BIN/gamestream-sim" --target "s3://$b/g.txt" --delay 0 "$@" 2>"$WORK/$n-sim.log" \
    || fail "$n: gamestream-sim $* failed: $(tail -n 3 "$WORK/$n-sim.log")"
  "$BIN/pipeline" --source "s3://$b/g.txt" --reference "sqlite://$WORK/ref.db" --boxscores "file://$WORK/$n/boxscores" \
    --results "sqlite://$WORK/$n/sidearm.db" --once "$@" 2>"$WORK/$n-pipe.log" \
    || fail "$n: pipeline $* failed: $(tail -n 3 "$WORK/$n-pipe.log")"
  oracle --events "$SRC/sql/data/game.txt" --reference "$SRC/sql/data/reference.json" \
    --docs-dir "$WORK/$n/boxscores" --sqlite "$WORK/$n/sidearm.db" >/dev/null || fail "$n: differs from the model"
}

run v4 sig-v4 --s3-signature v4
run v4-default sig-default                # v4 is the default
S3_SIGNATURE=v2 run v2 sig-v2             # the env variable, and libs3 still works
pass "sim and pipeline over Swift s3api, Signature V4 (default) and V2"

# V2 (libs3) drives its requests with select(): with descriptors past FD_SETSIZE (1024) held
# open, every socket is one select() cannot take. libcurl leaves such sockets out of the
# fd_sets (so nothing writes past them, which ASan would see) and the request loop falls back
# to short sleeps: both programs still work.
high_fds() {
  ulimit -n 4096
  local fd
  for _ in $(seq 1100); do exec {fd}</dev/null; done
  [ "$fd" -ge 1100 ] || fail "could not hold 1100 descriptors open"
  S3_SIGNATURE=v2 run v2-high sig-v2-high
}
(high_fds)
pass "V2 with every socket past FD_SETSIZE: sim and pipeline still read and write"

set +e
S3_SECRET_KEY=wrong-secret "$BIN/pipeline" --source s3://sig-v4/g.txt --reference "sqlite://$WORK/ref.db" \
  --boxscores "file://$WORK/bad/boxscores" --results "sqlite://$WORK/bad/r.db" --once 2>"$WORK/wrong.log"; rc=$?
set -e
[ $rc = 1 ] || fail "wrong secret under V4: exit status $rc, expected 1"
grep -q "S3 at $S3_ENDPOINT refused access key '$S3_ACCESS_KEY'" "$WORK/wrong.log" \
  || fail "wrong secret under V4: no message naming endpoint and key: $(tail -n 3 "$WORK/wrong.log")"
grep -q "wrong-secret\|$S3_SECRET_KEY" "$WORK/wrong.log" && fail "wrong secret under V4: a secret reached the log"
pass "a wrong secret under V4 names the endpoint and the access key, not the secret"

export S3_ENDPOINT=127.0.0.1:$S3_TLS_PORT
run tls-ca sig-tls --s3-https --s3-ca-file "$S3_CA"
S3_HTTPS=1 S3_CA_FILE=$S3_CA run tls-ca-env sig-tls-env
grep -qi "insecure" "$WORK/tls-ca-pipe.log" && fail "a verified run warns about --s3-insecure"
pass "HTTPS with the test's CA (--s3-ca-file, S3_CA_FILE) verified"

# refused: no CA (the system's do not know the test's), or another CA
for how in none other; do
  opts=(--s3-https)
  [ $how = other ] && opts+=(--s3-ca-file "$S3_OTHER_CA")
  set +e
  "$BIN/gamestream-sim" --target s3://sig-tls/g2.txt --delay 0 "${opts[@]}" 2>"$WORK/refused-$how-sim.log"; rc_sim=$?
  "$BIN/pipeline" --source s3://sig-tls/g.txt --reference "sqlite://$WORK/ref.db" \
    --boxscores "file://$WORK/refused/boxscores" --results "sqlite://$WORK/refused/r.db" --once \
    "${opts[@]}" 2>"$WORK/refused-$how.log"; rc=$?
  set -e
  [ $rc_sim != 0 ] || fail "gamestream-sim over TLS with CA $how: succeeded"
  [ $rc != 0 ] || fail "pipeline over TLS with CA $how: succeeded"
  for f in "$WORK/refused-$how.log" "$WORK/refused-$how-sim.log"; do
    grep -q "TLS certificate was not accepted" "$f" || fail "CA $how: no certificate error in $f: $(tail -n 3 "$f")"
    grep -q "s3-ca-file" "$f" || fail "CA $how: the message does not name --s3-ca-file: $(tail -n 3 "$f")"
  done
done
pass "HTTPS without the CA or with another CA: refused with a certificate error"

run tls-insecure sig-insecure --s3-https --s3-insecure
for f in "$WORK/tls-insecure-pipe.log" "$WORK/tls-insecure-sim.log"; do
  grep -q "warn.*--s3-insecure.*WITHOUT certificate verification" "$f" || fail "no loud warning in $f: $(head -n 3 "$f")"
done
pass "--s3-insecure works and warns"

set +e
"$BIN/pipeline" --source s3://sig-tls/g.txt --reference "sqlite://$WORK/ref.db" --boxscores "file://$WORK/v2/b" \
  --results "sqlite://$WORK/v2/r.db" --once --s3-https --s3-signature v2 --s3-ca-file "$S3_CA" 2>"$WORK/v2-ca.log"; rc=$?
"$BIN/pipeline" --s3-signature v3 --once 2>"$WORK/v3.log"; rc3=$?
set -e
if [ $rc = 0 ] || ! grep -q "need --s3-signature v4" "$WORK/v2-ca.log"; then
  fail "v2 with --s3-ca-file: $(tail -n 2 "$WORK/v2-ca.log")"
fi
if [ $rc3 != 2 ] || ! grep -q "must be v4 or v2" "$WORK/v3.log"; then
  fail "--s3-signature v3 was not a usage error"
fi
pass "v2 with --s3-ca-file and an unknown signature are configuration errors"
