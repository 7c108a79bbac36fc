#!/usr/bin/env bash
# Metrics (issue 9): the Prometheus text the pipeline writes with --metrics-file (the
# same text GET /metrics serves) passes `promtool check metrics`, and its counters
# equal what the run did:
#  1. the sample game played live by gamestream-sim (--follow): the file is rewritten
#     while the process runs (every 10 s), and at exit it counts every event line,
#     every poll and byte the pipeline logged, every document in the sink, the results
#     write, one final game, a freshness observation and a timed sink write per document;
#  2. --once over a stream with bad lines, a duplicate and a line after the final:
#     rejected lines, duplicates, events after the final and sink calls; and with a
#     queue of 2, the box scores coalesced counted as dropped (documents + reject records + the run's forget);
#  3. --once over a prefix of two games: listings, game.json reads and requests.
. "$SRC/tests/lib.sh"
command -v promtool >/dev/null || fail "promtool is missing (Debian package prometheus: scripts/install-deps.sh --with-tests)"

# metric FILE SERIES: the value of one sample, e.g. 'sidearm_games{state="final"}'
metric() {
  "$PYTHON" - "$1" "$2" <<'PY'
import sys
path, series = sys.argv[1:3]
for line in open(path):
    if line.startswith(series + " "):
        v = float(line.split()[-1]); print(int(v) if v == int(v) else v); break
else:
    sys.exit(f"no sample {series} in {path}")
PY
}
# expect FILE SERIES VALUE WHAT
expect() {
  local got; got=$(metric "$1" "$2") || fail "$4: no sample $2"
  [ "$got" = "$3" ] || fail "$4: $2 is $got, expected $3"
}
check() { promtool check metrics < "$1" >"$WORK/promtool.log" 2>&1 || { cat "$WORK/promtool.log" >&2; fail "promtool check metrics: $1"; }; }

# ---------------------------------------------------------------- 1. a live game
D=$WORK/var; mkdir -p "$D"; seed_sqlite "$D/sidearm.db"
M=$WORK/live.prom
t0=$(date +%s)
METRICS_FILE=$M "$BIN/pipeline" --data-dir "$D" --poll-ms 20 --follow 2>"$WORK/pipeline.log" &
pipe=$!; PIDS+=("$pipe")
# the stream does not exist yet: the pipeline waits for the game (issue 18 item 9: waiting, not failing)
wait_for 10 grep -q "does not exist yet" "$WORK/pipeline.log" || fail "the pipeline did not say it waits for the stream"
DELAY=0.0005 "$BIN/gamestream-sim" --target "file://$D/gamestream.txt" 2>"$WORK/sim.log" || fail "gamestream-sim failed"
events=$(grep -cE '^-?[0-9]+ [0-9]{2}:[0-9]{2} [0-9]+ [0-9]+ [01]$' "$D/gamestream.txt")
[ "$events" = 77 ] || fail "the sample game should have 77 event lines, has $events"
# while it runs: the file is rewritten every 10 s, whole (written aside, renamed over)
written() { [ -f "$M" ] && [ "$(metric "$M" sidearm_events_applied_total)" = "$events" ] &&
            [ "$(metric "$M" sidearm_sink_writes_done_total'{sink="results"}')" = 1 ]; }
wait_for 25 written || fail "--metrics-file was not rewritten while the process ran"
check "$M"
kill -TERM "$pipe"; wait "$pipe" || fail "pipeline exited $? after SIGTERM"
check "$M"
[ -z "$(find "$WORK" -maxdepth 1 -name 'live.prom.tmp*')" ] || fail "a temporary metrics file was left behind"

docs=$(find "$D/boxscores" -maxdepth 1 -name '*.json' | wc -l)
read -r polls bytes < <(sed -n 's/.*done: .*; \([0-9]*\) polls read \([0-9]*\) bytes.*/\1 \2/p' "$WORK/pipeline.log")
[ -n "$polls" ] || fail "the pipeline did not log its counters"
expect "$M" sidearm_events_applied_total "$events" "live game"
expect "$M" sidearm_lines_rejected_total 0 "live game"
expect "$M" sidearm_events_duplicate_total 0 "live game"
# the pipeline logs its successful polls; the polls before the sim's first write find no
# file: they wait for the game (sidearm_source_polls_waiting_total), they are not errors
expect "$M" sidearm_source_poll_errors_total'{scheme="file"}' 0 "live game: a stream not there yet is not an error"
waiting=$(metric "$M" sidearm_source_polls_waiting_total'{scheme="file"}')
[ "$waiting" -ge 1 ] || fail "live game: the polls before the game started are not counted as waiting"
expect "$M" sidearm_source_polls_total'{scheme="file"}' $((polls + waiting)) "live game (the pipeline logged $polls polls)"
expect "$M" sidearm_source_requests_total'{scheme="file"}' $((polls + waiting)) "live game: one request a poll"
expect "$M" sidearm_source_read_bytes_total'{scheme="file"}' "$bytes" "live game (the pipeline logged $bytes bytes)"
expect "$M" sidearm_source_listings_total'{scheme="file"}' 0 "live game: one stream, no listing"
expect "$M" sidearm_boxscore_documents_written_total "$docs" "live game: documents in the sink"
expect "$M" sidearm_sink_writes_done_total'{sink="boxscores"}' $((docs + 1)) "live game: documents and one forget"
expect "$M" sidearm_sink_writes_done_total'{sink="results"}' 1 "live game"
for s in boxscores results; do
  for w in retried failed dropped; do expect "$M" "sidearm_sink_writes_${w}_total{sink=\"$s\"}" 0 "live game"; done
  expect "$M" "sidearm_sink_queue_depth{sink=\"$s\"}" 0 "live game: all written"
  expect "$M" "sidearm_sink_up{sink=\"$s\"}" 1 "live game"
done
expect "$M" sidearm_sink_queued_bytes'{sink="boxscores"}' 0 "live game: all written"
expect "$M" sidearm_games'{state="final"}' 1 "live game"
expect "$M" sidearm_games'{state="in_progress"}' 0 "live game"
expect "$M" sidearm_games'{state="scheduled"}' 0 "live game"
expect "$M" sidearm_freshness_seconds_count "$docs" "live game: one freshness observation per document"
expect "$M" sidearm_freshness_seconds_bucket'{le="+Inf"}' "$docs" "live game: the +Inf bucket is the count"
expect "$M" sidearm_sink_write_seconds_count'{sink="boxscores"}' "$docs" "live game: one timed sink write per document"
expect "$M" sidearm_worker_wait_seconds_count'{pool="writes"}' $((docs + 2)) \
  "live game: every write on the writes' own threads (the documents, one forget, one results transaction)"
reads=$(metric "$M" sidearm_worker_wait_seconds_count'{pool="reads"}')
[ "$reads" -ge $((polls + waiting + 1)) ] || fail "live game: $reads reads waited for libuv's pool, fewer than the $((polls + waiting)) polls and the reference"
expect "$M" sidearm_reference_load_failures_total 0 "live game"
expect "$M" sidearm_notifications_received_total 0 "live game: no notifications"
"$PYTHON" - "$M" "$t0" <<'PY' || fail "freshness buckets, reference loads, the start time or the process_* metrics are wrong"
import re, sys, time
text = open(sys.argv[1]).read()
buckets = [float(v) for v in re.findall(r'^sidearm_freshness_seconds_bucket\{le="[^"]+"\} (\S+)$', text, re.M)]
assert buckets == sorted(buckets), buckets                 # cumulative
assert float(re.search(r'^sidearm_freshness_seconds_sum (\S+)$', text, re.M).group(1)) > 0
# the sink's own call is part of each document's freshness: its sum is within the freshness's
sink_sum = float(re.search(r'^sidearm_sink_write_seconds_sum\{sink="boxscores"\} (\S+)$', text, re.M).group(1))
assert 0 < sink_sum <= float(re.search(r'^sidearm_freshness_seconds_sum (\S+)$', text, re.M).group(1)), sink_sum
assert float(re.search(r'^sidearm_reference_loads_total (\S+)$', text, re.M).group(1)) >= 1
def one(name):
    return float(re.search(r'^' + name + r' (\S+)$', text, re.M).group(1))
start = one('process_start_time_seconds')
assert int(sys.argv[2]) - 1 <= start <= time.time(), start
# the standard process_* families (issue 18 item 9), with values a live process has
assert 0 < one('process_cpu_seconds_total') < time.time() - start + 60, one('process_cpu_seconds_total')
assert 1 << 20 < one('process_resident_memory_bytes') < 1 << 33, one('process_resident_memory_bytes')
assert one('process_resident_memory_bytes') <= one('process_virtual_memory_bytes')
assert 3 <= one('process_open_fds') < one('process_max_fds'), (one('process_open_fds'), one('process_max_fds'))
for t in ('process_cpu_seconds_total counter', 'process_resident_memory_bytes gauge', 'process_open_fds gauge',
          'process_max_fds gauge', 'process_start_time_seconds gauge'):
    assert '# TYPE ' + t + '\n' in text, t
assert re.search(r'^sidearm_build_info\{version="[^"]+"\} 1$', text, re.M)
PY
pass "a live game: promtool accepts the metrics file, and it counts what the run did"

# ---------------------------------------------------------------- 2. bad lines, a duplicate
B=$WORK/bad; mkdir -p "$B"; seed_sqlite "$B/sidearm.db"
# applied 0, rejected (unknown team, 4 fields), duplicate 0, applied 1 and 2 (the final), after the final
printf '0 59:00 101 2 1\n1 58:00 999 2 1\n2 57:00 205 5\n0 58:30 101 2 1\n1 56:00 205 5 0\n2 00:00 0 0 0\n3 55:00 101 2 1\n' \
  > "$B/gamestream.txt"
"$BIN/pipeline" --data-dir "$B" --once --metrics-file "$WORK/bad.prom" 2>"$WORK/bad.log" || fail "pipeline --once exited $?"
check "$WORK/bad.prom"
bdocs=$(find "$B/boxscores" -maxdepth 1 -name '*.json' | wc -l)
brej=$(wc -l < "$B/boxscores/rejects.jsonl")
expect "$WORK/bad.prom" sidearm_events_applied_total 3 "bad lines"
expect "$WORK/bad.prom" sidearm_lines_rejected_total "$brej" "bad lines (rejects.jsonl)"
expect "$WORK/bad.prom" sidearm_lines_rejected_total 2 "bad lines"
expect "$WORK/bad.prom" sidearm_events_duplicate_total 1 "bad lines"
expect "$WORK/bad.prom" sidearm_events_after_final_total 1 "bad lines"
expect "$WORK/bad.prom" sidearm_boxscore_documents_written_total "$bdocs" "bad lines"
expect "$WORK/bad.prom" sidearm_sink_writes_done_total'{sink="boxscores"}' $((bdocs + brej + 1)) \
  "bad lines: documents, reject records and one forget"
expect "$WORK/bad.prom" sidearm_source_polls_total'{scheme="file"}' 1 "--once reads once"
expect "$WORK/bad.prom" sidearm_source_read_bytes_total'{scheme="file"}' "$(wc -c < "$B/gamestream.txt")" "--once"
pass "bad lines, a duplicate and a line after the final are counted as such"

# a queue of 2: the box scores the sink could not take coalesce into the newest one
Q=$WORK/queue; mkdir -p "$Q"; seed_sqlite "$Q/sidearm.db"; cp "$SRC/sql/data/game.txt" "$Q/gamestream.txt"
"$BIN/pipeline" --data-dir "$Q" --once --queue-max 2 --metrics-file "$WORK/queue.prom" 2>"$WORK/queue.log" ||
  fail "pipeline --once --queue-max 2 exited $?"
check "$WORK/queue.prom"
coalesced=$(sed -n 's/.*done: .* \([0-9]*\) box scores coalesced.*/\1/p' "$WORK/queue.log")
dropped=$(metric "$WORK/queue.prom" sidearm_sink_writes_dropped_total'{sink="boxscores"}')
qdocs=$(find "$Q/boxscores" -maxdepth 1 -name '*.json' | wc -l)
[ "${coalesced:-0}" -gt 0 ] || fail "--queue-max 2: nothing was coalesced"
# coalesced states, and documents taken out of the full queue to make room for the run's forget
[ "$dropped" -ge "$coalesced" ] || fail "--queue-max 2: $dropped writes dropped, but $coalesced box scores coalesced"
[ -f "$Q/boxscores/76.json" ] || fail "--queue-max 2: the final box score was not written"
expect "$WORK/queue.prom" sidearm_events_applied_total "$events" "--queue-max 2"
expect "$WORK/queue.prom" sidearm_boxscore_documents_written_total "$qdocs" "--queue-max 2"
expect "$WORK/queue.prom" sidearm_freshness_seconds_count "$qdocs" "--queue-max 2"
expect "$WORK/queue.prom" sidearm_sink_queue_depth'{sink="boxscores"}' 0 "--queue-max 2"
pass "a full queue: coalesced box scores are counted as dropped"

# ---------------------------------------------------------------- 3. a prefix of games
G=$WORK/games; P=$WORK/pvar; mkdir -p "$G/g1" "$G/g2" "$P"; seed_sqlite "$P/sidearm.db"
for g in g1 g2; do
  echo '{"home": 101, "away": 205}' > "$G/$g/game.json"
  cp "$SRC/sql/data/game.txt" "$G/$g/gamestream.txt"
done
"$BIN/pipeline" --source "file://$G/" --data-dir "$P" --once --metrics-file "$WORK/games.prom" 2>"$WORK/games.log" ||
  fail "pipeline --once over a prefix exited $?"
check "$WORK/games.prom"
expect "$WORK/games.prom" sidearm_events_applied_total $((2 * events)) "two games"
expect "$WORK/games.prom" sidearm_games'{state="final"}' 2 "two games"
expect "$WORK/games.prom" sidearm_source_listings_total'{scheme="file"}' 1 "--once lists once"
expect "$WORK/games.prom" sidearm_source_manifest_reads_total'{scheme="file"}' 2 "two games"
expect "$WORK/games.prom" sidearm_source_polls_total'{scheme="file"}' 2 "two games"
expect "$WORK/games.prom" sidearm_source_requests_total'{scheme="file"}' 5 "two games: a listing, 2 game.json, 2 polls"
# two finals: one transaction, or two when the first game ends before the second is folded
res=$(metric "$WORK/games.prom" sidearm_sink_writes_done_total'{sink="results"}')
{ [ "$res" -ge 1 ] && [ "$res" -le 2 ]; } || fail "two games: $res results writes"
expect "$WORK/games.prom" sidearm_sink_writes_failed_total'{sink="results"}' 0 "two games"
pass "a prefix: listings, game.json reads and requests are counted"
