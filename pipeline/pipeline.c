/*
 * pipeline.c — wires the connectors, the fold and the libuv loop together.
 *
 * Each connector has a lane: at most one call in flight on a worker thread, a
 * count of consecutive failures, and a retry timer. Lanes never block the loop;
 * the loop thread alone touches the game, the queue and the lanes, so nothing
 * here needs a lock. See pipeline.h for the life cycle.
 *
 * Reliability rules kept here (issue 7):
 *  - lanes are independent: a sink that fails for good is given up on its own, and
 *    the other sink still drains; the exit status says what was left unwritten;
 *  - pending writes are bounded in count and bytes; past the bound no document is
 *    rendered and the newest state is rendered once there is room again, so the
 *    sink always ends with the latest document (older ones are coalesced, counted);
 *  - a chunk of any size is folded in slices of --fold-slice-us, so signals, timers
 *    and completions keep flowing;
 *  - each run of the stream is identified by a hash of its first line, stored in
 *    every document; when a run starts its first bytes are folded, and then the
 *    sink forgets the game's documents of other runs or beyond the run's last event,
 *    so a restart while the pipeline was down cannot leave the old run on top;
 *  - the reference is read again when a run's first bytes arrive and, rate-limited,
 *    when an unknown jersey or team shows up; the game is rebased onto the new rows.
 */
#include "pipeline.h"

#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <sys/stat.h>
#include <unistd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <uv.h>

#include "log.h"

#define BACKOFF_BASE_MS 250
#define FOLD_PIECE 1024         /* bytes pushed between two looks at the clock */
#define PARTIAL_WARN_POLLS 8    /* polls a partial last line may wait before a warning */

typedef struct pl pl;
typedef struct lane {
    const char *what;       /* names the connector in logs */
    char uri[512];          /* the connector's URI with any password hidden */
    bool busy;
    bool gave_up;           /* failed for good: nothing more is sent to it */
    int failures;
    bool said_waiting;
    uv_timer_t retry;
    void (*kick)(pl *p);
} lane;

typedef enum job_kind { JOB_LOAD, JOB_POLL, JOB_PUT, JOB_REJECT, JOB_FORGET, JOB_RESULTS } job_kind;

/* Which of a game's documents a forget removes: all of them, or those of other runs
 * and those beyond the current run's last event. */
typedef struct forget_spec {
    bool all;
    char run[16];
    long keep_upto;
} forget_spec;

typedef struct job {
    uv_work_t req;
    pl *p;
    job_kind kind;
    cn_status st;
    cn_error err;
    cn_chunk chunk;
    bs_ref ref;
    const char *text;   /* the document or reject record, serialised (owned by the queue) */
    size_t len;
    long id;            /* its _id (document) or line (reject), for logs */
    forget_spec forget;
} job;

/* A pending write to the box-score sink, done strictly in queue order. Documents wait
 * serialised: compact JSON text is a fraction of a jansson tree's memory, and its size
 * is exactly what --queue-max-mib counts. The worker parses it back for the sink. */
typedef struct sink_item {
    job_kind kind;      /* JOB_PUT, JOB_REJECT or JOB_FORGET */
    char *text;         /* the document or reject record; NULL for JOB_FORGET */
    size_t bytes;
    long id;            /* _id of a document, line of a reject record */
    forget_spec forget;
} sink_item;

struct pl {
    const pl_config *cfg;
    uv_loop_t loop;
    uv_timer_t poll;
    uv_idle_t fold_idle;
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
    bool reload_wanted;     /* an unknown jersey or team: read the reference again */
    uint64_t last_load_ms;  /* when the reference was last read (loop time) */
    char run_id[16];        /* hash of the run's first line, in every document */
    uint32_t run_hash;
    size_t run_hashed;      /* bytes of the first line hashed so far */
    bool run_known;

    /* the chunk being folded: points into the source's buffer, which stays valid
     * because no poll starts until it is consumed */
    const char *fold_data;
    size_t fold_len, fold_off;
    bool folding, fold_is_run_start;
    int partial_polls;      /* polls that brought nothing while a partial line waits */
    bool said_partial;

    long polls;             /* successful source polls */
    uint64_t bytes_read;    /* what those polls moved; compare with the object size */
    uint64_t object_size;
    uint64_t whole_reads;   /* what re-reading the whole object on every poll would have moved */

    sink_item *queue;       /* ring buffer of pending writes, oldest first */
    size_t qhead, qlen, qcap;
    size_t qbytes, qbytes_max;
    size_t last_doc_bytes;  /* size of the last document rendered */
    bool stale;             /* the newest state is not in the queue (coalesced) */
    bool said_full;
    long coalesced;         /* documents never rendered because the sink was behind */
    long rejects_dropped;   /* reject records not kept because the queue was full */

    bs_ref standings;       /* rows waiting to be written; a results job takes them */
    bool have_standings;
    bool results_due, results_done;
    bool polled;            /* at least one poll succeeded (what --once waits for) */
    bool stopping, closed, abandoned;
    bool draining;          /* stopping on a signal: pending writes still go out until grace ends */
    uv_timer_t grace;
    int exit_code;
    unsigned rng;
    atomic_int cancel_reads; /* tells a slow read on a worker thread to give up */
};

static void check_done(pl *p);
static void shutdown_with(pl *p, int code);
static void drain_then_stop(pl *p, int code);
static void ref_kick(pl *p);

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
    return !l->busy && !l->gave_up && !uv_is_active((const uv_handle_t *)&l->retry);
}

/* Any bytes as a JSON string: invalid UTF-8 becomes U+FFFD, never a failure. */
static json_t *text_json(const char *s, size_t len)
{
    char *clean = bs_utf8_dup(s, len);
    json_t *j = clean ? json_string(clean) : NULL;
    free(clean);
    return j;
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
    case JOB_REJECT: {
        json_t *doc = json_loadb(j->text, j->len, 0, NULL);
        if (!doc)
            j->st = cn_fail(&j->err, CN_FATAL, "out of memory reading back a queued %s",
                            j->kind == JOB_PUT ? "document" : "record");
        else if (j->kind == JOB_PUT)
            j->st = p->sink.ops->put(p->sink.impl, doc, &j->err);
        else
            j->st = p->sink.ops->reject(p->sink.impl, doc, &j->err);
        json_decref(doc);
        break;
    }
    case JOB_FORGET:
        j->st = p->sink.ops->forget(p->sink.impl, p->cfg->game, j->forget.all ? NULL : j->forget.run,
                                    j->forget.keep_upto, &j->err);
        break;
    case JOB_RESULTS:
        j->st = p->res.ops->write(p->res.impl, &j->ref, "teams2", "players2", &j->err);
        break;
    }
}

static void job_done(uv_work_t *req, int status);

/* Starts one call on a worker thread. rows, when given, moves into the job (the job
 * owns and frees it), so the loop thread never touches what a worker reads. */
static job *job_start(pl *p, lane *l, job_kind kind, bs_ref *rows, const sink_item *it)
{
    job *j = calloc(1, sizeof *j);
    if (!j) {
        log_msg(LOG_ERROR, "out of memory starting a %s call; will try again", l->what);
        uv_timer_start(&l->retry, retry_fired, BACKOFF_BASE_MS, 0);
        return NULL;
    }
    j->p = p;
    j->kind = kind;
    j->req.data = j;
    if (it) { /* the queue keeps the text until the job is done */
        j->text = it->text;
        j->len = it->bytes;
        j->id = it->id;
        j->forget = it->forget;
    }
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
    sink_item *it = queue_at(p, 0);
    p->qbytes -= it->bytes;
    free(it->text);
    p->qhead = (p->qhead + 1) % p->qcap;
    p->qlen--;
}

/* Removes the item at i (never the head while a worker holds it). */
static void queue_remove(pl *p, size_t i)
{
    sink_item *v = queue_at(p, i);
    p->qbytes -= v->bytes;
    free(v->text);
    for (size_t k = i; k + 1 < p->qlen; k++)
        *queue_at(p, k) = *queue_at(p, k + 1);
    p->qlen--;
}

/* True when one more item of this size may wait: under both bounds, or the queue is
 * empty (a single document larger than the byte bound still goes out). */
static bool queue_room(const pl *p, size_t bytes)
{
    if (p->qlen == 0)
        return true;
    return p->qlen < p->qcap && p->qbytes + bytes <= p->qbytes_max;
}

static void sink_kick(pl *p)
{
    if ((p->stopping && !p->draining) || !lane_free(&p->l_sink) || p->qlen == 0)
        return;
    sink_item *it = queue_at(p, 0);
    job_start(p, &p->l_sink, it->kind, NULL, it);
}

/* Puts an item at position pos (0 = the head) of the queue. */
static void queue_insert(pl *p, size_t pos, sink_item it)
{
    for (size_t k = p->qlen; k > pos; k--)
        *queue_at(p, k) = *queue_at(p, k - 1);
    *queue_at(p, pos) = it;
    p->qlen++;
    p->qbytes += it.bytes;
}

/* The first position a new item may take ahead of the others: after a head that a
 * worker is writing. */
static size_t queue_front(const pl *p)
{
    return p->l_sink.busy && p->qlen > 0 ? 1 : 0;
}

static void say_full(pl *p)
{
    if (p->said_full)
        return;
    p->said_full = true;
    log_msg(LOG_WARN, "%s is behind: %zu writes (%zu bytes) pending (--queue-max %d, --queue-max-mib %d); newer "
            "box scores are coalesced into the newest one until it catches up", p->l_sink.uri, p->qlen, p->qbytes,
            p->cfg->queue_max, p->cfg->queue_max_mib);
}

/* The current state of the game with its run id, serialised; NULL when out of memory. */
static char *render_current(pl *p)
{
    char now[32];
    log_utc_now(now);
    json_t *doc = bs_render(p->game, now);
    char *text = doc && !json_object_set_new(doc, "run", json_string(p->run_id)) ? json_dumps(doc, JSON_COMPACT)
                                                                                : NULL;
    json_decref(doc);
    if (!text)
        log_msg(LOG_ERROR, "out of memory rendering box score %ld; the next one will hold it", p->game->last_id);
    else
        p->last_doc_bytes = strlen(text);
    return text;
}

static void mark_stale(pl *p)
{
    if (p->stale)
        p->coalesced++;
    p->stale = true;
}

/* Renders the current state of the game and queues it, if there is room; otherwise
 * marks it stale: it is rendered when room comes back. */
static void queue_current(pl *p)
{
    if (!p->game || p->game->state == BS_PREGAME || p->l_sink.gave_up)
        return;
    /* documents only grow: when the last one would not fit, this one will not either,
     * so do not render it just to find out */
    if (p->qlen > 0 && !queue_room(p, p->last_doc_bytes)) {
        mark_stale(p);
        say_full(p);
        return;
    }
    char *text = render_current(p);
    if (!text || !queue_room(p, strlen(text))) {
        if (text)
            say_full(p);
        mark_stale(p);
        free(text);
        return;
    }
    p->stale = false;
    queue_insert(p, p->qlen, (sink_item){JOB_PUT, text, strlen(text), p->game->last_id, {0}});
    sink_kick(p);
}

/* The final whistle, or a shutdown, while the sink is behind: the newest state must
 * not wait behind older documents (nor be lost to the grace period), so it goes next,
 * after any forget (which could otherwise remove it), even past the bounds. */
static void queue_newest_first(pl *p)
{
    if (!p->stale || !p->game || p->l_sink.gave_up)
        return;
    char *text = render_current(p);
    if (!text)
        return;
    size_t pos = queue_front(p);
    while (pos < p->qlen && queue_at(p, pos)->kind == JOB_FORGET)
        pos++;
    if (p->qlen == p->qcap) { /* the ring is full: the newest of the older documents goes */
        for (size_t i = p->qlen; i-- > pos;)
            if (queue_at(p, i)->kind == JOB_PUT) {
                queue_remove(p, i);
                p->coalesced++;
                break;
            }
        if (p->qlen == p->qcap) {
            free(text);
            return;
        }
    }
    p->stale = false;
    queue_insert(p, pos, (sink_item){JOB_PUT, text, strlen(text), p->game->last_id, {0}});
    sink_kick(p);
}

/* After a write: room again, so the newest state goes in if it was coalesced. */
static void queue_refill(pl *p)
{
    if (p->qlen == 0 && p->said_full) {
        log_msg(LOG_INFO, "%s caught up; %ld box scores were coalesced into newer ones so far", p->l_sink.uri,
                p->coalesced);
        p->said_full = false;
    }
    if (p->stale)
        queue_current(p);
}

static void queue_reject(pl *p, json_t *rec, long lineno)
{
    char *text = rec ? json_dumps(rec, JSON_COMPACT) : NULL;
    size_t bytes = text ? strlen(text) : 0;
    json_decref(rec);
    if (!text || p->l_sink.gave_up || !queue_room(p, bytes)) {
        p->rejects_dropped++;
        free(text);
        return;
    }
    queue_insert(p, p->qlen, (sink_item){JOB_REJECT, text, bytes, lineno, {0}});
    sink_kick(p);
}

/* Queues a forget ahead of every waiting document: it removes only what the current
 * run will never write again, so it need not wait for them. */
static void queue_forget(pl *p, forget_spec f)
{
    if (p->l_sink.gave_up)
        return;
    if (p->qlen == p->qcap) /* make room: the newest document is rendered again later */
        for (size_t i = p->qlen; i-- > queue_front(p);)
            if (queue_at(p, i)->kind == JOB_PUT) {
                queue_remove(p, i);
                p->stale = true;
                break;
            }
    if (p->qlen == p->qcap)
        return;
    queue_insert(p, queue_front(p), (sink_item){JOB_FORGET, NULL, 0, 0, f});
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

/* An unknown jersey or team: read the reference again, at most every --reload-min-ms. */
static void want_reload(pl *p)
{
    if (p->reload_wanted || p->reloading)
        return;
    p->reload_wanted = true;
    ref_kick(p);
}

static void on_applied(void *ctx, const bs_game *g, const bs_event *ev, const bs_apply_info *info)
{
    pl *p = ctx;
    char clk[8];
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
    if (info->unrostered) {
        log_msg(LOG_WARN, "event %ld: team %d has no jersey %d on its roster; counted as unrostered", ev->id, ev->team,
                ev->jersey);
        want_reload(p);
    }
    if (ev->goal && info->outcome == BS_APPLIED && ev->team != 0)
        log_msg(LOG_INFO, "goal: team %d #%d at %s (Q%d), %d-%d", ev->team, ev->jersey, clk, bs_period(ev->clock),
                g->score[0], g->score[1]);
    else
        log_msg(LOG_DEBUG, "event %ld applied", ev->id);
    if (info->final)
        log_msg(LOG_INFO, "final: %d-%d after event %ld (%s)", g->score[0], g->score[1], g->last_id,
                ev->id == -1 ? "end-of-game line -1" : ev->team == 0 ? "sentinel line, team 0" : "clock 00:00");
    queue_current(p);
}

static void on_rejected(void *ctx, long lineno, const char *line, size_t len, const char *reason)
{
    pl *p = ctx;
    char now[32], id[128];
    uint32_t h = 2166136261u; /* FNV-1a of the raw line: same line, same id, on every run */
    for (size_t i = 0; i < len; i++)
        h = (h ^ (unsigned char)line[i]) * 16777619u;
    /* the log layer escapes control characters and invalid UTF-8 */
    log_msg(LOG_WARN, "%s line %ld rejected: %s: '%.*s%s'", p->l_src.uri, lineno, reason, (int)(len > 60 ? 60 : len),
            line, len > 60 ? "..." : "");
    snprintf(id, sizeof id, "%s:%ld:%08x", p->cfg->game, lineno, h);
    log_utc_now(now);
    queue_reject(p, json_pack("{s:s, s:s, s:o, s:I, s:o, s:o, s:b, s:s}", "_id", id, "game", p->cfg->game, "source",
                              text_json(p->l_src.uri, strlen(p->l_src.uri)), "line", (json_int_t)lineno, "raw",
                              text_json(line, len < 200 ? len : 200), "reason", text_json(reason, strlen(reason)),
                              "truncated", len > 200, "at", now),
                 lineno);
}

/* ---------------------------------------------------------------- life cycle */

/* The results job takes the rows (p->standings) with it, so the loop thread may compute
 * newer ones meanwhile (a restarted game that ends again) without touching what a worker
 * is writing; a failed job hands them back unless newer ones arrived. */
static void results_kick(pl *p)
{
    if ((p->stopping && !p->draining) || !p->have_standings || !lane_free(&p->l_res))
        return;
    if (job_start(p, &p->l_res, JOB_RESULTS, &p->standings, NULL))
        p->have_standings = false;
}

static void game_final(pl *p)
{
    bool tie;
    bs_ref_free(&p->standings);
    p->have_standings = false;
    p->results_due = true;
    p->results_done = false;
    if (bs_standings(p->game, &p->standings, &tie)) {
        log_msg(LOG_ERROR, "out of memory computing teams2/players2: they are not written");
        p->l_res.gave_up = true;
        return;
    }
    if (tie)
        log_msg(LOG_WARN, "the game ended in a tie (%d-%d): no team's wins or losses change", p->game->score[0],
                p->game->score[1]);
    p->have_standings = true;
    results_kick(p);
    queue_newest_first(p);
    if (p->reload_wanted) { /* a roster fix is due: read it now, the tables are written again */
        uv_timer_stop(&p->l_ref.retry);
        ref_kick(p);
    }
}

static void source_kick(pl *p)
{
    if (p->stopping || p->reloading || p->folding || !lane_free(&p->l_src))
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

/* The run's id: FNV-1a of its first line (at most BS_MAX_LINE bytes), whatever the
 * chunking. Known before the first document, which needs a complete first line. */
static void hash_run(pl *p, const char *data, size_t len)
{
    for (size_t i = 0; i < len && !p->run_known; i++) {
        if (data[i] == '\n' || p->run_hashed == BS_MAX_LINE) {
            p->run_known = true;
            break;
        }
        p->run_hash = (p->run_hash ^ (unsigned char)data[i]) * 16777619u;
        p->run_hashed++;
    }
    snprintf(p->run_id, sizeof p->run_id, "%08x", p->run_hash);
}

/* A run's first bytes are folded: forget what another run (or this one beyond its
 * last event, e.g. the same game replayed from the start) left in the sink. */
static void forget_other_runs(pl *p)
{
    forget_spec f = {false, "", p->game->state == BS_PREGAME ? LONG_MIN : p->game->last_id};
    snprintf(f.run, sizeof f.run, "%s", p->run_id);
    queue_forget(p, f);
}

static void fold_done(pl *p)
{
    p->folding = false;
    uv_idle_stop(&p->fold_idle);
    if (p->fold_is_run_start) {
        p->fold_is_run_start = false;
        forget_other_runs(p);
    }
    check_done(p);
}

/* Folds the pending chunk for at most --fold-slice-us, then yields to the loop. */
static void fold_slice(uv_idle_t *h)
{
    pl *p = h->loop->data;
    if (p->stopping) {
        fold_done(p);
        return;
    }
    uint64_t deadline = uv_hrtime() + (uint64_t)p->cfg->fold_slice_us * 1000u;
    bool was_final = p->game->state == BS_FINAL;
    long applied = p->game->n.applied;
    while (p->fold_off < p->fold_len) {
        size_t n = p->fold_len - p->fold_off;
        if (n > FOLD_PIECE)
            n = FOLD_PIECE;
        const char *d = p->fold_data + p->fold_off;
        hash_run(p, d, n);
        bs_feed_push(&p->feed, d, n);
        p->fold_off += n;
        if (p->feed.oom) {
            log_msg(LOG_ERROR, "out of memory folding %s: stopping; what is folded is still written", p->l_src.uri);
            drain_then_stop(p, PL_EXIT_RUNTIME);
            return;
        }
        if (uv_hrtime() >= deadline)
            break;
    }
    if (p->game->n.applied != applied)
        show_progress(p);
    if (!was_final && p->game->state == BS_FINAL)
        game_final(p);
    if (p->fold_off == p->fold_len)
        fold_done(p);
}

static void fold_start(pl *p, const char *data, size_t len, bool run_start)
{
    p->fold_data = data;
    p->fold_len = len;
    p->fold_off = 0;
    p->fold_is_run_start = run_start;
    p->folding = true;
    uv_idle_start(&p->fold_idle, fold_slice);
}

/* A run of the stream begins (the first bytes seen, or the object was rewritten from
 * its first line): the reference is read again (an operator may have fixed a roster
 * since), and these bytes wait until it is back. Their buffer stays valid: no poll
 * starts while reloading. */
static void begin_run(pl *p, const cn_chunk *c)
{
    if (c->restart) {
        log_msg(LOG_WARN, "%s was rewritten from the start (now %" PRIu64 " bytes): the game restarted, run %ld begins",
                p->l_src.uri, c->size, p->run + 1);
        /* the old run's documents still waiting are stale: they go, and so does what
         * the sink holds of that run */
        for (size_t i = p->qlen; i-- > queue_front(p);)
            if (queue_at(p, i)->kind == JOB_PUT)
                queue_remove(p, i);
        p->stale = false;
        queue_forget(p, (forget_spec){true, "", 0});
    }
    p->run++;
    p->run_hash = 2166136261u;
    p->run_hashed = 0;
    p->run_known = false;
    p->results_due = p->results_done = p->have_standings = false;
    p->l_res.gave_up = false;
    bs_ref_free(&p->standings);
    p->fold_data = c->data;
    p->fold_len = c->len;
    p->reloading = true;
    ref_kick(p);
}

static void on_chunk(pl *p, const cn_chunk *c)
{
    p->polls++;
    p->bytes_read += c->transferred;
    p->object_size = c->size;
    p->whole_reads += c->size;
    if (c->restart || (c->offset == 0 && c->len > 0)) {
        p->partial_polls = 0;
        begin_run(p, c);
        return;
    }
    if (!p->game) /* nothing yet: the object is empty */
        return;
    if (c->len > 0) {
        p->partial_polls = 0;
        fold_start(p, c->data, c->len, false);
    } else if ((p->feed.reader.len > 0 || p->feed.reader.overlong) && p->game->state != BS_FINAL &&
               ++p->partial_polls == PARTIAL_WARN_POLLS && !p->said_partial) {
        p->said_partial = true;
        log_msg(LOG_WARN, "%s line %ld has no newline after %d polls (%zu bytes so far): it is not folded until the "
                "producer ends it", p->l_src.uri, p->feed.reader.lineno, PARTIAL_WARN_POLLS, p->feed.reader.len);
    }
}

static void warn_missing_teams(pl *p)
{
    for (int s = 0; s < 2; s++)
        if (!bs_ref_team(&p->ref, s ? p->cfg->away : p->cfg->home)) {
            log_msg(LOG_WARN, "team %d is not in %s: its name and record will be empty", s ? p->cfg->away : p->cfg->home,
                    p->l_ref.uri);
        }
}

static bool teams_known(const pl *p)
{
    return bs_ref_team(&p->ref, p->cfg->home) && bs_ref_team(&p->ref, p->cfg->away);
}

/* New reference rows mid-run: the game moves onto them, as if folded over them. */
static void rebase_game(pl *p, bs_ref *ref)
{
    bs_game *g = bs_game_rebase(p->game, ref);
    if (!g) {
        log_msg(LOG_ERROR, "out of memory moving the game onto the new reference; keeping the old one");
        bs_ref_free(ref);
        return;
    }
    bs_game_free(p->game);
    bs_ref_free(&p->ref);
    p->ref = *ref;
    memset(ref, 0, sizeof *ref);
    g->ref = &p->ref;
    p->game = g;
    p->feed.game = g;
    log_msg(LOG_INFO, "reference read again: %zu teams, %zu players from %s", p->ref.nteams, p->ref.nplayers,
            p->l_ref.uri);
    queue_current(p);
    if (g->state == BS_FINAL) /* the tables follow the rows the final document shows */
        game_final(p);
}

/* Makes the game of a new run over p->ref and folds the run's first bytes. */
static void start_run_game(pl *p, bool first)
{
    bs_game_free(p->game); /* a new run: the old game pointed at the old rows */
    p->game = bs_game_new(&p->ref, p->cfg->home, p->cfg->away, p->cfg->game);
    if (!p->game) {
        log_msg(LOG_ERROR, "out of memory creating the game");
        drain_then_stop(p, PL_EXIT_RUNTIME);
        return;
    }
    bs_feed_hooks hooks = {on_applied, on_rejected, p};
    bs_feed_init(&p->feed, p->game, &hooks);
    if (p->reloading) {
        p->reloading = false;
        fold_start(p, p->fold_data, p->fold_len, true);
    } else if (first && p->cfg->once) {
        source_kick(p);
    } else if (first) {
        uv_timer_start(&p->poll, poll_tick, 0, (uint64_t)p->cfg->poll_ms);
    }
}

static void ref_loaded(pl *p, bs_ref *ref)
{
    p->last_load_ms = uv_now(&p->loop);
    p->reload_wanted = false;
    if (p->game && !p->reloading) { /* an unknown jersey or team during the run */
        rebase_game(p, ref);
        return;
    }
    bool first = p->game == NULL;
    bs_game_free(p->game); /* it pointed at the rows freed next */
    p->game = NULL;
    bs_ref_free(&p->ref);
    p->ref = *ref;
    memset(ref, 0, sizeof *ref);
    warn_missing_teams(p);
    log_msg(LOG_INFO, "reference: %zu teams, %zu players from %s; game %s, %d (home) vs %d (away)", p->ref.nteams,
            p->ref.nplayers, p->l_ref.uri, p->cfg->game, p->cfg->home, p->cfg->away);
    start_run_game(p, first);
}

/* The reference could not be read when a run began: the run starts on the rows read
 * before, and the read is retried in the background (the game is rebased then). */
static bool run_on_old_reference(pl *p)
{
    if (!p->reloading || !p->game)
        return false;
    log_msg(LOG_WARN, "the game goes on with the reference read before; it is read again when %s answers",
            p->l_ref.uri);
    p->reload_wanted = true;
    start_run_game(p, false);
    return true;
}

static void ref_kick(pl *p)
{
    if (p->stopping || !lane_free(&p->l_ref))
        return;
    if (!p->game || p->reloading) {
        job_start(p, &p->l_ref, JOB_LOAD, NULL, NULL);
        return;
    }
    if (!p->reload_wanted && teams_known(p))
        return;
    p->reload_wanted = true;
    uint64_t now = uv_now(&p->loop), next = p->last_load_ms + (uint64_t)p->cfg->reload_min_ms;
    if (now < next && p->game->state != BS_FINAL) /* at the final whistle the tables wait for it */
        uv_timer_start(&p->l_ref.retry, retry_fired, next - now, 0);
    else
        job_start(p, &p->l_ref, JOB_LOAD, NULL, NULL);
}

/* A lane failed for good. The sinks are independent: each is given up on its own and
 * the other still drains. Without a stream or a reference there is nothing more to
 * fold: stop, writing what is folded. */
static void lane_gave_up(pl *p, lane *l, const job *j)
{
    p->exit_code = PL_EXIT_RUNTIME;
    if (l == &p->l_ref && p->game && !p->reloading) {
        log_msg(LOG_WARN, "keeping the reference read before; the game goes on");
        p->reload_wanted = false;
        return;
    }
    if (l == &p->l_sink || l == &p->l_res) {
        l->gave_up = true;
        log_msg(LOG_ERROR, "gave up on %s %s%s; the other sink is not affected", l->what, l->uri,
                j->kind == JOB_RESULTS ? " (teams2/players2 not written)" : "");
        check_done(p);
        return;
    }
    drain_then_stop(p, PL_EXIT_RUNTIME);
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
            log_msg(LOG_DEBUG, "document %ld written", j->id);
            /* fall through */
        case JOB_REJECT:
        case JOB_FORGET:
            queue_pop(p);
            queue_refill(p);
            sink_kick(p);
            break;
        case JOB_RESULTS:
            p->results_done = !p->have_standings; /* unless a restarted game ended again meanwhile */
            log_msg(LOG_INFO, "wrote teams2 (%zu rows) and players2 (%zu rows) to %s", j->ref.nteams,
                    j->ref.nplayers, p->l_res.uri);
            results_kick(p);
            break;
        }
    } else if ((j->kind == JOB_PUT || j->kind == JOB_REJECT) && j->st == CN_INPUT) {
        log_msg(LOG_ERROR, "%s %s refused %s %ld: %s; skipping it", l->what, l->uri,
                j->kind == JOB_PUT ? "document" : "the record of rejected line", j->id, j->err.msg);
        queue_pop(p);
        queue_refill(p);
        sink_kick(p);
    } else if (!p->stopping || (p->draining && (l == &p->l_sink || l == &p->l_res))) {
        bool retrying = lane_failed(p, l, &j->err);
        if (j->kind == JOB_LOAD && run_on_old_reference(p) && !retrying)
            p->reload_wanted = false;
        else if (!retrying)
            lane_gave_up(p, l, j);
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
    uv_close((uv_handle_t *)&p->fold_idle, NULL);
    uv_close((uv_handle_t *)&p->sigint, NULL);
    uv_close((uv_handle_t *)&p->sigterm, NULL);
    uv_close((uv_handle_t *)&p->grace, NULL);
    lane *lanes[] = {&p->l_src, &p->l_ref, &p->l_sink, &p->l_res};
    for (size_t i = 0; i < 4; i++)
        uv_close((uv_handle_t *)&lanes[i]->retry, NULL);
}

static bool writes_busy(const pl *p)
{
    return p->l_sink.busy || p->l_res.busy;
}

static bool any_busy(const pl *p)
{
    return p->l_src.busy || p->l_ref.busy || writes_busy(p);
}

static void report_unwritten(pl *p)
{
    if (p->qlen > 0 || p->stale) {
        log_msg(LOG_ERROR, "%zu box-score writes%s were not made to %s; run again with the same options to write them "
                "(upserts by _id are idempotent)", p->qlen, p->stale ? " and the newest box score" : "", p->l_sink.uri);
        p->exit_code = PL_EXIT_RUNTIME;
    }
    if (p->results_due && !p->results_done) {
        log_msg(LOG_ERROR, "teams2/players2 were NOT written to %s; run `pipeline --once` with the same options once "
                "it is reachable to write them", p->l_res.uri);
        p->exit_code = PL_EXIT_RUNTIME;
    }
}

/* Stops now: no new calls; writes in flight finish, and a read that does not come
 * back (a hung mount, a server that never answers) is abandoned: reads can be redone. */
static void shutdown_with(pl *p, int code)
{
    atomic_store(&p->cancel_reads, 1);
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

/* Stops folding and polling, but what is already folded still goes out (box scores in
 * order, the newest one included, then the results) for up to --grace-ms, retrying as
 * usual. */
static void drain_then_stop(pl *p, int code)
{
    if (code > p->exit_code)
        p->exit_code = code;
    if (p->stopping)
        return;
    atomic_store(&p->cancel_reads, 1);
    p->stopping = p->draining = true;
    uv_timer_stop(&p->poll);
    uv_idle_stop(&p->fold_idle);
    p->folding = false;
    uv_timer_stop(&p->l_src.retry);
    uv_timer_stop(&p->l_ref.retry);
    uv_timer_start(&p->grace, grace_over, (uint64_t)p->cfg->grace_ms, 0);
    queue_newest_first(p);
    sink_kick(p);
    results_kick(p);
    check_done(p);
}

static bool sink_pending(const pl *p)
{
    return !p->l_sink.gave_up && (p->qlen > 0 || p->stale);
}

static bool results_pending(const pl *p)
{
    return !p->l_res.gave_up && p->results_due && !p->results_done;
}

static void check_done(pl *p)
{
    if (p->closed)
        return;
    if (p->stopping) {
        bool pending = sink_pending(p) || results_pending(p);
        if (p->draining && !pending && !writes_busy(p))
            uv_timer_stop(&p->grace); /* all written: no need to wait out the grace */
        if (!writes_busy(p) && !(p->draining && pending)) {
            report_unwritten(p);
            close_all(p);
            if (any_busy(p)) { /* only a read is left, and it can be redone */
                log_msg(LOG_WARN, "abandoning a %s call that has not returned", p->l_src.busy ? "stream source"
                                                                                             : "reference reader");
                p->abandoned = true;
                uv_stop(&p->loop);
            }
        }
        return;
    }
    bool drained = !sink_pending(p) && !p->l_sink.busy;
    bool results_ok = !results_pending(p) && !p->reload_wanted && !p->l_ref.busy;
    bool final = p->game && p->game->state == BS_FINAL && !p->reloading && !p->folding;
    if (p->cfg->once && p->polled && drained && results_ok && !p->l_src.busy && !p->reloading && !p->folding) {
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
    drain_then_stop(p, PL_EXIT_OK);
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

/* Kept reachable when a call is abandoned at exit: its worker still uses it. */
static pl *abandoned_run;

int pl_run(pl_config *cfg)
{
    pl *p = calloc(1, sizeof *p);
    if (!p)
        return PL_EXIT_RUNTIME;
    atomic_init(&p->cancel_reads, 0);
    cfg->conn.cancel = &p->cancel_reads;
    p->cfg = cfg;
    p->rng = (unsigned)time(NULL) ^ (unsigned)uv_os_getpid();
    p->run = -1; /* the first bytes start run 0 */
    p->qcap = cfg->queue_max > 0 ? (size_t)cfg->queue_max : 1;
    p->qbytes_max = (size_t)(cfg->queue_max_mib > 0 ? cfg->queue_max_mib : 1) << 20;
    p->queue = calloc(p->qcap, sizeof *p->queue);
    int rc = p->queue ? open_connectors(p) : PL_EXIT_RUNTIME;
    if (rc != PL_EXIT_OK)
        goto out;

    uv_loop_init(&p->loop);
    p->loop.data = p;
    uv_timer_init(&p->loop, &p->poll);
    uv_idle_init(&p->loop, &p->fold_idle);
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
    rc = p->exit_code;
    if (p->game)
        show_progress(p);
    log_status_keep();
    if (p->game)
        log_msg(LOG_INFO, "done: %ld events applied, %ld lines rejected, %ld duplicates, %ld box scores coalesced, "
                "%ld rejected-line records dropped; %ld polls read %" PRIu64 " bytes of a %" PRIu64
                "-byte stream (whole-object reads: %" PRIu64 ")",
                p->game->n.applied, p->game->n.rejected, p->game->n.duplicates, p->coalesced, p->rejects_dropped,
                p->polls, p->bytes_read, p->object_size, p->whole_reads);
    if (p->abandoned) {
        abandoned_run = p; /* a worker may still read p->src: leave it, the process ends */
        return rc;
    }
    uv_run(&p->loop, UV_RUN_DEFAULT); /* close callbacks */
    uv_loop_close(&p->loop);
out:
    while (p->qlen)
        queue_pop(p);
    free(p->queue);
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
