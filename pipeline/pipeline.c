/*
 * pipeline.c — wires the connectors, the fold and the libuv loop together.
 *
 * Each connector has a lane: at most one call in flight on a worker thread, a
 * count of consecutive failures, and a retry timer. Lanes never block the loop;
 * the loop thread alone touches the game, the queue and the lanes, so nothing
 * here needs a lock. See pipeline.h for the life cycle.
 */
#include "pipeline.h"

#include <fcntl.h>
#include <inttypes.h>
#include <sys/stat.h>
#include <unistd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <uv.h>

#include "log.h"

#define BACKOFF_BASE_MS 250

typedef struct pl pl;
typedef struct lane {
    const char *what;       /* names the connector in logs */
    char uri[512];          /* the connector's URI with any password hidden */
    bool busy;
    int failures;
    bool said_waiting;
    uv_timer_t retry;
    void (*kick)(pl *p);
} lane;

typedef enum job_kind { JOB_LOAD, JOB_POLL, JOB_PUT, JOB_REJECT, JOB_FORGET, JOB_RESULTS } job_kind;

typedef struct job {
    uv_work_t req;
    pl *p;
    job_kind kind;
    cn_status st;
    cn_error err;
    cn_chunk chunk;
    bs_ref ref;
    const json_t *doc;
} job;

/* A pending write to the box-score sink, done strictly in queue order. */
typedef struct sink_item {
    job_kind kind;      /* JOB_PUT, JOB_REJECT or JOB_FORGET */
    json_t *doc;        /* the document or reject record; NULL for JOB_FORGET */
} sink_item;

struct pl {
    const pl_config *cfg;
    uv_loop_t loop;
    uv_timer_t poll;
    uv_signal_t sigint, sigterm;
    cn_source src;
    cn_reference refc;
    cn_boxscore sink;
    cn_results res;
    lane l_src, l_ref, l_sink, l_res;

    bs_ref ref;
    bs_game *game;
    bs_feed feed;
    long run;               /* game runs seen: a restart starts a new one */
    bool reloading;         /* a new run waits for the reference to be read again */
    char *held;             /* the new run's first bytes, folded once it is back */
    size_t held_len;
    long polls;             /* successful source polls */
    uint64_t bytes_read;    /* what those polls moved; compare with the object size */
    uint64_t object_size;
    uint64_t whole_reads;   /* what re-reading the whole object on every poll would have moved */

    sink_item *queue;       /* ring buffer of pending writes, oldest first */
    size_t qhead, qlen, qcap;
    long dropped;

    bs_ref standings;       /* rows waiting to be written; a results job takes them */
    bool have_standings;
    bool results_due, results_done;
    bool polled;            /* at least one poll succeeded (what --once waits for) */
    bool stopping, closed;
    bool draining;          /* stopping on a signal: pending writes still go out until grace ends */
    uv_timer_t grace;
    int exit_code;
    unsigned rng;
    atomic_int cancel_reads; /* tells a slow read on a worker thread to give up */
};

static void check_done(pl *p);
static void shutdown_with(pl *p, int code);

/* ---------------------------------------------------------------- helpers */

static uint64_t backoff_ms(pl *p, int failures)
{
    uint64_t d = BACKOFF_BASE_MS;
    for (int i = 1; i < failures && d < (uint64_t)p->cfg->backoff_max_ms; i++)
        d *= 2;
    if (d > (uint64_t)p->cfg->backoff_max_ms)
        d = (uint64_t)p->cfg->backoff_max_ms;
    /* equal jitter: half fixed, half random, so restarted clients spread out */
    return d / 2 + (uint64_t)(rand_r(&p->rng) % (d / 2 + 1));
}

static void retry_fired(uv_timer_t *t)
{
    lane *l = t->data;
    pl *p = t->loop->data;
    if (!p->stopping || p->draining)
        l->kick(p);
}

/* Logs a failed call and decides: retry later (returns true) or give up. */
static bool lane_failed(pl *p, lane *l, const cn_error *err)
{
    bool retryable = err->status == CN_TRANSIENT || err->status == CN_NOT_FOUND;
    if (!retryable) {
        log_msg(LOG_ERROR, "%s %s: %s", l->what, l->uri, err->msg);
        return false;
    }
    l->failures++;
    if (p->cfg->once && l->failures >= p->cfg->once_attempts) {
        log_msg(LOG_ERROR, "%s %s: %s (gave up after %d tries with --once)", l->what, l->uri, err->msg, l->failures);
        return false;
    }
    uint64_t delay = backoff_ms(p, l->failures);
    if (err->status == CN_NOT_FOUND) {
        if (!l->said_waiting)
            log_msg(LOG_INFO, "%s: %s; polling until it appears", l->what, err->msg);
        l->said_waiting = true;
    } else {
        log_msg(LOG_WARN, "%s %s: %s; retry %d in %" PRIu64 " ms", l->what, l->uri, err->msg, l->failures, delay);
    }
    uv_timer_start(&l->retry, retry_fired, delay, 0);
    return true;
}

static void lane_ok(lane *l)
{
    if (l->failures > 0 && !l->said_waiting)
        log_msg(LOG_INFO, "%s %s: recovered after %d failed tries", l->what, l->uri, l->failures);
    l->failures = 0;
    l->said_waiting = false;
}

static bool lane_free(const lane *l)
{
    return !l->busy && !uv_is_active((const uv_handle_t *)&l->retry);
}

/* ---------------------------------------------------------------- jobs */

static void job_work(uv_work_t *req)
{
    job *j = req->data;
    pl *p = j->p;
    switch (j->kind) {
    case JOB_LOAD:
        j->st = p->refc.ops->load(p->refc.impl, &j->ref, &j->err);
        break;
    case JOB_POLL:
        j->st = p->src.ops->poll(p->src.impl, &j->chunk, &j->err);
        break;
    case JOB_PUT:
        j->st = p->sink.ops->put(p->sink.impl, j->doc, &j->err);
        break;
    case JOB_REJECT:
        j->st = p->sink.ops->reject(p->sink.impl, j->doc, &j->err);
        break;
    case JOB_FORGET:
        j->st = p->sink.ops->forget(p->sink.impl, p->cfg->game, &j->err);
        break;
    case JOB_RESULTS:
        j->st = p->res.ops->write(p->res.impl, &j->ref, "teams2", "players2", &j->err);
        break;
    }
}

static void job_done(uv_work_t *req, int status);

/* Starts one call on a worker thread. rows, when given, moves into the job (the job
 * owns and frees it), so the loop thread never touches what a worker reads. */
static job *job_start(pl *p, lane *l, job_kind kind, const json_t *doc, bs_ref *rows)
{
    job *j = calloc(1, sizeof *j);
    if (!j) {
        log_msg(LOG_ERROR, "out of memory starting a %s call", l->what);
        shutdown_with(p, PL_EXIT_RUNTIME);
        return NULL;
    }
    j->p = p;
    j->kind = kind;
    j->doc = doc;
    j->req.data = j;
    if (rows) {
        j->ref = *rows;
        memset(rows, 0, sizeof *rows);
    }
    l->busy = true;
    uv_queue_work(&p->loop, &j->req, job_work, job_done);
    return j;
}

/* ---------------------------------------------------------------- box-score queue */

static sink_item *queue_at(pl *p, size_t i)
{
    return &p->queue[(p->qhead + i) % p->qcap];
}

static void queue_pop(pl *p)
{
    json_decref(queue_at(p, 0)->doc);
    p->qhead = (p->qhead + 1) % p->qcap;
    p->qlen--;
}

static void sink_kick(pl *p)
{
    if ((p->stopping && !p->draining) || !lane_free(&p->l_sink) || p->qlen == 0)
        return;
    sink_item *it = queue_at(p, 0);
    job_start(p, &p->l_sink, it->kind, it->doc, NULL);
}

/* Takes ownership of doc. When the queue is full the oldest entry goes, loudly:
 * the newest document of a game always holds everything the older ones held. */
static void enqueue(pl *p, job_kind kind, json_t *doc)
{
    if (!doc && kind != JOB_FORGET) {
        log_msg(LOG_ERROR, "out of memory rendering a box-score document");
        shutdown_with(p, PL_EXIT_RUNTIME);
        return;
    }
    if (p->qlen == p->qcap) {
        if (p->l_sink.busy && p->qcap == 1) {
            p->dropped++;
            log_msg(LOG_WARN, "box-score queue is full (--queue-max 1): dropped the newest write, %ld dropped so far",
                    p->dropped);
            json_decref(doc);
            return;
        }
        /* never drop the head while a worker holds it, nor a forget (order matters) */
        size_t victim = p->l_sink.busy ? 1 : 0;
        while (victim + 1 < p->qlen && queue_at(p, victim)->kind == JOB_FORGET)
            victim++;
        sink_item *v = queue_at(p, victim);
        p->dropped++;
        log_msg(LOG_WARN, "box-score queue is full (%zu pending, --queue-max): dropped %s %lld, %ld dropped so far",
                p->qlen, v->kind == JOB_REJECT ? "rejected line" : "document",
                (long long)json_integer_value(json_object_get(v->doc, v->kind == JOB_REJECT ? "line" : "_id")),
                p->dropped);
        json_decref(v->doc);
        for (size_t i = victim; i + 1 < p->qlen; i++)
            *queue_at(p, i) = *queue_at(p, i + 1);
        p->qlen--;
    }
    *queue_at(p, p->qlen) = (sink_item){kind, doc};
    p->qlen++;
    sink_kick(p);
}

/* ---------------------------------------------------------------- fold hooks */

static void show_progress(pl *p)
{
    const bs_game *g = p->game;
    char clk[8], line[256];
    const bs_team *h = bs_ref_team(&p->ref, g->teamid[0]), *a = bs_ref_team(&p->ref, g->teamid[1]);
    bs_format_clock(g->clock, clk);
    snprintf(line, sizeof line, "Q%d %s  %s %d - %d %s%s", bs_period(g->clock), clk, h ? h->name : "home",
             g->score[0], g->score[1], a ? a->name : "away", g->state == BS_FINAL ? "  FINAL" : "");
    log_status(line);
}

static void on_applied(void *ctx, const bs_game *g, const bs_event *ev, const bs_apply_info *info)
{
    pl *p = ctx;
    char clk[8], now[32];
    bs_format_clock(ev->clock, clk);
    switch (info->outcome) {
    case BS_DUPLICATE:
        log_msg(LOG_WARN, "event %ld at %s is a duplicate (last applied %ld): skipped", ev->id, clk, g->last_id);
        return;
    case BS_AFTER_FINAL:
        log_msg(LOG_WARN, "event %ld at %s comes after the final whistle: skipped", ev->id, clk);
        return;
    case BS_ENDED_BY_SENTINEL:
    case BS_APPLIED:
        break;
    }
    if (info->gap)
        log_msg(LOG_WARN, "event ids jump from %ld to %ld: %ld events missing", info->expected_id - 1, ev->id,
                ev->id - info->expected_id);
    if (info->clock_up)
        log_msg(LOG_WARN, "event %ld: the clock went up to %s", ev->id, clk);
    if (info->unrostered)
        log_msg(LOG_WARN, "event %ld: team %d has no jersey %d on its roster; counted as unrostered", ev->id, ev->team,
                ev->jersey);
    if (ev->goal && info->outcome == BS_APPLIED && ev->team != 0)
        log_msg(LOG_INFO, "goal: team %d #%d at %s (Q%d), %d-%d", ev->team, ev->jersey, clk, bs_period(ev->clock),
                g->score[0], g->score[1]);
    else
        log_msg(LOG_DEBUG, "event %ld applied", ev->id);
    if (info->final)
        log_msg(LOG_INFO, "final: %d-%d after event %ld (%s)", g->score[0], g->score[1], g->last_id,
                ev->id == -1 ? "end-of-game line -1" : ev->team == 0 ? "sentinel line, team 0" : "clock 00:00");
    log_utc_now(now);
    enqueue(p, JOB_PUT, bs_render(g, now));
}

/* Turns raw bytes into a JSON string, replacing what is not valid UTF-8. */
static json_t *raw_string(const char *line, size_t len)
{
    char buf[201];
    size_t n = len < 200 ? len : 200;
    memcpy(buf, line, n);
    json_t *s = json_stringn(buf, n);
    if (s)
        return s;
    for (size_t i = 0; i < n; i++)
        if ((unsigned char)buf[i] >= 0x80 || (unsigned char)buf[i] < 0x20)
            buf[i] = '?';
    return json_stringn(buf, n);
}

static void on_rejected(void *ctx, long lineno, const char *line, size_t len, const char *reason)
{
    pl *p = ctx;
    char now[32], id[96];
    uint32_t h = 2166136261u; /* FNV-1a of the raw line: same line, same id, on every run */
    for (size_t i = 0; i < len; i++)
        h = (h ^ (unsigned char)line[i]) * 16777619u;
    log_msg(LOG_WARN, "%s line %ld rejected: %s: '%.*s%s'", p->l_src.uri, lineno, reason, (int)(len > 60 ? 60 : len),
            line, len > 60 ? "..." : "");
    snprintf(id, sizeof id, "%s:%ld:%08x", p->cfg->game, lineno, h);
    log_utc_now(now);
    enqueue(p, JOB_REJECT,
            json_pack("{s:s, s:s, s:s, s:I, s:o, s:s, s:b, s:s}", "_id", id, "game", p->cfg->game, "source",
                      p->l_src.uri, "line", (json_int_t)lineno, "raw", raw_string(line, len), "reason", reason,
                      "truncated", len > 200, "at", now));
}

/* ---------------------------------------------------------------- life cycle */

/* The results job takes the rows (p->standings) with it, so the loop thread may compute
 * newer ones meanwhile (a restarted game that ends again) without touching what a worker
 * is writing; a failed job hands them back unless newer ones arrived. */
static void results_kick(pl *p)
{
    if ((p->stopping && !p->draining) || !p->have_standings || !lane_free(&p->l_res))
        return;
    if (job_start(p, &p->l_res, JOB_RESULTS, NULL, &p->standings))
        p->have_standings = false;
}

static void game_final(pl *p)
{
    bool tie;
    bs_ref_free(&p->standings);
    p->have_standings = false;
    if (bs_standings(p->game, &p->standings, &tie)) {
        log_msg(LOG_ERROR, "out of memory computing teams2/players2");
        shutdown_with(p, PL_EXIT_RUNTIME);
        return;
    }
    if (tie)
        log_msg(LOG_WARN, "the game ended in a tie (%d-%d): no team's wins or losses change", p->game->score[0],
                p->game->score[1]);
    p->have_standings = true;
    p->results_due = true;
    p->results_done = false;
    results_kick(p);
}

static void source_kick(pl *p)
{
    if (p->stopping || !p->game || p->reloading || !lane_free(&p->l_src))
        return;
    if (p->cfg->once && p->polled)
        return;
    job_start(p, &p->l_src, JOB_POLL, NULL, NULL);
}

/* Proves the loop is alive to a container healthcheck: the file's mtime moves on
 * every tick, whether or not the servers answer. */
static void touch_health(pl *p)
{
    if (!p->cfg->health_file)
        return;
    int fd = open(p->cfg->health_file, O_WRONLY | O_CREAT | O_CLOEXEC, 0644);
    if (fd >= 0) {
        futimens(fd, NULL);
        close(fd);
    }
}

static void poll_tick(uv_timer_t *t)
{
    touch_health(t->loop->data);
    source_kick(t->loop->data);
}

/* Folds complete lines of the current run. */
static void fold_bytes(pl *p, const char *data, size_t len)
{
    bool was_final = p->game->state == BS_FINAL;
    long applied = p->game->n.applied;
    bs_feed_push(&p->feed, data, len);
    if (p->feed.oom) {
        log_msg(LOG_ERROR, "out of memory folding %s", p->l_src.uri);
        shutdown_with(p, PL_EXIT_RUNTIME);
        return;
    }
    if (p->game->n.applied != applied)
        show_progress(p);
    if (!was_final && p->game->state == BS_FINAL)
        game_final(p);
}

static void ref_kick(pl *p);

/* The stream was rewritten from its first line: a new run of the game. Its documents
 * replace the old run's, and the reference is read again (the operator may have fixed a
 * roster before restarting); the new bytes wait until it is back. */
static void begin_new_run(pl *p, const cn_chunk *c)
{
    log_msg(LOG_WARN, "%s was rewritten from the start (now %" PRIu64 " bytes): the game restarted, run %ld begins",
            p->l_src.uri, c->size, p->run + 1);
    p->run++;
    enqueue(p, JOB_FORGET, NULL); /* the old run's documents go before the new run's arrive */
    p->results_due = p->results_done = p->have_standings = false;
    bs_ref_free(&p->standings);
    free(p->held);
    p->held = malloc(c->len ? c->len : 1);
    if (!p->held) {
        log_msg(LOG_ERROR, "out of memory holding %zu bytes of %s", c->len, p->l_src.uri);
        shutdown_with(p, PL_EXIT_RUNTIME);
        return;
    }
    memcpy(p->held, c->data, c->len);
    p->held_len = c->len;
    p->reloading = true;
    ref_kick(p);
}

static void on_chunk(pl *p, const cn_chunk *c)
{
    p->polls++;
    p->bytes_read += c->transferred;
    p->object_size = c->size;
    p->whole_reads += c->size;
    if (c->restart)
        begin_new_run(p, c);
    else
        fold_bytes(p, c->data, c->len);
}

static void ref_loaded(pl *p, bs_ref *ref)
{
    bool first = p->game == NULL;
    bs_game_free(p->game); /* a new run: the old game pointed at the old rows */
    bs_ref_free(&p->ref);
    p->ref = *ref;
    memset(ref, 0, sizeof *ref);
    for (int s = 0; s < 2; s++)
        if (!bs_ref_team(&p->ref, s ? p->cfg->away : p->cfg->home))
            log_msg(LOG_WARN, "team %d is not in %s: its name and record will be empty", s ? p->cfg->away : p->cfg->home,
                    p->l_ref.uri);
    p->game = bs_game_new(&p->ref, p->cfg->home, p->cfg->away, p->cfg->game);
    if (!p->game) {
        log_msg(LOG_ERROR, "out of memory creating the game");
        shutdown_with(p, PL_EXIT_RUNTIME);
        return;
    }
    bs_feed_hooks hooks = {on_applied, on_rejected, p};
    bs_feed_init(&p->feed, p->game, &hooks);
    log_msg(LOG_INFO, "reference: %zu teams, %zu players from %s; game %s, %d (home) vs %d (away)", p->ref.nteams,
            p->ref.nplayers, p->l_ref.uri, p->cfg->game, p->cfg->home, p->cfg->away);
    if (p->reloading) {
        p->reloading = false;
        fold_bytes(p, p->held, p->held_len);
        free(p->held);
        p->held = NULL;
    } else if (first && p->cfg->once) {
        source_kick(p);
    } else if (first) {
        uv_timer_start(&p->poll, poll_tick, 0, (uint64_t)p->cfg->poll_ms);
    }
}

static void ref_kick(pl *p)
{
    if (!p->stopping && lane_free(&p->l_ref) && (!p->game || p->reloading))
        job_start(p, &p->l_ref, JOB_LOAD, NULL, NULL);
}

static void job_done(uv_work_t *req, int status)
{
    job *j = req->data;
    pl *p = j->p;
    lane *l = j->kind == JOB_LOAD ? &p->l_ref
              : j->kind == JOB_POLL ? &p->l_src
              : j->kind == JOB_RESULTS ? &p->l_res
                                      : &p->l_sink;
    l->busy = false;
    if (status == UV_ECANCELED)
        j->st = cn_fail(&j->err, CN_TRANSIENT, "cancelled");
    if (j->st == CN_OK) {
        lane_ok(l);
        switch (j->kind) {
        case JOB_LOAD:
            ref_loaded(p, &j->ref);
            break;
        case JOB_POLL:
            p->polled = true;
            on_chunk(p, &j->chunk);
            break;
        case JOB_PUT:
            log_msg(LOG_DEBUG, "document %lld written", (long long)json_integer_value(json_object_get(j->doc, "_id")));
            queue_pop(p);
            sink_kick(p);
            break;
        case JOB_REJECT:
        case JOB_FORGET:
            queue_pop(p);
            sink_kick(p);
            break;
        case JOB_RESULTS:
            p->results_done = !p->have_standings; /* unless a restarted game ended again meanwhile */
            log_msg(LOG_INFO, "wrote teams2 (%zu rows) and players2 (%zu rows) to %s", j->ref.nteams,
                    j->ref.nplayers, p->l_res.uri);
            results_kick(p);
            break;
        }
    } else if (j->kind == JOB_PUT && j->st == CN_INPUT) {
        log_msg(LOG_ERROR, "%s %s refused document %lld: %s; skipping it", l->what, l->uri,
                (long long)json_integer_value(json_object_get(j->doc, "_id")), j->err.msg);
        queue_pop(p);
        sink_kick(p);
    } else if ((!p->stopping || (p->draining && (l == &p->l_sink || l == &p->l_res))) &&
               !lane_failed(p, l, &j->err)) {
        shutdown_with(p, PL_EXIT_RUNTIME);
    }
    if (j->kind == JOB_RESULTS && j->st != CN_OK && !p->have_standings && p->results_due) {
        p->standings = j->ref; /* hand the rows back for the retry */
        memset(&j->ref, 0, sizeof j->ref);
        p->have_standings = true;
    }
    bs_ref_free(&j->ref);
    free(j);
    check_done(p);
}

/* ---------------------------------------------------------------- ending */

static void close_all(pl *p)
{
    if (p->closed)
        return;
    p->closed = true;
    uv_close((uv_handle_t *)&p->poll, NULL);
    uv_close((uv_handle_t *)&p->sigint, NULL);
    uv_close((uv_handle_t *)&p->sigterm, NULL);
    uv_close((uv_handle_t *)&p->grace, NULL);
    lane *lanes[] = {&p->l_src, &p->l_ref, &p->l_sink, &p->l_res};
    for (size_t i = 0; i < 4; i++)
        uv_close((uv_handle_t *)&lanes[i]->retry, NULL);
}

static bool any_busy(const pl *p)
{
    return p->l_src.busy || p->l_ref.busy || p->l_sink.busy || p->l_res.busy;
}

static void report_unwritten(pl *p)
{
    if (p->qlen > 0) {
        log_msg(LOG_ERROR, "%zu box-score writes were not made to %s; run again with the same options to write them "
                "(upserts by _id are idempotent)", p->qlen, p->l_sink.uri);
        p->exit_code = PL_EXIT_RUNTIME;
    }
    if (p->results_due && !p->results_done) {
        log_msg(LOG_ERROR, "teams2/players2 were NOT written to %s; run `pipeline --once` with the same options once "
                "it is reachable to write them", p->l_res.uri);
        p->exit_code = PL_EXIT_RUNTIME;
    }
}

/* Stops now: no new calls; the ones in flight finish (a slow read is abandoned). */
static void shutdown_with(pl *p, int code)
{
    atomic_store(&p->cancel_reads, 1); /* reads can be redone; writes in progress finish */
    if (!p->stopping || p->draining)
        p->exit_code = code > p->exit_code ? code : p->exit_code;
    p->stopping = true;
    p->draining = false;
    uv_timer_stop(&p->poll);
    uv_timer_stop(&p->grace);
    uv_timer_stop(&p->l_src.retry);
    uv_timer_stop(&p->l_ref.retry);
    uv_timer_stop(&p->l_sink.retry);
    uv_timer_stop(&p->l_res.retry);
    check_done(p);
}

static void grace_over(uv_timer_t *t)
{
    pl *p = t->loop->data;
    if (p->draining)
        log_msg(LOG_WARN, "shutdown grace period over (--grace-ms)");
    shutdown_with(p, PL_EXIT_OK);
}

/* Stops on a signal: no more polls, but what is already folded still goes out (box
 * scores in order, then the results) for up to --grace-ms, retrying as usual. */
static void drain_then_stop(pl *p)
{
    if (p->stopping)
        return;
    atomic_store(&p->cancel_reads, 1);
    p->stopping = p->draining = true;
    p->exit_code = PL_EXIT_OK;
    uv_timer_stop(&p->poll);
    uv_timer_stop(&p->l_src.retry);
    uv_timer_stop(&p->l_ref.retry);
    uv_timer_start(&p->grace, grace_over, (uint64_t)p->cfg->grace_ms, 0);
    sink_kick(p);
    results_kick(p);
    check_done(p);
}

static void check_done(pl *p)
{
    if (p->closed)
        return;
    if (p->stopping) {
        bool pending = p->qlen > 0 || (p->results_due && !p->results_done);
        if (p->draining && !pending && !any_busy(p))
            uv_timer_stop(&p->grace); /* all written: no need to wait out the grace */
        if (!any_busy(p) && !(p->draining && pending)) {
            report_unwritten(p);
            close_all(p);
        }
        return;
    }
    bool drained = p->qlen == 0 && !p->l_sink.busy;
    bool results_ok = !p->results_due || p->results_done;
    bool final = p->game && p->game->state == BS_FINAL && !p->reloading;
    if (p->cfg->once && p->polled && drained && results_ok && !p->l_src.busy && !p->reloading) {
        if (p->game && p->game->state != BS_FINAL)
            log_msg(LOG_INFO, "--once: processed %ld events; the game is not final yet", p->game->n.applied);
        shutdown_with(p, PL_EXIT_OK);
    } else if (!p->cfg->once && !p->cfg->follow && final && drained && results_ok) {
        shutdown_with(p, PL_EXIT_OK);
    }
}

static void on_signal(uv_signal_t *s, int signum)
{
    pl *p = s->loop->data;
    if (p->stopping) {
        log_msg(LOG_WARN, "%s received again: stopping after the write in progress", signum == SIGINT ? "SIGINT" : "SIGTERM");
        shutdown_with(p, PL_EXIT_OK);
        return;
    }
    log_msg(LOG_WARN, "%s received: no more polls; writing what is pending (up to %d ms), then exiting",
            signum == SIGINT ? "SIGINT" : "SIGTERM", p->cfg->grace_ms);
    drain_then_stop(p);
}

/* ---------------------------------------------------------------- run */

static void lane_init(pl *p, lane *l, const char *what, const char *uri, void (*kick)(pl *))
{
    cn_uri_redact(uri, l->uri, sizeof l->uri);
    l->what = what;
    l->kick = kick;
    uv_timer_init(&p->loop, &l->retry);
    l->retry.data = l;
}

static int open_connectors(pl *p)
{
    const pl_config *c = p->cfg;
    cn_error err = {0};
    if (cn_source_open(&p->src, c->source, &c->conn, &err) || cn_reference_open(&p->refc, c->reference, &c->conn, &err) ||
        cn_boxscore_open(&p->sink, c->boxscores, &c->conn, &err) || cn_results_open(&p->res, c->results, &c->conn, &err)) {
        log_msg(LOG_ERROR, "%s", err.msg);
        return err.status == CN_CONFIG ? PL_EXIT_USAGE : PL_EXIT_RUNTIME;
    }
    return PL_EXIT_OK;
}

int pl_run(pl_config *cfg)
{
    pl *p = calloc(1, sizeof *p);
    if (!p)
        return PL_EXIT_RUNTIME;
    atomic_init(&p->cancel_reads, 0);
    cfg->conn.cancel = &p->cancel_reads;
    p->cfg = cfg;
    p->rng = (unsigned)time(NULL) ^ (unsigned)uv_os_getpid();
    p->qcap = cfg->queue_max > 0 ? (size_t)cfg->queue_max : 1;
    p->queue = calloc(p->qcap, sizeof *p->queue);
    int rc = p->queue ? open_connectors(p) : PL_EXIT_RUNTIME;
    if (rc != PL_EXIT_OK)
        goto out;

    uv_loop_init(&p->loop);
    p->loop.data = p;
    uv_timer_init(&p->loop, &p->poll);
    uv_timer_init(&p->loop, &p->grace);
    uv_signal_init(&p->loop, &p->sigint);
    uv_signal_init(&p->loop, &p->sigterm);
    uv_signal_start(&p->sigint, on_signal, SIGINT);
    uv_signal_start(&p->sigterm, on_signal, SIGTERM);
    lane_init(p, &p->l_src, "stream source", cfg->source, source_kick);
    lane_init(p, &p->l_ref, "reference reader", cfg->reference, ref_kick);
    lane_init(p, &p->l_sink, "box-score sink", cfg->boxscores, sink_kick);
    lane_init(p, &p->l_res, "results sink", cfg->results, results_kick);

    log_msg(LOG_INFO, "source %s, reference %s, box scores %s, results %s", p->l_src.uri, p->l_ref.uri,
            p->l_sink.uri, p->l_res.uri);
    ref_kick(p);
    uv_run(&p->loop, UV_RUN_DEFAULT);
    uv_loop_close(&p->loop);
    rc = p->exit_code;
    if (p->game)
        show_progress(p);
    log_status_keep();
    if (p->game)
        log_msg(LOG_INFO, "done: %ld events applied, %ld lines rejected, %ld duplicates, %ld dropped writes; "
                "%ld polls read %" PRIu64 " bytes of a %" PRIu64 "-byte stream (whole-object reads: %" PRIu64 ")",
                p->game->n.applied, p->game->n.rejected, p->game->n.duplicates, p->dropped, p->polls, p->bytes_read,
                p->object_size, p->whole_reads);
out:
    while (p->qlen)
        queue_pop(p);
    free(p->queue);
    free(p->held);
    cn_source_close(&p->src);
    cn_reference_close(&p->refc);
    cn_boxscore_close(&p->sink);
    cn_results_close(&p->res);
    bs_game_free(p->game);
    bs_ref_free(&p->standings);
    bs_ref_free(&p->ref);
    free(p);
    return rc;
}
