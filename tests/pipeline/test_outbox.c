/* One game's outbox (outbox.c) with two box-score sinks: 0 keeps every document (as
 * MongoDB), 1 keeps the newest only (as the s3:// sink's latest.json). The newest-only
 * sink's last acknowledged document must be the game's newest, whatever order the other
 * sink drains in: the final is moved ahead of documents sink 0 still owes (game_final),
 * and once it leaves the queue an older document must not become "newest" and be PUT
 * over it. A CI run lost a final this way (latest.json at an older event, the game retired
 * as written). Each sink's coalesced documents are counted. The rendering is wrapped. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "outbox.h"

/* ---- what outbox.c calls up into */
void app_sink_kick(app *a)
{
    (void)a;
}

void app_results_kick(app *a)
{
    (void)a;
}

void app_publish(app *a, const char *game, const char *text, size_t len, long event_id)
{
    (void)a;
    (void)game;
    (void)text;
    (void)len;
    (void)event_id;
}

void gr_refuse(game_run *g, const cn_error *err)
{
    (void)err;
    g->refused = true;
}

void pl_hist_observe(pl_hist *h, double v)
{
    (void)h;
    (void)v;
}

json_t *__wrap_bs_render(const bs_game *s, const char *now);
json_t *__wrap_bs_render(const bs_game *s, const char *now)
{
    (void)s;
    (void)now;
    return json_object();
}

enum { ALL = 0, NEWEST = 1, NONE = -999 };

typedef struct fixture {
    app a;
    pl_config c;
    bs_game game;
    game_run g;
} fixture;

static int setup(void **state)
{
    fixture *f = calloc(1, sizeof *f);
    assert_non_null(f);
    f->c.queue_max = 64;
    f->c.queue_max_mib = 16;
    f->c.queue_total_mib = 64;
    f->a.cfg = &f->c;
    f->a.nbs = 2;
    f->a.bs[ALL].ix = ALL;
    f->a.bs[NEWEST].ix = NEWEST;
    f->a.bs[NEWEST].newest_only = true;
    snprintf(f->a.bs[ALL].name, sizeof f->a.bs[ALL].name, "boxscores-mongodb");
    snprintf(f->a.bs[NEWEST].name, sizeof f->a.bs[NEWEST].name, "boxscores-s3");
    f->g.app = &f->a;
    f->g.game = &f->game;
    snprintf(f->g.id, sizeof f->g.id, "game-001");
    f->g.source = "file:///games/game-001/gamestream.txt";
    snprintf(f->g.run_id, sizeof f->g.run_id, "0badf00d");
    f->game.state = BS_LIVE;
    sq_init(&f->g.q, (size_t)f->c.queue_max, (size_t)f->c.queue_max_mib << 20);
    sq_share(&f->g.q, &f->a.pending_bytes, (size_t)f->c.queue_total_mib << 20);
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    fixture *f = *state;
    ob_unlist(&f->g);
    sq_free(&f->g.q);
    free(f->a.waiting);
    free(f);
    return 0;
}

/* Sink s takes its next write (as sinks.c start() does) and it ends with st (sink_done):
 * the event id written, or NONE when the sink has nothing to write. */
static long write_next(fixture *f, int s, cn_status st)
{
    sq_item *it = ob_next(&f->g, s);
    if (!it)
        return NONE;
    long id = it->id;
    it->busy |= (uint8_t)(1u << s);
    cn_error err = {.status = st};
    ob_done(&f->g, s, it->seq, st, &err);
    return id;
}

/* An event folded in: its document queued (as on_applied does). */
static void event(fixture *f, long id, bool final)
{
    f->game.last_id = id;
    if (final)
        f->game.state = BS_FINAL;
    ob_queue_current(&f->g);
}

static uint64_t dropped(fixture *f, int s)
{
    return f->a.metrics.sink[PL_SINK_BOXSCORES + s].dropped;
}

/* Sink 0 down, sink 1 up; two events in one poll, the second final, moved ahead of the one
 * sink 0 still owes; then sink 0 comes back and drains. */
static void final_stays_the_newest_only_sinks_last_write(void **state)
{
    fixture *f = *state;
    event(f, 1, false);
    assert_int_equal(write_next(f, ALL, CN_TRANSIENT), 1); /* refused: kept, retried later */
    assert_int_equal(write_next(f, NEWEST, CN_OK), 1);
    event(f, 2, false);
    event(f, 3, true);
    ob_queue_newest_first(&f->g); /* game_final: the final goes next */
    assert_int_equal(write_next(f, NEWEST, CN_OK), 3);
    long last = 3, wrote[8], n = 0;
    for (int round = 0; round < 8; round++) {
        long a = write_next(f, ALL, CN_OK), b = write_next(f, NEWEST, CN_OK);
        if (a != NONE)
            wrote[n++] = a;
        if (b != NONE)
            last = b;
        if (a == NONE && b == NONE)
            break;
    }
    assert_int_equal(last, 3);           /* nothing older over the final */
    assert_int_equal(n, 3);              /* sink 0 got every document, the final moved ahead */
    assert_int_equal(wrote[0], 1);
    assert_int_equal(wrote[1], 3);
    assert_int_equal(wrote[2], 2);
    assert_int_equal(f->g.q.len, 0);     /* written: the game may retire */
    assert_false(f->g.stale);
    assert_int_equal(dropped(f, ALL), 0);
    assert_int_equal(dropped(f, NEWEST), 1); /* document 2, coalesced into the final */
}

/* A document dropped from the queue (ob_drop_waiting: the run's newest state is written
 * again instead) is counted dropped for each sink that lacked it, not for one that wrote
 * it: here sink 0 wrote document 3 out of order (as when the final was moved ahead). */
static void a_dropped_document_is_counted_for_the_sinks_that_lacked_it(void **state)
{
    fixture *f = *state;
    for (long id = 1; id <= 3; id++)
        event(f, id, false);
    sq_at(&f->g.q, 2)->done |= 1u << ALL;
    ob_drop_waiting(&f->g);
    assert_int_equal(f->g.q.len, 0);
    assert_int_equal(dropped(f, ALL), 2);    /* 1 and 2, not 3: it wrote that one */
    assert_int_equal(dropped(f, NEWEST), 3); /* it wrote none of them */
}

/* In order, sink 1 behind: it writes only the newest of what waits, sink 0 every one. */
static void newest_only_sink_coalesces_in_order(void **state)
{
    fixture *f = *state;
    for (long id = 1; id <= 4; id++)
        event(f, id, id == 4);
    for (long id = 1; id <= 4; id++)
        assert_int_equal(write_next(f, ALL, CN_OK), id);
    assert_int_equal(write_next(f, NEWEST, CN_OK), 4);
    assert_int_equal(write_next(f, NEWEST, CN_OK), NONE);
    assert_int_equal(f->g.q.len, 0);
    assert_int_equal(dropped(f, ALL), 0);
    assert_int_equal(dropped(f, NEWEST), 3);
}

/* A newest-only write that fails is retried with the newest document, not an older one. */
static void newest_only_retry_takes_the_newest(void **state)
{
    fixture *f = *state;
    event(f, 1, false);
    assert_int_equal(write_next(f, NEWEST, CN_TRANSIENT), 1);
    event(f, 2, false);
    assert_int_equal(write_next(f, NEWEST, CN_OK), 2);
    assert_int_equal(write_next(f, NEWEST, CN_OK), NONE);
    assert_int_equal(write_next(f, ALL, CN_OK), 1);
    assert_int_equal(write_next(f, ALL, CN_OK), 2);
    assert_int_equal(f->g.q.len, 0);
    assert_int_equal(dropped(f, NEWEST), 1);
}

/* The CI failure of 2026-12-07 (--once never ended, the bucket refusing every request):
 * a sink given up while one of its writes for this game was still in flight (another
 * game's write failed first, on another connection). What only that sink needed was kept
 * for the write in flight, and when it failed too the sink was given up already: nothing
 * took it out, and the game never settled. */
static void a_write_in_flight_when_its_sink_is_given_up_leaves_when_it_fails(void **state)
{
    fixture *f = *state;
    event(f, 1, true);
    sq_item *it = ob_next(&f->g, NEWEST);
    assert_non_null(it);
    it->busy |= 1u << NEWEST;
    uint64_t seq = it->seq;
    f->a.bs[NEWEST].gave_up = true; /* sinks.c gave_up(), for another game's failure */
    ob_sink_gave_up(&f->g, NEWEST);
    assert_int_equal(write_next(f, ALL, CN_OK), 1);
    assert_int_equal(f->g.q.len, 1); /* still in flight on the given-up sink */
    cn_error err = {.status = CN_AUTH};
    ob_done(&f->g, NEWEST, seq, CN_AUTH, &err);
    assert_int_equal(f->g.q.len, 0); /* no sink needs it: the game is written */
}

/* The every-document sink (0) down, retried; the newest-only sink (1) keeps up. The
 * outbox reaches its bound (here 2 items; in production --queue-total-mib at scale), so the
 * final is coalesced (stale). Then sink 0 is given up (--once's attempts, or an auth error):
 * ob_sink_gave_up's collect() empties the queue, but nothing renders the stale newest state
 * again (refill runs only in ob_done), so sink 1 never gets the final, gr_sink_pending()
 * stays true (stale) and --once / gr_done never end. */
static void a_coalesced_final_goes_out_when_the_sink_that_held_the_queue_is_given_up(void **state)
{
    fixture *f = *state;
    f->g.q.max = 2;
    event(f, 1, false);
    assert_int_equal(write_next(f, NEWEST, CN_OK), 1);
    assert_int_equal(write_next(f, ALL, CN_TRANSIENT), 1); /* kept for sink 0's retry */
    event(f, 2, false);
    assert_int_equal(write_next(f, NEWEST, CN_OK), 2);
    event(f, 3, true); /* the final: no room, coalesced */
    assert_true(f->g.stale);
    assert_int_equal(write_next(f, NEWEST, CN_OK), NONE);
    f->a.bs[ALL].gave_up = true; /* sinks.c gave_up() after sink 0's last failure */
    ob_sink_gave_up(&f->g, ALL);
    /* the final must still reach sink 1 */
    assert_int_equal(write_next(f, NEWEST, CN_OK), 3);
    assert_false(f->g.stale);
    assert_int_equal(f->g.q.len, 0);
}

/* Two every-document sinks, one down: the queue is full of documents the other wrote (none
 * can be dropped: a sink still owes each). The stream is rewritten from the start, and its
 * forget of every run was dropped for the count bound, without a word: the sinks kept the
 * abandoned run's documents on top for good. A forget carries no bytes: it goes past the
 * bound (a few of them). */
static void a_forget_is_never_dropped_when_the_queue_is_full(void **state)
{
    fixture *f = *state;
    f->a.bs[NEWEST].newest_only = false; /* a second every-document sink */
    f->g.q.max = 4;
    for (long id = 1; id <= 4; id++)
        event(f, id, false);
    for (long id = 1; id <= 4; id++)
        assert_int_equal(write_next(f, ALL, CN_OK), id);
    assert_int_equal(write_next(f, NEWEST, CN_TRANSIENT), 1); /* down: kept for the retry */
    assert_int_equal(f->g.q.len, 4);
    ob_drop_waiting(&f->g); /* begin_run, the stream rewritten */
    ob_queue_forget(&f->g, (sq_forget){true, "", 0});
    assert_int_equal(f->g.q.len, 5);
    assert_int_equal(sq_at(&f->g.q, 4)->kind, SQ_FORGET);
    for (long id = 1; id <= 4; id++) /* the down sink, back: what it owes, then the forget */
        assert_int_equal(write_next(f, NEWEST, CN_OK), id);
    sq_item *it = ob_next(&f->g, NEWEST);
    assert_non_null(it);
    assert_int_equal(it->kind, SQ_FORGET);
}

/* A game revoked under Kafka (paused: its partition went to another instance, which
 * rebuilds it and makes its own forget and newest document). Before, what it had queued
 * still went out for up to --grace-ms: its forget, landing after the new owner's writes,
 * deleted them, and a newest-only sink's PUT put an older state over the new owner's
 * newest. Those wait now; an every-document sink's documents (the same bytes the new owner
 * writes) still go. */
static void a_revoked_game_holds_back_its_forget_and_newest_only_puts(void **state)
{
    fixture *f = *state;
    ob_queue_forget(&f->g, (sq_forget){false, "0badf00d", 0});
    event(f, 1, false);
    f->g.paused = true;
    assert_null(ob_next(&f->g, ALL));    /* the forget first: held */
    assert_null(ob_next(&f->g, NEWEST)); /* held too */
    f->g.paused = false;                 /* the partition came back */
    assert_int_equal(ob_next(&f->g, ALL)->kind, SQ_FORGET);
    write_next(f, ALL, CN_OK);
    write_next(f, NEWEST, CN_OK);
    event(f, 2, false);
    f->g.paused = true;
    assert_int_equal(write_next(f, ALL, CN_OK), 1);     /* documents to every-document sinks go */
    assert_int_equal(write_next(f, NEWEST, CN_OK), NONE); /* the newest-only sink's wait */
    f->g.paused = false;
    assert_int_equal(write_next(f, NEWEST, CN_OK), 2);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(final_stays_the_newest_only_sinks_last_write, setup, teardown),
        cmocka_unit_test_setup_teardown(a_dropped_document_is_counted_for_the_sinks_that_lacked_it, setup, teardown),
        cmocka_unit_test_setup_teardown(newest_only_sink_coalesces_in_order, setup, teardown),
        cmocka_unit_test_setup_teardown(newest_only_retry_takes_the_newest, setup, teardown),
        cmocka_unit_test_setup_teardown(a_write_in_flight_when_its_sink_is_given_up_leaves_when_it_fails, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(a_coalesced_final_goes_out_when_the_sink_that_held_the_queue_is_given_up,
                                        setup, teardown),
        cmocka_unit_test_setup_teardown(a_forget_is_never_dropped_when_the_queue_is_full, setup, teardown),
        cmocka_unit_test_setup_teardown(a_revoked_game_holds_back_its_forget_and_newest_only_puts, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
