/*
 * game_run.c — one game's life cycle. See game_run.h.
 *
 * Reliability rules kept here (issue 7):
 *  - pending writes are bounded in count and bytes; past the bound no document is
 *    rendered and the newest state is rendered once there is room again, so the sink
 *    always ends with the latest document (older ones are coalesced, counted);
 *  - a chunk of any size is folded in slices of --fold-slice-us;
 *  - every document carries the run id; when a run's first bytes are folded, the
 *    sink forgets the game's documents of other runs or beyond the run's last event;
 *  - the reference is read again when a run's first bytes arrive and, rate-limited,
 *    when an unknown jersey or team shows up; the game is rebased onto the new rows.
 */
#include "game_run.h"

#include <inttypes.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "log.h"

#define FOLD_PIECE 1024         /* bytes pushed between two looks at the clock */
#define PARTIAL_WARN_POLLS 8    /* polls a partial last line may wait before a warning */

static void queue_current(game_run *g);

const char *gr_state_name(gr_state s)
{
    return s == GR_SCHEDULED ? "scheduled" : s == GR_IN_PROGRESS ? "in_progress" : s == GR_STALLED ? "stalled" : "final";
}

static void set_state(game_run *g, gr_state s)
{
    if (g->state != s)
        log_game(LOG_INFO, g->id, "state %s -> %s", gr_state_name(g->state), gr_state_name(s));
    g->state = s;
}

/* Any bytes as a JSON string: invalid UTF-8 becomes U+FFFD, never a failure. */
static json_t *text_json(const char *s, size_t len)
{
    char *clean = bs_utf8_dup(s, len);
    json_t *j = clean ? json_string(clean) : NULL;
    free(clean);
    return j;
}

/* ---------------------------------------------------------------- the queue */

static void say_full(game_run *g)
{
    if (g->said_full)
        return;
    g->said_full = true;
    log_game(LOG_WARN, g->id, "%s is behind: %zu writes (%zu bytes) pending (--queue-max %d, --queue-max-mib %d); "
             "newer box scores are coalesced into the newest one until it catches up (all games: %zu bytes, "
             "--queue-total-mib %d)", g->app->l_sinks[0].uri, g->q.len, g->q.bytes, g->app->cfg->queue_max,
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
    /* serialised once: these bytes go to the sink as they are (reals as the README shows
     * them: 0.13, not 0.13000000000000000444) */
    char *text = ok ? json_dumps(doc, JSON_COMPACT | JSON_REAL_PRECISION(10)) : NULL;
    json_decref(doc);
    if (!text)
        log_game(LOG_ERROR, g->id, "out of memory rendering box score %ld; the next one will hold it",
                 g->game->last_id);
    else
        g->last_doc_bytes = strlen(text);
    return text;
}

static void mark_stale(game_run *g)
{
    if (g->stale) {
        g->coalesced++;
        g->app->metrics.sink[PL_SINK_BOXSCORES].dropped++;
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

/* Puts a write (document, rejected-line record, forget) in the game's queue at pos and
 * kicks the sink; false when out of memory (it.text freed, the newest state marked
 * stale for a document: it is rendered again when there is room). (In push/, a "push"
 * is a notification that says "read now".) */
static bool enqueue(game_run *g, size_t pos, sq_item it)
{
    /* a document rendered again for the same event (the roster was read again) replaces
     * the one still waiting: two of them could otherwise be written in either order; a
     * sink that keeps only the newest document gets none of the older ones waiting (a
     * document queued is always the current state) */
    bool newest_only = g->app->sink_newest_only;
    for (size_t i = g->q.len; it.kind == SQ_PUT && i-- > sq_front(&g->q);)
        if (sq_at(&g->q, i)->kind == SQ_PUT && (newest_only || sq_at(&g->q, i)->id == it.id)) {
            uint64_t seen = sq_at(&g->q, i)->detected_ns; /* the replacement shows that change too */
            if (seen && seen < it.detected_ns)
                it.detected_ns = seen;
            g->app->metrics.sink[PL_SINK_BOXSCORES].dropped++;
            g->coalesced += sq_at(&g->q, i)->id != it.id;
            sq_remove(&g->q, i);
            if (i < pos)
                pos--;
        }
    if (sq_insert(&g->q, pos, it)) {
        log_game(LOG_ERROR, g->id, "out of memory queueing %s %ld; %s",
                 it.kind == SQ_PUT ? "box score" : it.kind == SQ_REJECT ? "the record of line" : "the forget of run",
                 it.kind == SQ_FORGET ? g->run : it.id, it.kind == SQ_PUT ? "the next write will hold it" : "dropped");
        free(it.text);
        if (it.kind == SQ_PUT) {
            mark_stale(g);
        } else if (it.kind == SQ_REJECT) {
            g->rejects_dropped++;
            g->app->metrics.sink[PL_SINK_BOXSCORES].dropped++;
        }
        return false;
    }
    if (it.kind == SQ_PUT) /* the same bytes to the API and its SSE clients */
        app_publish(g->app, g->id, it.text, it.bytes, it.id);
    app_sink_kick(g->app);
    return true;
}

/* Renders the current state and queues it, if there is room; otherwise marks it stale:
 * it is rendered when room comes back. */
static void queue_current(game_run *g)
{
    if (!g->game || g->game->state == BS_PREGAME || g->app->sink_gave_up || g->refused)
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
    if (enqueue(g, g->q.len, (sq_item){SQ_PUT, text, strlen(text), g->game->last_id, {0}, seen_stamp(g)}))
        g->stale = false;
}

/* The final whistle, or a shutdown, while the sink is behind: the newest state must
 * not wait behind older documents (nor be lost to the grace period), so it goes next,
 * after any forget (which could otherwise remove it), even past the bounds. */
static void queue_newest_first(game_run *g)
{
    if (!g->game || g->app->sink_gave_up || g->refused)
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
        if (sq_drop_newest_put(&g->q, pos)) {
            g->coalesced++;
            g->app->metrics.sink[PL_SINK_BOXSCORES].dropped++;
        }
        if (sq_full(&g->q)) {
            free(text);
            return;
        }
    }
    if (enqueue(g, pos, (sq_item){SQ_PUT, text, strlen(text), g->game->last_id, {0}, seen_stamp(g)}))
        g->stale = false;
}

/* After a write: room again, so the newest state goes in if it was coalesced. */
static void queue_refill(game_run *g)
{
    if (g->q.len == 0 && g->said_full) {
        log_game(LOG_INFO, g->id, "%s caught up; %ld box scores were coalesced into newer ones so far",
                 g->app->l_sinks[0].uri, g->coalesced);
        g->said_full = false;
    }
    if (g->stale)
        queue_current(g);
}

static void queue_reject(game_run *g, json_t *rec, long lineno)
{
    char *text = rec ? json_dumps(rec, JSON_COMPACT) : NULL;
    size_t bytes = text ? strlen(text) : 0;
    json_decref(rec);
    if (!text || g->app->sink_gave_up || g->refused || !sq_room(&g->q, bytes)) {
        g->rejects_dropped++;
        g->app->metrics.sink[PL_SINK_BOXSCORES].dropped++;
        free(text);
        return;
    }
    enqueue(g, g->q.len, (sq_item){SQ_REJECT, text, bytes, lineno, {0}, 0});
}

/* Queues a forget ahead of every waiting document: it removes only what the current
 * run will never write again, so it need not wait for them. */
static void queue_forget(game_run *g, sq_forget f)
{
    if (g->app->sink_gave_up || g->refused)
        return;
    if (sq_full(&g->q) && sq_drop_newest_put(&g->q, sq_front(&g->q))) {
        g->app->metrics.sink[PL_SINK_BOXSCORES].dropped++;
        if (!g->stale)
            g->stale_seen_ns = g->fold_seen_ns;
        g->stale = true; /* the newest document is rendered again later */
    } else if (sq_full(&g->q) && g->q.len > sq_front(&g->q)) {
        sq_remove(&g->q, g->q.len - 1); /* only rejected-line records wait: the forget matters more */
        g->rejects_dropped++;
        g->app->metrics.sink[PL_SINK_BOXSCORES].dropped++;
    }
    if (sq_full(&g->q))
        return;
    enqueue(g, sq_front(&g->q), (sq_item){SQ_FORGET, NULL, 0, 0, f, 0});
}

/* ---------------------------------------------------------------- fold hooks */

static void show_progress(game_run *g)
{
    const bs_game *s = g->game;
    char clk[8], line[256];
    const bs_team *h = bs_ref_team(s->ref, s->teamid[0]), *a = bs_ref_team(s->ref, s->teamid[1]);
    bs_format_clock(s->clock, clk);
    snprintf(line, sizeof line, "%s%s%sQ%d %s  %s %d - %d %s%s", g->per_game_keys ? g->id : "",
             g->per_game_keys ? " " : "", "", bs_period(s->clock), clk, h ? h->name : "home", s->score[0],
             s->score[1], a ? a->name : "away", s->state == BS_FINAL ? "  FINAL" : "");
    log_status(line);
}

/* An unknown jersey or team: read the reference again, at most every --reload-min-ms.
 * --once does not wait for that: the run asks once, read at once (an operator may have
 * fixed the roster since the run's start); the rest of its stream goes on without. */
static void want_reload(game_run *g)
{
    if (g->reload_wanted || g->reloading)
        return;
    if (g->app->cfg->once) {
        if (g->once_reread)
            return;
        g->once_reread = true;
    }
    g->reload_wanted = true;
    g->app->ref_wanted = true;
    app_ref_kick(g->app);
}

static void on_applied(void *ctx, const bs_game *s, const bs_event *ev, const bs_apply_info *info)
{
    game_run *g = ctx;
    char clk[8];
    bs_format_clock(ev->clock, clk);
    switch (info->outcome) {
    case BS_DUPLICATE:
        g->app->metrics.events_duplicate++;
        log_game(LOG_WARN, g->id, "event %ld at %s is a duplicate (last applied %ld): skipped", ev->id, clk,
                 s->last_id);
        return;
    case BS_AFTER_FINAL:
        g->app->metrics.events_after_final++;
        log_game(LOG_WARN, g->id, "event %ld at %s comes after the final whistle: skipped", ev->id, clk);
        return;
    case BS_ENDED_BY_SENTINEL:
        break;
    case BS_APPLIED:
        g->app->metrics.events_applied++;
        break;
    }
    if (g->state == GR_SCHEDULED || g->state == GR_STALLED)
        set_state(g, GR_IN_PROGRESS);
    if (info->gap)
        log_game(LOG_WARN, g->id, "event ids jump from %ld to %ld: %ld events missing", info->expected_id - 1, ev->id,
                 ev->id - info->expected_id);
    if (info->clock_up)
        log_game(LOG_WARN, g->id, "event %ld: the clock went up to %s", ev->id, clk);
    if (info->unrostered) {
        log_game(LOG_WARN, g->id, "event %ld: team %d has no jersey %d on its roster; counted as unrostered", ev->id,
                 ev->team, ev->jersey);
        want_reload(g);
    }
    if (ev->goal && info->outcome == BS_APPLIED && ev->team != 0)
        log_game(LOG_INFO, g->id, "goal: team %d #%d at %s (Q%d), %d-%d", ev->team, ev->jersey, clk,
                 bs_period(ev->clock), s->score[0], s->score[1]);
    else
        log_game(LOG_DEBUG, g->id, "event %ld applied", ev->id);
    if (info->final)
        log_game(LOG_INFO, g->id, "final: %d-%d after event %ld (%s)", s->score[0], s->score[1], s->last_id,
                 ev->id == -1 ? "end-of-game line -1" : ev->team == 0 ? "sentinel line, team 0" : "clock 00:00");
    queue_current(g);
}

static void on_rejected(void *ctx, long lineno, const char *line, size_t len, const char *reason)
{
    game_run *g = ctx;
    char now[32], id[128];
    g->app->metrics.lines_rejected++;
    uint32_t h = bs_fnv1a32(BS_FNV1A32_BASIS, line, len); /* the raw line's: same line, same id, on every run */
    /* the log layer escapes control characters and invalid UTF-8 */
    log_game(LOG_WARN, g->id, "%s line %ld rejected: %s: '%.*s%s'", g->l_src.uri, lineno, reason,
             (int)(len > 60 ? 60 : len), line, len > 60 ? "..." : "");
    snprintf(id, sizeof id, "%s:%ld:%08x", g->id, lineno, h);
    log_utc_now(now);
    queue_reject(g, json_pack("{s:s, s:s, s:o, s:I, s:o, s:o, s:b, s:s}", "_id", id, "game", g->id, "source",
                              text_json(g->l_src.uri, strlen(g->l_src.uri)), "line", (json_int_t)lineno, "raw",
                              text_json(line, len < 200 ? len : 200), "reason", text_json(reason, strlen(reason)),
                              "truncated", len > 200, "at", now),
                 lineno);
}

/* ---------------------------------------------------------------- the final */

static void game_final(game_run *g)
{
    set_state(g, GR_FINAL);
    if (g->refused)
        return;
    bool tie = g->game->score[0] == g->game->score[1];
    bs_result_free(&g->result);
    g->have_result = false;
    g->result_due = true;
    g->result_done = false;
    if (bs_result_of(g->game, &g->result)) {
        log_game(LOG_ERROR, g->id, "out of memory computing this game's result: teams2/players2 are not written");
        g->result_due = false;
        g->app->exit_code = PL_EXIT_RUNTIME;
        return;
    }
    if (tie)
        log_game(LOG_WARN, g->id, "the game ended in a tie (%d-%d): no team's wins or losses change",
                 g->game->score[0], g->game->score[1]);
    g->have_result = true;
    app_results_kick(g->app);
    queue_newest_first(g);
    if (g->reload_wanted) /* a roster fix is due: read it now, the tables are written again */
        app_ref_kick(g->app);
}

/* ---------------------------------------------------------------- folding */

/* The run's id: FNV-1a of its first line (at most BS_MAX_LINE bytes), whatever the
 * chunking. Known before the first document, which needs a complete first line. */
static void hash_run(game_run *g, const char *data, size_t len)
{
    if (g->run_known) /* only the first line names the run */
        return;
    for (size_t i = 0; i < len && !g->run_known; i++) {
        if (data[i] == '\n' || g->run_hashed == BS_MAX_LINE) {
            g->run_known = true;
            break;
        }
        g->run_hash = bs_fnv1a32(g->run_hash, data + i, 1);
        g->run_hashed++;
    }
    snprintf(g->run_id, sizeof g->run_id, "%08x", g->run_hash);
}

/* A run's first bytes are folded: forget what another run (or this one beyond its
 * last event, e.g. the same game replayed from the start) left in the sink. */
static void forget_other_runs(game_run *g, long keep_upto)
{
    sq_forget f = {false, "", keep_upto};
    snprintf(f.run, sizeof f.run, "%s", g->run_id);
    queue_forget(g, f);
}

static void fold_done(game_run *g)
{
    g->folding = false;
    uv_idle_stop(&g->fold_idle);
    if (g->fold_is_run_start) {
        g->fold_is_run_start = false;
        forget_other_runs(g, g->game->state == BS_PREGAME ? LONG_MIN : g->game->last_id);
    }
    if (g->changed)
        gr_poll(g);
    app_game_settled(g->app, g);
    app_check_done(g->app);
}

/* Folds the pending chunk for at most --fold-slice-us, then yields to the loop. */
static void fold_slice(uv_idle_t *h)
{
    game_run *g = h->data;
    if (app_stopping(g->app)) {
        fold_done(g);
        return;
    }
    uint64_t deadline = uv_hrtime() + (uint64_t)g->app->cfg->fold_slice_us * 1000u;
    bool was_final = g->game->state == BS_FINAL;
    long applied = g->game->n.applied;
    while (g->fold_off < g->fold_len) {
        size_t n = g->fold_len - g->fold_off;
        if (n > FOLD_PIECE)
            n = FOLD_PIECE;
        const char *d = g->fold_data + g->fold_off;
        hash_run(g, d, n);
        bs_feed_push(&g->feed, d, n);
        g->fold_off += n;
        if (g->feed.oom) {
            log_game(LOG_ERROR, g->id, "out of memory folding %s: stopping; what is folded is still written",
                     g->l_src.uri);
            app_drain_then_stop(g->app, PL_EXIT_RUNTIME);
            return;
        }
        if (uv_hrtime() >= deadline)
            break;
    }
    if (g->game->n.applied != applied)
        show_progress(g);
    if (!was_final && g->game->state == BS_FINAL)
        game_final(g);
    if (g->fold_off == g->fold_len)
        fold_done(g);
}

static void fold_start(game_run *g, const char *data, size_t len, bool run_start)
{
    g->fold_data = data;
    g->fold_len = len;
    g->fold_off = 0;
    g->fold_is_run_start = run_start;
    g->folding = true;
    uv_idle_start(&g->fold_idle, fold_slice);
}

/* Makes the game of a new run over the newest rows and folds the run's first bytes. */
static void start_run_game(game_run *g)
{
    bs_game_free(g->game); /* a new run: the old game pointed at the old rows */
    g->game = NULL;
    app_ref_release(g->snap);
    g->snap = app_ref_hold(g->app->ref);
    for (int s = 0; s < 2; s++)
        if (!bs_ref_team(&g->snap->rows, s ? g->away : g->home))
            log_game(LOG_WARN, g->id, "team %d is not in %s: its name and record are null until the reference "
                     "gains it", s ? g->away : g->home, g->app->l_ref.uri);
    g->game = bs_game_new(&g->snap->rows, g->home, g->away, g->id);
    if (!g->game) {
        log_game(LOG_ERROR, g->id, "out of memory creating the game");
        app_drain_then_stop(g->app, PL_EXIT_RUNTIME);
        return;
    }
    bs_feed_hooks hooks = {on_applied, on_rejected, g};
    bs_feed_init(&g->feed, g->game, &hooks);
    g->reloading = false;
    fold_start(g, g->fold_data, g->fold_len, true);
}

/* New reference rows mid-run: the game moves onto them, as if folded over them. */
static void rebase_game(game_run *g)
{
    g->reload_wanted = false;
    if (g->snap == g->app->ref)
        return;
    bs_game *n = bs_game_rebase(g->game, &g->app->ref->rows);
    if (!n) {
        log_game(LOG_ERROR, g->id, "out of memory moving the game onto the new reference; keeping the old one");
        return;
    }
    bs_game_free(g->game);
    app_ref_release(g->snap);
    g->snap = app_ref_hold(g->app->ref);
    g->game = n;
    g->feed.game = n;
    log_game(LOG_INFO, g->id, "moved onto the reference read again (%zu teams, %zu players)", g->snap->rows.nteams,
             g->snap->rows.nplayers);
    uint64_t seen = g->fold_seen_ns; /* new rows, not a change in the stream: no freshness for it */
    g->fold_seen_ns = 0;
    queue_current(g);
    g->fold_seen_ns = seen;
    if (n->state == BS_FINAL) /* the tables follow the rows the final document shows */
        game_final(g);
}

/* True when a team of the game is missing from the rows its fold points into. */
static bool team_missing(const game_run *g)
{
    return g->snap && (!bs_ref_team(&g->snap->rows, g->home) || !bs_ref_team(&g->snap->rows, g->away));
}

void gr_ref_loaded(game_run *g)
{
    if (g->reloading)
        start_run_game(g);
    else if (g->game && (g->reload_wanted || g->game->state == BS_PREGAME || team_missing(g)))
        rebase_game(g); /* a team missing from teams takes its name and record when the rows gain it */
}

void gr_ref_failed(game_run *g, bool for_good)
{
    if (!g->reloading || !g->app->ref)
        return;
    log_game(LOG_WARN, g->id, "the game goes on with the reference read before; it is moved onto new rows when %s "
             "answers", g->app->l_ref.uri);
    start_run_game(g);
    g->reload_wanted = !for_good;
}

/* A run of the stream begins (the first bytes seen, or the object was rewritten from
 * its first line): the reference is read again (an operator may have fixed a roster
 * since), and these bytes wait until it is back. Their buffer stays valid: no poll
 * starts while reloading. */
static void begin_run(game_run *g, const cn_chunk *c)
{
    if (c->restart) {
        log_game(LOG_WARN, g->id, "%s was rewritten from the start (now %" PRIu64
                 " bytes): the game restarted, run %ld begins", g->l_src.uri, c->size, g->run + 1);
        /* the old run's documents still waiting are stale: they go, and so does what
         * the sink holds of that run */
        while (sq_drop_newest_put(&g->q, sq_front(&g->q)))
            g->app->metrics.sink[PL_SINK_BOXSCORES].dropped++;
        g->stale = false;
        queue_forget(g, (sq_forget){true, "", 0});
        set_state(g, GR_SCHEDULED);
    }
    g->run++;
    g->run_hash = BS_FNV1A32_BASIS;
    g->run_hashed = 0;
    g->run_known = false;
    g->once_reread = false;
    g->result_due = g->result_done = g->have_result = false;
    bs_result_free(&g->result);
    g->fold_data = c->data;
    g->fold_len = c->len;
    g->reloading = true;
    g->app->ref_wanted = true;
    app_ref_kick(g->app);
}

/* The source's poll came back with st (the lane is free again, and reset when st is OK). */
static void polled(game_run *g, cn_status st, const cn_chunk *c, const cn_error *err)
{
    pl_source_counters *m = &g->app->metrics.src[g->app->metrics.source_scheme];
    m->polls++;
    m->requests++;
    if (st != CN_OK) {
        if (st == CN_NOT_FOUND) /* the game has not started: an alert on errors must not fire before every game */
            m->polls_waiting++;
        else
            m->poll_errors++;
        g->changed = true; /* nothing was read: under a prefix the retry must read, not wait for a listing */
        if (st == CN_NOT_FOUND && g->per_game_keys && g->app->cfg->once) {
            /* game.json and no stream yet: the source holds nothing of it, so --once says
             * so and does not wait (the listing reads it on a later run) */
            g->polled = true;
            log_game(LOG_INFO, g->id, "--once: %s is not there yet: the game is scheduled, not waited for",
                     g->l_src.uri);
            app_check_done(g->app);
            return;
        }
        if (!app_stopping(g->app) && !lane_failed(&g->l_src, err)) {
            g->l_src.gave_up = true;
            g->app->exit_code = PL_EXIT_RUNTIME;
            if (!g->per_game_keys) /* the only game: nothing more to fold */
                app_drain_then_stop(g->app, PL_EXIT_RUNTIME);
            else
                log_game(LOG_ERROR, g->id, "gave up on its stream; the other games go on");
        }
        app_check_done(g->app);
        return;
    }
    g->polled = true;
    g->polls++;
    g->bytes_read += c->transferred;
    m->bytes += c->transferred;
    if (c->len > 0) { /* found by this read, or by the listing that said the stream moved */
        g->fold_seen_ns = g->moved_ns ? g->moved_ns : uv_hrtime();
        g->last_moved_ms = uv_now(&g->app->loop);
        if (g->state == GR_STALLED) { /* moving again: the newest document says so at once */
            set_state(g, GR_IN_PROGRESS);
            queue_current(g);
        }
    }
    g->moved_ns = 0;
    g->object_size = c->size;
    g->whole_reads += c->size;
    if (c->restart || (c->offset == 0 && c->len > 0)) {
        g->partial_polls = 0;
        begin_run(g, c);
    } else if (g->game && c->len > 0) {
        g->partial_polls = 0;
        fold_start(g, c->data, c->len, false);
    } else if (g->game && (g->feed.reader.len > 0 || g->feed.reader.overlong) && g->game->state != BS_FINAL &&
               ++g->partial_polls == PARTIAL_WARN_POLLS && !g->said_partial) {
        g->said_partial = true;
        log_game(LOG_WARN, g->id, "%s line %ld has no newline after %d polls (%zu bytes so far): it is not folded "
                 "until the producer ends it", g->l_src.uri, g->feed.reader.lineno, PARTIAL_WARN_POLLS,
                 g->feed.reader.len);
    }
    if (g->changed && !g->folding) /* pushed while this poll was in flight: it may have missed the write */
        gr_poll(g);
    app_game_settled(g->app, g);
    app_check_done(g->app);
}

static void poll_done(job *j)
{
    polled(j->g, j->st, &j->chunk, &j->err);
    job_free(j);
}

void gr_check_stall(game_run *g)
{
    const app *a = g->app;
    if (g->state != GR_IN_PROGRESS || a->cfg->stall_after_s <= 0 || app_stopping(a))
        return;
    uint64_t quiet = uv_now(&a->loop) - g->last_moved_ms;
    if (quiet < (uint64_t)a->cfg->stall_after_s * 1000)
        return;
    set_state(g, GR_STALLED);
    log_game(LOG_WARN, g->id, "its stream has not changed for %" PRIu64 " s (--stall-after %d): stalled", quiet / 1000,
             a->cfg->stall_after_s);
    queue_current(g);
}

void gr_push(game_run *g)
{
    if (!g->moved_ns) /* freshness counts from the push that said the stream moved */
        g->moved_ns = uv_hrtime();
    g->changed = true;
    gr_poll(g);
}

void gr_poll(game_run *g)
{
    app *a = g->app;
    if (app_stopping(a) || g->reloading || g->folding || !a->ref || !lane_free(&g->l_src) || g->refused || g->paused)
        return;
    if (a->cfg->once && g->polled)
        return;
    if (g->per_game_keys && !g->changed) /* under a prefix the listing says when to read */
        return;
    job *j = job_new(a, g, &g->l_src, JOB_POLL, poll_done);
    if (j) {
        j->src = &g->src;
        g->changed = false;
        job_submit(j);
    }
}

static void poll_kick(void *owner)
{
    gr_poll(owner);
}

/* ---------------------------------------------------------------- writes done */

void gr_sink_done(game_run *g, cn_status st, const cn_error *err)
{
    app *a = g->app;
    sq_item *it = sq_at(&g->q, 0);
    if (st == CN_OK) {
        if (it->kind == SQ_FORGET && g->claim_pending) { /* no other source's game is there: writes may start */
            g->claim_pending = false;
            app_results_kick(a);
        }
        if (it->kind == SQ_PUT) {
            log_game(LOG_DEBUG, g->id, "document %ld written", it->id);
            a->metrics.documents_written++;
            if (it->detected_ns)
                pl_hist_observe(&a->metrics.freshness, (double)(uv_hrtime() - it->detected_ns) / 1e9);
        }
    } else if (st == CN_CONFLICT) {
        g->q.head_busy = false;
        gr_refuse(g, err);
        return;
    } else if (st == CN_INPUT && it->kind != SQ_FORGET) {
        log_game(LOG_ERROR, g->id, "%s %s refused %s %ld: %s; skipping it", a->l_sinks[0].what, a->l_sinks[0].uri,
                 it->kind == SQ_PUT ? "document" : "the record of rejected line", it->id, err->msg);
    } else {
        g->q.head_busy = false; /* the app decides: retry later, or give up on the sink */
        return;
    }
    sq_pop(&g->q);
    queue_refill(g);
}

void gr_refuse(game_run *g, const cn_error *err)
{
    if (g->refused)
        return;
    g->refused = true;
    log_game(LOG_ERROR, g->per_game_keys ? g->id : NULL, "refused: %s. Game ids must be unique across every source "
             "that writes to these sinks (put the date in the folder name, e.g. 2026-11-29-game-001); nothing more of "
             "this game is written, the other games go on", err->msg);
    g->app->metrics.games_refused++;
    g->app->exit_code = PL_EXIT_RUNTIME;
    for (size_t i = g->q.len; i-- > sq_front(&g->q);) /* a write in flight finishes; nothing after it */
        sq_remove(&g->q, i);
    g->stale = false;
    g->result_due = g->have_result = false;
    bs_result_free(&g->result);
    g->reload_wanted = false; /* nothing of it waits for the reference any more */
    g->l_src.gave_up = true; /* not read again in this process */
    lane_stop(&g->l_src);
    if (!g->per_game_keys) /* the only game: nothing more to do */
        app_drain_then_stop(g->app, PL_EXIT_RUNTIME);
}

void gr_results_done(game_run *g, cn_status st, bs_result *rows, const cn_error *err, const cn_error *refused)
{
    (void)err;
    g->result_busy = false;
    if (st == CN_OK && refused && refused->status) {
        gr_refuse(g, refused);
    } else if (st == CN_OK) {
        g->result_done = !g->have_result; /* unless a restarted game ended again meanwhile */
        log_game(LOG_INFO, g->per_game_keys ? g->id : NULL, "wrote teams2 (%zu rows) and players2 (%zu rows) to %s",
                 g->snap->rows.nteams, g->snap->rows.nplayers, g->app->l_res.uri);
    } else if (!g->have_result && g->result_due) {
        g->result = *rows; /* hand the rows back for the retry */
        memset(rows, 0, sizeof *rows);
        g->have_result = true;
    }
}

/* ---------------------------------------------------------------- life */

void gr_stop(game_run *g)
{
    if (g->folding && g->fold_is_run_start && g->claim_pending && g->run_known) {
        /* stopped in the middle of a run's first fold: the source check (a forget) still
         * goes first, or no write could go out in the grace period; it removes only other
         * runs' documents, since this run's later ones were not folded again */
        forget_other_runs(g, LONG_MAX);
    }
    uv_idle_stop(&g->fold_idle);
    g->folding = false;
    lane_stop(&g->l_src);
    queue_newest_first(g);
}

bool gr_sink_pending(const game_run *g)
{
    return !g->app->sink_gave_up && (g->q.len > 0 || g->stale);
}

bool gr_written(const game_run *g)
{
    return !g->app->sink_gave_up && g->q.len == 0 && !g->stale && !(g->result_due && !g->result_done);
}

bool gr_results_pending(const game_run *g)
{
    return !g->app->l_res.gave_up && g->result_due && !g->result_done;
}

bool gr_done(const game_run *g)
{
    return !g->refused && g->game && g->game->state == BS_FINAL && !g->reloading && !g->folding && !gr_sink_pending(g) &&
           !g->q.head_busy && !gr_results_pending(g) && !g->result_busy && !g->reload_wanted;
}

bool gr_once_done(const game_run *g)
{
    return (g->polled || g->l_src.gave_up) && !g->l_src.busy && !g->reloading && !g->folding &&
           !gr_sink_pending(g) && !g->q.head_busy && !gr_results_pending(g) && !g->result_busy &&
           !g->reload_wanted;
}

void gr_show(game_run *g)
{
    if (g->game)
        show_progress(g);
}

void gr_report(game_run *g)
{
    if (!g->game)
        return;
    log_game(LOG_INFO, g->per_game_keys ? g->id : NULL,
             "done: %ld events applied, %ld lines rejected, %ld duplicates, %ld box scores coalesced, "
             "%ld rejected-line records dropped; %ld polls read %" PRIu64 " bytes of a %" PRIu64
             "-byte stream (whole-object reads: %" PRIu64 " bytes)",
             g->game->n.applied, g->game->n.rejected, g->game->n.duplicates, g->coalesced, g->rejects_dropped,
             g->polls, g->bytes_read, g->object_size, g->whole_reads);
}

/* The fold's idle handle and the stream lane's timer, each closed: freed after both. */
static void closed_one(game_run *g)
{
    if (--g->handles_open > 0)
        return;
    cn_source_close(&g->src);
    bs_game_free(g->game);
    app_ref_release(g->snap);
    sq_free(&g->q);
    bs_result_free(&g->result);
    free(g->source);
    free(g);
}

static void idle_closed(uv_handle_t *h)
{
    closed_one(h->data);
}

static void lane_closed(lane *l)
{
    closed_one(l->owner);
}

game_run *gr_new(app *a, const char *id, const char *source_uri, int home, int away, bool per_game_keys,
                 cn_status *st)
{
    *st = CN_FATAL;
    game_run *g = calloc(1, sizeof *g);
    size_t srclen = strlen(source_uri) + 1; /* what cn_uri_source writes is never longer */
    if (!g || !(g->source = malloc(srclen))) {
        log_game(LOG_ERROR, id, "out of memory starting the game");
        free(g);
        return NULL;
    }
    sq_init(&g->q, (size_t)a->cfg->queue_max, (size_t)a->cfg->queue_max_mib << 20);
    g->last_moved_ms = uv_now(&a->loop);
    cn_error err = {0};
    if ((*st = cn_source_open(&g->src, source_uri, &a->cfg->conn, &err))) {
        log_game(LOG_ERROR, id, "%s", err.msg);
        sq_free(&g->q);
        free(g->source);
        free(g);
        return NULL;
    }
    g->app = a;
    sq_share(&g->q, &a->pending_bytes, (size_t)a->cfg->queue_total_mib << 20);
    snprintf(g->id, sizeof g->id, "%s", id);
    cn_uri_source(source_uri, g->source, srclen);
    g->claim_pending = true;
    g->home = home;
    g->away = away;
    g->per_game_keys = per_game_keys;
    g->run = -1; /* the first bytes start run 0 */
    lane_init(&g->l_src, &a->loop, &a->pol, "stream source", source_uri, per_game_keys ? g->id : NULL, poll_kick, g);
    uv_idle_init(&a->loop, &g->fold_idle);
    g->fold_idle.data = g;
    return g;
}

void gr_free(game_run *g)
{
    g->handles_open = 2;
    uv_close((uv_handle_t *)&g->fold_idle, idle_closed);
    lane_close(&g->l_src, lane_closed);
}
