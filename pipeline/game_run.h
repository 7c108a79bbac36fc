/*
 * game_run.h — one game's life: its stream source, its fold, its pending writes.
 *
 *   scheduled ──first bytes──► in_progress ──final──► final ──written──► (retired)
 *        ▲                          │                   │
 *        └────── restarted: the stream was rewritten from its first line ◄──┘
 *
 * A run of the stream begins with its first bytes: the reference is read again, then
 * the bytes are folded in slices of --fold-slice-us (so the loop stays responsive
 * whatever their size), each applied event renders a document into the game's own
 * bounded queue (past its bounds documents coalesce into the newest), and at the final
 * the game's result goes to the results lane. Every document carries the run's id (a
 * hash of its first line); once the run's first bytes are folded, the sink forgets
 * the game's documents of any other run, so a restart while the pipeline was down
 * cannot leave the abandoned run on top.
 */
#ifndef PL_GAME_RUN_H
#define PL_GAME_RUN_H

#include "app.h"
#include "sinkq.h"

/* GR_STALLED: in progress, but the stream has not moved for --stall-after seconds; back to
 * in progress when it moves. */
typedef enum gr_state { GR_SCHEDULED = 0, GR_IN_PROGRESS, GR_FINAL, GR_STALLED, GR_NSTATES } gr_state;

struct game_run {
    app *app;
    char id[BS_MAX_GAME_ID + 1];
    int home, away;
    gr_state state;
    bool per_game_keys;     /* under a prefix: documents keyed by (game, event id) */

    cn_source src;
    lane l_src;
    char *source;           /* the stream's URI without credentials: the game's identity in the sinks (owned) */
    uint8_t claim_pending;  /* bit s: no forget has yet found box-score sink s free of another source's game of
                             * this id: only a forget may start there, and the result waits (unless s is given up) */
    bool refused;           /* the id is another source's game: nothing more is written (logged once) */
    bool paused;            /* Kafka: its partition is not assigned here now: no read starts (what was read is
                             * still folded and written); resumed or dropped at the next assignment */
    uv_idle_t fold_idle;
    int handles_open;       /* closed handles still to be called back before freeing */

    ref_snap *snap;         /* the rows game points into */
    bs_game *game;
    bs_feed feed;
    long run;               /* runs seen: a restart starts a new one (the first is 0) */
    bool reloading;         /* a new run waits for the reference */
    bool reload_wanted;     /* an unknown jersey or team: move onto newer rows */
    bool once_reread;       /* --once: this run asked for its one reload already */
    char run_id[16];
    uint32_t run_hash;
    size_t run_hashed;
    bool run_known;

    const char *fold_data;  /* the chunk being folded, in the source's buffer */
    size_t fold_len, fold_off;
    bool folding, fold_is_run_start;
    int partial_polls;
    bool said_partial;

    bool polled;            /* a poll succeeded (what --once waits for) */
    bool changed;           /* the listing or a push says the stream moved: read it (again) */
    bool absent;            /* under a prefix, the last read found no stream (the game has not started):
                               read again when a listing shows it or a push names it, never on a timer */
    long polls;
    /* freshness (metrics.h), uv_hrtime() stamps: when a listing showed the stream moved
     * (0 once read), when the bytes being folded were found, when the oldest change not
     * yet queued (stale) was found */
    uint64_t moved_ns, fold_seen_ns, stale_seen_ns;
    uint64_t last_moved_ms; /* loop time its stream last grew (or the game was found): for --stall-after */
    uint64_t bytes_read, object_size, whole_reads;
    size_t waiting_at;      /* its place in app.waiting plus one; 0: not there (outbox.c) */
    uint64_t poll_listings, read_listings; /* app.listings_begun when the poll in flight began; when the last read did */

    sinkq q;                /* the outbox (outbox.h): every sink's pending writes, each sink at its own place */
    uint64_t seq;           /* the last item's number */
    bool stale;             /* the newest state is not in the queue (coalesced) */
    bool said_full;
    bool said_unwritten;    /* "final, but NOT written" was logged */
    long coalesced, rejects_dropped;
    size_t last_doc_bytes;
    char updated_at[32];    /* the newest document's updated_at, "" before the first */

    bs_result result;       /* waiting for the results lane */
    bool have_result, result_due, result_done, result_busy;
};

/* A game to follow: its stream at source_uri, home vs away. NULL on failure (logged,
 * with the source's status in *st). */
game_run *gr_new(app *a, const char *id, const char *source_uri, int home, int away, bool per_game_keys,
                 cn_status *st);
/* Closes its handles; freed once they are closed. */
void gr_free(game_run *g);

/* In progress with no new bytes for --stall-after seconds: stalled (logged, and the newest
 * document is written again saying so). Called once a tick. */
void gr_check_stall(game_run *g);
/* Starts a poll of its source when one may start. */
void gr_poll(game_run *g);
/* A push says the stream moved: polls it now, or as soon as the poll or fold in progress
 * ends (a poll already in flight may have missed the write). */
void gr_push(game_run *g);
/* The app's reference lane brought new rows: a game waiting for them starts its run;
 * one that asked for them moves onto them. */
void gr_ref_loaded(game_run *g);
/* The reference could not be read: a waiting run starts on the rows it has. */
void gr_ref_failed(game_run *g, bool for_good);
/* The results lane finished this game's result with st (rows handed back on failure);
 * refused: the results sink refused this game (CN_CONFLICT), or NULL. */
void gr_results_done(game_run *g, cn_status st, bs_result *rows, const cn_error *err, const cn_error *refused);
/* The game's id is held by another source (err names both): logged once, counted, and
 * nothing more of it is written or read; the other games and the sinks go on. */
void gr_refuse(game_run *g, const cn_error *err);
/* Stops folding; the newest state goes to the front of the queue. */
void gr_stop(game_run *g);

/* Work left: documents (or the newest state) not yet written, a result not written. */
bool gr_sink_pending(const game_run *g);
bool gr_results_pending(const game_run *g);
/* True when every document and the results this game made were acknowledged: nothing
 * waits in its queue (a given-up sink's queue included), nothing was left out because
 * the sink was given up, and its tables, when due, were written. */
bool gr_written(const game_run *g);
/* Final and everything written: nothing more to do unless the stream is rewritten. Never
 * for a refused game: it stays, given up, so it is not followed (and refused) again. */
bool gr_done(const game_run *g);
/* Ready for --once to end: polled, folded, written. */
bool gr_once_done(const game_run *g);
const char *gr_state_name(gr_state s);
/* The game's line on a scoreboard (GET /v1/games, index.json): game, state, home and
 * away (teamid, name, score), period, timestamp, event_id, updated_at (the newest
 * document's); NULL when out of memory. */
json_t *gr_summary(const game_run *g);
/* A hash of everything gr_summary shows, from h: equal keys, equal lines. */
uint64_t gr_summary_key(const game_run *g, uint64_t h);
/* Shows the game's score on the terminal's status line. */
void gr_show(game_run *g);
/* Logs the game's counters. */
void gr_report(game_run *g);

#endif
