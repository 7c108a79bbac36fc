/*
 * pipeline.c — the process: the loop, the signals, the shared lanes, the end.
 *
 * One game (--source names an object) or every game under a prefix (--source ends
 * in '/'; see games.c) runs on one libuv loop. Each connector call runs on a worker
 * thread (a job, app.c); the loop thread alone touches the games, their queues and the
 * lanes, so nothing here needs a lock. The parts below call up into the process only
 * through the hooks this file fills (app.h), never by name. The box-score sink and the results
 * sink are shared: their lanes serve the games round-robin, one call at a time.
 *
 * Sinks are independent: one that fails for good is given up on its own and the
 * other still drains; the exit status says what was left unwritten. On SIGINT,
 * SIGTERM or SIGHUP (a closed terminal or ssh session) polling and folding stop, and what is folded still goes out for
 * --grace-ms; a second signal stops after the write in progress, and a read that
 * never returns is abandoned (reads can be redone).
 */
#include "pipeline.h"

#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "app.h"
#include "game_run.h"
#include "kafka.h"
#include "games.h"
#include "http.h"
#include "log.h"
#include "outbox.h"
#include "push.h"
#include "sinks.h"

#define BACKOFF_BASE_MS APP_BACKOFF_BASE_MS
#define READ_WAIT_MS 1000       /* at the end, how long a read in flight may take to come back */
#define RESULTS_BATCH 64        /* finals written in one transaction, one rebuild of teams2/players2 */

/* ---------------------------------------------------------------- the shared lanes */

static void load_done(job *j);
static void results_done(job *j);

/* On the load's worker: the rows, indexed once per snapshot (every game over it looks up
 * its rosters), then stamped with their digest (the results sink stamps every final with it). */
static void load_work(job *j)
{
    app *a = j->a;
    j->st = a->refc.ops->load(a->refc.impl, &j->ref, &j->err);
    if (j->st == CN_OK && bs_ref_index(&j->ref))
        j->st = cn_fail(&j->err, CN_TRANSIENT, "out of memory indexing the reference's %zu teams and %zu players",
                        j->ref.nteams, j->ref.nplayers);
    if (j->st == CN_OK)
        j->ref.digest = bs_ref_digest(&j->ref);
}

static void results_work(job *j)
{
    app *a = j->a;
    if (a->res.ops->write_game)
        j->st = a->res.ops->write_game(a->res.impl, &j->snap->rows, j->results, j->nresults, j->sources, j->refused,
                                       &j->err);
    else
        j->st = a->res.ops->write(a->res.impl, &j->ref, "teams2", "players2", &j->err);
}

/* The results sink failed for good: given up on its own; the box-score sinks go on. */
static void results_gave_up(app *a, lane *l)
{
    l->gave_up = true;
    a->exit_code = PL_EXIT_RUNTIME;
    log_msg(LOG_ERROR, "gave up on %s %s (teams2/players2 not written); the other sinks are not affected", l->what,
            l->uri);
}

static void hook_sink_kick(app *a)
{
    sinks_kick(a);
}

/* A game's result waits until every box-score sink showed no other source's game of its
 * id (or is given up: one sink failing never stops another). */
static bool results_may_start(const app *a, const game_run *g)
{
    (void)a;
    return ob_claimed(g);
}

/* Starts one write of the finals waiting: every game's whose reference rows are the
 * same snapshot as the first's (up to RESULTS_BATCH), in one transaction with one
 * rebuild of teams2/players2, so a burst of finals on game day costs one rebuild. */
static void hook_results_kick(app *a)
{
    if ((app_stopping(a) && a->phase != APP_DRAINING) || !lane_free(&a->l_res))
        return;
    size_t first = a->ngames;
    for (size_t k = 0; k < a->ngames && first == a->ngames; k++) {
        game_run *g = a->games[(a->res_next + k) % a->ngames];
        if (g->have_result && !g->result_busy && results_may_start(a, g))
            first = (a->res_next + k) % a->ngames;
    }
    if (first == a->ngames)
        return;
    game_run *g = a->games[first];
    job *j = job_new(a, g, &a->l_res, results_work, results_done);
    if (!j)
        return;
    size_t max = a->res.ops->write_game ? RESULTS_BATCH : 1;
    j->results = calloc(max, sizeof *j->results);
    j->rgames = calloc(max, sizeof *j->rgames);
    j->sources = calloc(max, sizeof *j->sources);
    j->refused = calloc(max, sizeof *j->refused);
    if (!j->results || !j->rgames || !j->sources || !j->refused ||
        (!a->res.ops->write_game &&
         bs_season(&g->snap->rows, g->result.teams, 2, g->result.players, g->result.nplayers, &j->ref))) {
        log_game(LOG_ERROR, g->id, "out of memory computing teams2/players2; will try again");
        j->nresults = 0;
        job_free(j);
        lane_kick_after(&a->l_res, BACKOFF_BASE_MS);
        return;
    }
    j->snap = app_ref_hold(g->snap); /* a reload meanwhile must not free what the worker reads */
    for (size_t k = 0; k < a->ngames && j->nresults < max; k++) {
        size_t i = (first + k) % a->ngames;
        game_run *h = a->games[i];
        if (!h->have_result || h->result_busy || h->snap != g->snap || !results_may_start(a, h))
            continue;
        a->res_next = (i + 1) % a->ngames;
        j->sources[j->nresults] = h->source;
        j->results[j->nresults] = h->result; /* the job takes the rows; newer ones may be computed meanwhile */
        j->rgames[j->nresults++] = h;
        memset(&h->result, 0, sizeof h->result);
        h->have_result = false;
        h->result_busy = true;
    }
    job_submit_write(j);
}

static void results_kick_cb(void *owner)
{
    app_results_kick(owner);
}

static bool teams_known(app *a)
{
    for (size_t i = 0; i < a->ngames; i++) {
        game_run *g = a->games[i];
        if (!bs_ref_team(&a->ref->rows, g->home) || !bs_ref_team(&a->ref->rows, g->away))
            return false;
    }
    return true;
}

static void ref_later_due(uv_timer_t *t)
{
    app_ref_kick(t->data);
}

/* Reads the reference: first, when a run begins (its bytes wait), and, at most every
 * --reload-min-ms, when a game met an unknown jersey or team (right away once that
 * game is final: its tables wait for it; and with --once, which does not wait: such a
 * game asks once, game_run.c). The rate limit waits on its own timer, not the lane's:
 * a run that begins meanwhile reads at once, and that read serves the waiting game too. */
static void hook_ref_kick(app *a)
{
    if (app_stopping(a) || !lane_free(&a->l_ref))
        return;
    bool now = !a->ref;
    for (size_t i = 0; i < a->ngames && !now; i++)
        now = a->games[i]->reloading ||
              (a->games[i]->reload_wanted && (a->games[i]->state == GR_FINAL || a->cfg->once));
    if (!now) {
        if (!a->ref_wanted && teams_known(a))
            return;
        uint64_t t = uv_now(&a->loop), next = a->last_load_ms + (uint64_t)a->cfg->reload_min_ms;
        if (t < next) {
            if (!uv_is_active((uv_handle_t *)&a->ref_later))
                uv_timer_start(&a->ref_later, ref_later_due, next - t, 0);
            return;
        }
    }
    uv_timer_stop(&a->ref_later);
    job *j = job_new(a, NULL, &a->l_ref, load_work, load_done);
    if (j) {
        a->load_began_ms = uv_now(&a->loop);
        job_submit(j);
    }
}

static void ref_kick_cb(void *owner)
{
    app_ref_kick(owner);
}

static void poll_tick(uv_timer_t *t);

static void ref_loaded(app *a, bs_ref *rows)
{
    ref_snap *s = calloc(1, sizeof *s);
    if (!s) {
        log_msg(LOG_ERROR, "out of memory keeping the reference; will read it again");
        lane_kick_after(&a->l_ref, BACKOFF_BASE_MS);
        return;
    }
    bool first = !a->ref;
    a->last_load_ms = uv_now(&a->loop);
    a->ref_read_ms = a->load_began_ms; /* the held rows, changed or not, are the database's as of then */
    a->ref_wanted = false;
    if (a->ref && bs_ref_equal(&a->ref->rows, rows)) {
        /* unchanged: the games keep sharing one snapshot instead of each holding a copy */
        free(s);
        log_msg(LOG_DEBUG, "reference read again from %s: unchanged", a->l_ref.uri);
    } else {
        s->refs = 1;
        s->rows = *rows;
        memset(rows, 0, sizeof *rows);
        app_ref_release(a->ref);
        a->ref = s;
        log_msg(LOG_INFO, "reference: %zu teams, %zu players from %s", s->rows.nteams, s->rows.nplayers,
                a->l_ref.uri);
    }
    for (size_t i = 0; i < a->ngames; i++)
        gr_ref_loaded(a->games[i]);
    /* a team still missing: read again in --reload-min-ms (the team may be added any
     * time; nothing else would ask) */
    if (!a->cfg->once && !teams_known(a))
        app_ref_kick(a);
    if (first)
        uv_timer_start(&a->poll, poll_tick, 0, a->cfg->once ? 0 : (uint64_t)a->cfg->poll_ms);
}

static void ref_failed(app *a, bool for_good)
{
    if (for_good) {
        a->ref_wanted = false;
        if (!a->ref) { /* nothing to fold with */
            app_drain_then_stop(a, PL_EXIT_RUNTIME);
            return;
        }
        a->exit_code = PL_EXIT_RUNTIME;
        log_msg(LOG_WARN, "keeping the reference read before; the games go on");
    }
    for (size_t i = 0; i < a->ngames; i++)
        gr_ref_failed(a->games[i], for_good);
    if (for_good)
        for (size_t i = 0; i < a->ngames; i++)
            a->games[i]->reload_wanted = false;
}

static void load_done(job *j)
{
    app *a = j->a;
    a->metrics.ref_loads += j->st == CN_OK;
    a->metrics.ref_load_failures += j->st != CN_OK;
    if (j->st == CN_OK)
        ref_loaded(a, &j->ref);
    else if (app_may_retry(j, false))
        ref_failed(a, !lane_failed(j->l, &j->err));
    job_free(j);
    app_check_done(a);
}

static void results_done(job *j)
{
    app *a = j->a;
    for (size_t i = 0; i < j->nresults; i++)
        gr_results_done(j->rgames[i], j->st, &j->results[i], &j->err, &j->refused[i]);
    bool retried = false;
    if (j->st != CN_OK && app_may_retry(j, true) && !(retried = lane_failed(j->l, &j->err)))
        results_gave_up(a, j->l);
    app_count_write(a, PL_SINK_RESULTS, j->st, retried);
    app_results_kick(a);
    for (size_t i = 0; i < j->nresults; i++)
        app_game_settled(a, j->rgames[i]);
    job_free(j);
    app_check_done(a);
}

/* ---------------------------------------------------------------- ending */

static void close_all(app *a)
{
    if (a->phase == APP_CLOSED)
        return;
    a->phase = APP_CLOSED;
    http_stop(a);
    uv_close((uv_handle_t *)&a->poll, NULL);
    uv_close((uv_handle_t *)&a->sigint, NULL);
    uv_close((uv_handle_t *)&a->sigterm, NULL);
    uv_close((uv_handle_t *)&a->sighup, NULL);
    uv_close((uv_handle_t *)&a->grace, NULL);
    uv_close((uv_handle_t *)&a->retire, NULL);
    uv_close((uv_handle_t *)&a->ref_later, NULL);
    uv_close((uv_handle_t *)&a->list_soon, NULL);
    pl_pool_close(a->writes); /* closing: no write is out any more */
    pl_metrics_write_file(a); /* the last word, while the games are still there */
    pl_metrics_close(a);
    lane_close(&a->l_ref, NULL);
    sinks_close_lanes(a);
    lane_close(&a->l_res, NULL);
    lane_close(&a->l_list, NULL);
    for (int i = 0; i < PL_MANIFEST_LANES; i++)
        lane_close(&a->ml[i].l, NULL);
    push_close(a);
    kafka_close(a); /* stores what is done while the games are still there */
    for (size_t i = 0; i < a->ngames; i++)
        gr_free(a->games[i]);
    a->ngames = 0;
}

static bool reads_busy(const app *a)
{
    if (a->l_ref.busy || a->l_list.busy)
        return true;
    for (int i = 0; i < PL_MANIFEST_LANES; i++)
        if (a->ml[i].l.busy)
            return true;
    for (size_t i = 0; i < a->ngames; i++)
        if (a->games[i]->l_src.busy)
            return true;
    return false;
}

static bool writes_busy(const app *a)
{
    return sinks_busy(a) || a->l_res.busy;
}

static bool writes_pending(app *a)
{
    for (size_t i = 0; i < a->ngames; i++)
        if (gr_sink_pending(a->games[i]) || gr_results_pending(a->games[i]))
            return true;
    return a->phase == APP_DRAINING && sinks_index_pending(a); /* the last index.json */
}

static void report_unwritten(app *a)
{
    if (a->kafka && !app_sinks_any_gave_up(a) && !a->l_res.gave_up) {
        /* a group member: its partitions go to the next owner, which rebuilds each game from
         * its object and makes these writes (idempotent upserts, tables keyed by game) */
        size_t games = 0, writes = 0;
        for (size_t i = 0; i < a->ngames; i++)
            if (gr_sink_pending(a->games[i]) || gr_results_pending(a->games[i])) {
                games++;
                writes += a->games[i]->q.len;
            }
        if (games)
            log_msg(LOG_WARN, "%zu games had %zu box-score writes (or their tables) not made here at exit: they are "
                    "left to their partitions' next owner in group %s, which rebuilds each game from its stream",
                    games, writes, a->cfg->kafka_group);
        return;
    }
    for (size_t i = 0; i < a->ngames; i++) {
        game_run *g = a->games[i];
        if (sinks_report_unwritten(a, g))
            a->exit_code = PL_EXIT_RUNTIME;
        if (g->result_due && !g->result_done) {
            log_game(LOG_ERROR, g->per_game_keys ? g->id : NULL, "teams2/players2 were NOT written to %s; run "
                     "`pipeline --once` with the same options once it is reachable to write them", a->l_res.uri);
            a->exit_code = PL_EXIT_RUNTIME;
        }
    }
}

static void stop_all(app *a)
{
    uv_timer_stop(&a->poll);
    uv_timer_stop(&a->retire);
    uv_timer_stop(&a->ref_later);
    lane_stop(&a->l_ref);
    lane_stop(&a->l_list);
    for (int i = 0; i < PL_MANIFEST_LANES; i++)
        lane_stop(&a->ml[i].l);
    for (size_t i = 0; i < a->ngames; i++)
        gr_stop(a->games[i]);
}

/* Stops now: no new calls; writes in flight finish, and a read that does not come
 * back (a hung mount, a server that never answers) is abandoned: reads can be redone. */
static void shutdown_with(app *a, int code)
{
    atomic_store(&a->cancel_reads, 1);
    if (code > a->exit_code)
        a->exit_code = code;
    if (a->phase < APP_STOPPING)
        a->phase = APP_STOPPING;
    stop_all(a);
    uv_timer_stop(&a->grace);
    sinks_stop(a);
    lane_stop(&a->l_res);
    app_check_done(a);
}

static void grace_over(uv_timer_t *t)
{
    app *a = t->data;
    if (a->phase == APP_DRAINING)
        log_msg(LOG_WARN, "shutdown grace period over (--grace-ms)");
    shutdown_with(a, PL_EXIT_OK);
}

static void hook_drain_then_stop(app *a, int code)
{
    if (code > a->exit_code)
        a->exit_code = code;
    if (app_stopping(a))
        return;
    atomic_store(&a->cancel_reads, 1);
    a->phase = APP_DRAINING;
    stop_all(a);
    uv_timer_start(&a->grace, grace_over, (uint64_t)a->cfg->grace_ms, 0);
    app_sink_kick(a);
    app_results_kick(a);
    app_check_done(a);
}

static bool all_done(app *a, bool once)
{
    if (a->prefix_mode && !once)
        return false; /* new games may come: until a signal */
    if (once && (a->prefix_mode ? !games_once_listed(a) : a->ngames == 0))
        return false;
    for (size_t i = 0; i < a->ngames; i++)
        if (once ? !gr_once_done(a->games[i]) : !gr_done(a->games[i]))
            return false;
    return !sinks_index_pending(a); /* the run ends with index.json showing every game */
}

static void read_wait_over(uv_timer_t *t)
{
    app *a = t->data;
    a->read_wait_over = true;
    app_check_done(a);
}

static void hook_check_done(app *a)
{
    if (a->phase >= APP_CLOSED)
        return;
    if (app_stopping(a)) {
        bool pending = writes_pending(a);
        if (a->phase == APP_DRAINING && !pending && !writes_busy(a))
            uv_timer_stop(&a->grace); /* all written: no need to wait out the grace */
        if (!writes_busy(a) && !(a->phase == APP_DRAINING && pending)) {
            if (reads_busy(a) && !a->read_wait_over) { /* a read usually comes back at once */
                if (!uv_is_active((uv_handle_t *)&a->grace))
                    uv_timer_start(&a->grace, read_wait_over, READ_WAIT_MS, 0);
                return;
            }
            uv_timer_stop(&a->grace);
            report_unwritten(a);
            for (size_t i = 0; i < a->ngames; i++)
                gr_show(a->games[i]);
            log_status_keep();
            for (size_t i = 0; i < a->ngames; i++)
                gr_report(a->games[i]);
            if (reads_busy(a)) { /* it did not: it can be redone, so do not wait for it */
                log_msg(LOG_WARN, "abandoning a read that has not returned");
                pl_metrics_write_file(a);
                a->phase = APP_ABANDONED;
                uv_stop(&a->loop);
                return;
            }
            close_all(a);
        }
        return;
    }
    if (a->cfg->once && all_done(a, true)) {
        for (size_t i = 0; i < a->ngames; i++)
            if (a->games[i]->game && a->games[i]->game->state != BS_FINAL)
                log_game(LOG_INFO, a->games[i]->per_game_keys ? a->games[i]->id : NULL,
                         "--once: processed %ld events; the game is not final yet", a->games[i]->game->n.applied);
        shutdown_with(a, PL_EXIT_OK);
    } else if (!a->cfg->once && !a->cfg->follow && all_done(a, false)) {
        shutdown_with(a, PL_EXIT_OK);
    }
}

static void on_signal(uv_signal_t *s, int signum)
{
    app *a = s->data;
    const char *name = signum == SIGINT ? "SIGINT" : signum == SIGHUP ? "SIGHUP" : "SIGTERM";
    if (app_stopping(a)) {
        log_msg(LOG_WARN, "%s received again: stopping after the write in progress", name);
        shutdown_with(a, PL_EXIT_OK);
        return;
    }
    log_msg(LOG_WARN, "%s received: no more polls; writing what is pending (up to %d ms), then exiting", name,
            a->cfg->grace_ms);
    app_drain_then_stop(a, PL_EXIT_OK);
}

/* ---------------------------------------------------------------- run */

/* While notifications slow the poll, done games are still looked for this often: the
 * retire timer (hook_game_settled) starts only when the game's last call ends with its
 * stream's lane free, and a notification's read can be the call that ends last. */
#define RETIRE_SWEEP_MS 1000

static void retire_due(uv_timer_t *t)
{
    app *a = t->data;
    if (!app_stopping(a))
        games_retire(a);
}

static void hook_game_settled(app *a, game_run *g)
{
    if (a->prefix_mode && !a->cfg->once && !app_stopping(a) && !uv_is_active((uv_handle_t *)&a->retire) &&
        !g->l_src.busy && gr_done(g))
        uv_timer_start(&a->retire, retire_due, 0, 0); /* one walk for every game settled in this turn */
}

static void poll_tick(uv_timer_t *t)
{
    app *a = t->data;
    games_touch_health(a);
    for (size_t i = 0; i < a->ngames; i++)
        gr_check_stall(a->games[i]);
    uint64_t now = uv_now(&a->loop);
    bool sweep = a->prefix_mode && now - a->retire_swept_ms >= RETIRE_SWEEP_MS;
    if (!push_tick(a)) { /* MinIO notifications flow: the safety poll is slower */
        if (sweep) { /* a game settled while a read was in flight still retires within a second */
            a->retire_swept_ms = now;
            games_retire(a);
        }
        return;
    }
    if (a->prefix_mode) { /* once a tick, not after every call that ends: it walks every game */
        a->retire_swept_ms = now;
        games_retire(a);
        games_list(a);
    }
    for (size_t i = 0; i < a->ngames; i++)
        gr_poll(a->games[i]);
}

static int open_connectors(app *a)
{
    const pl_config *c = a->cfg;
    cn_error err = {0};
    bool failed = cn_reference_open(&a->refc, c->reference, &c->conn, &err) ||
                  cn_results_open(&a->res, c->results, &c->conn, &err) ||
                  (a->prefix_mode && cn_lister_open(&a->lister, c->source, &c->conn, &err));
    if (failed) {
        log_msg(LOG_ERROR, "%s", err.msg);
        for (int s = 0; s < a->nbs; s++)
            a->bs[s].nconns = 0; /* not opened: nothing to close */
        return err.status == CN_CONFIG ? PL_EXIT_USAGE : PL_EXIT_RUNTIME;
    }
    return sinks_open(a);
}

/* Kept reachable when a read is abandoned at exit: its worker still uses it. */
static app *abandoned_run;

int pl_run(pl_config *cfg)
{
    app *a = calloc(1, sizeof *a);
    if (!a)
        return PL_EXIT_RUNTIME;
    atomic_init(&a->cancel_reads, 0);
    cfg->conn.cancel = &a->cancel_reads;
    a->cfg = cfg;
    a->hooks = (app_hooks){.sink_kick = hook_sink_kick, .results_kick = hook_results_kick, .ref_kick = hook_ref_kick,
                           .check_done = hook_check_done, .game_settled = hook_game_settled,
                           .drain_then_stop = hook_drain_then_stop};
    size_t n = strlen(cfg->source);
    a->prefix_mode = n > 0 && cfg->source[n - 1] == '/';
    cfg->conn.per_game_keys = a->prefix_mode;
    a->pol = (lane_policy){BACKOFF_BASE_MS, cfg->backoff_max_ms, cfg->once, cfg->once_attempts,
                           (unsigned)time(NULL) ^ (unsigned)uv_os_getpid(), 0};
    uv_loop_init(&a->loop);
    /* a thread for every write that can be out at once: one per sink lane, and the results */
    int wrc = pl_pool_new(&a->writes, &a->loop, cfg->sink_lanes * (int)cfg->boxscores.n + 1);
    if (wrc) {
        log_msg(LOG_ERROR, "cannot start the writes' threads: %s", uv_strerror(wrc));
        uv_loop_close(&a->loop);
        free(a);
        return PL_EXIT_RUNTIME;
    }
    uv_timer_init(&a->loop, &a->poll);
    uv_timer_init(&a->loop, &a->grace);
    uv_timer_init(&a->loop, &a->retire);
    uv_timer_init(&a->loop, &a->ref_later);
    uv_timer_init(&a->loop, &a->list_soon);
    uv_signal_init(&a->loop, &a->sigint);
    uv_signal_init(&a->loop, &a->sigterm);
    uv_signal_init(&a->loop, &a->sighup);
    a->poll.data = a->grace.data = a->retire.data = a->ref_later.data = a->list_soon.data = a->sigint.data = a->sigterm.data =
        a->sighup.data = a;
    pl_metrics_init(a);
    lane_init(&a->l_ref, &a->loop, &a->pol, "reference reader", cfg->reference, NULL, ref_kick_cb, a);
    sinks_init(a);
    lane_init(&a->l_res, &a->loop, &a->pol, "results sink", cfg->results, NULL, results_kick_cb, a);
    lane_init(&a->l_list, &a->loop, &a->pol, "game lister", cfg->source, NULL, games_list_cb, a);
    for (int i = 0; i < PL_MANIFEST_LANES; i++)
        lane_init(&a->ml[i].l, &a->loop, &a->pol, "game lister", cfg->source, NULL, games_manifests_kick, a);

    /* the stream first: its URI is the one an operator most likely got wrong */
    cn_status st = a->prefix_mode ? CN_OK : games_add_single(a);
    int rc = st == CN_OK ? open_connectors(a) : st == CN_CONFIG ? PL_EXIT_USAGE : PL_EXIT_RUNTIME;
    if (rc == PL_EXIT_OK && http_start(a))
        rc = PL_EXIT_USAGE; /* the address is taken or not ours: a configuration error */
    if (rc != PL_EXIT_OK) {
        a->phase = APP_STOPPING;
        close_all(a);
    } else {
        uv_signal_start(&a->sigint, on_signal, SIGINT);
        uv_signal_start(&a->sigterm, on_signal, SIGTERM);
        struct sigaction hup;
        if (sigaction(SIGHUP, NULL, &hup) || hup.sa_handler != SIG_IGN) /* under nohup it stays ignored */
            uv_signal_start(&a->sighup, on_signal, SIGHUP);
        char boxscores[PL_BSINKS_MAX * 1100];
        sinks_describe(a, boxscores, sizeof boxscores);
        log_msg(LOG_INFO, "source %s%s, reference %s, box scores %s, results %s", a->l_list.uri,
                a->prefix_mode ? " (every game under it)" : "", a->l_ref.uri, boxscores, a->l_res.uri);
        if (cfg->malloc_untuned)
            log_msg(LOG_INFO, "GLIBC_TUNABLES has no glibc.malloc.tcache_count: for thousands of games set "
                    "GLIBC_TUNABLES=glibc.malloc.tcache_count=4096 (as the image and the systemd unit do; README \"Benchmarks\")");
        push_start(a);
        if (kafka_wanted(cfg) && (rc = kafka_start(a)) != PL_EXIT_OK) {
            a->phase = APP_STOPPING;
            close_all(a);
        } else {
            app_ref_kick(a);
        }
    }
    uv_run(&a->loop, UV_RUN_DEFAULT);
    rc = a->exit_code > rc ? a->exit_code : rc;
    if (a->phase == APP_ABANDONED) {
        abandoned_run = a; /* a worker may still read a source: leave it, the process ends */
        return rc;
    }
    uv_run(&a->loop, UV_RUN_DEFAULT); /* close callbacks */
    http_free(a);                     /* after the loop: the end of the server's teardown */
    if (uv_loop_close(&a->loop))
        log_msg(LOG_WARN, "the event loop still had handles open at exit");
    pl_pool_free(a->writes);
    games_free(a);
    push_free(a);
    kafka_free(a);
    app_ref_release(a->ref);
    cn_reference_close(&a->refc);
    sinks_close(a);
    cn_results_close(&a->res);
    if (a->prefix_mode)
        cn_lister_close(&a->lister);
    free(a->games);
    free(a->waiting);
    free(a);
    return rc;
}
