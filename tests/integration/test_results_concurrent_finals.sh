#!/usr/bin/env bash
# Finals from several processes at once (issue 14), against SQLite and against the SQL
# Server stand-in: 12 random games in 3 folders of 4; for each folder 3 pipelines --once
# over it, all 9 started at the same instant, so the same games finish in 3 processes at
# the same time and different games in the others; twice (the second round writes every
# game again). Over SQL Server the stand-in also answers a deadlock victim (1205), a lock
# time out (1222), no lock resource (1204) and a snapshot conflict (3960) to the first
# table-lock requests, whoever sends them. Every process must exit 0, each game's
# documents are the model's at every event, and teams2/players2 are the reference plus
# every final exactly once.
. "$SRC/tests/lib.sh"
PARTS=3 PER_PART=4 WRITERS=3 ROUNDS=2
N=$((PARTS * PER_PART))
games=()
for i in $(seq 1 $N); do games+=("$(printf 'game-%03d' "$i")"); done
G=$WORK/games   # every game's folder, for the checks
"$BIN/gamestream-sim" --games $N --random 5200 --delay 0 --stagger 0 --target "file://$G/" 2>"$WORK/sim.log" \
  || fail "gamestream-sim --games $N failed"
for p in $(seq 1 $PARTS); do # the day in PARTS folders (each game under one, its source)
  mkdir -p "$WORK/day/p$p"
  for i in $(seq $(((p - 1) * PER_PART + 1)) $((p * PER_PART))); do cp -r "$G/${games[$((i - 1))]}" "$WORK/day/p$p/"; done
done

# rounds REF RESULTS BACKEND: ROUNDS times, PARTS x WRITERS pipelines --once at once
rounds() {
  local ref=$1 res=$2 be=$3 r p w pids=() logs=() i rc
  for r in $(seq $ROUNDS); do
    pids=() logs=()
    for p in $(seq 1 $PARTS); do
      for w in $(seq 1 $WRITERS); do
        "$BIN/pipeline" --source "file://$WORK/day/p$p/" --reference "$ref" --results "$res" \
          --boxscores "file://$WORK/$be-docs-$w" --once --backoff-max-ms 400 --timeout-ms 10000 \
          2>"$WORK/$be-$r-p$p-w$w.log" &
        pids+=($!); logs+=("$WORK/$be-$r-p$p-w$w.log")
      done
    done
    for i in "${!pids[@]}"; do
      rc=0; wait "${pids[$i]}" || rc=$?
      [ $rc = 0 ] || fail "$be: the run of ${logs[$i]##*/} exited $rc: $(grep -m 3 -E "error|gave up" "${logs[$i]}")"
    done
  done
  ! grep -h -E "gave up|NOT written" "$WORK/$be"-*.log || fail "$be: a results write was given up"
}
# SQLite: one file is every process's reference and results
DB=$WORK/sidearm.db
"$BIN/gamestream-sim" --games $N --random 5200 --delay 0 --stagger 0 --target "file://$WORK/unused/" \
  --reset-reference "sqlite://$DB" 2>/dev/null || fail "the SQLite reference could not be reset"
rounds "sqlite://$DB" "sqlite://$DB" sqlite
for w in $(seq 1 $WRITERS); do sqlite_day_check "$G" "$DB" "$WORK/sqlite-docs-$w" "${games[@]}"; done
[ "$(sqlite3 "$DB" "SELECT count(*), count(DISTINCT game) FROM game_teams")" = "$((2 * N))|$N" ] \
  || fail "sqlite: game_teams is not 2 rows for each of the $N games"
pass "SQLite: $ROUNDS rounds of $((PARTS * WRITERS)) processes at once ($WRITERS on the same $PER_PART games each): exit 0, every final once"

# SQL Server (the TDS stand-in), with lock conflicts injected
export TDS_LOCK_ERRORS=1205,1222,1204,3960
start_tds; server_env
"$BIN/gamestream-sim" --games $N --random 5200 --delay 0 --stagger 0 --target "file://$WORK/unused/" \
  --reset-reference "$SQL_URI" 2>/dev/null || fail "the SQL Server reference could not be reset"
rounds "$SQL_URI" "$SQL_URI" tds
[ "$(log_count "lock fault: " "$WORK/tds.log")" = 4 ] || fail "the stand-in did not answer the 4 lock faults"
tds_reference_json "$WORK/ref.json"
for w in $(seq 1 $WRITERS); do
  for g in "${games[@]}"; do
    oracle_game "$G/$g" "$WORK/ref.json" "$WORK/tds-docs-$w/$g" || fail "tds: $g: a document of writer $w is not the model's"
  done
done
season_specs "$G" "${games[@]}"
tds_season_check "$WORK/ref.json" "${SPECS[@]}"
pass "SQL Server: $ROUNDS rounds of $((PARTS * WRITERS)) processes at once and 4 lock conflicts: exit 0, every final once"
