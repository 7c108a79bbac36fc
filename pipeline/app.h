/*
 * app.h — what the games of one process share, private to pipeline/.
 *
 * One loop thread owns everything here and in every game: no locks. The shared
 * connectors (reference reader, box-score sink, results sink, and under a prefix the
 * lister) each have one lane; the sink and results lanes serve the games round-robin,
 * one call at a time, so one game's backlog never starves another's newest document.
 *
 * The reference rows are an immutable, refcounted snapshot: a game keeps the snapshot
 * its fold points into until it moves onto a newer one, so a reload never frees rows a
 * game still uses. Each snapshot is indexed once when read (bs_ref_index, on the load's
 * worker): every game over it finds its teams and rosters without a scan.
 */
#ifndef PL_APP_H
#define PL_APP_H

#include <stdatomic.h>
#include <stdbool.h>

#include <uv.h>

#include "lane.h"
#include "metrics.h"
#include "pipeline.h"
#include "pool.h"
#include "scoreboard.h"

typedef struct game_run game_run;
typedef struct http_server http_server;

typedef struct ref_snap {
    int refs;
    bs_ref rows;
} ref_snap;

/* A game seen under the prefix that is not followed now: retired after its final, or
 * waiting for a valid game.json. What the listing showed of it, to see it change. */
typedef struct known_game {
    char id[BS_MAX_GAME_ID + 1];
    uint64_t stream_size, manifest_size;
    char stream_etag[72], manifest_etag[72];
    int64_t stream_mtime, manifest_mtime;
    bool retired;       /* final and written: a rewrite of its stream is a restart */
    uint64_t final_size;    /* retired: the stream's size when last read */
    bool final_size_pending; /* retired: no listing has shown final_size yet */
    uint64_t final_listings; /* retired: the listings begun before its last read began (they show nothing newer) */
    bool said;          /* its manifest problem was logged */
    bool said_manifest_ignored; /* a game.json edit while it is followed was logged */
    bool said_unreadable; /* a failed read of its game.json was logged */
    bool manifest_queued; /* its game.json is waiting to be read, or being read */
    struct game_run *run; /* followed now, or NULL */
    struct fs_watch *watch; /* file:// push: the watch on its folder, or NULL (push/fswatch.c) */
} known_game;

/* Push (push/): MinIO notifications and, for a file:// source, file-system events
 * trigger reads at once; the poll timer remains the fallback. */
typedef struct push_state {
    bool file;              /* file:// source: uv_fs_event on its folder(s) */
    char bucket[256];       /* s3://: the followed bucket ("" for file://) */
    char key[1024];         /* single stream: its key (file://: its name); prefix: the prefix ("" for file://) */
    char dir[1024];         /* file://: the folder watched (the stream's, or the prefix) */
    struct fs_watch *root;  /* the watch on dir, or NULL (retried on each poll tick) */
    bool said_watch;        /* a watch failure was logged */
    bool watch_failed;      /* a folder that exists could not be watched (the inotify limit, say) */
    bool fs_local;          /* file:// prefix: its file system raises an event for every writer's change */
    bool statfs_busy;       /* the question is out (uv_fs_statfs on dir) */
    uv_fs_t statfs_req;
    uint64_t last_used_ms;  /* loop time of the last notification that named a followed stream, 0 none */
    uint64_t last_poll_ms;  /* loop time of the last poll tick that polled */
    /* what notifications did is counted once, in metrics.notify[] */
    bs_once said;           /* the malformed-body reasons logged (each once) */
} push_state;

typedef struct job job;

/* One box-score sink (one --boxscores URI, sinks.c): --sink-lanes connections, each with
 * its lane, write for different games at once; one write per game at a time keeps each
 * game in order. Each sink is on its own: its retries and backoff, its give-up, and its
 * place in every game's outbox (outbox.h: bit ix of an item's done and busy). */
typedef struct pl_bsink {
    int ix;
    char name[40];          /* the label `sink` of its metrics: "boxscores", or "boxscores-<scheme>[-n]" with several */
    cn_boxscore conns[PL_SINK_LANES_MAX];
    lane lanes[PL_SINK_LANES_MAX];
    int nconns;
    bool gave_up;           /* failed for good: nothing more goes to it; the others go on */
    bool newest_only;       /* it keeps each game's newest document only (cn_boxscore_ops) */
    size_t next;            /* round-robin position over the games with writes waiting (app.waiting) */
    /* index.json (a sink with put_index, --index-interval-ms > 0): */
    bool has_index;
    bool index_wanted;      /* the interval passed, or the run ends: write it if it changed */
    bool index_busy;        /* a write of it in flight */
    uint64_t index_key;     /* of the body last written (0: none) */
} pl_bsink;

/* The process's life cycle, one step at a time, never back:
 *
 *   RUNNING ──signal, the end, an error──► DRAINING: no reads; writes go out for --grace-ms
 *      │                                      │ grace over, or a second signal
 *      └─────── --once done, a hard stop ─────┴─► STOPPING: no new calls; what is in flight ends
 *                                                   │ nothing in flight         │ a read never returns
 *                                                   ▼                           ▼
 *                                   CLOSED: the handles close  ABANDONED: the loop is stopped as it is
 */
typedef enum app_phase { APP_RUNNING = 0, APP_DRAINING, APP_STOPPING, APP_CLOSED, APP_ABANDONED } app_phase;

/* How the parts below the process call up into it (app.c's app_* functions call these;
 * pipeline.c fills them, http.c, push/fswatch.c and push/kafka.c add publish, game_known and expose). */
typedef struct app_hooks {
    void (*sink_kick)(struct app *a);
    void (*results_kick)(struct app *a);
    void (*ref_kick)(struct app *a);
    void (*check_done)(struct app *a);
    void (*game_settled)(struct app *a, game_run *g);
    void (*drain_then_stop)(struct app *a, int code);
    /* a document was queued for the sink: the same bytes to the API (NULL: no server) */
    void (*publish)(struct app *a, const char *game, const char *text, size_t len, long event_id);
    /* a game under the prefix became known (NULL: no file-system push) */
    void (*game_known)(struct app *a, known_game *k);
    /* more families for /metrics (NULL: none; the Kafka intake's) */
    void (*expose)(const struct app *a, pl_expo *e);
} app_hooks;

typedef struct app {
    const pl_config *cfg;
    app_hooks hooks;
    uv_loop_t loop;
    uv_timer_t poll, grace;
    uv_timer_t retire;      /* under a prefix: retires games that just became final and written */
    uint64_t retire_swept_ms; /* the last walk of every game for retirement (poll_tick) */
    uv_signal_t sigint, sigterm, sighup; /* SIGHUP (the terminal went away) is taken as SIGTERM */
    lane_policy pol;

    cn_reference refc;
    cn_results res;
    lane l_ref, l_res;
    /* the box-score sinks, one per --boxscores (sinks.c), each on its own */
    pl_bsink bs[PL_BSINKS_MAX];
    int nbs;
    scoreboard sb;          /* index.json's body, for the sinks that keep one */
    uv_timer_t index_tick;  /* every --index-interval-ms while a sink keeps an index */

    bool prefix_mode;       /* --source ends in '/': every game under it */
    cn_lister lister;
    lane l_list;
    /* game ids whose game.json is to be read, in order: manifests[mhead..nmanifests) */
    char **manifests;
    size_t mhead, nmanifests, capmanifests;
    /* the game.json reads in flight, PL_MANIFEST_LANES at once (a new day or a Kafka
     * takeover finds hundreds); each lane holds its game's id across its retries */
    struct manifest_lane {
        lane l; /* first: a job's lane is its manifest lane */
        char id[BS_MAX_GAME_ID + 1]; /* "" when it holds none */
    } ml[PL_MANIFEST_LANES];
    known_game *known;
    size_t nknown, capknown;
    bool listed_once;       /* --once under a prefix: the one listing is done */
    uint64_t listings_begun; /* listings of the prefix started so far (one at a time: the last is the one in flight) */
    bool list_wanted;       /* a push named a new game: list again as soon as the lister is free */
    uint64_t list_began_ms; /* uv_now when the last listing began */
    uv_timer_t list_soon;   /* a push's listing, held until --poll-ms after the last one began */
    bs_once refused;        /* folder names refused as game ids (logged once) */

    ref_snap *ref;          /* the newest reference rows; NULL before the first load */
    uint64_t last_load_ms;
    uint64_t load_began_ms, ref_read_ms; /* uv_now when the load in flight began; when the held snapshot's did */
    bool ref_wanted;        /* a game waits for, or asked for, a reload */
    uv_timer_t ref_later;   /* the rate-limited reload (--reload-min-ms), apart from l_ref's retry timer:
                             * the lane stays free meanwhile, so a run that begins reads at once */

    push_state push;

    game_run **games;
    size_t ngames, capgames;
    /* the games whose outbox holds a write (outbox.c): what the sinks walk for their next
     * write, not every game followed */
    struct game_run **waiting;
    size_t nwaiting, capwaiting;
    size_t pending_bytes;   /* held box-score writes of every game (--queue-total-mib) */
    size_t sink_next, res_next; /* round-robin positions */

    app_phase phase;
    bool read_wait_over;    /* at the end: a read in flight had its second to come back */
    int exit_code;
    http_server *http;      /* the HTTP server (http.c), or NULL with --http off */
    struct pl_kafka *kafka; /* the Kafka intake (push/kafka.c), or NULL without --kafka-* */
    atomic_int cancel_reads; /* tells a slow read on a worker thread to give up */
    pl_pool *writes;        /* the writes' own threads (job_submit_write): sink lanes x box-score sinks + results */
    pl_metrics metrics;     /* counters, on the loop thread only (metrics.h) */
} app;

/* One call to a connector on a worker thread, as libuv's uv_work_t: the part that makes
 * it gives the work (run on the worker) and the done function (on the loop thread). Fill
 * it between job_new and job_submit: the worker reads it as soon as it is submitted. */

struct job {
    uv_work_t req;          /* a read, on libuv's pool (job_submit) */
    pl_task task;           /* a write, on the writes' own pool (job_submit_write) */
    int pool;               /* PL_POOL_READS or PL_POOL_WRITES: which of the two ran it */
    uint64_t queued_ns, wait_ns; /* uv_hrtime at submission; how long it waited for a thread */
    bool ran;               /* a thread began it (a cancelled one never did) */
    app *a;
    game_run *g;            /* the game it serves, or NULL (for the done function) */
    lane *l;
    void (*work)(job *j);   /* on a worker thread: the call, its outcome in st/err */
    void (*done)(job *j);   /* on the loop thread with the outcome in st/err; frees j (job_free) */
    cn_source *src;         /* a poll: the game's source */
    const char *game;       /* a write: the game's id (the game outlives the job) */
    cn_status st;
    cn_error err;
    pl_bsink *bs;           /* a box-score write: the sink, its connection, the outbox item */
    int conn;
    uint64_t seq;
    bool forget;
    cn_chunk chunk;         /* a poll */
    bs_ref ref;             /* a load */
    bs_result *results;     /* results: the finals of nresults games, moved in, handed back on failure */
    game_run **rgames;      /* results: their games */
    size_t nresults;
    ref_snap *snap;         /* results: the reference rows of the season, held for the worker */
    const char *text;       /* a document or record: the queue keeps it until done */
    size_t len;
    long id;
    uint64_t call_ns;       /* a document's write: how long the sink's call took, on its worker */
    const char *source;     /* a forget: where the game is read from (the game outlives the job) */
    const char **sources;   /* results: each game's source */
    cn_error *refused;      /* results: each game's refusal (CN_CONFLICT), or CN_OK */
    char run[16];           /* a forget */
    bool all;
    long keep_upto;
    cn_listing listing;     /* a listing */
    char key[BS_MAX_GAME_ID + 16]; /* a game.json read: "<game>/game.json" */
    char *data;             /* a game.json read: what was read */
    size_t datalen;
};

#define APP_BACKOFF_BASE_MS 250

/* NULL when out of memory (logged; the lane retries later). done gets the outcome on
 * the loop thread, after the lane is marked free (and its failures reset on success). */
job *job_new(app *a, game_run *g, lane *l, void (*work)(job *j), void (*done)(job *j));
/* Runs a read (a stream, a listing, a game.json, the reference) on libuv's pool. */
void job_submit(job *j);
/* Runs a write (a box-score sink's, the results') on the writes' own threads (pool.h),
 * which no read can take: thousands of reads queued at once do not delay it. */
void job_submit_write(job *j);
/* Frees the job and what it still holds (rows, listing, results, snapshot). */
void job_free(job *j);

/* A write's outcome in the metrics of sink (PL_SINK_BOXSCORES + i, PL_SINK_RESULTS):
 * done, retried (a retry is scheduled), or failed. */
void app_count_write(app *a, int sink, cn_status st, bool retried);
/* Whether a failed call is retried: not once stopping, except writes while draining. */
bool app_may_retry(const job *j, bool writes);

/* The snapshot, one more holder of it / one fewer (freed with the last). */
ref_snap *app_ref_hold(ref_snap *s);
void app_ref_release(ref_snap *s);

/* Lanes of the app, kicked when a game has something for them. */
void app_sink_kick(app *a);
void app_results_kick(app *a);
void app_ref_kick(app *a);
/* Re-evaluates whether the process is done (or may stop). */
void app_check_done(app *a);
/* A document of game was queued for the sink: hands its bytes to the API. */
void app_publish(app *a, const char *game, const char *text, size_t len, long event_id);
/* A game under the prefix became known: watch it (file-system push). */
void app_game_known(app *a, known_game *k);
/* A call of the game's ended: under a prefix, a game now final and written is retired
 * at once (in the next loop turn), not at the next poll tick. */
void app_game_settled(app *a, game_run *g);
/* Stops folding and polling; what is folded still goes out for --grace-ms. */
void app_drain_then_stop(app *a, int code);
/* Past RUNNING: no new reads, no new games. */
static inline bool app_stopping(const app *a)
{
    return a->phase != APP_RUNNING;
}
/* Every box-score sink was given up / at least one was. */
static inline bool app_sinks_all_gave_up(const app *a)
{
    for (int i = 0; i < a->nbs; i++)
        if (!a->bs[i].gave_up)
            return false;
    return true;
}
static inline bool app_sinks_any_gave_up(const app *a)
{
    for (int i = 0; i < a->nbs; i++)
        if (a->bs[i].gave_up)
            return true;
    return false;
}

#endif
