/*
 * sinks.c — the box-score sinks, their lanes and the fan-out. See sinks.h.
 */
#include "sinks.h"

#include <stdio.h>
#include <string.h>

#include "game_run.h"
#include "log.h"
#include "outbox.h"

static void sink_done(job *j);
static void index_done(job *j);

static void kick_cb(void *owner)
{
    app_sink_kick(owner);
}

static void index_tick_cb(uv_timer_t *t)
{
    app *a = t->data;
    for (int s = 0; s < a->nbs; s++)
        a->bs[s].index_wanted = a->bs[s].has_index;
    app_sink_kick(a);
}

void sinks_init(app *a)
{
    const pl_config *c = a->cfg;
    uv_timer_init(&a->loop, &a->index_tick);
    a->index_tick.data = a;
    a->nbs = c->boxscores.n; /* 1..PL_BSINKS_MAX (main.c) */
    for (int s = 0; s < a->nbs; s++) {
        pl_bsink *b = &a->bs[s];
        b->ix = s;
        const char *uri = c->boxscores.v[s], *colon = strstr(uri, "://");
        int scheme = colon ? (int)(colon - uri) : 0, same = 0;
        for (int t = 0; t < s; t++)
            same += !strncmp(c->boxscores.v[t], uri, (size_t)scheme + 3);
        if (a->nbs == 1) /* one sink: its label stays what it always was */
            snprintf(b->name, sizeof b->name, "boxscores");
        else if (same)
            snprintf(b->name, sizeof b->name, "boxscores-%.*s-%d", scheme > 16 ? 16 : scheme, uri, same + 1);
        else
            snprintf(b->name, sizeof b->name, "boxscores-%.*s", scheme > 16 ? 16 : scheme, uri);
        b->nconns = c->sink_lanes; /* 1..PL_SINK_LANES_MAX: the option table's range (main.c) */
        for (int i = 0; i < b->nconns; i++)
            lane_init(&b->lanes[i], &a->loop, &a->pol, "box-score sink", uri, NULL, kick_cb, a);
    }
}

int sinks_open(app *a)
{
    for (int s = 0; s < a->nbs; s++) {
        pl_bsink *b = &a->bs[s];
        for (int i = 0; i < b->nconns; i++) {
            cn_error err = {0};
            if (cn_boxscore_open(&b->conns[i], b->lanes[i].uri, &a->cfg->conn, &err) != CN_OK) {
                for (int k = 0; k < i; k++)
                    cn_boxscore_close(&b->conns[k]);
                b->nconns = i;
                for (int t = s + 1; t < a->nbs; t++)
                    a->bs[t].nconns = 0; /* not opened: nothing to close */
                log_msg(LOG_ERROR, "%s", err.msg);
                return err.status == CN_CONFIG ? PL_EXIT_USAGE : PL_EXIT_RUNTIME;
            }
        }
        b->newest_only = b->conns[0].ops->newest_only;
        b->has_index = b->conns[0].ops->put_index && a->cfg->index_interval_ms > 0;
        if (b->has_index && !uv_is_active((uv_handle_t *)&a->index_tick))
            uv_timer_start(&a->index_tick, index_tick_cb, (uint64_t)a->cfg->index_interval_ms,
                           (uint64_t)a->cfg->index_interval_ms);
    }
    return PL_EXIT_OK;
}

/* ---------------------------------------------------------------- the calls, on a worker */

static cn_boxscore *conn_of(job *j)
{
    return &j->bs->conns[j->conn];
}

static void put_work(job *j) /* the sink stores the bytes serialised once, on the loop */
{
    cn_doc d = {.game = j->game, .id = j->id, .text = j->text, .len = j->len};
    uint64_t began = uv_hrtime();
    j->st = conn_of(j)->ops->put(conn_of(j)->impl, &d, &j->err);
    j->call_ns = uv_hrtime() - began;
}

static void reject_work(job *j)
{
    json_t *rec = json_loadb(j->text, j->len, 0, NULL);
    j->st = rec ? conn_of(j)->ops->reject(conn_of(j)->impl, rec, &j->err)
                : cn_fail(&j->err, CN_FATAL, "out of memory reading back a queued record");
    json_decref(rec);
}

static void forget_work(job *j)
{
    j->st = conn_of(j)->ops->forget(conn_of(j)->impl, j->game, j->source, j->all ? NULL : j->run, j->keep_upto,
                                    &j->err);
}

static void index_work(job *j)
{
    j->st = conn_of(j)->ops->put_index(conn_of(j)->impl, j->data, j->datalen, &j->err);
}

/* ---------------------------------------------------------------- on the loop */

/* One sink failed for good: given up on its own; the other sinks and the results go on. */
static void gave_up(app *a, pl_bsink *b)
{
    if (b->gave_up)
        return; /* said once, for every connection */
    b->gave_up = true;
    for (int i = 0; i < b->nconns; i++)
        b->lanes[i].gave_up = true;
    a->exit_code = PL_EXIT_RUNTIME;
    log_msg(LOG_ERROR, "gave up on %s %s (%s); the other sinks are not affected", b->lanes[0].what, b->lanes[0].uri,
            b->name);
    for (size_t i = 0; i < a->ngames; i++)
        ob_sink_gave_up(a->games[i], b->ix);
    app_results_kick(a); /* results that waited for this sink's check of the game's source go now */
}

/* Starts the next write of one game, in turn, on connection ix of sink b. */
static bool start(app *a, pl_bsink *b, int ix)
{
    for (size_t k = 0; k < a->nwaiting;) {
        size_t i = (b->next + k) % a->nwaiting;
        game_run *g = a->waiting[i];
        if (g->q.len == 0) { /* written by every sink: it leaves the list (the last one takes its place) */
            ob_unlist(g);
            continue;
        }
        sq_item *it = ob_next(g, b->ix);
        if (!it) {
            k++;
            continue;
        }
        b->next = i + 1;
        job *j = job_new(a, g, &b->lanes[ix], it->kind == SQ_PUT ? put_work : it->kind == SQ_REJECT ? reject_work
                                                                                                      : forget_work,
                         sink_done);
        if (!j)
            return false;
        j->bs = b;
        j->conn = ix;
        j->seq = it->seq;
        j->forget = it->kind == SQ_FORGET;
        j->game = g->id;
        j->source = g->source;
        j->text = it->text;
        j->len = it->bytes;
        j->id = it->id;
        j->all = it->forget.all;
        memcpy(j->run, it->forget.run, sizeof j->run);
        j->keep_upto = it->forget.keep_upto;
        it->busy |= (uint8_t)(1u << b->ix);
        job_submit_write(j);
        return true;
    }
    return false;
}

/* The scoreboard brought up to date once per kick (a hash per game): false when out of
 * memory (the index waits for the next tick). */
static bool scoreboard_now(app *a, bool *fresh)
{
    if (*fresh)
        return true;
    if (sb_update(&a->sb, a)) {
        log_msg(LOG_WARN, "out of memory rendering index.json; it is written at the next --index-interval-ms");
        return false;
    }
    return *fresh = true;
}

/* Writes sink b's index.json on connection ix when it is wanted and changed; true when a
 * write started. */
static bool start_index(app *a, pl_bsink *b, int ix, bool *fresh)
{
    if (!b->index_wanted || b->index_busy || !scoreboard_now(a, fresh))
        return false;
    if (a->sb.key == b->index_key) {
        b->index_wanted = false; /* nothing new since the last one */
        return false;
    }
    job *j = job_new(a, NULL, &b->lanes[ix], index_work, index_done);
    char *copy = j ? malloc(a->sb.body_len) : NULL;
    if (!copy) {
        free(j);
        return false;
    }
    memcpy(copy, a->sb.body, a->sb.body_len);
    j->data = copy;
    j->datalen = a->sb.body_len;
    j->bs = b;
    j->conn = ix;
    j->seq = a->sb.key;
    b->index_busy = true;
    b->index_wanted = false;
    job_submit_write(j);
    return true;
}

void sinks_kick(app *a)
{
    if (app_stopping(a) && a->phase != APP_DRAINING)
        return;
    bool fresh = false;
    for (int s = 0; s < a->nbs; s++) {
        pl_bsink *b = &a->bs[s];
        if (b->gave_up)
            continue;
        /* a failing sink is retried by one connection, with backoff; a connection that ran
         * out of descriptors waits alone: the sink is not failing, and the others may find
         * what it lacked (holding them all back for its backoff idled the sink while the
         * process's other calls took the few descriptors it waited for) */
        bool retrying = false;
        for (int i = 0; i < b->nconns && !retrying; i++)
            retrying = uv_is_active((uv_handle_t *)&b->lanes[i].retry) && !b->lanes[i].out_of_descriptors;
        for (int i = 0; i < b->nconns && !retrying; i++)
            if (lane_free(&b->lanes[i]) && !start_index(a, b, i, &fresh) && !start(a, b, i))
                break;
    }
}

bool sinks_index_pending(app *a)
{
    bool fresh = false, pending = false;
    for (int s = 0; s < a->nbs; s++) {
        pl_bsink *b = &a->bs[s];
        if (!b->has_index || b->gave_up)
            continue;
        if (b->index_busy || (scoreboard_now(a, &fresh) && a->sb.key != b->index_key))
            pending = b->index_wanted = true;
    }
    if (pending)
        sinks_kick(a);
    return pending;
}

static void index_done(job *j)
{
    app *a = j->a;
    pl_bsink *b = j->bs;
    b->index_busy = false;
    bool retried = false;
    if (j->st == CN_OK)
        b->index_key = j->seq;
    else if (app_may_retry(j, true) && !(retried = lane_failed(j->l, &j->err)))
        gave_up(a, b);
    else
        b->index_wanted = true; /* again after the backoff */
    app_count_write(a, PL_SINK_BOXSCORES + b->ix, j->st, retried);
    app_sink_kick(a);
    job_free(j);
    app_check_done(a);
}

static void sink_done(job *j)
{
    app *a = j->a;
    game_run *g = j->g;
    pl_bsink *b = j->bs;
    ob_done(g, b->ix, j->seq, j->st, &j->err);
    if (j->call_ns && j->st == CN_OK) /* a document acknowledged: the sink's own share of its freshness */
        pl_hist_observe(&a->metrics.sink_write[b->ix], (double)j->call_ns / 1e9);
    bool retried = false;
    if (j->st != CN_OK && j->st != CN_CONFLICT && !(j->st == CN_INPUT && !j->forget) && app_may_retry(j, true) &&
        !(retried = lane_failed(j->l, &j->err)))
        gave_up(a, b);
    app_count_write(a, PL_SINK_BOXSCORES + b->ix, j->st, retried);
    app_sink_kick(a);
    app_game_settled(a, g);
    job_free(j);
    app_check_done(a);
}

bool sinks_busy(const app *a)
{
    for (int s = 0; s < a->nbs; s++)
        for (int i = 0; i < a->bs[s].nconns; i++)
            if (a->bs[s].lanes[i].busy)
                return true;
    return false;
}

void sinks_stop(app *a)
{
    for (int s = 0; s < a->nbs; s++)
        for (int i = 0; i < a->bs[s].nconns; i++)
            lane_stop(&a->bs[s].lanes[i]);
}

void sinks_close_lanes(app *a)
{
    uv_close((uv_handle_t *)&a->index_tick, NULL);
    sb_free(&a->sb);
    for (int s = 0; s < a->nbs; s++)
        for (int i = 0; i < a->cfg->sink_lanes; i++) /* every lane was set up, opened or not */
            lane_close(&a->bs[s].lanes[i], NULL);
}

void sinks_close(app *a)
{
    for (int s = 0; s < a->nbs; s++)
        for (int i = 0; i < a->bs[s].nconns; i++)
            cn_boxscore_close(&a->bs[s].conns[i]);
}

bool sinks_report_unwritten(app *a, game_run *g)
{
    bool any = false;
    for (int s = 0; s < a->nbs; s++) {
        pl_bsink *b = &a->bs[s];
        size_t n = b->gave_up ? g->q.len : sq_depth(&g->q, s, false, b->newest_only);
        /* counted whether the sink is still tried or was given up */
        if (n > 0 || g->stale || (b->gave_up && g->game && g->game->state != BS_PREGAME)) {
            log_game(LOG_ERROR, g->per_game_keys ? g->id : NULL, "%zu box-score writes%s were not made to %s; run "
                     "again with the same options to write them (upserts by _id are idempotent)", n,
                     g->stale || b->gave_up ? " and the newest box score" : "", b->lanes[0].uri);
            any = true;
        }
    }
    return any;
}

void sinks_describe(const app *a, char *buf, size_t len)
{
    size_t n = 0;
    buf[0] = '\0';
    for (int s = 0; s < a->nbs && n < len; s++)
        n += (size_t)snprintf(buf + n, len - n, "%s%s", s ? " + " : "", a->bs[s].lanes[0].uri);
}
