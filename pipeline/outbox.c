/*
 * outbox.c — one game's pending box-score writes, each sink at its own place. See outbox.h.
 *
 * Reliability rules kept here (issue 7):
 *  - pending writes are bounded in count and bytes; past the bound no document is
 *    rendered and the newest state is rendered once there is room again, so every sink
 *    always ends with the latest document (older ones are coalesced, counted);
 *  - an item in flight is never removed or freed: its worker reads its bytes.
 */
#include "outbox.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "log.h"

static pl_sink_counters *counters(game_run *g, int s)
{
    return &g->app->metrics.sink[PL_SINK_BOXSCORES + s];
}

/* A write never made, for every sink still written to. */
static void count_dropped(game_run *g)
{
    for (int s = 0; s < g->app->nbs; s++)
        if (!g->app->bs[s].gave_up)
            counters(g, s)->dropped++;
}

/* Removes the newest document at or after from that no sink is writing, counted dropped
 * for each sink still written to that had not written it (a newest-only sink that a newer
 * document superseded it for counted it then); true when one was removed. */
static bool drop_newest(game_run *g, size_t from)
{
    size_t i = sq_newest_put_from(&g->q, from);
    if (i == g->q.len)
        return false;
    uint8_t done = sq_at(&g->q, i)->done;
    for (int s = 0; s < g->app->nbs; s++)
        if (!g->app->bs[s].gave_up && !(done >> s & 1u))
            counters(g, s)->dropped++;
    sq_remove(&g->q, i);
    return true;
}

/* Whether sink s is still to write it (see sq_needs). */
static bool needs(game_run *g, int s, const sq_item *it, uint64_t newest)
{
    const pl_bsink *b = &g->app->bs[s];
    return sq_needs(it, s, b->gave_up, b->newest_only, newest);
}

/* Items no sink needs leave; a newest-only sink that never wrote one counts it dropped
 * (coalesced into the newer document it will get). */
static void collect(game_run *g)
{
    uint64_t newest = sq_newest_put(&g->q);
    for (size_t i = g->q.len; i-- > 0;) {
        sq_item *it = sq_at(&g->q, i);
        if (it->busy)
            continue;
        bool wanted = false;
        for (int s = 0; s < g->app->nbs && !wanted; s++)
            wanted = needs(g, s, it, newest);
        if (wanted)
            continue;
        for (int s = 0; s < g->app->nbs; s++)
            if (!g->app->bs[s].gave_up && !(it->done >> s & 1u))
                counters(g, s)->dropped++;
        sq_remove(&g->q, i);
    }
}

/* The sink that holds the oldest waiting write: the one to name when the outbox is full. */
static const char *behind(game_run *g)
{
    uint64_t newest = sq_newest_put(&g->q);
    for (size_t i = 0; i < g->q.len; i++)
        for (int s = 0; s < g->app->nbs; s++)
            if (needs(g, s, sq_at(&g->q, i), newest))
                return g->app->bs[s].lanes[0].uri;
    return g->app->bs[0].lanes[0].uri;
}

static void say_full(game_run *g)
{
    if (g->said_full)
        return;
    g->said_full = true;
    log_game(LOG_WARN, g->id, "%s is behind: %zu writes (%zu bytes) pending (--queue-max %d, --queue-max-mib %d); "
             "newer box scores are coalesced into the newest one until it catches up (all games: %zu bytes, "
             "--queue-total-mib %d)", behind(g), g->q.len, g->q.bytes, g->app->cfg->queue_max,
             g->app->cfg->queue_max_mib, g->app->pending_bytes, g->app->cfg->queue_total_mib);
}

/* The current state of the game with its run id and event id, serialised; NULL when
 * out of memory. Under a prefix the sink keys it by (game, event id). */
static char *render_current(game_run *g)
{
    char now[32];
    log_utc_now(now);
    json_t *doc = bs_render(g->game, now);
    bool ok = doc && !json_object_set_new(doc, "event_id", json_integer((json_int_t)g->game->last_id)) &&
              !json_object_set_new(doc, "run", json_string(g->run_id)) &&
              !json_object_set_new(doc, "source", json_string(g->source)) &&
              (g->state != GR_STALLED || !json_object_set_new(doc, "state", json_string("stalled")));
    /* serialised once: these bytes go to every sink as they are (reals as the README shows
     * them: 0.13, not 0.13000000000000000444) */
    char *text = ok ? json_dumps(doc, JSON_COMPACT | JSON_REAL_PRECISION(10)) : NULL;
    json_decref(doc);
    if (!text)
        log_game(LOG_ERROR, g->id, "out of memory rendering box score %ld; the next one will hold it",
                 g->game->last_id);
    else {
        g->last_doc_bytes = strlen(text);
        snprintf(g->updated_at, sizeof g->updated_at, "%s", now);
    }
    return text;
}

static void mark_stale(game_run *g)
{
    if (g->stale) {
        g->coalesced++;
        count_dropped(g);
    } else {
        g->stale_seen_ns = g->fold_seen_ns; /* the oldest change the coalesced document holds */
    }
    g->stale = true;
}

/* When the change a document about to be queued shows was found: for a coalesced one,
 * the oldest change it holds. */
static uint64_t seen_stamp(const game_run *g)
{
    return g->stale && g->stale_seen_ns ? g->stale_seen_ns : g->fold_seen_ns;
}

/* Nothing more is queued when every sink was given up, or the game was refused. */
static bool closed(const game_run *g)
{
    return app_sinks_all_gave_up(g->app) || g->refused;
}

/* Lists the game in app.waiting (see outbox.h); -1 when out of memory. */
static int keep_listed(game_run *g)
{
    app *a = g->app;
    if (g->waiting_at)
        return 0;
    if (!bs_grow(&a->waiting, &a->capwaiting, a->nwaiting, sizeof *a->waiting))
        return -1;
    a->waiting[a->nwaiting++] = g;
    g->waiting_at = a->nwaiting;
    return 0;
}

void ob_unlist(game_run *g)
{
    app *a = g->app;
    if (!g->waiting_at)
        return;
    size_t i = g->waiting_at - 1;
    a->waiting[i] = a->waiting[--a->nwaiting];
    a->waiting[i]->waiting_at = i + 1;
    g->waiting_at = 0;
}

/* Puts a write (document, rejected-line record, forget) in the outbox at pos and kicks
 * the sinks; false when out of memory (it.text freed, the newest state marked stale for a
 * document: it is rendered again when there is room). */
static bool enqueue(game_run *g, size_t pos, sq_item it)
{
    /* a document rendered again for the same event (the roster was read again) replaces
     * the one still waiting, if no sink took it yet: two of them could otherwise be
     * written in either order */
    for (size_t i = g->q.len; it.kind == SQ_PUT && i-- > sq_front(&g->q);) {
        sq_item *old = sq_at(&g->q, i);
        if (old->kind == SQ_PUT && old->id == it.id && !old->done && !old->busy) {
            if (old->detected_ns && old->detected_ns < it.detected_ns) /* the replacement shows that change too */
                it.detected_ns = old->detected_ns;
            count_dropped(g);
            sq_remove(&g->q, i);
            if (i < pos)
                pos--;
        }
    }
    it.seq = ++g->seq;
    it.done = it.busy = 0;
    if (keep_listed(g) || sq_insert(&g->q, pos, it)) {
        log_game(LOG_ERROR, g->id, "out of memory queueing %s %ld; %s",
                 it.kind == SQ_PUT ? "box score" : it.kind == SQ_REJECT ? "the record of line" : "the forget of run",
                 it.kind == SQ_FORGET ? g->run : it.id, it.kind == SQ_PUT ? "the next write will hold it" : "dropped");
        free(it.text);
        if (it.kind == SQ_PUT) {
            mark_stale(g);
        } else if (it.kind == SQ_REJECT) {
            g->rejects_dropped++;
            count_dropped(g);
        }
        return false;
    }
    if (it.kind == SQ_PUT) /* the same bytes to the API and its SSE clients */
        app_publish(g->app, g->id, it.text, it.bytes, it.id);
    collect(g); /* a newest-only sink needs none of the older documents now */
    app_sink_kick(g->app);
    return true;
}

void ob_queue_current(game_run *g)
{
    if (!g->game || g->game->state == BS_PREGAME || closed(g))
        return;
    /* documents only grow: when the last one would not fit, this one will not either */
    if (g->q.len > 0 && !sq_room(&g->q, g->last_doc_bytes)) {
        mark_stale(g);
        say_full(g);
        return;
    }
    char *text = render_current(g);
    if (!text || !sq_room(&g->q, strlen(text))) {
        if (text)
            say_full(g);
        mark_stale(g);
        free(text);
        return;
    }
    if (enqueue(g, g->q.len, (sq_item){.kind = SQ_PUT, .text = text, .bytes = strlen(text), .id = g->game->last_id,
                                       .detected_ns = seen_stamp(g)}))
        g->stale = false;
}

void ob_queue_newest_first(game_run *g)
{
    if (!g->game || closed(g))
        return;
    /* after every forget: a forget removes documents beyond the run's event when it was
     * queued, and this one is beyond it */
    size_t pos = sq_front(&g->q);
    for (size_t i = g->q.len; i-- > pos;)
        if (sq_at(&g->q, i)->kind == SQ_FORGET) {
            pos = i + 1;
            break;
        }
    if (!g->stale) { /* the newest is queued already, maybe behind many: it goes next */
        for (size_t i = g->q.len; i-- > pos;)
            if (sq_at(&g->q, i)->kind == SQ_PUT) {
                if (sq_at(&g->q, i)->id == g->game->last_id)
                    sq_move(&g->q, i, pos);
                break;
            }
        return;
    }
    char *text = render_current(g);
    if (!text)
        return;
    if (sq_full(&g->q)) { /* the ring is full: the newest of the older documents goes */
        if (drop_newest(g, pos))
            g->coalesced++;
        if (sq_full(&g->q)) {
            free(text);
            return;
        }
    }
    if (enqueue(g, pos, (sq_item){.kind = SQ_PUT, .text = text, .bytes = strlen(text), .id = g->game->last_id,
                                  .detected_ns = seen_stamp(g)}))
        g->stale = false;
}

/* After a write: room again, so the newest state goes in if it was coalesced. */
static void refill(game_run *g)
{
    if (g->q.len == 0 && g->said_full) {
        log_game(LOG_INFO, g->id, "the box-score sinks caught up; %ld box scores were coalesced into newer ones so far",
                 g->coalesced);
        g->said_full = false;
    }
    if (g->stale)
        ob_queue_current(g);
}

void ob_queue_reject(game_run *g, json_t *rec, long lineno)
{
    char *text = rec ? json_dumps(rec, JSON_COMPACT) : NULL;
    size_t bytes = text ? strlen(text) : 0;
    json_decref(rec);
    if (!text || closed(g) || !sq_room(&g->q, bytes)) {
        g->rejects_dropped++;
        count_dropped(g);
        free(text);
        return;
    }
    enqueue(g, g->q.len, (sq_item){.kind = SQ_REJECT, .text = text, .bytes = bytes, .id = lineno});
}

void ob_queue_forget(game_run *g, sq_forget f)
{
    if (closed(g))
        return;
    if (sq_full(&g->q) && drop_newest(g, sq_front(&g->q))) {
        if (!g->stale)
            g->stale_seen_ns = g->fold_seen_ns;
        g->stale = true; /* the newest document is rendered again later */
    } else if (sq_full(&g->q) && g->q.len > sq_front(&g->q) && sq_at(&g->q, g->q.len - 1)->kind == SQ_REJECT &&
               !sq_at(&g->q, g->q.len - 1)->busy) {
        sq_remove(&g->q, g->q.len - 1); /* only rejected-line records wait: the forget matters more */
        g->rejects_dropped++;
        count_dropped(g);
    }
    /* past the count bound if need be (the queue full of what one sink wrote and another
     * still owes): a forget dropped here left the abandoned run's documents on top for good */
    if (!sq_forget_room(&g->q)) {
        log_game(LOG_ERROR, g->id, "%zu writes wait for %s: the forget of %s is dropped, and the sinks may keep "
                 "documents of an abandoned run; run again once it caught up", g->q.len, behind(g),
                 f.all ? "every run" : "the other runs");
        return;
    }
    enqueue(g, sq_front(&g->q), (sq_item){.kind = SQ_FORGET, .forget = f});
}

void ob_drop_waiting(game_run *g)
{
    while (drop_newest(g, sq_front(&g->q)))
        ;
    g->stale = false;
}

void ob_clear(game_run *g)
{
    for (size_t i = g->q.len; i-- > 0;)
        if (!sq_at(&g->q, i)->busy)
            sq_remove(&g->q, i);
    g->stale = false;
}

sq_item *ob_next(game_run *g, int s)
{
    if (g->refused) /* another sink refused it while this one's write was out: nothing more goes */
        return NULL;
    uint64_t newest = sq_newest_put(&g->q);
    sq_item *first = NULL;
    for (size_t i = 0; i < g->q.len; i++) {
        sq_item *it = sq_at(&g->q, i);
        if (it->busy >> s & 1u)
            return NULL; /* one write per game and sink at a time: each game stays in order */
        if (!first && needs(g, s, it, newest))
            first = it;
    }
    /* a game's first write to a sink is the forget that checks it for another source's game */
    if (first && (g->claim_pending >> s & 1u) && first->kind != SQ_FORGET)
        return NULL;
    /* revoked (Kafka: its partition went to another instance, which rebuilds the game and
     * makes its own forget and newest document): a forget of this one landing after those
     * would delete what the new owner wrote, and a newest-only sink's PUT would put an older
     * state over its newest. They wait: for the partition to come back, or to be dropped */
    if (first && g->paused && (first->kind == SQ_FORGET || g->app->bs[s].newest_only))
        return NULL;
    return first;
}

static sq_item *find(game_run *g, uint64_t seq)
{
    for (size_t i = 0; i < g->q.len; i++)
        if (sq_at(&g->q, i)->seq == seq)
            return sq_at(&g->q, i);
    return NULL;
}

bool ob_claimed(const game_run *g)
{
    for (int s = 0; s < g->app->nbs; s++)
        if ((g->claim_pending >> s & 1u) && !g->app->bs[s].gave_up)
            return false;
    return true;
}

/* A newest-only sink acknowledged document seq: every older document still queued (one
 * moved behind it, as the final is moved ahead of documents another sink still owes)
 * is one it must never write now, or it would PUT an older state over this one once
 * seq leaves the queue and an older document becomes the newest queued. Counted as
 * coalesced for that sink, as collect() counts them. */
static void supersede(game_run *g, int s, uint64_t seq)
{
    for (size_t i = 0; i < g->q.len; i++) {
        sq_item *it = sq_at(&g->q, i);
        if (it->kind == SQ_PUT && it->seq < seq && !(it->done >> s & 1u)) {
            it->done |= (uint8_t)(1u << s);
            counters(g, s)->dropped++;
        }
    }
}

void ob_done(game_run *g, int s, uint64_t seq, cn_status st, const cn_error *err)
{
    app *a = g->app;
    sq_item *it = find(g, seq);
    if (!it)
        return;
    it->busy &= (uint8_t)~(1u << s);
    if (st == CN_OK) {
        it->done |= (uint8_t)(1u << s);
        if (it->kind == SQ_FORGET && (g->claim_pending >> s & 1u)) { /* no other source's game there: writes may start */
            g->claim_pending &= (uint8_t)~(1u << s);
            if (ob_claimed(g))
                app_results_kick(a);
        }
        if (it->kind == SQ_PUT && a->bs[s].newest_only)
            supersede(g, s, seq);
        if (it->kind == SQ_PUT) {
            log_game(LOG_DEBUG, g->id, "document %ld written to %s", it->id, a->bs[s].name);
            if (s == 0) /* the first --boxscores: documents_written as with one sink */
                a->metrics.documents_written++;
            if (it->detected_ns)
                pl_hist_observe(&a->metrics.freshness[s], (double)(uv_hrtime() - it->detected_ns) / 1e9);
        }
    } else if (st == CN_CONFLICT) {
        gr_refuse(g, err); /* ob_clear: what is not in flight goes; what is goes below when it ends */
    } else if (st == CN_INPUT && it->kind != SQ_FORGET) {
        log_game(LOG_ERROR, g->id, "%s %s refused %s %ld: %s; skipping it (the exit status will be 1)",
                 a->bs[s].lanes[0].what, a->bs[s].lanes[0].uri,
                 it->kind == SQ_PUT ? "document" : "the record of rejected line", it->id, err->msg);
        it->done |= (uint8_t)(1u << s);
        if (it->kind == SQ_PUT && a->bs[s].newest_only) /* never an older one after it either */
            supersede(g, s, seq);
        a->exit_code = PL_EXIT_RUNTIME; /* sending it again would not help; the run did not write it */
    } else if (!a->bs[s].gave_up && !g->refused) {
        return; /* the sink decides: retry later, or give up on it */
    } /* else given up while this write was in flight (another's failure): ob_sink_gave_up
       * kept what only this sink needed for it, and nothing else takes it out now */
    if (g->refused) { /* nothing more is written: what was in flight when it was refused goes too */
        ob_clear(g);
        return;
    }
    collect(g);
    refill(g);
}

void ob_sink_gave_up(game_run *g, int s)
{
    (void)s; /* gave_up is set: what only s needed is no longer needed */
    collect(g);
    refill(g); /* the newest state coalesced while s held the queue goes to the others now */
}

