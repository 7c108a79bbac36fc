/*
 * outbox.h — one game's pending box-score writes, shared by every box-score sink.
 *
 *   fold ──► ob_queue_* ──► the outbox (g->q, bounded) ──► ob_next(g, s) ──► sink s ──► ob_done
 *                           one ring, each sink at its own place
 *
 * A document is rendered once and queued once, whatever the number of sinks; each item
 * records which sinks wrote it and which are writing it (sinkq.h), and it leaves the
 * outbox when no sink still needs it. Sink s takes the first item it has not written, in
 * order, one at a time per game; a sink that keeps only the newest document
 * (newest_only: the bucket) needs only the newest document queued, so older ones never
 * wait for it and never go to it. A slow or given-up sink holds only what it still needs:
 * the other sinks' documents are never delayed or reordered by it. Past the bounds
 * (--queue-max, --queue-max-mib, --queue-total-mib) documents coalesce into the newest
 * state, rendered when there is room again, so every sink ends with the newest document.
 */
#ifndef PL_OUTBOX_H
#define PL_OUTBOX_H

#include "game_run.h"

/* Renders the current state and queues it, if there is room; otherwise marks it stale:
 * it is rendered when room comes back. */
void ob_queue_current(game_run *g);
/* The final whistle, or a shutdown, while a sink is behind: the newest state goes next,
 * after any forget, even past the bounds. */
void ob_queue_newest_first(game_run *g);
/* A rejected line's record (rec is taken). */
void ob_queue_reject(game_run *g, json_t *rec, long lineno);
/* A forget, ahead of every waiting document: it removes only what the current run will
 * never write again, so it need not wait for them. */
void ob_queue_forget(game_run *g, sq_forget f);
/* A restart: the old run's documents still waiting go (counted), nothing is stale. */
void ob_drop_waiting(game_run *g);
/* A refused game: every item not in flight goes. */
void ob_clear(game_run *g);

/* The games with a write in their outbox are listed in app.waiting, which the sinks walk
 * round-robin (sinks.c) instead of every game followed: at 10,000 games and ~1,000
 * writes a second, walking every game for each write took a fifth of the loop. A game is
 * listed when a write is queued; it leaves the list when found empty, or when freed. */
void ob_unlist(game_run *g);

/* The item sink s writes next for this game, or NULL: none, one in flight, or its first
 * write must be the forget that checks the sink for another source's game. */
sq_item *ob_next(game_run *g, int s);
/* Sink s finished the item numbered seq with st: done, refused and skipped, or to be
 * tried again (the sink decides). */
void ob_done(game_run *g, int s, uint64_t seq, cn_status st, const cn_error *err);
/* Sink s was given up: what only it needed goes. */
void ob_sink_gave_up(game_run *g, int s);
/* True when no box-score sink still has to check for another source's game before the
 * results may be written (a given-up sink does not count). */
bool ob_claimed(const game_run *g);

#endif
