/*
 * lane.h — one connector's calls: at most one in flight on a worker thread, a count of
 * consecutive failures, and a retry timer with capped exponential backoff and jitter.
 *
 * A lane never blocks the loop. It decides, per failure, between "retry later" and
 * "give up" (for a status that retrying cannot fix, or after --once-attempts with
 * --once), and logs either with the connector's redacted URI and, when it serves one
 * game, the game's id. Its owner's kick function is called when a retry is due.
 */
#ifndef PL_LANE_H
#define PL_LANE_H

#include <stdbool.h>
#include <stdint.h>

#include <uv.h>

#include "connector.h"

/* How lanes retry; shared by every lane of a process. */
typedef struct lane_policy {
    int backoff_base_ms, backoff_max_ms;
    bool once;              /* --once: give up after once_attempts */
    int once_attempts;
    unsigned rng;           /* jitter */
    uint64_t oks;           /* calls that succeeded, on every lane: the process makes progress */
} lane_policy;

typedef struct lane {
    const char *what;       /* names the connector in logs: "stream source", ... */
    char uri[512];          /* the connector's URI with any password hidden */
    const char *game;       /* the game it serves, for logs; NULL for shared lanes */
    bool busy;
    bool gave_up;           /* failed for good: nothing more is sent to it */
    int failures;
    int once_failures;      /* the failures --once-attempts counts (see lane_failed) */
    int backoff_steps;      /* the failures the backoff doubles over (see lane_failed) */
    bool out_of_descriptors; /* the last failure was this process's descriptor shortage */
    uint64_t oks_at_failure; /* pol->oks at the last failure */
    bool said_waiting;
    bool absent;            /* the last call found nothing yet (CN_NOT_FOUND): its retry may come sooner */
    uv_timer_t retry;
    lane_policy *pol;
    void (*kick)(void *owner);
    void *owner;
    void (*closed)(struct lane *l); /* lane_close's callback, or NULL */
} lane;

void lane_init(lane *l, uv_loop_t *loop, lane_policy *pol, const char *what, const char *uri, const char *game,
               void (*kick)(void *owner), void *owner);
/* True when a call may start now: none in flight, no retry pending, not given up. */
bool lane_free(const lane *l);
/* A call succeeded. */
void lane_ok(lane *l);
/* A call failed: logs it and schedules a retry (returns true), or says to give up.
 * A descriptor or space shortage (err->shortage) passes as the process's other calls
 * close their files: with --once it counts towards --once-attempts only while no call
 * of any lane succeeds, so a busy batch run must not give up a sink for it. A descriptor
 * shortage does not grow the backoff either while other calls succeed: the retry comes
 * after the base delay, as the descriptor it lacked is freed within milliseconds (with a
 * handful to spare, backing off to --backoff-max-ms idled the lanes while the other
 * calls took them). Only while nothing succeeds does it back off as an outage. */
bool lane_failed(lane *l, const cn_error *err);
/* Schedules the kick after ms (e.g. a rate limit); replaces a pending one. */
void lane_kick_after(lane *l, uint64_t ms);
void lane_stop(lane *l);
/* Closes the retry timer, as uv_close does: closed (NULL: none) is called with the lane
 * once it is closed (l->owner reaches its owner), and the lane's memory must live until then. */
void lane_close(lane *l, void (*closed)(lane *l));

#endif
