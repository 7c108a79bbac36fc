/* A game's life under a prefix with the real games.c, game_run.c and outbox.c: the
 * connector calls (jobs) are captured and completed by the test, the sinks and the
 * results lane are driven by hand as sinks.c and pipeline.c drive them. Ways a game was
 * retired as written without its final, or a change of its stream was never read: a
 * rewrite a listing saw whose read failed once, a final the sink refused for good (exit
 * 0), a game.json read that failed or fell in a Kafka rebalance's gap, a same-size
 * replacement; and a game whose source was given up still retires. A game refused while
 * its forget was out on two sinks leaves nothing queued; a read that ends after the stop
 * forgets nothing of what the sinks hold. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "game_run.h"
#include "games.h"
#include "outbox.h"
#include "scoreboard.h"

/* ---- what the real files call up into (app.c, pipeline.c, kafka.c, scoreboard.c, metrics.c) */
static job *jobs[16];
static int njobs;

ref_snap *app_ref_hold(ref_snap *s)
{
    if (s)
        s->refs++;
    return s;
}
void app_ref_release(ref_snap *s)
{
    if (s && --s->refs == 0) {
        bs_ref_free(&s->rows);
        free(s);
    }
}
job *job_new(app *a, game_run *g, lane *l, void (*work)(job *j), void (*done)(job *j))
{
    job *j = calloc(1, sizeof *j);
    j->a = a;
    j->g = g;
    j->l = l;
    j->work = work;
    j->done = done;
    return j;
}
void job_submit(job *j)
{
    j->l->busy = true;
    jobs[njobs++] = j;
}
void job_submit_write(job *j)
{
    job_submit(j);
}
void job_free(job *j)
{
    cn_listing_free(&j->listing);
    free(j->data);
    free(j);
}
void app_sink_kick(app *a) { (void)a; }
void app_results_kick(app *a) { (void)a; }
void app_ref_kick(app *a) { (void)a; }
void app_check_done(app *a) { (void)a; }
void app_game_settled(app *a, game_run *g) { (void)a; (void)g; }
void app_drain_then_stop(app *a, int code) { (void)a; (void)code; }
void app_publish(app *a, const char *game, const char *text, size_t len, long event_id)
{
    (void)a; (void)game; (void)text; (void)len; (void)event_id;
}
void app_game_known(app *a, known_game *k) { (void)a; (void)k; }
static bool owned = true; /* Kafka: whether this instance owns the game's partition now */
bool kafka_owns(const app *a, const char *game) { (void)a; (void)game; return owned; }
/* bs_result_of is wrapped: result_oom fails it as malloc failing would */
static bool result_oom;
int __real_bs_result_of(const bs_game *g, bs_result *out);
int __wrap_bs_result_of(const bs_game *g, bs_result *out)
{
    if (result_oom) {
        memset(out, 0, sizeof *out);
        return -1;
    }
    return __real_bs_result_of(g, out);
}
/* strdup is wrapped: it fails for the string oom_dup (a game id: the copy games.c queues
 * for its game.json's read), as malloc failing would */
static const char *oom_dup;
char *__real_strdup(const char *s);
char *__wrap_strdup(const char *s);
char *__wrap_strdup(const char *s)
{
    return oom_dup && !strcmp(s, oom_dup) ? NULL : __real_strdup(s);
}
void kafka_listed(app *a) { (void)a; }
void sb_keep(scoreboard *sb, const struct game_run *g) { (void)sb; (void)g; }
void pl_hist_observe(pl_hist *h, double v) { (void)h; (void)v; }

/* The oldest captured job of this done function, taken out; NULL if none. */
static job *take(void (*done)(job *j))
{
    for (int i = 0; i < njobs; i++)
        if (jobs[i]->done == done || !done) {
            job *j = jobs[i];
            memmove(jobs + i, jobs + i + 1, (size_t)(njobs - i - 1) * sizeof *jobs);
            njobs--;
            return j;
        }
    return NULL;
}

/* Completes j on the loop thread as app.c's job_finish does. */
static void finish(job *j, cn_status st)
{
    j->l->busy = false;
    j->st = st;
    j->err.status = st;
    snprintf(j->err.msg, sizeof j->err.msg, "%s", st ? "injected failure" : "");
    if (st == CN_OK)
        lane_ok(j->l);
    j->done(j);
}

typedef struct fixture {
    app *a;
    pl_config c;
} fixture;

static int setup(void **state)
{
    owned = true;
    result_oom = false;
    oom_dup = NULL;
    fixture *f = calloc(1, sizeof *f);
    f->a = calloc(1, sizeof *f->a);
    app *a = f->a;
    f->c.queue_max = 64;
    f->c.queue_max_mib = 16;
    f->c.queue_total_mib = 64;
    f->c.reference_max_age_ms = 1 << 30; /* a run starts on the rows held */
    f->c.fold_slice_us = 100000;
    f->c.poll_ms = 1000;
    f->c.backoff_max_ms = 1000;
    f->c.source = "file:///nonexistent-prefix/";
    a->cfg = &f->c;
    a->prefix_mode = true;
    a->nbs = 1;
    a->pol = (lane_policy){250, 1000, false, 3, 1, 0};
    uv_loop_init(&a->loop);
    lane_init(&a->l_list, &a->loop, &a->pol, "game lister", f->c.source, NULL, games_list_cb, a);
    lane_init(&a->l_res, &a->loop, &a->pol, "results sink", "sqlite:///x", NULL, NULL, a);
    for (int i = 0; i < PL_MANIFEST_LANES; i++)
        lane_init(&a->ml[i].l, &a->loop, &a->pol, "game lister", f->c.source, NULL, games_manifests_kick, a);
    a->ref = calloc(1, sizeof *a->ref);
    a->ref->refs = 1;
    bs_ref_add_team(&a->ref->rows, 101, "Herons", "Coastal", 7, 3);
    bs_ref_add_team(&a->ref->rows, 205, "Owls", "Plains", 6, 4);
    bs_ref_add_player(&a->ref->rows, 1, "Liam O'Brien", "2", 20, 5, 101);
    bs_ref_add_player(&a->ref->rows, 4, "Zoe Hart", "5", 0, 0, 205);
    bs_ref_sort(&a->ref->rows);
    assert_int_equal(bs_ref_index(&a->ref->rows), 0);
    a->ref_read_ms = uv_now(&a->loop);
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    fixture *f = *state;
    app *a = f->a;
    for (size_t i = 0; i < a->ngames; i++)
        gr_free(a->games[i]);
    lane_close(&a->l_list, NULL);
    lane_close(&a->l_res, NULL);
    for (int i = 0; i < PL_MANIFEST_LANES; i++)
        lane_close(&a->ml[i].l, NULL);
    uv_run(&a->loop, UV_RUN_DEFAULT);
    uv_loop_close(&a->loop);
    while (njobs)
        job_free(take(NULL));
    app_ref_release(a->ref);
    games_free(a);
    free(a->games);
    free(a->waiting);
    free(a);
    free(f);
    return 0;
}

static void add_obj(cn_listing *l, const char *key, uint64_t size, const char *etag)
{
    l->v = realloc(l->v, (l->n + 1) * sizeof *l->v);
    cn_object *o = &l->v[l->n++];
    *o = (cn_object){.key = strdup(key), .size = size, .mtime_ms = (int64_t)size};
    snprintf(o->etag, sizeof o->etag, "%s", etag);
}

/* One listing of the prefix: G1/game.json and G1/gamestream.txt at this size and ETag. */
static void listing(app *a, uint64_t size, const char *etag)
{
    games_list(a);
    job *j = take(NULL);
    assert_non_null(j);
    add_obj(&j->listing, "G1/game.json", 24, "m1");
    add_obj(&j->listing, "G1/gamestream.txt", size, etag);
    finish(j, CN_OK);
    job *m;
    while ((m = njobs && jobs[0]->l != &a->l_list && strstr(jobs[0]->key, "game.json") ? take(NULL) : NULL)) {
        m->data = strdup("{\"home\": 101, \"away\": 205}");
        m->datalen = strlen(m->data);
        finish(m, CN_OK);
    }
}

/* One listing, its game.json (ETag metag) answered with mst (body mbody when OK); the
 * manifest reads are answered only when answer. */
static void listing_m(app *a, uint64_t size, const char *etag, const char *metag, cn_status mst, const char *mbody,
                      bool answer)
{
    games_list(a);
    job *j = take(NULL);
    assert_non_null(j);
    assert_ptr_equal(j->l, &a->l_list);
    add_obj(&j->listing, "G1/game.json", 24, metag);
    add_obj(&j->listing, "G1/gamestream.txt", size, etag);
    finish(j, CN_OK);
    job *m;
    while (answer && (m = njobs && jobs[0]->l != &a->l_list && strstr(jobs[0]->key, "game.json") ? take(NULL) : NULL)) {
        if (mst == CN_OK) {
            m->data = strdup(mbody);
            m->datalen = strlen(m->data);
        }
        finish(m, mst);
    }
}

static game_run *game(app *a)
{
    return a->ngames ? a->games[0] : NULL;
}

/* The game's poll in flight comes back with the whole stream text (or st). */
static void poll_back(app *a, const char *text, cn_status st)
{
    game_run *g = game(a);
    job *j = take(NULL);
    assert_non_null(j);
    assert_ptr_equal(j->l, &g->l_src);
    if (st == CN_OK)
        j->chunk = (cn_chunk){.data = text, .len = strlen(text), .offset = 0, .size = strlen(text),
                              .transferred = strlen(text)};
    finish(j, st);
    for (int i = 0; i < 100 && g->folding; i++)
        uv_run(&a->loop, UV_RUN_NOWAIT);
}

/* The sink writes everything queued; the results lane writes the final. */
static void write_all(app *a)
{
    game_run *g = game(a);
    sq_item *it;
    while ((it = ob_next(g, 0))) {
        it->busy |= 1u;
        cn_error err = {0};
        ob_done(g, 0, it->seq, CN_OK, &err);
    }
    if (g->have_result) {
        bs_result r = g->result;
        memset(&g->result, 0, sizeof g->result);
        g->have_result = false;
        g->result_busy = true;
        cn_error err = {0}, refused = {0};
        ref_snap *keep = g->snap;
        (void)keep;
        gr_results_done(g, CN_OK, &r, &err, &refused);
        bs_result_free(&r);
    }
}

static const char first_run[] = "0 59:47 101 2 1\n1 00:00 0 0 0\n";
static const char rewritten[] = "0 59:47 205 5 1\n1 58:00 205 5 1\n2 00:00 0 0 0\n";

/* Final and written; then a listing shows its stream rewritten (a corrected replay), and
 * the read it starts fails once (a network blip: retried after a backoff). The game must
 * not be retired as written over a change nobody has read: a listing already noted the
 * new size, so once retired, no later listing ever sees the stream "moved" again and the
 * corrected final never reaches the sinks or the tables. */
static void a_rewrite_seen_by_a_listing_is_followed_even_if_its_read_failed(void **state)
{
    fixture *f = *state;
    app *a = f->a;
    listing(a, strlen(first_run), "e1");
    assert_non_null(game(a));
    poll_back(a, first_run, CN_OK);
    assert_int_equal(game(a)->game->state, BS_FINAL);
    write_all(a);
    assert_true(gr_done(game(a)) && gr_written(game(a)));

    listing(a, strlen(rewritten), "e2"); /* the rewrite: a read starts */
    assert_true(game(a)->l_src.busy);
    poll_back(a, NULL, CN_TRANSIENT); /* it fails once: retried after a backoff */

    games_retire(a); /* the next tick's walk */
    listing(a, strlen(rewritten), "e2"); /* and the listings after it */
    listing(a, strlen(rewritten), "e2");

    /* the game is kept, and the retry reads the rewrite */
    known_game *k = games_known(a, "G1", false);
    assert_non_null(k);
    assert_false(k->retired);
    assert_non_null(game(a));
    for (int i = 0; i < 50 && !njobs; i++) /* the backoff's timer */
        uv_run(&a->loop, UV_RUN_ONCE);
    poll_back(a, rewritten, CN_OK);
    assert_int_equal(game(a)->game->state, BS_FINAL);
    assert_int_equal(game(a)->game->last_id, 2); /* the rewritten game's final, not the first run's (1) */
}

/* The same, but the read is refused for good (a 403: the source is given up on, exit 1):
 * nothing will ever read the change, so the game retires as before instead of staying
 * in memory for good (and, under Kafka, holding its partition's offset back). */
static void a_final_game_whose_source_was_given_up_retires(void **state)
{
    fixture *f = *state;
    app *a = f->a;
    listing(a, strlen(first_run), "e1");
    poll_back(a, first_run, CN_OK);
    write_all(a);
    listing(a, strlen(rewritten), "e2");
    poll_back(a, NULL, CN_AUTH);
    assert_true(game(a)->l_src.gave_up);
    games_retire(a);
    assert_null(game(a));
}

/* The sink refuses the final document for good (CN_INPUT: e.g. MongoDB's BSON size limit;
 * documents only grow, so the final is the likeliest to cross it): "skipping it". Sending it
 * again would not help, so the game may retire, but the run did not write it: the exit
 * status is 1 (README: box scores left unwritten exit 1); it used to stay 0. */
static void a_final_the_sink_refused_is_not_written(void **state)
{
    fixture *f = *state;
    app *a = f->a;
    listing(a, strlen(first_run), "e1");
    poll_back(a, first_run, CN_OK);
    game_run *g = game(a);
    assert_int_equal(g->game->state, BS_FINAL);
    sq_item *it;
    while ((it = ob_next(g, 0))) {
        it->busy |= 1u;
        bool final = it->kind == SQ_PUT && it->id == g->game->last_id;
        cn_error err = {.status = final ? CN_INPUT : CN_OK};
        ob_done(g, 0, it->seq, err.status, &err);
    }
    write_all(a);
    games_retire(a);
    assert_int_equal(a->exit_code, PL_EXIT_RUNTIME);
}

static const char same_size_fix[] = "0 59:47 205 5 1\n1 00:00 0 0 0\n"; /* first_run's length */

/* followed to its final, written, retired; the listing after catches up */
static void retire_first_run(app *a)
{
    listing(a, strlen(first_run), "e1");
    poll_back(a, first_run, CN_OK);
    write_all(a);
    games_retire(a);
    assert_null(game(a));
    assert_true(games_known(a, "G1", false)->retired);
}

/* 1. A retired game's stream is rewritten; reading its (unchanged) game.json then fails
 * for good (S3 403: CN_AUTH). The listings after show game.json as it was noted: it must
 * be read again (the read failed, the file did not change), and the rewrite followed. */
static void a_rewrite_whose_game_json_read_failed_is_followed_later(void **state)
{
    fixture *f = *state;
    app *a = f->a;
    retire_first_run(a);
    listing(a, strlen(first_run), "e1"); /* catches up with the last read */
    listing_m(a, strlen(rewritten), "e2", "m1", CN_AUTH, NULL, true); /* the rewrite; game.json 403 */
    known_game *k = games_known(a, "G1", false);
    assert_false(k->retired);
    assert_null(game(a));
    for (int i = 0; i < 3; i++) /* the 403 is gone (a policy fixed): game.json unchanged */
        listing(a, strlen(rewritten), "e2");
    assert_non_null(game(a)); /* the rewritten stream is followed */
}

/* 1b. Same, but game.json invalid when read: waits (logged) until it changes, then followed. */
static void a_rewrite_whose_game_json_was_invalid_is_followed_once_fixed(void **state)
{
    fixture *f = *state;
    app *a = f->a;
    retire_first_run(a);
    listing(a, strlen(first_run), "e1");
    listing_m(a, strlen(rewritten), "e2", "m2", CN_OK, "{\"home\": 101", true);
    assert_null(game(a));
    listing_m(a, strlen(rewritten), "e2", "m3", CN_OK, "{\"home\": 101, \"away\": 205}", true);
    assert_non_null(game(a));
}

/* 2. bs_result_of fails (out of memory): logged, exit 1; the game then retires. */
static void a_result_out_of_memory_exits_1(void **state)
{
    fixture *f = *state;
    app *a = f->a;
    listing(a, strlen(first_run), "e1");
    result_oom = true;
    poll_back(a, first_run, CN_OK);
    result_oom = false;
    assert_int_equal(game(a)->game->state, BS_FINAL);
    assert_false(game(a)->result_due);
    assert_int_equal(a->exit_code, PL_EXIT_RUNTIME);
    write_all(a);
    games_retire(a);
    assert_null(game(a)); /* retired "final and written" without its tables */
}

/* 3a. Kafka: a game.json read ends in a rebalance's gap (every partition revoked, eager):
 * dropped. When the partition comes back here, the listing must read it again. */
static void a_game_json_read_in_a_rebalance_gap_is_read_again(void **state)
{
    fixture *f = *state;
    app *a = f->a;
    listing_m(a, strlen(first_run), "e1", "m1", CN_OK, NULL, false); /* the read is in flight */
    owned = false; /* revoked */
    job *m = take(NULL);
    assert_non_null(m);
    m->data = strdup("{\"home\": 101, \"away\": 205}");
    m->datalen = strlen(m->data);
    finish(m, CN_OK);
    assert_null(game(a));
    owned = true; /* assigned back to this instance */
    listing(a, strlen(first_run), "e1");
    listing(a, strlen(first_run), "e1");
    assert_non_null(game(a));
}

/* 3b. A followed final game's stream is replaced by one of the same size (S3 PUT of a
 * corrected replay); only a listing sees it (no notification). It must be read. */
static void a_same_size_rewrite_of_a_followed_game_is_read(void **state)
{
    fixture *f = *state;
    app *a = f->a;
    listing(a, strlen(first_run), "e1");
    poll_back(a, first_run, CN_OK);
    assert_int_equal(game(a)->game->state, BS_FINAL);
    listing(a, strlen(same_size_fix), "e2"); /* the writes still pending */
    assert_true(game(a)->l_src.busy);         /* another ETag at the size noted: a replacement, read */
    poll_back(a, same_size_fix, CN_OK);
    write_all(a);
    games_retire(a);
    assert_null(game(a));
}

/* 3c. Retired (the listing that started its last read noted its size); the stream is
 * replaced by one of the same size before the next listing: that listing must not take
 * it for the catch-up with the last read. */
static void a_same_size_rewrite_right_after_retiring_is_followed(void **state)
{
    fixture *f = *state;
    app *a = f->a;
    retire_first_run(a);
    listing(a, strlen(same_size_fix), "e2");
    listing(a, strlen(same_size_fix), "e2");
    assert_non_null(game(a));
}

/* Two box-score sinks (MongoDB and a bucket, say) and a game id another source holds. Each
 * sink's first write of the game is the same forget, sent to both at once. Sink 0 answers
 * CN_CONFLICT: the game is refused, and ob_clear keeps the forget (still out on sink 1).
 * Sink 1 then answers second. Before, ob_done returned before collect() and the forget
 * stayed queued, needed by a sink: ob_next handed it out again at every kick (a tight loop
 * of refused requests), and gr_once_done (--once) never became true. */
static void refused_while_out_on_two_sinks(fixture *f, cn_status second)
{
    app *a = f->a;
    a->nbs = 2;
    listing(a, strlen(first_run), "e1");
    poll_back(a, first_run, CN_OK);
    game_run *g = game(a);
    sq_item *f0 = ob_next(g, 0), *f1 = ob_next(g, 1);
    assert_non_null(f0);
    assert_ptr_equal(f0, f1);
    assert_int_equal(f0->kind, SQ_FORGET);
    f0->busy |= 3u; /* sinks.c start(), for each sink */
    uint64_t seq = f0->seq;
    cn_error err = {.status = CN_CONFLICT}, then = {.status = second};
    snprintf(err.msg, sizeof err.msg, "holds game 'G1' from another source");
    ob_done(g, 0, seq, CN_CONFLICT, &err);
    assert_true(g->refused);
    ob_done(g, 1, seq, second, second == CN_CONFLICT ? &err : &then);
    assert_null(ob_next(g, 0)); /* nothing more is written for a refused game */
    assert_null(ob_next(g, 1));
    assert_false(gr_sink_pending(g));
    assert_true(gr_once_done(g));
}

static void a_game_refused_by_two_sinks_at_once_leaves_nothing_queued(void **state)
{
    refused_while_out_on_two_sinks(*state, CN_CONFLICT);
}

/* The second sink's store is new: it finds no other game and acknowledges the forget. */
static void a_game_refused_by_one_of_two_sinks_leaves_nothing_queued(void **state)
{
    refused_while_out_on_two_sinks(*state, CN_OK);
}

/* A SIGTERM while a game's first read is out (a restart of the pipeline over a day it had
 * written): the drain stops every game, then the read comes back with the whole stream.
 * Folding it then stopped at once, and the run's first fold "ended" with nothing folded:
 * its forget was queued to keep nothing of the run (LONG_MIN, a run id never hashed) and
 * the drain wrote it, deleting every document the sinks held of the game. Nothing of a
 * read that ends after the stop is folded or forgotten: the next start reads it again. */
static void a_read_that_ends_after_the_stop_forgets_nothing(void **state)
{
    fixture *f = *state;
    app *a = f->a;
    listing(a, strlen(first_run), "e1");
    game_run *g = game(a);
    assert_true(g->l_src.busy);
    a->phase = APP_DRAINING; /* SIGTERM: app_drain_then_stop -> stop_all */
    gr_stop(g);
    poll_back(a, first_run, CN_OK);
    for (size_t i = 0; i < g->q.len; i++)
        assert_int_not_equal(sq_at(&g->q, i)->kind, SQ_FORGET);
    assert_false(g->folding);
}

/* The same with the reference read again for the run (not fresh): the read of the rows
 * ends after the stop, and the run's first bytes must not be folded then either. */
static void a_reference_read_that_ends_after_the_stop_forgets_nothing(void **state)
{
    fixture *f = *state;
    app *a = f->a;
    f->c.reference_max_age_ms = 0; /* every run reads the rows again */
    listing(a, strlen(first_run), "e1");
    game_run *g = game(a);
    poll_back(a, first_run, CN_OK);
    assert_true(g->reloading);
    a->phase = APP_DRAINING;
    gr_stop(g);
    gr_ref_loaded(g); /* the read of the rows comes back */
    for (int i = 0; i < 100 && g->folding; i++)
        uv_run(&a->loop, UV_RUN_NOWAIT);
    for (size_t i = 0; i < g->q.len; i++)
        assert_int_not_equal(sq_at(&g->q, i)->kind, SQ_FORGET);
    assert_false(g->folding);
}

/* Out of memory queueing the read of a new game's game.json: the listing had noted the
 * manifest, so no later listing saw it "changed" and the game was never followed. */
static void a_game_json_read_not_queued_for_memory_is_wanted_again(void **state)
{
    fixture *f = *state;
    app *a = f->a;
    oom_dup = "G1";
    games_list(a);
    job *j = take(NULL);
    assert_non_null(j);
    add_obj(&j->listing, "G1/game.json", 24, "m1");
    add_obj(&j->listing, "G1/gamestream.txt", strlen(first_run), "e1");
    finish(j, CN_OK);
    assert_null(game(a));
    assert_int_equal(njobs, 0); /* no read of game.json */
    oom_dup = NULL;
    listing(a, strlen(first_run), "e1"); /* the same listing again: now it is read */
    assert_non_null(game(a));
    poll_back(a, first_run, CN_OK);
    assert_int_equal(game(a)->game->state, BS_FINAL);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(a_rewrite_seen_by_a_listing_is_followed_even_if_its_read_failed, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(a_final_game_whose_source_was_given_up_retires, setup, teardown),
        cmocka_unit_test_setup_teardown(a_final_the_sink_refused_is_not_written, setup, teardown),
        cmocka_unit_test_setup_teardown(a_rewrite_whose_game_json_read_failed_is_followed_later, setup, teardown),
        cmocka_unit_test_setup_teardown(a_rewrite_whose_game_json_was_invalid_is_followed_once_fixed, setup, teardown),
        cmocka_unit_test_setup_teardown(a_result_out_of_memory_exits_1, setup, teardown),
        cmocka_unit_test_setup_teardown(a_game_json_read_in_a_rebalance_gap_is_read_again, setup, teardown),
        cmocka_unit_test_setup_teardown(a_same_size_rewrite_of_a_followed_game_is_read, setup, teardown),
        cmocka_unit_test_setup_teardown(a_same_size_rewrite_right_after_retiring_is_followed, setup, teardown),
        cmocka_unit_test_setup_teardown(a_game_refused_by_two_sinks_at_once_leaves_nothing_queued, setup, teardown),
        cmocka_unit_test_setup_teardown(a_game_refused_by_one_of_two_sinks_leaves_nothing_queued, setup, teardown),
        cmocka_unit_test_setup_teardown(a_read_that_ends_after_the_stop_forgets_nothing, setup, teardown),
        cmocka_unit_test_setup_teardown(a_game_json_read_not_queued_for_memory_is_wanted_again, setup, teardown),
        cmocka_unit_test_setup_teardown(a_reference_read_that_ends_after_the_stop_forgets_nothing, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
