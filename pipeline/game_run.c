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
#include "outbox.h"

#define FOLD_PIECE 1024         /* bytes pushed between two looks at the clock */
#define PARTIAL_WARN_POLLS 8    /* polls a partial last line may wait before a warning */


const char *gr_state_name(gr_state s)
{
    return s == GR_SCHEDULED ? "scheduled" : s == GR_IN_PROGRESS ? "in_progress" : s == GR_STALLED ? "stalled" : "final";
}

/* The reference rows the game's teams are named from. */
static const bs_ref *summary_rows(const game_run *g)
{
    return g->game ? g->game->ref : g->app->ref ? &g->app->ref->rows : NULL;
}

static json_t *team_json(const bs_ref *rows, int teamid, int score)
{
    const bs_team *t = rows ? bs_ref_team(rows, teamid) : NULL;
    return json_pack("{s:i, s:s?, s:i}", "teamid", teamid, "name", t ? t->name : NULL, "score", score);
}

json_t *gr_summary(const game_run *g)
{
    const bs_game *st = g->game;
    const bs_ref *rows = summary_rows(g);
    bool started = st && st->state != BS_PREGAME;
    char clk[8] = "", qclk[8] = "";
    if (st) {
        bs_format_clock(st->clock, clk);
        bs_format_quarter_clock(st->clock, qclk);
    }
    return json_pack("{s:s, s:s, s:o, s:o, s:o, s:o, s:o, s:o, s:o}", "game", g->id, "state",
                     gr_state_name(g->state), "home", team_json(rows, st ? st->teamid[0] : g->home, st ? st->score[0] : 0),
                     "away", team_json(rows, st ? st->teamid[1] : g->away, st ? st->score[1] : 0), "period",
                     started ? json_integer(bs_period(st->clock)) : json_null(), "timestamp",
                     started ? json_string(clk) : json_null(), "quarter_clock",
                     started ? json_string(qclk) : json_null(), "event_id",
                     started ? json_integer((json_int_t)st->last_id) : json_null(), "updated_at",
                     g->updated_at[0] ? json_string(g->updated_at) : json_null());
}

static uint64_t key_str(uint64_t h, const char *str)
{
    return str ? bs_fnv1a64(h, str, strlen(str) + 1) : bs_fnv1a64(h, "\xff", 1); /* NULL differs from "" */
}

uint64_t gr_summary_key(const game_run *g, uint64_t h)
{
    const bs_game *st = g->game;
    const bs_ref *rows = summary_rows(g);
    long long v[9] = {g->state, st != NULL, st ? st->state : 0, st ? st->teamid[0] : g->home,
                      st ? st->teamid[1] : g->away, st ? st->score[0] : 0, st ? st->score[1] : 0,
                      st ? st->clock : 0, st ? st->last_id : 0};
    h = key_str(bs_fnv1a64(h, v, sizeof v), g->updated_at);
    for (int i = 0; i < 2; i++) {
        const bs_team *t = rows ? bs_ref_team(rows, (int)v[3 + i]) : NULL;
        h = key_str(h, t ? t->name : NULL);
    }
    return h;
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
    ob_queue_current(g);
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
    ob_queue_reject(g, json_pack("{s:s, s:s, s:o, s:I, s:o, s:o, s:b, s:s}", "_id", id, "game", g->id, "source",
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
    ob_queue_newest_first(g);
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
    ob_queue_forget(g, f);
}

/* Folding stops with the process. In the middle of a run's first fold the source check (a
 * forget) still goes first, or no write could go out in the grace period; it removes only
 * other runs' documents, since this run's later ones were not folded again. With nothing
 * folded yet (the run's first line unknown) nothing is forgotten: a forget keeping nothing
 * of an unnamed run would delete every document the sinks hold of the game. */
static void fold_stop(game_run *g)
{
    if (g->folding && g->fold_is_run_start && g->claim_pending && g->run_known)
        forget_other_runs(g, LONG_MAX);
    g->fold_is_run_start = false;
    uv_idle_stop(&g->fold_idle);
    g->folding = false;
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
    if (app_stopping(g->app)) { /* what is folded still goes out; the rest is read again at the next start */
        fold_stop(g);
        app_game_settled(g->app, g);
        app_check_done(g->app);
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
    ob_queue_current(g);
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

/* True when the reference held was read at most --reference-max-age-ms ago: a run that
 * begins now takes it as the roster at game time. Thousands of games that start within a
 * minute then share a read a second instead of queueing one after another (each read of a
 * 200,000-player league takes a worker ~0.1 s and a snapshot's memory). */
static bool ref_fresh(const app *a)
{
    return a->ref && a->cfg->reference_max_age_ms > 0 &&
           uv_now(&a->loop) - a->ref_read_ms <= (uint64_t)a->cfg->reference_max_age_ms;
}

/* A run of the stream begins (the first bytes seen, or the object was rewritten from
 * its first line): the reference is read again (an operator may have fixed a roster
 * since) unless it was read within --reference-max-age-ms, and these bytes wait until it
 * is back. Their buffer stays valid: no poll starts while reloading. */
static void begin_run(game_run *g, const cn_chunk *c)
{
    if (c->restart) {
        log_game(LOG_WARN, g->id, "%s was rewritten from the start (now %" PRIu64
                 " bytes): the game restarted, run %ld begins", g->l_src.uri, c->size, g->run + 1);
        /* the old run's documents still waiting are stale: they go, and so does what
         * the sink holds of that run */
        ob_drop_waiting(g);
        ob_queue_forget(g, (sq_forget){true, "", 0});
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
    if (ref_fresh(g->app)) {
        start_run_game(g);
        return;
    }
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
        if (st == CN_NOT_FOUND && g->per_game_keys && !g->app->cfg->once) {
            /* game.json and no stream yet: the game has not started. The listing (one
             * request a tick for every game) or a push says when the stream appears, so it
             * is not read on a timer of its own: 1,000 scheduled games polling their absent
             * streams every backoff were ~130 requests a second against the store, and a
             * push that came during the backoff waited for it (up to --backoff-max-ms) */
            if (!g->absent)
                log_game(LOG_INFO, g->id, "stream source: %s; read when a listing shows it or a notification "
                         "names it", err->msg);
            g->absent = true;
            if (g->changed && !app_stopping(g->app)) /* pushed while this read was in flight: it may have missed it */
                gr_poll(g);
            app_check_done(g->app);
            return;
        }
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
    g->absent = false;
    g->polls++;
    g->read_listings = g->poll_listings;
    g->bytes_read += c->transferred;
    m->bytes += c->transferred;
    if (c->len > 0) { /* found by this read, or by the listing that said the stream moved */
        g->fold_seen_ns = g->moved_ns ? g->moved_ns : uv_hrtime();
        g->last_moved_ms = uv_now(&g->app->loop);
        if (g->state == GR_STALLED) { /* moving again: the newest document says so at once */
            set_state(g, GR_IN_PROGRESS);
            ob_queue_current(g);
        }
    }
    g->moved_ns = 0;
    g->object_size = c->size;
    g->whole_reads += c->size;
    if (app_stopping(g->app)) {
        /* it came back after the stop: nothing of it is folded (or forgotten), and the next
         * start reads it again. A run begun now would fold nothing, yet forget what the sinks
         * hold of the game */
    } else if (c->restart || (c->offset == 0 && c->len > 0)) {
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

static void poll_work(job *j)
{
    j->st = j->src->ops->poll(j->src->impl, &j->chunk, &j->err);
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
    ob_queue_current(g);
}

void gr_push(game_run *g)
{
    if (!g->moved_ns) /* freshness counts from the push that said the stream moved */
        g->moved_ns = uv_hrtime();
    g->changed = true;
    if (g->l_src.absent && !g->l_src.busy) /* waiting for the stream to appear: a push says it has, read now */
        lane_stop(&g->l_src);
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
    job *j = job_new(a, g, &g->l_src, poll_work, poll_done);
    if (j) {
        j->src = &g->src;
        g->changed = false;
        g->poll_listings = a->listings_begun;
        job_submit(j);
    }
}

static void poll_kick(void *owner)
{
    gr_poll(owner);
}

/* ---------------------------------------------------------------- writes done */

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
    ob_clear(g); /* a write in flight finishes; nothing after it */
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
        log_game(LOG_INFO, g->per_game_keys ? g->id : NULL,
                 "wrote teams2 and players2 to %s: this game's 2 teams and %zu players counted (of %zu teams, %zu players)",
                 g->app->l_res.uri, rows->nplayers, g->snap->rows.nteams, g->snap->rows.nplayers);
    } else if (!g->have_result && g->result_due) {
        g->result = *rows; /* hand the rows back for the retry */
        memset(rows, 0, sizeof *rows);
        g->have_result = true;
    }
}

/* ---------------------------------------------------------------- life */

void gr_stop(game_run *g)
{
    fold_stop(g);
    lane_stop(&g->l_src);
    ob_queue_newest_first(g);
}

bool gr_sink_pending(const game_run *g)
{
    return !app_sinks_all_gave_up(g->app) && (g->q.len > 0 || g->stale);
}

bool gr_written(const game_run *g)
{
    return !app_sinks_any_gave_up(g->app) && g->q.len == 0 && !g->stale && !(g->result_due && !g->result_done);
}

bool gr_results_pending(const game_run *g)
{
    return !g->app->l_res.gave_up && g->result_due && !g->result_done;
}

bool gr_done(const game_run *g)
{
    /* under a prefix, changed is a listing or a push saying the stream moved since the last
     * read (or a read that failed, to be retried): retired now, the change would never be
     * read, as the listing that saw it already noted the new size; a source given up on
     * (a 403, say: exit 1) is never read again, and the game retires as before */
    return !g->refused && g->game && g->game->state == BS_FINAL && !g->reloading && !g->folding && !gr_sink_pending(g) &&
           !sq_busy(&g->q) && !gr_results_pending(g) && !g->result_busy && !g->reload_wanted &&
           !(g->per_game_keys && g->changed && !g->l_src.gave_up);
}

bool gr_once_done(const game_run *g)
{
    return (g->polled || g->l_src.gave_up) && !g->l_src.busy && !g->reloading && !g->folding &&
           !gr_sink_pending(g) && !sq_busy(&g->q) && !gr_results_pending(g) && !g->result_busy &&
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
    for (int i = 0; i < a->nbs; i++) /* every sink checks its own store first */
        g->claim_pending |= (uint8_t)(1u << i);
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
    ob_unlist(g); /* the sinks no longer walk it */
    bool index = false; /* a retired game keeps its line in index.json */
    for (int s = 0; s < g->app->nbs; s++)
        index = index || g->app->bs[s].has_index;
    if (index && g->app->phase < APP_CLOSED)
        sb_keep(&g->app->sb, g);
    g->handles_open = 2;
    uv_close((uv_handle_t *)&g->fold_idle, idle_closed);
    lane_close(&g->l_src, lane_closed);
}
