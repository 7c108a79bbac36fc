/* The Kafka intake's offset bookkeeping (pipeline/push/kafka_offsets.c): the offset stored
 * is the last done message's + 1 of the unbroken done run from the oldest, never past a
 * message not done (completions out of order wait); nothing done stores nothing; the
 * partition pauses at the bound and resumes below half of it; a long day of messages
 * with a few always in flight keeps the memory bounded and the order; and a message that
 * cannot be kept (its allocation fails: realloc is wrapped here) blocks every later store
 * until the next assignment, so an out-of-memory costs duplicates, never a lost event. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "kafka_offsets.h"

void *__real_realloc(void *p, size_t n);
static bool fail_realloc;
void *__wrap_realloc(void *p, size_t n);
void *__wrap_realloc(void *p, size_t n)
{
    return fail_realloc ? NULL : __real_realloc(p, n);
}

/* done: the offsets marked in done[] */
typedef struct done_set {
    bool done[100000];
} done_set;

static bool is_done(void *ctx, const ko_msg *m)
{
    return ((done_set *)ctx)->done[m->offset];
}

static void keep(ko_part *p, int64_t offset)
{
    ko_msg m = {.offset = offset, .want_polls = 1};
    snprintf(m.game, sizeof m.game, "game-%03d", (int)(offset % 7));
    assert_true(ko_keep(p, &m));
}

/* Each test: a partition and its done set (freed after, with whatever the test kept). */
typedef struct fx {
    ko_part p;
    done_set d;
} fx;

static int setup(void **state)
{
    fx *f = calloc(1, sizeof *f);
    if (!f)
        return -1;
    ko_init(&f->p);
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    fx *f = *state;
    ko_free(&f->p);
    free(f);
    return 0;
}

static void stores_the_done_run_only(void **state)
{
    fx *f = *state;
    ko_part *pp = &f->p;
    done_set *d = &f->d;
    for (int64_t o = 10; o < 15; o++)
        keep(pp, o);
    assert_int_equal(ko_advance(pp, is_done, d), -1); /* nothing done: nothing stored */
    assert_int_equal(pp->stored, -1);
    d->done[10] = d->done[12] = d->done[13] = true;
    assert_int_equal(ko_advance(pp, is_done, d), 11); /* 12 and 13 wait behind 11 */
    assert_int_equal(ko_pending(pp), 4);
    assert_int_equal(ko_advance(pp, is_done, d), -1);
    assert_int_equal(pp->stored, 11);
    d->done[11] = true;
    assert_int_equal(ko_advance(pp, is_done, d), 14); /* the whole run goes at once */
    assert_int_equal(ko_pending(pp), 1);
    d->done[14] = true;
    assert_int_equal(ko_advance(pp, is_done, d), 15);
    assert_int_equal(ko_pending(pp), 0);
    ko_forget(pp);
    assert_int_equal(pp->stored, -1);
}

static void pauses_at_the_bound_and_resumes_below_half(void **state)
{
    fx *f = *state;
    ko_part *pp = &f->p;
    done_set *d = &f->d;
    for (int64_t o = 0; o < 9; o++) {
        keep(pp, o);
        assert_int_equal(ko_flow(pp, 10), KO_FLOW_SAME);
    }
    keep(pp, 9);
    assert_int_equal(ko_flow(pp, 10), KO_FLOW_PAUSE);
    assert_int_equal(ko_flow(pp, 10), KO_FLOW_SAME);
    for (int64_t o = 0; o < 5; o++)
        d->done[o] = true;
    assert_int_equal(ko_advance(pp, is_done, d), 5);
    assert_int_equal(ko_flow(pp, 10), KO_FLOW_SAME); /* 5 kept: not below half yet */
    d->done[5] = true;
    assert_int_equal(ko_advance(pp, is_done, d), 6);
    assert_int_equal(ko_flow(pp, 10), KO_FLOW_RESUME);
    assert_false(pp->paused);
    for (int64_t o = 10; o < 16; o++)
        keep(pp, o);
    assert_int_equal(ko_flow(pp, 10), KO_FLOW_PAUSE);
    ko_forget(pp); /* a new assignment fetches afresh: not paused */
    assert_false(pp->paused);
}

static void a_long_day_stays_bounded_and_in_order(void **state)
{
    fx *f = *state;
    ko_part *pp = &f->p;
    done_set *d = &f->d;
    int64_t next = 0;
    for (int64_t o = 0; o < 90000; o++) {
        keep(pp, o);
        if (o >= 3) /* the three newest always in flight */
            d->done[o - 3] = true;
        int64_t s = ko_advance(pp, is_done, d);
        if (o >= 3) {
            assert_int_equal(s, o - 2);
            next = s;
        }
        assert_true(pp->cap <= 16);
    }
    assert_int_equal(next, 89997);
    assert_int_equal(ko_pending(pp), 3);
}

static void an_unkept_message_blocks_storing_until_forgotten(void **state)
{
    fx *f = *state;
    ko_part *pp = &f->p;
    done_set *d = &f->d;
    for (int64_t o = 0; o < 16; o++) /* the first vector is full */
        keep(pp, o);
    fail_realloc = true;
    ko_msg lost = {.offset = 16};
    assert_false(ko_keep(pp, &lost)); /* offset 16 is not kept */
    fail_realloc = false;
    keep(pp, 17);
    for (int64_t o = 0; o < 18; o++)
        d->done[o] = true;
    assert_int_equal(ko_advance(pp, is_done, d), -1); /* 17 done, but 16's work is unknown */
    assert_int_equal(ko_pending(pp), 0);              /* the done run still goes */
    assert_int_equal(pp->stored, -1);
    ko_forget(pp); /* the next assignment starts from what the group committed */
    keep(pp, 30);
    d->done[30] = true;
    assert_int_equal(ko_advance(pp, is_done, d), 31);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(stores_the_done_run_only, setup, teardown),
        cmocka_unit_test_setup_teardown(pauses_at_the_bound_and_resumes_below_half, setup, teardown),
        cmocka_unit_test_setup_teardown(a_long_day_stays_bounded_and_in_order, setup, teardown),
        cmocka_unit_test_setup_teardown(an_unkept_message_blocks_storing_until_forgotten, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
