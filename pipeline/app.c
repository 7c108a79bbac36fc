/*
 * app.c — what every part of the process stands on: connector calls run on libuv's
 * worker threads (jobs), the refcounted reference snapshots, and the hooks through
 * which a game or the set of games calls up into the process (pipeline.c fills them).
 * It knows connectors and lanes, not games: a job names what its worker needs, and
 * its creator's done function takes the outcome back on the loop thread.
 */
#include "app.h"

#include <stddef.h>
#include <stdlib.h>
#if defined(__GLIBC__)
#include <malloc.h>
#endif

#include "log.h"

/* ---------------------------------------------------------------- reference snapshots */

ref_snap *app_ref_hold(ref_snap *s)
{
    if (s)
        s->refs++;
    return s;
}

/* A snapshot of the reference (tens of MiB at a league's size) was freed. Its rows were
 * read on whichever worker thread ran the load, so glibc keeps the freed memory in that
 * thread's arena, and each arena only reuses its own: without giving it back, every
 * worker that ever read the reference keeps one snapshot resident (issue 15: 16 arenas of
 * 33 MiB at 10,000 games, when thousands of runs began within a minute). */
static void give_back_freed(void)
{
#if defined(__GLIBC__)
    malloc_trim(0);
#endif
}

void app_ref_release(ref_snap *s)
{
    if (s && --s->refs == 0) {
        bs_ref_free(&s->rows);
        free(s);
        give_back_freed();
    }
}

/* ---------------------------------------------------------------- jobs */

/* How long a job waited for a thread (sidearm_worker_wait_seconds): on the worker. */
static void job_run(job *j)
{
    j->wait_ns = uv_hrtime() - j->queued_ns;
    j->ran = true;
    j->work(j);
}

static void job_finish(job *j)
{
    if (j->ran) /* a cancelled job never had a thread: no wait to count */
        pl_hist_observe(&j->a->metrics.worker_wait[j->pool], (double)j->wait_ns / 1e9);
    j->l->busy = false;
    if (j->st == CN_OK)
        lane_ok(j->l);
    j->done(j);
}

static void job_work(uv_work_t *req)
{
    job_run(req->data);
}

static void job_after(uv_work_t *req, int status)
{
    job *j = req->data;
    if (status == UV_ECANCELED)
        j->st = cn_fail(&j->err, CN_TRANSIENT, "cancelled");
    job_finish(j);
}

static void task_work(pl_task *t)
{
    job_run((job *)((char *)t - offsetof(job, task)));
}

static void task_after(pl_task *t)
{
    job_finish((job *)((char *)t - offsetof(job, task)));
}

job *job_new(app *a, game_run *g, lane *l, void (*work)(job *j), void (*done)(job *j))
{
    job *j = calloc(1, sizeof *j);
    if (!j) {
        log_game(LOG_ERROR, l->game, "out of memory starting a %s call; will try again", l->what);
        lane_kick_after(l, APP_BACKOFF_BASE_MS);
        return NULL;
    }
    j->a = a;
    j->g = g;
    j->l = l;
    j->work = work;
    j->done = done;
    j->req.data = j;
    return j;
}

/* What both submissions mark: the lane busy, which pool, and when (for the wait). */
static void job_queued(job *j, int pool)
{
    j->l->busy = true;
    j->pool = pool;
    j->queued_ns = uv_hrtime();
}

void job_submit(job *j)
{
    job_queued(j, PL_POOL_READS);
    uv_queue_work(&j->a->loop, &j->req, job_work, job_after);
}

void job_submit_write(job *j)
{
    job_queued(j, PL_POOL_WRITES);
    j->task.work = task_work;
    j->task.after = task_after;
    pl_pool_submit(j->a->writes, &j->task);
}

void job_free(job *j)
{
    app_ref_release(j->snap);
    cn_listing_free(&j->listing);
    free(j->data);
    bool rows = j->ref.nteams || j->ref.nplayers; /* a load's rows the process did not keep (unchanged) */
    bs_ref_free(&j->ref);
    if (rows)
        give_back_freed();
    for (size_t i = 0; i < j->nresults; i++)
        bs_result_free(&j->results[i]);
    free(j->results);
    free(j->rgames);
    free(j->sources);
    free(j->refused);
    free(j);
}

void app_count_write(app *a, int sink, cn_status st, bool retried)
{
    pl_sink_counters *c = &a->metrics.sink[sink];
    if (st == CN_OK)
        c->done++;
    else if (retried)
        c->retried++;
    else
        c->failed++;
}

bool app_may_retry(const job *j, bool writes)
{
    return !app_stopping(j->a) || (j->a->phase == APP_DRAINING && writes);
}

/* ---------------------------------------------------------------- up into the process */

void app_sink_kick(app *a)
{
    a->hooks.sink_kick(a);
}

void app_results_kick(app *a)
{
    a->hooks.results_kick(a);
}

void app_ref_kick(app *a)
{
    a->hooks.ref_kick(a);
}

void app_check_done(app *a)
{
    a->hooks.check_done(a);
}

void app_game_settled(app *a, game_run *g)
{
    a->hooks.game_settled(a, g);
}

void app_drain_then_stop(app *a, int code)
{
    a->hooks.drain_then_stop(a, code);
}

void app_publish(app *a, const char *game, const char *text, size_t len, long event_id)
{
    if (a->hooks.publish)
        a->hooks.publish(a, game, text, len, event_id);
}

void app_game_known(app *a, known_game *k)
{
    if (a->hooks.game_known)
        a->hooks.game_known(a, k);
}
