#!/usr/bin/env bash
# Secrets stay in the process that needs them (issue 17, items 5 and 9):
#  a) a *_FILE that cannot be read or is empty, or both NAME and NAME_FILE set, is exit 2
#     naming the variable and the file, never the content, in both programs; before, an
#     unreadable NOTIFY_TOKEN_FILE started the pipeline with no token at all;
#  b) a password inside a URI option (argv or its variable) is refused, pointing to the
#     variable to use, without showing the password;
#  c) once read, the secret variables are gone from /proc/PID/environ, and by default the
#     process is not dumpable (another process of its user, without CAP_SYS_PTRACE, cannot
#     read its environ or memory) and its core size limit is 0; --core-dumps lets both be.
. "$SRC/tests/lib.sh"
unset CORE_DUMPS PASSWORD PASSWORD_FILE S3_SECRET_KEY S3_SECRET_KEY_FILE MSSQL_PASSWORD MSSQL_PASSWORD_FILE \
  MONGO_PASSWORD MONGO_PASSWORD_FILE NOTIFY_TOKEN NOTIFY_TOKEN_FILE CREDENTIALS_DIRECTORY
D=$WORK/d; mkdir -p "$D"
seed_sqlite "$D/sidearm.db"
cp "$SRC/sql/data/game.txt" "$D/gamestream.txt"
SECRET=Zq9-Secret-Kv4
printf '%s\n' "$SECRET" >"$WORK/secret.txt"
: >"$WORK/empty.txt"
printf '\n' >"$WORK/newline.txt"

# refused PROG LOG WANT...: PROG exited 2, its log says each WANT, and shows no secret
refused() {
  local rc=$1 log=$2; shift 2
  [ "$rc" = 2 ] || fail "$log: exit $rc, not 2 (configuration error); log: $(head -3 "$log")"
  for w in "$@"; do grep -qF -- "$w" "$log" || fail "$log: the message does not say '$w': $(cat "$log")"; done
  if grep -q "$SECRET" "$log"; then fail "$log: the secret reached the log"; fi
  if [ -d "$D/boxscores" ]; then fail "$log: documents were written by a run that should not have started"; fi
}

# ---- a) *_FILE that cannot be used
n=0
for var in NOTIFY_TOKEN PASSWORD MSSQL_PASSWORD MONGO_PASSWORD S3_SECRET_KEY; do
  for f in /nonexistent/typo "$WORK/empty.txt" "$WORK/newline.txt" "$WORK"; do
    n=$((n + 1)); rc=0
    env "${var}_FILE=$f" "$BIN/pipeline" --data-dir "$D" --once 2>"$WORK/a$n.log" || rc=$?
    refused $rc "$WORK/a$n.log" "${var}_FILE" "$f"
  done
  n=$((n + 1)); rc=0
  env "$var=$SECRET" "${var}_FILE=$WORK/secret.txt" "$BIN/pipeline" --data-dir "$D" --once 2>"$WORK/a$n.log" || rc=$?
  refused $rc "$WORK/a$n.log" "both $var and ${var}_FILE are set"
done
rc=0; NOTIFY_TOKEN_FILE=/nonexistent/typo "$BIN/pipeline" --data-dir "$D" --once 2>"$WORK/typo.log" || rc=$?
refused $rc "$WORK/typo.log" "NOTIFY_TOKEN_FILE: cannot read /nonexistent/typo: No such file or directory"
for var in NOTIFY_TOKEN S3_SECRET_KEY MSSQL_PASSWORD PASSWORD; do
  rc=0
  env "${var}_FILE=$WORK/empty.txt" "$BIN/gamestream-sim" --target "file://$WORK/sim/gamestream.txt" --delay 0 \
    2>"$WORK/sim-$var.log" || rc=$?
  refused $rc "$WORK/sim-$var.log" "${var}_FILE: $WORK/empty.txt is empty"
  [ -e "$WORK/sim/gamestream.txt" ] && fail "gamestream-sim wrote its target with a broken ${var}_FILE"
done
pass "an unreadable or empty *_FILE, or NAME and NAME_FILE both set, is exit 2 naming both, in both programs"

# a readable one still works, and its secret never shows
NOTIFY_TOKEN_FILE=$WORK/secret.txt "$BIN/pipeline" --data-dir "$D" --once --verbose 2>"$WORK/ok.log" ||
  fail "a readable NOTIFY_TOKEN_FILE: the pipeline failed: $(tail -3 "$WORK/ok.log")"
[ "$(find "$D/boxscores" -name '*.json' | wc -l)" = 77 ] || fail "a readable NOTIFY_TOKEN_FILE: not 77 documents"
if grep -q "$SECRET" "$WORK/ok.log"; then fail "the token reached the log"; fi
rm -rf "$D/boxscores"
pass "a readable *_FILE is used"

# ---- b) a password inside a URI
check_uri() { # OPTION URI VARIABLE
  local rc=0
  "$BIN/pipeline" --data-dir "$D" --once "--$1" "$2" 2>"$WORK/uri-$1.log" || rc=$?
  refused $rc "$WORK/uri-$1.log" "--$1" "a password in a URI" "$3" "***"
}
check_uri boxscores "mongodb://mongo:$SECRET@127.0.0.1:1/sidearm.boxscores?authSource=admin" MONGO_PASSWORD
check_uri results "mssql://sa:$SECRET@127.0.0.1:1/sidearmdb" MSSQL_PASSWORD
check_uri reference "mssql://sa:$SECRET@127.0.0.1:1/sidearmdb" MSSQL_PASSWORD
check_uri source "s3://key:$SECRET@gamestreams/gamestream.txt" S3_SECRET_KEY
rc=0; PIPELINE_BOXSCORES="mongodb://mongo:$SECRET@127.0.0.1:1/x" "$BIN/pipeline" --data-dir "$D" --once \
  2>"$WORK/uri-env.log" || rc=$?
refused $rc "$WORK/uri-env.log" "--boxscores" "MONGO_PASSWORD"
rc=0; "$BIN/gamestream-sim" --target "file://$WORK/sim/gamestream.txt" --delay 0 \
  --reset-reference "mssql://sa:$SECRET@127.0.0.1:1/sidearmdb" 2>"$WORK/uri-sim.log" || rc=$?
refused $rc "$WORK/uri-sim.log" "--reset-reference" "MSSQL_PASSWORD"
pass "a password inside a URI option is refused (exit 2), pointing to the variable, never shown"

# ---- c) the environment and the memory of a running pipeline
# As root the test runs both the pipeline and its reader without capabilities: what any other
# process of the same user could do (with CAP_SYS_PTRACE, root reads everything anyway).
nocaps=()
[ "$(id -u)" = 0 ] && nocaps=(setpriv --bounding-set=-all)
ulimit -S -c "$(ulimit -H -c)" # the shell allows core files: only the pipeline turns them off
# running NAME ARGS...: starts a pipeline that waits for a stream which never comes, with every
# secret set (directly and by file), and sets PIPE once it said it is waiting
running() {
  local n=$1; shift
  # ASan turns core files off by itself (disable_coredump): here only the pipeline may decide
  env ASAN_OPTIONS="${ASAN_OPTIONS:+$ASAN_OPTIONS:}disable_coredump=0" KEEP_ME=visible PASSWORD="$SECRET" MSSQL_PASSWORD_FILE="$WORK/secret.txt" NOTIFY_TOKEN="$SECRET-tok" \
    S3_SECRET_KEY="$SECRET-s3" MONGO_PASSWORD_FILE="$WORK/secret.txt" \
    "${nocaps[@]}" "$BIN/pipeline" --data-dir "$D" --source "file://$WORK/never.txt" --poll-ms 50 "$@" 2>"$WORK/$n.log" &
  PIPE=$!; PIDS+=("$PIPE")
  wait_for 30 grep -q "does not exist yet" "$WORK/$n.log" || fail "$n: the pipeline did not start"
}

running dflt
core=$(awk '/^Max core file size/ { print $5 }' "/proc/$PIPE/limits")
[ "$core" = 0 ] || fail "default: the pipeline's core file size limit is $core, not 0"
if "${nocaps[@]}" cat "/proc/$PIPE/environ" >/dev/null 2>&1; then
  fail "default: another process of the same user reads /proc/$PIPE/environ (the pipeline is dumpable)"
fi
if "${nocaps[@]}" cat "/proc/$PIPE/mem" >/dev/null 2>&1 || "${nocaps[@]}" ls -l "/proc/$PIPE/fd/" 2>/dev/null | grep -q -- '->'; then
  fail "default: another process of the same user reads the pipeline's memory or descriptors"
fi
stops_on TERM "$PIPE" default
pass "by default: core size limit 0, and not dumpable (its environ, memory and descriptors closed to the same user)"

running debug --core-dumps
core=$(awk '/^Max core file size/ { print $5 }' "/proc/$PIPE/limits")
[ "$core" != 0 ] || fail "--core-dumps: the core file size limit is still 0"
"${nocaps[@]}" cat "/proc/$PIPE/environ" | tr '\0' '\n' >"$WORK/environ.txt" ||
  fail "--core-dumps: /proc/$PIPE/environ cannot be read by the same user"
grep -qx "KEEP_ME=visible" "$WORK/environ.txt" || fail "--core-dumps: the environment read is not the pipeline's"
if grep -q "$SECRET" "$WORK/environ.txt"; then fail "a secret is still in /proc/$PIPE/environ"; fi
if grep -Eq '^(PASSWORD|MSSQL_PASSWORD_FILE|MONGO_PASSWORD_FILE|NOTIFY_TOKEN|S3_SECRET_KEY)=' "$WORK/environ.txt"; then
  fail "a secret variable is still in /proc/$PIPE/environ: $(grep -E 'PASSWORD|TOKEN|SECRET' "$WORK/environ.txt")"
fi
stops_on TERM "$PIPE" --core-dumps
pass "once read, the secret variables are gone from /proc/PID/environ; --core-dumps makes the process dumpable"
