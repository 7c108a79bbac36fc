#!/bin/sh
# Loads the storage plugins in drill/plugins/ into Drill over its REST API:
#   POST $DRILL_URL/storage/<name>.json  with {"name": ..., "config": {...}}
# ${PASSWORD} in the files is replaced from the environment here, so the secret is in
# no file and in no command line. Re-running replaces the plugins (idempotent). Runs in
# the drill-setup service, or by hand: PASSWORD=... DRILL_URL=http://localhost:8047 sh drill/load-plugins.sh
set -eu
: "${PASSWORD:?PASSWORD must be set}"
url=${DRILL_URL:-http://localhost:8047}
dir=$(dirname "$0")/plugins
for f in "$dir"/*.json; do
  name=$(basename "$f" .json)
  # awk reads the password from its environment, so it is in no process's arguments
  # (JSON-escaped; the MongoDB plugin takes it inside a URI, so keep PASSWORD URI-safe)
  awk 'BEGIN {
    pw = ""; raw = ENVIRON["PASSWORD"]
    for (k = 1; k <= length(raw); k++) {
      ch = substr(raw, k, 1)
      pw = pw ((ch == "\\" || ch == "\"") ? "\\" ch : ch)
    }
  }
  {
    out = ""; line = $0
    while ((i = index(line, "${PASSWORD}")) > 0) {
      out = out substr(line, 1, i - 1) pw; line = substr(line, i + 11)
    }
    print out line
  }' "$f" |
    curl -fsS -X POST -H 'Content-Type: application/json' --data-binary @- "$url/storage/$name.json" >/dev/null
  echo "loaded Drill storage plugin $name"
done
