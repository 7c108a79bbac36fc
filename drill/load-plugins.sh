#!/bin/sh
# Loads the storage plugins in drill/plugins/ into Drill over its REST API:
#   POST $DRILL_URL/storage/<name>.json  with {"name": ..., "config": {...}}
# ${PASSWORD} in the files is replaced from the environment here, so the secret is in
# no file. Re-running replaces the plugins (idempotent). Runs in the drill-setup service,
# or by hand: PASSWORD=... DRILL_URL=http://localhost:8047 sh drill/load-plugins.sh
set -eu
: "${PASSWORD:?PASSWORD must be set}"
url=${DRILL_URL:-http://localhost:8047}
dir=$(dirname "$0")/plugins
for f in "$dir"/*.json; do
  name=$(basename "$f" .json)
  # escape what sed treats specially in the replacement
  pw=$(printf '%s' "$PASSWORD" | sed 's/[&/\]/\\&/g')
  sed "s/\${PASSWORD}/$pw/g" "$f" |
    curl -fsS -X POST -H 'Content-Type: application/json' --data-binary @- "$url/storage/$name.json" >/dev/null
  echo "loaded Drill storage plugin $name"
done
