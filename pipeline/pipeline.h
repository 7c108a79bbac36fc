/*
 * pipeline.h — the game's life cycle on a libuv loop.
 *
 *   load reference ──► poll source every poll_ms ──► fold ──► upsert documents
 *                                      │                        (bounded queue, in order)
 *                                      └─ game final ──► write teams2/players2 once
 *
 * Every connector call runs on a libuv worker thread, one call per connector at a
 * time; the loop thread only folds, renders and schedules. Retries use capped
 * exponential backoff with jitter on loop timers, so SIGINT/SIGTERM, the poll timer
 * and the other connectors stay responsive while a server is slow or down.
 */
#ifndef PL_PIPELINE_H
#define PL_PIPELINE_H

#include <stdbool.h>

#include "connector.h"
#include "options.h"

typedef struct pl_config {
    const char *source, *reference, *results;
    opt_list boxscores;     /* 1..PL_BSINKS_MAX box-score sinks, each written on its own */
    int home, away;
    const char *game;
    int poll_ms;
    int safety_poll_ms;     /* the poll interval while MinIO notifications flow (push/) */
    const char *notify_token; /* required as "Authorization: Bearer <token>" by POST /minio/events; NULL: none */
    bool once, follow;
    const char *log_format;
    bool verbose;
    int queue_max;          /* pending box-score writes kept while the sink is down */
    int queue_max_mib;      /* ... and their size in MiB: past either, documents coalesce */
    int queue_total_mib;    /* the size of every game's held writes together, in MiB */
    int reload_min_ms;      /* least time between reference reloads for an unknown jersey or team */
    int reference_max_age_ms; /* a run that begins uses the reference read at most this long before; 0: it reads it */
    int fold_slice_us;      /* time budget of one turn of folding, so the loop stays responsive */
    int index_interval_ms;  /* index.json (box-score sinks that keep one) rewritten at most this often; 0: none */
    bool malloc_untuned;    /* GLIBC_TUNABLES sets no glibc.malloc.tcache_count (README "Benchmarks"): said once at start */
    int sink_lanes;         /* box-score sink connections writing at once (for different games), 1..PL_SINK_LANES_MAX */
    int backoff_max_ms;     /* cap of the retry delay */
    int once_attempts;      /* with --once: how many tries a transient failure gets */
    const char *health_file; /* touched on every poll tick: a liveness signal for healthchecks */
    int stall_after_s;       /* an in-progress game whose stream stays unchanged this long is stalled; 0 never */
    const char *metrics_file; /* the Prometheus text written there every 10 s and at exit; NULL or "" for none */
    int grace_ms;           /* after a signal: how long pending writes may still go out */
    const char *http_listen; /* ADDR:PORT of the HTTP server, or "off" */
    int http_max_conns;     /* connections at once, SSE streams apart */
    int http_max_sse;       /* SSE streams at once */
    int http_max_sse_per_peer; /* SSE streams at once from one address; 0: no cap of its own */
    int http_header_timeout_s; /* a request's headers must be in within this */
    int http_body_timeout_s;   /* and its body within this of its headers */
    int http_max_header_bytes; /* the largest request header block */
    int http_max_body_kib;  /* the largest request body */
    int sse_backlog_kib;    /* unsent bytes an SSE client may have before it is dropped */
    const char *cors_origins; /* origins whose pages may read the API (CORS), "*", or NULL: same origin only */
    /* Kafka intake (push/kafka.h): brokers, topic and group; TLS/SASL as librdkafka names them */
    const char *kafka_brokers, *kafka_topic, *kafka_group;
    const char *kafka_security, *kafka_ca_file, *kafka_sasl_mechanism, *kafka_sasl_username;
    const char *kafka_sasl_password; /* from KAFKA_SASL_PASSWORD(_FILE) only */
    int kafka_session_timeout_ms;
    const char *kafka_debug; /* librdkafka debug contexts (e.g. "cgrp"), logged at info; NULL or "": none */
    cn_settings conn;       /* conn.cancel is set by pl_run */
} pl_config;

#define PL_SINK_LANES_MAX 16
#define PL_BSINKS_MAX 4     /* box-score sinks at once (--boxscores given several times) */
#define PL_MANIFEST_LANES 8 /* game.json reads at once under a prefix */

/* Exit statuses of the program. */
enum { PL_EXIT_OK = 0, PL_EXIT_RUNTIME = 1, PL_EXIT_USAGE = 2 };

/* Opens the connectors, runs the loop until the game is done (or once, or a
 * signal), and returns an exit status. Logs through log.h. */
int pl_run(pl_config *cfg);

#endif
