#!/usr/bin/env bash
# Quick start 1: installs, builds and runs the whole job on the embedded defaults.
# gamestream-sim replays the sample game fast into var/gamestream.txt while pipeline
# follows it (live score on a terminal), then the final teams2/players2 are printed.
# When the pipeline stops before the game is over (the port of HTTP_LISTEN taken, say), the
# demo says why and how to choose a port, and stops at once with its exit status.
# DEMO_SETUP=0 skips installing and building (the tests run the demo on their own build:
# BIN_DIR, and DEMO_DIR instead of var/).
set -euo pipefail
cd "$(dirname "$0")/.."
if [ "${DEMO_SETUP:-1}" != 0 ]; then
  bash scripts/install-deps.sh
  bash scripts/build.sh
fi
bin=${BIN_DIR:-build/bin}
var=${DEMO_DIR:-var}
rm -rf "$var" && mkdir -p "$var"
var=$(cd "$var" && pwd)
sqlite3 "$var/sidearm.db" < sql/sqlite/seed.sql
# The live page (issue 9) is served when this build has the HTTP server (--http): the
# pipeline then follows on after the final, so the page stays up for KEEP seconds (or Ctrl-C).
listen=${HTTP_LISTEN:-127.0.0.1:8080}
http=()
if "$bin/pipeline" --help 2>&1 | grep -- '--http' >/dev/null; then
  http=(--http "$listen" --follow)
  echo "Live page: http://$listen/  (open it now: it follows the game as it is played)"
else
  echo "Live page: http://$listen/ once the HTTP server is built in (pipeline --http); not in this build"
fi
"$bin/pipeline" --data-dir "$var" --poll-ms 100 "${http[@]}" &
pipeline=$!
sim=

# Someone answers on ADDR:PORT: with the pipeline gone, another program holds it.
port_taken() {
  local host=${listen%:*} port=${listen##*:}
  host=${host#[}; host=${host%]}
  case $host in '*' | '' | 0.0.0.0) host=127.0.0.1 ;; '::') host=::1 ;; esac
  (exec 3<>"/dev/tcp/$host/$port") 2>/dev/null
}
# The pipeline ended (status $1) before the demo was over: say why and how to go on, stop now.
pipeline_died() {
  local rc=$1
  [ -z "$sim" ] || kill "$sim" 2>/dev/null || true
  echo "demo: the pipeline stopped (exit status $rc) before the game was over; its message is above." >&2
  if [ ${#http[@]} -gt 0 ] && port_taken; then
    echo "demo: $listen is taken by another program. Choose another port with HTTP_LISTEN, e.g." >&2
    echo "        HTTP_LISTEN=127.0.0.1:8081 bash scripts/demo.sh" >&2
  fi
  exit $((rc ? rc : 1))
}
# True once the pipeline has ended, its exit status in ended_rc.
ended_rc=
ended() {
  kill -0 "$pipeline" 2>/dev/null && return 1
  ended_rc=0
  wait "$pipeline" || ended_rc=$?
}

DELAY=${DELAY:-0.002} "$bin/gamestream-sim" --target "file://$var/gamestream.txt" 2>"$var/sim.log" &
sim=$!
while kill -0 "$sim" 2>/dev/null; do
  if ended; then
    # without the page the pipeline ends at the final by itself, maybe a moment before the sim
    if [ ${#http[@]} -gt 0 ] || [ "$ended_rc" != 0 ]; then pipeline_died "$ended_rc"; fi
    break
  fi
  sleep 0.1
done
wait "$sim" || { echo "demo: gamestream-sim failed: see $var/sim.log" >&2; exit 1; }
if [ ${#http[@]} -gt 0 ]; then
  # --follow does not exit at the final: wait for the game's results, then keep the page up
  for _ in $(seq 600); do
    [ "$(sqlite3 "$var/sidearm.db" "SELECT count(*) FROM game_teams" 2>/dev/null || echo 0)" -ge 2 ] && break
    if ended; then pipeline_died "$ended_rc"; fi
    sleep 0.1
  done
  trap 'kill -TERM $pipeline 2>/dev/null || true' INT
  # on a terminal the page stays up 5 minutes; run from a script, not (KEEP sets it)
  keep=${KEEP:-$([ -t 0 ] && echo 300 || echo 0)}
  echo "Final. The page stays up at http://$listen/ for $keep s (Ctrl-C to go on)"
  sleep "$keep" || true
  trap - INT
  kill -TERM $pipeline 2>/dev/null || true
fi
if [ -z "$ended_rc" ]; then
  rc=0; wait "$pipeline" || rc=$?
  [ $rc = 0 ] || [ ${#http[@]} -gt 0 ] || pipeline_died "$rc"
fi
latest=$(find "$var/boxscores" -name '[0-9]*.json' -printf '%f\n' | sort -n | tail -1)
echo
echo "Box scores: $var/boxscores/ (latest: $latest); rejected lines: $var/boxscores/rejects.jsonl"
echo "teams2:"
sqlite3 -header -column "$var/sidearm.db" "SELECT * FROM teams2 ORDER BY id"
echo
echo "players2:"
sqlite3 -header -column "$var/sidearm.db" "SELECT * FROM players2 ORDER BY id"
