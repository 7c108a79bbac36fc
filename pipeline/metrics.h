/*
 * metrics.h — the process's counters, gauges and the freshness histogram, and their
 * Prometheus text exposition (format 0.0.4). See serve.h for pl_metrics_render.
 *
 * Plain integers in the app, updated on the loop thread only (worker threads never
 * touch them: calls are counted in the job_done callbacks), so no locks. Labels have
 * bounded values: a source's scheme, a sink's role, a game state, a notification's
 * outcome; never a game id or an event.
 *
 * The exposition writer (pl_expo_*) is plain data, no libuv: unit-tested.
 */
#ifndef PL_METRICS_H
#define PL_METRICS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <uv.h>

#include "boxscore.h"
#include "pipeline.h"

/* A source's scheme: the label `scheme` of the source metrics. */
typedef enum pl_scheme { PL_SCHEME_FILE = 0, PL_SCHEME_S3, PL_SCHEME_OTHER, PL_NSCHEMES } pl_scheme;
/* A sink: the label `sink`. Box-score sink i (one per --boxscores) is PL_SINK_BOXSCORES + i. */
typedef enum pl_sink { PL_SINK_BOXSCORES = 0, PL_SINK_RESULTS = PL_BSINKS_MAX, PL_NSINKS } pl_sink;
/* What became of one MinIO notification (pl_metrics_notify). */
typedef enum pl_notify_outcome {
    PL_NOTIFY_USED = 0,     /* it named a stream followed (or a new game): a read started */
    PL_NOTIFY_IGNORED,      /* well-formed, but for another key or event: acknowledged */
    PL_NOTIFY_MALFORMED,    /* 400 */
    PL_NOTIFY_UNAUTHORIZED, /* 401 */
    PL_NOTIFY_OUTCOMES
} pl_notify_outcome;

/* A limit of the HTTP server that a client hit (pl_metrics_http_limit): the label `limit`. */
typedef enum pl_http_limit {
    PL_HTTP_LIMIT_INCOMPLETE = 0,   /* closed before a whole request: header too slow (--http-header-timeout-s)
                                     * or too large (--http-max-header-bytes); libwebsockets does not say which */
    PL_HTTP_LIMIT_BODY_SIZE,        /* request body too large */
    PL_HTTP_LIMIT_CONNECTIONS,      /* too many connections: refused */
    PL_HTTP_LIMIT_SSE_CLIENTS,      /* too many SSE clients: refused */
    PL_HTTP_LIMIT_SLOW_CLIENT,      /* an SSE client too slow to read: dropped */
    PL_HTTP_LIMIT_BODY_TIMEOUT,     /* a request body slower than --http-body-timeout-s: 408, closed */
    PL_HTTP_LIMIT_DESCRIPTORS,      /* accept found no descriptor, or only one of those kept for the sinks */
    PL_HTTP_LIMIT_FRAMING,          /* an ambiguous request length (Content-Length, Transfer-Encoding): 400 */
    PL_HTTP_LIMIT_UPGRADE,          /* an upgrade (WebSocket, h2c) or CONNECT: refused, closed */
    PL_HTTP_LIMITS
} pl_http_limit;

/* Upper bounds of the freshness histogram's buckets, in seconds (+Inf is implied). */
#define PL_FRESH_BUCKETS 14
extern const double pl_fresh_bounds[PL_FRESH_BUCKETS];

/* A histogram: per-bucket counts (not cumulative; the writer sums them), their sum. */
typedef struct pl_hist {
    uint64_t bucket[PL_FRESH_BUCKETS + 1]; /* the last is +Inf only */
    uint64_t count;
    double sum;
} pl_hist;

typedef struct pl_source_counters {
    uint64_t polls, poll_errors;        /* stream reads, and those that failed */
    uint64_t polls_waiting;             /* stream reads that found no stream yet (not started: not a failure) */
    uint64_t listings, listing_errors;  /* listings of the prefix, and those that failed */
    uint64_t manifest_reads;            /* game.json reads */
    uint64_t requests;                  /* requests to the source: polls, listing pages, manifest reads */
    uint64_t bytes;                     /* bytes read from the file or the network by polls */
} pl_source_counters;

typedef struct pl_sink_counters {
    uint64_t done;      /* calls the sink acknowledged */
    uint64_t retried;   /* calls that failed and are retried */
    uint64_t failed;    /* calls that failed for good: refused (skipped), or the sink given up on */
    uint64_t dropped;   /* writes never made: box scores coalesced into a newer one, records dropped */
} pl_sink_counters;

/* Which threads ran a job (sidearm_worker_wait_seconds{pool}): libuv's pool runs the reads
 * (streams, listings, game.json, the reference), the writes' own pool the sink calls. */
enum { PL_POOL_READS, PL_POOL_WRITES, PL_POOLS };

typedef struct pl_metrics {
    uint64_t events_applied, events_duplicate, events_after_final, lines_rejected;
    pl_source_counters src[PL_NSCHEMES];
    pl_scheme source_scheme;        /* the scheme of --source: always shown */
    uint64_t notify[PL_NOTIFY_OUTCOMES];
    pl_sink_counters sink[PL_NSINKS];
    uint64_t documents_written;     /* box-score documents the first box-score sink acknowledged */
    uint64_t ref_loads, ref_load_failures;
    uint64_t games_retired;
    uint64_t games_refused;         /* game ids held by another source (another day's game): not written */
    uint64_t http_responses[6];     /* by status class: [1] 1xx .. [5] 5xx ([0]: anything else) */
    uint64_t http_limits[PL_HTTP_LIMITS];
    uint64_t http_connections, sse_clients; /* gauges the HTTP server keeps current */
    uint64_t http_list_renders;     /* /v1/games entries rendered (each is kept until its game changes) */
    pl_hist freshness[PL_BSINKS_MAX]; /* change detected -> box-score sink i acknowledged the document */
    pl_hist sink_write[PL_BSINKS_MAX]; /* one document's write call to box-score sink i, on its worker thread */
    pl_hist worker_wait[PL_POOLS];  /* a job submitted -> a thread of that pool began it */
    double start_time;              /* seconds since the epoch */
    uv_timer_t file_timer;          /* --metrics-file: rewritten every PL_METRICS_FILE_MS */
    bool file_timer_on;
    bool file_busy;                 /* a rewrite is out on a worker thread */
    char *file_final;               /* the exit's rendering, written once that one is done */
    size_t file_final_len;
    bool file_said;                 /* a failure to write it was logged (and not its recovery) */
} pl_metrics;

#define PL_METRICS_FILE_MS 10000

/* The label value of a URI's scheme. */
pl_scheme pl_scheme_of(const char *uri);
void pl_hist_observe(pl_hist *h, double v);
/* Counts one MinIO notification and its outcome (the notification handler calls it). */
struct app;
void pl_metrics_notify(struct app *a, int outcome);
/* Counts one HTTP response by its status's class, and one limit a client hit (the HTTP
 * server calls them; it also keeps a->metrics.http_connections and sse_clients current). */
void pl_metrics_http_response(struct app *a, int status);
void pl_metrics_http_limit(struct app *a, int limit);

/* Starts the metrics of a: the start time, the scheme of --source, and with
 * --metrics-file the timer that rewrites the file (closed by pl_metrics_close). */
void pl_metrics_init(struct app *a);
void pl_metrics_close(struct app *a);
/* Writes --metrics-file now, on the loop thread (at exit), atomically (a temporary file
 * renamed over it); logs a failure once. While the timer's rewrite is out on a worker
 * thread, this one follows it. Does nothing without --metrics-file. The timer's
 * rewrites every PL_METRICS_FILE_MS run on a worker thread. */
void pl_metrics_write_file(struct app *a);

/* ---------------------------------------------------------------- the exposition writer */

typedef struct pl_expo {
    bs_buf text;
} pl_expo;

/* A family's HELP and TYPE lines (type: counter, gauge, histogram). */
void pl_expo_family(pl_expo *e, const char *name, const char *type, const char *help);
/* One sample: name{k="v",...} value. labels is NULL or NULL-terminated key, value pairs;
 * values are escaped (backslash, double quote, newline). */
void pl_expo_sample(pl_expo *e, const char *name, const char *const *labels, double value);
/* A histogram's _bucket (cumulative, with le), _sum and _count samples. */
void pl_expo_hist(pl_expo *e, const char *name, const char *const *labels, const double *bounds, size_t nbounds,
                  const pl_hist *h);
/* The text, NUL-terminated, its length in *len, handed to the caller; NULL when out of memory. */
char *pl_expo_finish(pl_expo *e, size_t *len);

#endif
