/*
 * metrics.c — counters, gauges, the freshness histogram and their Prometheus text
 * exposition (format 0.0.4). See metrics.h and serve.h.
 *
 * Counters are kept where the loop thread sees the outcome of a call (job_done and
 * the fold's hooks); gauges are read from the games when the text is rendered.
 */
#include "metrics.h"

#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <dirent.h>
#include <sys/resource.h>
#include <sys/time.h>
#include <unistd.h>

#include "app.h"
#include "fileio.h"
#include "game_run.h"
#include "log.h"
#include "outbox.h"
#include "serve.h"

#ifndef PL_VERSION
#define PL_VERSION "unknown"
#endif

const double pl_fresh_bounds[PL_FRESH_BUCKETS] = {0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1,
                                                  0.25,  0.5,    1,     2.5,  5,     10,   30};

static const char *const scheme_names[PL_NSCHEMES] = {"file", "s3", "other"};

pl_scheme pl_scheme_of(const char *uri)
{
    if (uri && !strncmp(uri, "file://", 7))
        return PL_SCHEME_FILE;
    if (uri && !strncmp(uri, "s3://", 5))
        return PL_SCHEME_S3;
    return PL_SCHEME_OTHER;
}

void pl_hist_observe(pl_hist *h, double v)
{
    if (!(v >= 0)) /* NaN or a clock that went back: counted in the first bucket */
        v = 0;
    size_t i = 0;
    while (i < PL_FRESH_BUCKETS && v > pl_fresh_bounds[i])
        i++;
    h->bucket[i]++;
    h->count++;
    h->sum += v;
}

void pl_metrics_notify(struct app *a, int outcome)
{
    if (outcome >= 0 && outcome < PL_NOTIFY_OUTCOMES)
        a->metrics.notify[outcome]++;
}

void pl_metrics_http_response(struct app *a, int status)
{
    a->metrics.http_responses[status >= 100 && status < 600 ? status / 100 : 0]++;
}

void pl_metrics_http_limit(struct app *a, int limit)
{
    if (limit >= 0 && limit < PL_HTTP_LIMITS)
        a->metrics.http_limits[limit]++;
}

/* ---------------------------------------------------------------- the exposition writer */

static void put(pl_expo *e, const char *s, size_t n)
{
    bs_buf_add(&e->text, s, n);
}

static void puts_(pl_expo *e, const char *s)
{
    put(e, s, strlen(s));
}

/* A HELP text escapes backslash and newline; a label value also the double quote. */
static void put_escaped(pl_expo *e, const char *s, bool quote)
{
    for (; *s; s++) {
        if (*s == '\\')
            puts_(e, "\\\\");
        else if (*s == '\n')
            puts_(e, "\\n");
        else if (*s == '"' && quote)
            puts_(e, "\\\"");
        else
            put(e, s, 1);
    }
}

/* The shortest text that reads back as v: 0.005, not 0.0050000000000000001. */
static void shortest(char *num, size_t len, double v)
{
    for (int prec = 15; prec <= 17; prec++) {
        snprintf(num, len, "%.*g", prec, v);
        if (strtod(num, NULL) == v)
            return;
    }
}

static void put_number(pl_expo *e, double v)
{
    char num[64];
    if (isnan(v))
        snprintf(num, sizeof num, "NaN");
    else if (isinf(v))
        snprintf(num, sizeof num, "%s", v > 0 ? "+Inf" : "-Inf");
    else if (v > -9007199254740992.0 && v < 9007199254740992.0 && v == (double)(int64_t)v) /* integers exactly */
        snprintf(num, sizeof num, "%.0f", v);
    else
        shortest(num, sizeof num, v);
    puts_(e, num);
}

void pl_expo_family(pl_expo *e, const char *name, const char *type, const char *help)
{
    puts_(e, "# HELP ");
    puts_(e, name);
    puts_(e, " ");
    put_escaped(e, help, false);
    puts_(e, "\n# TYPE ");
    puts_(e, name);
    puts_(e, " ");
    puts_(e, type);
    puts_(e, "\n");
}

/* name{labels[,extra_key="extra_val"]} */
static void put_series(pl_expo *e, const char *name, const char *suffix, const char *const *labels,
                       const char *extra_key, const char *extra_val)
{
    puts_(e, name);
    puts_(e, suffix);
    bool any = (labels && labels[0]) || extra_key;
    if (!any)
        return;
    puts_(e, "{");
    bool first = true;
    for (size_t i = 0; labels && labels[i] && labels[i + 1]; i += 2) {
        if (!first)
            puts_(e, ",");
        first = false;
        puts_(e, labels[i]);
        puts_(e, "=\"");
        put_escaped(e, labels[i + 1], true);
        puts_(e, "\"");
    }
    if (extra_key) {
        if (!first)
            puts_(e, ",");
        puts_(e, extra_key);
        puts_(e, "=\"");
        put_escaped(e, extra_val, true);
        puts_(e, "\"");
    }
    puts_(e, "}");
}

void pl_expo_sample(pl_expo *e, const char *name, const char *const *labels, double value)
{
    put_series(e, name, "", labels, NULL, NULL);
    puts_(e, " ");
    put_number(e, value);
    puts_(e, "\n");
}

void pl_expo_hist(pl_expo *e, const char *name, const char *const *labels, const double *bounds, size_t nbounds,
                  const pl_hist *h)
{
    uint64_t cum = 0;
    char le[64];
    for (size_t i = 0; i <= nbounds; i++) {
        cum += h->bucket[i];
        if (i < nbounds)
            shortest(le, sizeof le, bounds[i]);
        else
            snprintf(le, sizeof le, "+Inf");
        put_series(e, name, "_bucket", labels, "le", le);
        puts_(e, " ");
        put_number(e, (double)cum);
        puts_(e, "\n");
    }
    put_series(e, name, "_sum", labels, NULL, NULL);
    puts_(e, " ");
    put_number(e, h->sum);
    puts_(e, "\n");
    put_series(e, name, "_count", labels, NULL, NULL);
    puts_(e, " ");
    put_number(e, (double)h->count);
    puts_(e, "\n");
}

char *pl_expo_finish(pl_expo *e, size_t *len)
{
    return bs_buf_take(&e->text, len);
}

/* ---------------------------------------------------------------- the process's metrics */

/* A family whose samples are fields of a struct: one table row each. */
typedef struct family {
    const char *name, *help;
    size_t off;
} family;

#define U64_AT(base, off) (*(const uint64_t *)((const char *)(base) + (off)))

/* Counters without labels. */
static const family plain[] = {
    {"sidearm_events_applied_total", "Events folded into a game's box score.", offsetof(pl_metrics, events_applied)},
    {"sidearm_events_duplicate_total", "Events skipped because their id was applied already.",
     offsetof(pl_metrics, events_duplicate)},
    {"sidearm_events_after_final_total", "Events skipped because they came after the final whistle.",
     offsetof(pl_metrics, events_after_final)},
    {"sidearm_lines_rejected_total", "Stream lines rejected as malformed (each is recorded in the sink).",
     offsetof(pl_metrics, lines_rejected)},
    {"sidearm_boxscore_documents_written_total", "Box-score documents the sink acknowledged.",
     offsetof(pl_metrics, documents_written)},
    {"sidearm_games_retired_total", "Games final and written, no longer followed.", offsetof(pl_metrics, games_retired)},
    {"sidearm_games_refused_total", "Games refused because their id is held by another source (not written).",
     offsetof(pl_metrics, games_refused)},
    {"sidearm_reference_loads_total", "Reads of the reference (teams and players) that succeeded.",
     offsetof(pl_metrics, ref_loads)},
    {"sidearm_reference_load_failures_total", "Reads of the reference that failed.",
     offsetof(pl_metrics, ref_load_failures)},
    {"sidearm_notifications_used_total", "Notifications that named a followed stream or a new game.",
     offsetof(pl_metrics, notify) + PL_NOTIFY_USED * sizeof(uint64_t)},
    {"sidearm_notifications_ignored_total", "Well-formed notifications for keys or events not followed.",
     offsetof(pl_metrics, notify) + PL_NOTIFY_IGNORED * sizeof(uint64_t)},
};

/* Counters per source scheme (pl_source_counters). */
static const family per_scheme[] = {
    {"sidearm_source_polls_total", "Reads of a game's stream.", offsetof(pl_source_counters, polls)},
    {"sidearm_source_poll_errors_total", "Reads of a game's stream that failed (a stream not there yet is waiting, not failing).",
     offsetof(pl_source_counters, poll_errors)},
    {"sidearm_source_polls_waiting_total", "Reads of a game's stream that found none yet: the game has not started.",
     offsetof(pl_source_counters, polls_waiting)},
    {"sidearm_source_listings_total", "Listings of the games under the source prefix.",
     offsetof(pl_source_counters, listings)},
    {"sidearm_source_listing_errors_total", "Listings of the source prefix that failed.",
     offsetof(pl_source_counters, listing_errors)},
    {"sidearm_source_manifest_reads_total", "Reads of a game's game.json.", offsetof(pl_source_counters, manifest_reads)},
    {"sidearm_source_requests_total", "Requests made to the source: stream reads, listing pages, game.json reads.",
     offsetof(pl_source_counters, requests)},
    {"sidearm_source_read_bytes_total", "Bytes the stream reads took from the file or the network.",
     offsetof(pl_source_counters, bytes)},
};

/* Counters per sink (pl_sink_counters). */
static const family per_sink[] = {
    {"sidearm_sink_writes_done_total", "Calls the sink acknowledged.", offsetof(pl_sink_counters, done)},
    {"sidearm_sink_writes_retried_total", "Calls that failed and are tried again.", offsetof(pl_sink_counters, retried)},
    {"sidearm_sink_writes_failed_total", "Calls that failed for good: refused and skipped, or the sink was given up on.",
     offsetof(pl_sink_counters, failed)},
    {"sidearm_sink_writes_dropped_total",
     "Writes never made: box scores coalesced into a newer one, rejected-line records dropped.",
     offsetof(pl_sink_counters, dropped)},
};

/* A family with one sample per value of one label: n values, v[i] at base + i * stride + off
 * (no label when key is NULL: one sample). */
static void labelled(pl_expo *e, const family *f, const char *type, const char *key, const char *const *values,
                     size_t n, const void *base, size_t stride, const bool *shown)
{
    pl_expo_family(e, f->name, type, f->help);
    for (size_t i = 0; i < n; i++)
        if (!shown || shown[i])
            pl_expo_sample(e, f->name, key ? (const char *const[]){key, values[i], NULL} : NULL,
                           (double)U64_AT((const char *)base + i * stride, f->off));
}

/* The process_* families every Prometheus client library exports, under their standard
 * names: CPU (getrusage: every thread), resident memory (/proc/self/statm), descriptors
 * open (/proc/self/fd) and their limit, and the start time. procfs answers from memory:
 * no wait on the loop. A figure that cannot be read is left out. */
static void process_families(pl_expo *e, const pl_metrics *m)
{
    struct rusage ru;
    if (!getrusage(RUSAGE_SELF, &ru)) {
        double cpu = (double)ru.ru_utime.tv_sec + (double)ru.ru_utime.tv_usec / 1e6 + (double)ru.ru_stime.tv_sec +
                     (double)ru.ru_stime.tv_usec / 1e6;
        pl_expo_family(e, "process_cpu_seconds_total", "counter", "Total user and system CPU time spent in seconds.");
        pl_expo_sample(e, "process_cpu_seconds_total", NULL, cpu);
    }
    FILE *f = fopen("/proc/self/statm", "re");
    unsigned long long pages_total, pages_rss;
    if (f && fscanf(f, "%llu %llu", &pages_total, &pages_rss) == 2) {
        double page = (double)sysconf(_SC_PAGESIZE);
        pl_expo_family(e, "process_virtual_memory_bytes", "gauge", "Virtual memory size in bytes.");
        pl_expo_sample(e, "process_virtual_memory_bytes", NULL, (double)pages_total * page);
        pl_expo_family(e, "process_resident_memory_bytes", "gauge", "Resident memory size in bytes.");
        pl_expo_sample(e, "process_resident_memory_bytes", NULL, (double)pages_rss * page);
    }
    if (f)
        fclose(f);
    DIR *d = opendir("/proc/self/fd");
    if (d) {
        long n = -1; /* the listing's own descriptor is not counted */
        while (readdir(d))
            n++;
        closedir(d);
        n -= 2; /* . and .. */
        pl_expo_family(e, "process_open_fds", "gauge", "Number of open file descriptors.");
        pl_expo_sample(e, "process_open_fds", NULL, (double)(n < 0 ? 0 : n));
    }
    struct rlimit rl;
    if (!getrlimit(RLIMIT_NOFILE, &rl) && rl.rlim_cur != RLIM_INFINITY) {
        pl_expo_family(e, "process_max_fds", "gauge", "Maximum number of open file descriptors.");
        pl_expo_sample(e, "process_max_fds", NULL, (double)rl.rlim_cur);
    }
    pl_expo_family(e, "process_start_time_seconds", "gauge", "Start time of the process since unix epoch in seconds.");
    pl_expo_sample(e, "process_start_time_seconds", NULL, m->start_time);
}

char *pl_metrics_render(const app *a, size_t *len)
{
    const pl_metrics *m = &a->metrics;
    pl_expo e = {0};

    pl_expo_family(&e, "sidearm_build_info", "gauge", "The pipeline's version; always 1.");
    pl_expo_sample(&e, "sidearm_build_info", (const char *const[]){"version", PL_VERSION, NULL}, 1);
    process_families(&e, m);

    for (size_t f = 0; f < sizeof plain / sizeof *plain; f++) {
        pl_expo_family(&e, plain[f].name, "counter", plain[f].help);
        pl_expo_sample(&e, plain[f].name, NULL, (double)U64_AT(m, plain[f].off));
    }
    uint64_t received = 0;
    for (int o = 0; o < PL_NOTIFY_OUTCOMES; o++)
        received += m->notify[o];
    pl_expo_family(&e, "sidearm_notifications_received_total", "counter", "MinIO bucket notifications received.");
    pl_expo_sample(&e, "sidearm_notifications_received_total", NULL, (double)received);
    static const char *const reasons[] = {"malformed", "unauthorized"};
    labelled(&e, &(family){"sidearm_notifications_refused_total",
                           "Notifications refused: a malformed body (400) or a missing or wrong token (401).", 0},
             "counter", "reason", reasons, 2, &m->notify[PL_NOTIFY_MALFORMED], sizeof(uint64_t), NULL);

    /* the source: the scheme of --source, and any other that was counted */
    bool shown[PL_NSCHEMES];
    for (int s = 0; s < PL_NSCHEMES; s++) {
        shown[s] = (int)m->source_scheme == s;
        for (size_t f = 0; f < sizeof per_scheme / sizeof *per_scheme; f++)
            shown[s] = shown[s] || U64_AT(&m->src[s], per_scheme[f].off);
    }
    for (size_t f = 0; f < sizeof per_scheme / sizeof *per_scheme; f++)
        labelled(&e, &per_scheme[f], "counter", "scheme", scheme_names, PL_NSCHEMES, m->src, sizeof *m->src, shown);

    /* the sinks: each box-score sink by its name, then the results */
    const char *sink_names[PL_BSINKS_MAX + 1];
    pl_sink_counters sinks[PL_BSINKS_MAX + 1];
    int nsinks = a->nbs + 1;
    for (int i = 0; i < a->nbs; i++) {
        sink_names[i] = a->bs[i].name;
        sinks[i] = m->sink[PL_SINK_BOXSCORES + i];
    }
    sink_names[a->nbs] = "results";
    sinks[a->nbs] = m->sink[PL_SINK_RESULTS];
    for (size_t f = 0; f < sizeof per_sink / sizeof *per_sink; f++)
        labelled(&e, &per_sink[f], "counter", "sink", sink_names, (size_t)nsinks, sinks, sizeof *sinks, NULL);

    cn_exhaustion ex = cn_exhaustion_counts();
    static const char *const resources[] = {"descriptors", "disk_space"};
    labelled(&e, &(family){"sidearm_local_shortages_total", "Connector calls that ran out of file descriptors "
                           "(EMFILE, ENFILE) or disk space (ENOSPC, EDQUOT); each is retried with backoff.", 0},
             "counter", "resource", resources, 2, (uint64_t[]){ex.descriptors, ex.space}, sizeof(uint64_t), NULL);

    static const char *const classes[] = {"other", "1xx", "2xx", "3xx", "4xx", "5xx"};
    labelled(&e, &(family){"sidearm_http_responses_total", "HTTP responses sent, by status class.", 0}, "counter",
             "code", classes, 6, m->http_responses, sizeof *m->http_responses, NULL);
    static const char *const limits[] = {"incomplete_request", "body_size", "connections", "sse_clients",
                                         "slow_client", "body_timeout", "descriptors", "framing", "upgrade"};
    labelled(&e, &(family){"sidearm_http_limit_hits_total", "Requests or clients cut off by a limit of the HTTP "
                           "server (slow_client: an SSE client too slow to read, dropped; descriptors: no descriptor to spare at "
                           "accept; framing: an ambiguous length; upgrade: WebSocket, h2c or CONNECT).", 0},
             "counter", "limit", limits, PL_HTTP_LIMITS, m->http_limits, sizeof *m->http_limits, NULL);
    labelled(&e, &(family){"sidearm_http_connections", "HTTP connections open now.", 0}, "gauge", NULL, NULL, 1,
             &m->http_connections, 0, NULL);
    labelled(&e, &(family){"sidearm_http_list_renders_total", "Entries of GET /v1/games rendered: each game's "
                           "is kept until the game changes.", 0}, "counter", NULL, NULL, 1, &m->http_list_renders, 0,
             NULL);
    labelled(&e, &(family){"sidearm_sse_clients", "Server-Sent Events clients connected now.", 0}, "gauge", NULL,
             NULL, 1, &m->sse_clients, 0, NULL);

    /* gauges, read from the games now */
    uint64_t depth[PL_BSINKS_MAX + 1] = {0}, up[PL_BSINKS_MAX + 1] = {0}, states[GR_NSTATES] = {0};
    for (int s = 0; s < a->nbs; s++)
        up[s] = !a->bs[s].gave_up;
    up[a->nbs] = !a->l_res.gave_up;
    for (size_t i = 0; i < a->ngames; i++) {
        game_run *g = a->games[i];
        for (int s = 0; s < a->nbs; s++)
            depth[s] += sq_depth(&g->q, s, a->bs[s].gave_up, a->bs[s].newest_only);
        depth[a->nbs] += g->have_result || g->result_busy;
        if ((int)g->state >= 0 && (int)g->state < GR_NSTATES)
            states[g->state]++;
    }
    labelled(&e, &(family){"sidearm_sink_queue_depth", "Writes waiting for the sink, the one in flight included "
                           "(results: games whose final tables wait).", 0},
             "gauge", "sink", sink_names, (size_t)nsinks, depth, sizeof *depth, NULL);
    /* the outbox is one for every box-score sink: its bytes carry the one label "boxscores" */
    labelled(&e, &(family){"sidearm_sink_queued_bytes", "Bytes of the box-score writes waiting, all games and "
                           "box-score sinks (one outbox per game serves them all).", 0},
             "gauge", "sink", (const char *const[]){"boxscores"}, 1, &(uint64_t){a->pending_bytes}, 0, NULL);
    labelled(&e, &(family){"sidearm_sink_up", "0 once the sink was given up on for good, else 1.", 0}, "gauge", "sink",
             sink_names, (size_t)nsinks, up, sizeof *up, NULL);
    static const char *const state_names[] = {"scheduled", "in_progress", "final", "stalled"};
    labelled(&e, &(family){"sidearm_games", "Games followed now, by state.", 0}, "gauge", "state", state_names, GR_NSTATES,
             states, sizeof *states, NULL);

    if (a->hooks.expose) /* the Kafka intake's families */
        a->hooks.expose(a, &e);

    pl_expo_family(&e, "sidearm_freshness_seconds", "histogram",
                   "From the read that found a change in a stream to the sink's acknowledgement of the box score "
                   "showing it.");
    for (int s = 0; s < a->nbs; s++) /* with one sink, no label: as it always was */
        pl_expo_hist(&e, "sidearm_freshness_seconds", a->nbs > 1 ? (const char *const[]){"sink", a->bs[s].name, NULL} : NULL,
                     pl_fresh_bounds, PL_FRESH_BUCKETS, &m->freshness[s]);
    pl_expo_family(&e, "sidearm_sink_write_seconds", "histogram",
                   "One box-score document's write call to the sink, acknowledged: its share of the freshness "
                   "(the rest is the read, the fold and the wait for a free lane).");
    for (int s = 0; s < a->nbs; s++)
        pl_expo_hist(&e, "sidearm_sink_write_seconds", (const char *const[]){"sink", a->bs[s].name, NULL},
                     pl_fresh_bounds, PL_FRESH_BUCKETS, &m->sink_write[s]);
    pl_expo_family(&e, "sidearm_worker_wait_seconds", "histogram",
                   "From a call's submission to the thread that began it: reads (streams, listings, game.json, "
                   "the reference) on libuv's pool, writes (box-score sinks, results) on their own threads.");
    static const char *const pools[PL_POOLS] = {[PL_POOL_READS] = "reads", [PL_POOL_WRITES] = "writes"};
    for (int p = 0; p < PL_POOLS; p++)
        pl_expo_hist(&e, "sidearm_worker_wait_seconds", (const char *const[]){"pool", pools[p], NULL},
                     pl_fresh_bounds, PL_FRESH_BUCKETS, &m->worker_wait[p]);
    return pl_expo_finish(&e, len);
}


/* ---------------------------------------------------------------- --metrics-file */

/* One rewrite of the file: rendered on the loop, written on a worker thread (a file
 * system that hangs must not stop the loop), or at once at exit. */
typedef struct file_write {
    uv_work_t req;
    app *a;
    char *text;
    size_t len;
    cn_status st;
    cn_error err;
} file_write;

static void file_outcome(app *a, cn_status st, const cn_error *err)
{
    if (st && a->phase == APP_CLOSED) { /* the last word: there is no next time */
        log_msg(LOG_WARN, "--metrics-file: %s; the metrics at exit are not in it", err->msg);
    } else if (st && !a->metrics.file_said) {
        a->metrics.file_said = true;
        log_msg(LOG_WARN, "--metrics-file: %s; will try again", err->msg);
    } else if (!st && a->metrics.file_said) {
        a->metrics.file_said = false;
        log_msg(LOG_INFO, "--metrics-file %s written again", a->cfg->metrics_file);
    }
}

static cn_status file_render(app *a, file_write *w)
{
    *w = (file_write){.a = a};
    w->req.data = w;
    if (!(w->text = pl_metrics_render(a, &w->len)))
        return cn_fail(&w->err, CN_FATAL, "out of memory rendering the metrics for %s", a->cfg->metrics_file);
    return CN_OK;
}

static void file_work(uv_work_t *req)
{
    file_write *w = req->data;
    w->st = cn_replace_file(w->a->cfg->metrics_file, w->text, w->len, NULL, false, &w->err);
}

static void file_done(uv_work_t *req, int status)
{
    file_write *w = req->data;
    app *a = w->a;
    a->metrics.file_busy = false;
    if (status == 0)
        file_outcome(a, w->st, &w->err);
    free(w->text);
    free(w);
    if (a->metrics.file_final) { /* the process ended while this write was out: its last word */
        cn_error err = {0};
        cn_status st = cn_replace_file(a->cfg->metrics_file, a->metrics.file_final, a->metrics.file_final_len,
                                       NULL, false, &err);
        free(a->metrics.file_final);
        a->metrics.file_final = NULL;
        file_outcome(a, st, &err);
    }
}

void pl_metrics_write_file(app *a)
{
    if (!a->cfg->metrics_file || !*a->cfg->metrics_file)
        return;
    if (a->metrics.file_busy) { /* both would use the one temporary file: rendered now, written after it */
        free(a->metrics.file_final);
        a->metrics.file_final = pl_metrics_render(a, &a->metrics.file_final_len);
        return;
    }
    file_write w;
    cn_status st = file_render(a, &w);
    if (!st)
        st = cn_replace_file(a->cfg->metrics_file, w.text, w.len, NULL, false, &w.err);
    free(w.text);
    file_outcome(a, st, &w.err);
}

static void file_tick(uv_timer_t *t)
{
    app *a = t->data;
    file_write *w = malloc(sizeof *w);
    if (!w || a->metrics.file_busy) { /* the last one is still out: skip a beat */
        free(w);
        return;
    }
    cn_status st = file_render(a, w);
    if (st || uv_queue_work(&a->loop, &w->req, file_work, file_done)) {
        file_outcome(a, st ? st : cn_fail(&w->err, CN_FATAL, "cannot start a worker to write %s",
                                              a->cfg->metrics_file), &w->err);
        free(w->text);
        free(w);
        return;
    }
    a->metrics.file_busy = true;
}

void pl_metrics_init(app *a)
{
    struct timeval tv;
    gettimeofday(&tv, NULL);
    a->metrics.start_time = (double)tv.tv_sec + (double)tv.tv_usec / 1e6;
    a->metrics.source_scheme = pl_scheme_of(a->cfg->source);
    if (a->cfg->metrics_file && *a->cfg->metrics_file) {
        uv_timer_init(&a->loop, &a->metrics.file_timer);
        a->metrics.file_timer.data = a;
        uv_timer_start(&a->metrics.file_timer, file_tick, PL_METRICS_FILE_MS, PL_METRICS_FILE_MS);
        uv_unref((uv_handle_t *)&a->metrics.file_timer);
        a->metrics.file_timer_on = true;
    }
}

void pl_metrics_close(app *a)
{
    if (!a->metrics.file_timer_on)
        return;
    a->metrics.file_timer_on = false;
    uv_close((uv_handle_t *)&a->metrics.file_timer, NULL);
}
