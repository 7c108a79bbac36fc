/*
 * lane.c — retries and their logging for one connector. See lane.h.
 */
#include "lane.h"

#include <inttypes.h>
#include <stdlib.h>

#include "log.h"

void lane_init(lane *l, uv_loop_t *loop, lane_policy *pol, const char *what, const char *uri, const char *game,
               void (*kick)(void *owner), void *owner)
{
    *l = (lane){0}; /* not busy, not given up, no failures, whatever the memory held */
    cn_uri_redact(uri, l->uri, sizeof l->uri);
    l->what = what;
    l->game = game;
    l->pol = pol;
    l->kick = kick;
    l->owner = owner;
    uv_timer_init(loop, &l->retry);
    l->retry.data = l;
}

static uint64_t backoff_ms(lane *l)
{
    lane_policy *p = l->pol;
    uint64_t d = (uint64_t)p->backoff_base_ms, max = (uint64_t)p->backoff_max_ms;
    for (int i = 1; i < l->backoff_steps && d < max; i++)
        d *= 2;
    if (d > max)
        d = max;
    /* equal jitter: half fixed, half random, so restarted clients spread out */
    return d / 2 + (uint64_t)(rand_r(&p->rng) % (d / 2 + 1));
}

static void retry_fired(uv_timer_t *t)
{
    lane *l = t->data;
    l->kick(l->owner);
}

bool lane_free(const lane *l)
{
    return !l->busy && !l->gave_up && !uv_is_active((const uv_handle_t *)&l->retry);
}

void lane_ok(lane *l)
{
    if (l->failures > 0 && !l->said_waiting)
        log_game(LOG_INFO, l->game, "%s %s: recovered after %d failed tries", l->what, l->uri, l->failures);
    l->failures = 0;
    l->once_failures = 0;
    l->backoff_steps = 0;
    l->out_of_descriptors = false;
    l->said_waiting = false;
    l->absent = false;
    l->pol->oks++;
}

bool lane_failed(lane *l, const cn_error *err)
{
    bool retryable = err->status == CN_TRANSIENT || err->status == CN_NOT_FOUND;
    if (!retryable) {
        log_game(LOG_ERROR, l->game, "%s %s: %s", l->what, l->uri, err->msg);
        return false;
    }
    l->failures++;
    l->absent = err->status == CN_NOT_FOUND;
    l->out_of_descriptors = err->shortage == CN_SHORT_DESCRIPTORS;
    if (err->shortage && l->pol->oks != l->oks_at_failure) { /* others got through since: the shortage passes */
        l->once_failures = 0;
        if (l->out_of_descriptors)
            l->backoff_steps = 0;
    }
    l->oks_at_failure = l->pol->oks;
    l->once_failures++;
    l->backoff_steps++;
    if (l->pol->once && l->once_failures >= l->pol->once_attempts) {
        log_game(LOG_ERROR, l->game, "%s %s: %s (gave up after %d tries with --once)", l->what, l->uri, err->msg,
                 l->failures);
        return false;
    }
    uint64_t delay = backoff_ms(l);
    if (err->status == CN_NOT_FOUND) {
        if (!l->said_waiting)
            log_game(LOG_INFO, l->game, "%s: %s; polling until it appears", l->what, err->msg);
        l->said_waiting = true;
    } else {
        log_game(LOG_WARN, l->game, "%s %s: %s; retry %d in %" PRIu64 " ms", l->what, l->uri, err->msg, l->failures,
                 delay);
    }
    uv_timer_start(&l->retry, retry_fired, delay, 0);
    return true;
}

void lane_kick_after(lane *l, uint64_t ms)
{
    uv_timer_start(&l->retry, retry_fired, ms, 0);
}

void lane_stop(lane *l)
{
    uv_timer_stop(&l->retry);
}

static void retry_closed(uv_handle_t *h)
{
    lane *l = h->data;
    if (l->closed)
        l->closed(l);
}

void lane_close(lane *l, void (*closed)(lane *l))
{
    l->closed = closed;
    uv_close((uv_handle_t *)&l->retry, retry_closed);
}
