#!/usr/bin/env bash
# Scale smoke test (issue 15): 2,000 games under a file:// prefix, one to three events each,
# every tenth one final, over a 4,000-team league (40,000 players), followed by one pipeline
# with the HTTP API on (it holds every game's newest document). Once every game's newest
# document is written (a sample checked against the independent model, tests/tools/oracle.py)
# and every final game's rows are in game_teams, its peak RSS (VmHWM) must be under a bound:
# 2,000 live games cost well under 50 KiB each (a game's write queue reserving --queue-max
# slots made it ~150 KiB); then SIGTERM, exit 0. The bound is loose enough for
# a loaded machine and is scaled for the AddressSanitizer build (its shadow memory and
# quarantine). It bounds memory, not time: the run only has a generous timeout.
. "$SRC/tests/lib.sh"
GAMES=2000
G=$WORK/games V=$WORK/var
mkdir -p "$G" "$V"
"$PYTHON" "$SRC/tests/tools/many_games.py" --dir "$G" --games $GAMES --db "$V/sidearm.db" --teams 4000 \
  --events 3 --final-every 10 >"$WORK/gen.txt" || fail "generating the games failed"
read -r _ _ _ finals _ < <(tr -d ',' <"$WORK/gen.txt")
[ "$finals" = $((GAMES / 10)) ] || fail "expected $((GAMES / 10)) final games, the generator says: $(cat "$WORK/gen.txt")"

limit_mib=200
if grep -q libasan <<<"$(ldd "$BIN/pipeline")"; then limit_mib=1200; fi
PORT=$(free_ports 1)
"$BIN/pipeline" --source "file://$G/" --data-dir "$V" --http "127.0.0.1:$PORT" 2>"$WORK/pipeline.log" &
pipe=$!; PIDS+=("$pipe")
# done: every game's newest document is there and every final game is written and retired
newest=()
for g in "$G"/*/; do
  g=${g%/}
  newest+=("$V/boxscores/${g##*/}/$(awk 'NF { id = $1 } END { print id }' "$g/gamestream.txt").json")
done
all_written() {
  kill -0 "$pipe" 2>/dev/null || return 0
  [ "$(grep -c 'final and written: retired' "$WORK/pipeline.log" || true)" -ge "$finals" ] || return 1
  for f in "${newest[@]}"; do [ -e "$f" ] || return 1; done
}
wait_for 500 all_written || fail "$GAMES games: not every newest document and final was written within 500 s"
kill -0 "$pipe" 2>/dev/null || fail "the pipeline exited: $(tail -n 3 "$WORK/pipeline.log")"
# the peak RSS of the whole run, with every game live (the final ones retired) and each one's
# newest document held for the API
rss_kib=$(awk '/^VmHWM/ { print $2 }' "/proc/$pipe/status")
kill -TERM "$pipe"
rc=0; wait "$pipe" || rc=$?
[ $rc = 0 ] || fail "the pipeline exited $rc after SIGTERM: $(grep -m 3 ' error \| fatal ' "$WORK/pipeline.log")"

# every game's newest document, with the id of its last event and the state it must have
"$PYTHON" - "$G" "$V/boxscores" <<'PY' || fail "documents are missing or wrong"
import json, os, sys
games, docs = sys.argv[1], sys.argv[2]
bad = []
for g in sorted(os.listdir(games)):
    lines = open(os.path.join(games, g, "gamestream.txt"), encoding="utf-8").read().split("\n")
    last = [l for l in lines if l][-1].split()
    path = os.path.join(docs, g, f"{last[0]}.json")
    if not os.path.exists(path):
        bad.append(f"{g}: no document {last[0]}")
        continue
    d = json.load(open(path, encoding="utf-8"))
    want = "final" if last[1] == "00:00" else "in_progress"
    if d["state"] != want or d["game"] != g or d["event_id"] != int(last[0]):
        bad.append(f"{g}: document {last[0]} is {d['state']} of {d['game']}, event {d['event_id']}")
print(f"{len(os.listdir(games))} games checked, {len(bad)} wrong", file=sys.stderr)
if bad:
    print("\n".join(bad[:10]), file=sys.stderr)
    sys.exit(1)
PY
for g in g00000 g00001 g00999 g01990 g01999; do
  read -r home away < <("$PYTHON" -c 'import json,sys; m=json.load(open(sys.argv[1])); print(m["home"], m["away"])' \
    "$G/$g/game.json")
  "$PYTHON" "$SRC/tests/tools/oracle.py" check --events "$G/$g/gamestream.txt" --reference "$V/sidearm.db" \
    --home "$home" --away "$away" --docs-dir "$V/boxscores/$g" >"$WORK/oracle.log" 2>&1 ||
    fail "$g: its documents differ from the model: $(tail -n 3 "$WORK/oracle.log")"
done
n=$(sqlite3 "$V/sidearm.db" "SELECT count(DISTINCT game) FROM game_teams")
[ "$n" = "$finals" ] || fail "game_teams holds $n games, expected the $finals final ones"

echo "peak RSS $((rss_kib / 1024)) MiB for $GAMES games (bound $limit_mib MiB)"
[ "$rss_kib" -le $((limit_mib * 1024)) ] ||
  fail "peak RSS $((rss_kib / 1024)) MiB over $GAMES games is over the bound of $limit_mib MiB"
pass "$GAMES live games under a prefix: every newest document and final written, peak RSS $((rss_kib / 1024)) MiB (bound $limit_mib MiB)"
