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
build/bin/pipeline --data-dir var --poll-ms 100 &
pipeline=$!
DELAY=${DELAY:-0.002} build/bin/gamestream-sim --target "file://$PWD/var/gamestream.txt" 2>var/sim.log
wait $pipeline
latest=$(find var/boxscores -name '[0-9]*.json' -printf '%f\n' | sort -n | tail -1)
echo
echo "Box scores: var/boxscores/ (latest: $latest); rejected lines: var/boxscores/rejects.jsonl"
echo "teams2:"
sqlite3 -header -column var/sidearm.db "SELECT * FROM teams2 ORDER BY id"
echo
echo "players2:"
sqlite3 -header -column var/sidearm.db "SELECT * FROM players2 ORDER BY id"
