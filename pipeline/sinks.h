/*
 * sinks.h — the box-score sinks: one per --boxscores, each with its own connections and
 * lanes, fed from every game's outbox (outbox.h). A write's outcome is decided here,
 * once: done, refused and skipped, tried again with backoff, or the sink given up on its
 * own (the other sinks go on; the exit status is 1 and the message names the sink).
 */
#ifndef PL_SINKS_H
#define PL_SINKS_H

#include "app.h"

/* Names the sinks and sets up their lanes (before the connections are opened). */
void sinks_init(app *a);
/* Opens every sink's connections; PL_EXIT_OK, or the exit status with the error logged. */
int sinks_open(app *a);
/* Starts what the sinks may write now: for each sink, on each free connection, the next
 * write of the next game in turn. */
void sinks_kick(app *a);
/* True while a sink's index.json does not show the games yet (or its write is in
 * flight): the end of a run waits for it; it is wanted, and started when a lane is free. */
bool sinks_index_pending(app *a);
/* True when a write is in flight. */
bool sinks_busy(const app *a);
/* No new calls (the ones in flight finish). */
void sinks_stop(app *a);
void sinks_close_lanes(app *a);
void sinks_close(app *a);
/* Logs, for one game, what each sink was not given at the end; true when something was
 * not written. */
bool sinks_report_unwritten(app *a, game_run *g);
/* The sinks for the start-up line: "URI" or "URI + URI". */
void sinks_describe(const app *a, char *buf, size_t len);

#endif
