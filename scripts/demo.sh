#!/usr/bin/env bash
# Quick start 1: installs, builds and runs the whole job on the embedded defaults.
# gamestream-sim replays the sample game fast into var/gamestream.txt while pipeline
# follows it (live score on a terminal), then the final teams2/players2 are printed.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/install-deps.sh
bash scripts/build.sh
rm -rf var && mkdir -p var
sqlite3 var/sidearm.db < sql/sqlite/seed.sql
# The live page (issue 9) is served when this build has the HTTP server (--http): the
# pipeline then follows on after the final, so the page stays up for KEEP seconds (or Ctrl-C).
listen=${HTTP_LISTEN:-127.0.0.1:8080}
http=()
if build/bin/pipeline --help 2>&1 | grep -- '--http' >/dev/null; then
  http=(--http "$listen" --follow)
  echo "Live page: http://$listen/  (open it now: it follows the game as it is played)"
else
  echo "Live page: http://$listen/ once the HTTP server is built in (pipeline --http); not in this build"
fi
build/bin/pipeline --data-dir var --poll-ms 100 "${http[@]}" &
pipeline=$!
DELAY=${DELAY:-0.002} build/bin/gamestream-sim --target "file://$PWD/var/gamestream.txt" 2>var/sim.log
if [ ${#http[@]} -gt 0 ]; then
  # --follow does not exit at the final: wait for the game's results, then keep the page up
  for _ in $(seq 600); do
    [ "$(sqlite3 var/sidearm.db "SELECT count(*) FROM game_teams" 2>/dev/null || echo 0)" -ge 2 ] && break
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
wait $pipeline || [ ${#http[@]} -gt 0 ]
latest=$(find var/boxscores -name '[0-9]*.json' -printf '%f\n' | sort -n | tail -1)
echo
echo "Box scores: var/boxscores/ (latest: $latest); rejected lines: var/boxscores/rejects.jsonl"
echo "teams2:"
sqlite3 -header -column var/sidearm.db "SELECT * FROM teams2 ORDER BY id"
echo
echo "players2:"
sqlite3 -header -column var/sidearm.db "SELECT * FROM players2 ORDER BY id"
