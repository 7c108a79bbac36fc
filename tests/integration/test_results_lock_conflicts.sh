#!/usr/bin/env bash
# Finals from several processes at once meet SQL Server's lock conflicts (issue 14): a
# deadlock victim (1205), a lock request time out (1222), no lock resource (1204) and a
# snapshot update conflict (3960) are answered by the TDS stand-in's fault hook
# (TDS_LOCK_ERRORS) to the first table-lock requests of four --once runs finishing
# different games together; then, with a lock timeout of 1 ms, the stand-in answers 1222
# to real contention. Every run retries, exits 0, and teams2/players2 over tsql are the
# reference plus each game's result exactly once.
. "$SRC/tests/lib.sh"
FAULTS=1205,1222,1204,3960,1205,1222,1204,3960
export TDS_LOCK_ERRORS=$FAULTS
start_tds; server_env
"$BIN/gamestream-sim" --reset-reference "$SQL_URI" --events /dev/null --target "file://$WORK/unused.txt" 2>/dev/null
tds_reference_json "$WORK/ref.json"

finals() { # ROUND GAME...: one --once run per game, all at once, each must exit 0
  local round=$1 g pids=() i=0 rc; shift
  for g in "$@"; do
    "$BIN/pipeline" --source "file://$SRC/sql/data/game.txt" --reference "$SQL_URI" --results "$SQL_URI" \
      --boxscores "file://$WORK/docs-$g" --game "$g" --once --once-attempts 12 --backoff-max-ms 200 \
      --timeout-ms 5000 2>"$WORK/$round-$g.log" &
    pids+=($!)
  done
  for g in "$@"; do
    rc=0; wait "${pids[$i]}" || rc=$?; i=$((i + 1))
    [ $rc = 0 ] || fail "$round: the run of $g exited $rc: $(grep -m 3 -E "error|gave up" "$WORK/$round-$g.log")"
  done
}
season_is() { # GAME...: teams2/players2 are the reference plus the sample game's result once per GAME
  local g specs=()
  for g in "$@"; do specs+=(--game "$SRC/sql/data/game.txt:101:205"); done
  tds_season_check "$WORK/ref.json" "${specs[@]}"
}

# 1. the injected conflicts, taken in turn by whichever run asks for a table lock first
finals faults g1 g2 g3 g4
n=$(log_count "lock fault: " "$WORK/tds.log")
[ "$n" = 8 ] || fail "the stand-in answered $n lock faults, not the 8 of $FAULTS"
for num in 1205 1222 1204 3960; do
  grep -q "SQL Server error $num: .*and retried); retry" "$WORK"/faults-*.log || fail "no run retried after error $num"
done
season_is g1 g2 g3 g4
pass "8 lock conflicts (1205, 1222, 1204, 3960) met by 4 runs finishing games at once: each retried, exit 0, every game counted once"

# 2. real contention, lock timeout 1 ms: the stand-in answers 1222 whenever a writer waits
stop_server "$TDS_PID"
TDS_LOCK_ERRORS='' TDS_LOCK_TIMEOUT_MS=1 start_tds "$TDS_PORT"
finals contention g1 g5 g6 g7 g8 g9
season_is g1 g2 g3 g4 g5 g6 g7 g8 g9
if grep -q "SQL Server error 1222" "$WORK"/contention-*.log; then
  echo "note: $(cat "$WORK"/contention-*.log | grep -c "SQL Server error 1222") lock time-outs met and retried"
fi
pass "6 runs at once with a 1 ms lock timeout (g1 written again): exit 0, teams2/players2 count 9 games once each"
