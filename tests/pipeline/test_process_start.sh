#!/usr/bin/env bash
# What surrounds the process when it starts and while it runs (issue 17):
#  a) item 16: with stdin, stdout or stderr closed, a run writes everything and exits 0
#     (before, libuv's epoll descriptor took fd 2 and its close asserted: exit 134);
#  b) item 1: the soft descriptor limit is raised to the hard one (ulimit -S -n 64), and said;
#  c) item 12: --once serves HTTP only when --http (or HTTP_LISTEN) is given;
#  d) item 17: SIGHUP drains and exits 0 like SIGTERM (before: killed, exit 129, no log);
#     under nohup (SIGHUP ignored at start) it stays ignored.
. "$SRC/tests/lib.sh"

# ---- a) closed standard descriptors
for fds in '<&-' '>&-' '2>&-' '<&- >&- 2>&-'; do
  name=closed-$(tr -dc '0-9a-z' <<<"$fds" | head -c 8)$RANDOM
  sample_game "$name"
  rc=0
  eval "\"\$BIN/pipeline\" --data-dir \"\$D\" --once $fds" || rc=$?
  [ $rc = 0 ] || fail "run with $fds: exit $rc (134 is the abort of a closed descriptor taken over)"
  sample_final "run with $fds"
done
# ... and the simulator, whose target must get the whole game
rc=0; "$BIN/gamestream-sim" --target "file://$WORK/sim/gamestream.txt" --delay 0 >&- 2>&- || rc=$?
[ $rc = 0 ] || fail "gamestream-sim with stdout and stderr closed: exit $rc"
cmp -s "$WORK/sim/gamestream.txt" "$SRC/sql/data/game.txt" || fail "gamestream-sim with stdout and stderr closed: the target is not the game"
pass "with stdin, stdout or stderr closed (each and all): exit 0 with 77 documents and both tables"

# ---- b) the descriptor limit
hard=$(ulimit -H -n)
if [ "$hard" != unlimited ] && [ "$hard" -le 64 ]; then
  echo "skip b): the hard descriptor limit is $hard"
else
  sample_game nofile
  (ulimit -S -n 64; exec "$BIN/pipeline" --data-dir "$D" --source "file://$WORK/never.txt" --poll-ms 50 2>"$WORK/nofile.log") &
  pipe=$!; PIDS+=("$pipe")
  wait_for 30 grep -q "does not exist yet" "$WORK/nofile.log" || fail "nofile: the pipeline did not start"
  read -r soft hardp < <(awk '/^Max open files/ { print $4, $5 }' "/proc/$pipe/limits")
  [ "$soft" = "$hardp" ] || fail "nofile: the soft descriptor limit is $soft, not the hard $hardp"
  [ "$soft" -gt 64 ] || fail "nofile: the soft descriptor limit stayed $soft"
  grep -q "descriptor limit (RLIMIT_NOFILE) raised from 64 to its hard limit, $soft" "$WORK/nofile.log" ||
    fail "nofile: the raise is not logged: $(grep -i descriptor "$WORK/nofile.log")"
  [ "$(log_count RLIMIT_NOFILE "$WORK/nofile.log")" = 1 ] || fail "nofile: the limit is logged more than once"
  stops_on TERM "$pipe" nofile
  pass "under ulimit -S -n 64 the soft limit is raised to the hard one ($soft), logged once"
fi

# ---- c) --once and HTTP
(
  unset HTTP_LISTEN # tests/lib.sh turns HTTP off; the default is what is tested here
  sample_game once-default
  "$BIN/pipeline" --data-dir "$D" --once --verbose 2>"$WORK/once-default.log" || fail "once-default: exit $?"
  sample_final once-default
  if grep -q "HTTP API on" "$WORK/once-default.log"; then fail "--once without --http serves HTTP: $(grep "HTTP API" "$WORK/once-default.log")"; fi
  read -r port < <(free_ports 1)
  sample_game once-http
  "$BIN/pipeline" --data-dir "$D" --once --http "127.0.0.1:$port" 2>"$WORK/once-http.log" || fail "once-http: exit $?"
  grep -q "HTTP API on http://127.0.0.1:$port/" "$WORK/once-http.log" || fail "--once --http 127.0.0.1:$port does not serve HTTP"
  sample_game once-env
  HTTP_LISTEN=127.0.0.1:$port "$BIN/pipeline" --data-dir "$D" --once 2>"$WORK/once-env.log" || fail "once-env: exit $?"
  grep -q "HTTP API on http://127.0.0.1:$port/" "$WORK/once-env.log" || fail "--once with HTTP_LISTEN does not serve HTTP"
  # the long-running default is still 127.0.0.1:8080
  "$BIN/pipeline" --help | grep -A1 -- '--http VALUE' | grep "default: 127.0.0.1:8080" >/dev/null || fail "--help: --http's default is not 127.0.0.1:8080"
) || exit 1
pass "--once serves HTTP only when --http or HTTP_LISTEN is given"

# ---- d) SIGHUP
sample_game hup
"$BIN/pipeline" --data-dir "$D" --follow --poll-ms 20 2>"$WORK/hup.log" &
pipe=$!; PIDS+=("$pipe")
wait_for 60 grep -q "wrote teams2" "$WORK/hup.log" || fail "hup: the game did not end"
stops_on HUP "$pipe" "hup (129 is killed by it)"
grep -q "SIGHUP received: no more polls; writing what is pending" "$WORK/hup.log" || fail "hup: SIGHUP is not logged"
sample_final hup
pass "SIGHUP drains and exits 0, as SIGTERM does"

sample_game nohup
nohup "$BIN/pipeline" --data-dir "$D" --follow --poll-ms 20 </dev/null >/dev/null 2>"$WORK/nohup.log" &
pipe=$!; PIDS+=("$pipe")
wait_for 60 grep -q "wrote teams2" "$WORK/nohup.log" || fail "nohup: the game did not end"
kill -HUP "$pipe"
sleep 1
kill -0 "$pipe" 2>/dev/null || fail "nohup: SIGHUP stopped a pipeline started under nohup"
stops_on TERM "$pipe" nohup
pass "under nohup SIGHUP stays ignored"
