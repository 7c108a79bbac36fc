#!/usr/bin/env bash
# The sample game over the wire: gamestream-sim resets the reference in SQL Server and
# replays into S3; pipeline reads S3 and SQL Server and writes MongoDB and SQL Server.
# Everything is read back over the wire: the documents with mongo-c-driver, teams2 and
# players2 with FreeTDS tsql, and compared with the embedded backends' output and with
# an independent model of the game.
. "$SRC/tests/lib.sh"
start_s3; start_mongo; start_tds; server_env

"$BIN/gamestream-sim" --reset-reference "$SQL_URI" --target "$SRC_URI" --delay 0.001 --events /dev/null \
  2>"$WORK/reset.log" || fail "reset of the reference failed"
grep -q "reset teams (4 rows) and players (24 rows)" "$WORK/reset.log" || fail "reference not reset"

"$BIN/pipeline" --source "$SRC_URI" --reference "$SQL_URI" --boxscores "$MONGO_URI" --results "$SQL_URI" \
  --poll-ms 50 2>"$WORK/pipeline.log" &
pipe=$!; PIDS+=("$pipe")
"$BIN/gamestream-sim" --target "$SRC_URI" --delay 0.001 2>"$WORK/sim.log" || fail "sim failed"
grep -q "Wrote gamestream.txt to bucket gamestreams at 59:47" "$WORK/sim.log" || fail "sim log is not the producer's"
wait $pipe || fail "pipeline exited $?"

# one document per event id, read back with mongo-c-driver
mongo_docs boxscores > "$WORK/docs.jsonl"
[ "$(wc -l < "$WORK/docs.jsonl")" = 77 ] || fail "expected 77 documents, found $(wc -l < "$WORK/docs.jsonl")"
tail -n 1 "$WORK/docs.jsonl" > "$WORK/latest.json"
split_docs "$WORK/docs.jsonl" "$WORK/mongo-docs"
oracle --events "$SRC/sql/data/game.txt" --reference "$SRC/sql/data/reference.json" --docs-dir "$WORK/mongo-docs" \
  || fail "a document in MongoDB is not the box score after its event"
grep -q '"name" : "game_1__id_-1"' <<<"$(mongo_docs boxscores --indexes)" || fail "the index for the latest-box-score query is missing"

# the same stream through the embedded backends gives the same latest document
mkdir -p "$WORK/embedded"
sqlite3 "$WORK/embedded/sidearm.db" < "$SRC/sql/sqlite/seed.sql"
cp "$SRC/sql/data/game.txt" "$WORK/embedded/gamestream.txt"
"$BIN/pipeline" --data-dir "$WORK/embedded" --once 2>"$WORK/embedded.log" || fail "embedded run failed"
"$PYTHON" - "$WORK/latest.json" "$WORK/embedded/boxscores/76.json" <<'PY' || fail "MongoDB and embedded documents differ"
import json, sys
a, b = (json.load(open(p)) for p in sys.argv[1:3])
for d in (a, b):
    d.pop("updated_at")
    d.pop("source")  # where each read the stream: s3:// and file://
if a != b:
    for k in a:
        if a.get(k) != b.get(k):
            print("differs:", k, file=sys.stderr)
    sys.exit(1)
PY

# teams2/players2 read back through FreeTDS, against the model
tds_rows teams2 "$WORK/teams2.json"
tds_rows players2 "$WORK/players2.json"
oracle --events "$SRC/sql/data/game.txt" --reference "$SRC/sql/data/reference.json" --doc "$WORK/latest.json" \
  --teams2 "$WORK/teams2.json" --players2 "$WORK/players2.json" || fail "over the wire results differ from the model"
grep -q "Liam O'Brien" "$WORK/players2.tsv" || fail "a name with a quote did not survive SQL Server"
grep -q "Zoë Hartmann" "$WORK/players2.tsv" || fail "a non-ASCII name did not survive SQL Server"
# rejected lines go to sidearm.rejects, with the same _id on a second run (no duplicates)
printf '0 59:00 101 2 1\n1 58:00 999 2 1\n2 00:00 0 0 0\n' > "$WORK/bad.txt"
for run in 1 2; do
  "$BIN/pipeline" --source "file://$WORK/bad.txt" --reference "$SQL_URI" \
    --boxscores "mongodb://mongo@127.0.0.1:$MONGO_PORT/?authSource=admin" --mongo-collection badgame \
    --results "sqlite://$WORK/bad.db" --game bad-game --once 2>"$WORK/bad$run.log" || fail "bad-line run failed"
done
[ "$(mongo_docs badgame | wc -l)" = 2 ] || fail "--mongo-collection did not choose the collection"
mongo_docs rejects > "$WORK/rejects.jsonl"
[ "$(grep -c '"game" : "bad-game"' "$WORK/rejects.jsonl")" = 1 ] || fail "sidearm.rejects should hold the bad line once"
grep -q '"line" : 2' "$WORK/rejects.jsonl" || fail "the reject record lacks its line number"
grep -q 'unknown team 999' "$WORK/rejects.jsonl" || fail "the reject record lacks its reason"
pass "sample game through S3, MongoDB and SQL Server"
