/* A game's pending box-score writes: room by count and by bytes (an empty queue takes
 * one oversized item), the front after a busy head, order and byte accounting through
 * insert/remove/pop, dropping the newest document, the ring wrapping round, its array growing
 * on demand and freed when empty, and the texts freed with the queue (the sanitizer build checks for leaks). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "sinkq.h"

/* A document whose text names its id and whose size is bytes (what the bound counts). */
static sq_item put(long id, size_t bytes)
{
    char *text = malloc(32);
    assert_non_null(text);
    snprintf(text, 32, "put %ld", id);
    return (sq_item){.kind = SQ_PUT, .text = text, .bytes = bytes, .id = id};
}

static sq_item reject(long line, size_t bytes)
{
    char *text = malloc(32);
    assert_non_null(text);
    snprintf(text, 32, "reject %ld", line);
    return (sq_item){.kind = SQ_REJECT, .text = text, .bytes = bytes, .id = line};
}

static sq_item forget(long keep_upto)
{
    return (sq_item){.kind = SQ_FORGET, .forget = {false, "r1", keep_upto}};
}

static void push(sinkq *q, sq_item it)
{
    assert_false(sq_full(q));
    assert_int_equal(sq_insert(q, q->len, it), 0);
}

/* The queue holds exactly these ids in this order, and its byte count is their sum. */
static void expect_ids(sinkq *q, const long *ids, size_t n)
{
    assert_int_equal(q->len, n);
    size_t bytes = 0;
    for (size_t i = 0; i < n; i++) {
        sq_item *it = sq_at(q, i);
        assert_int_equal(it->id, ids[i]);
        if (it->kind != SQ_FORGET) {
            char want[32];
            snprintf(want, sizeof want, "%s %ld", it->kind == SQ_PUT ? "put" : "reject", ids[i]);
            assert_string_equal(it->text, want);
        } else {
            assert_null(it->text);
        }
        bytes += it->bytes;
    }
    assert_int_equal(q->bytes, bytes);
}

static void room_by_count_and_by_bytes(void **state)
{
    (void)state;
    sinkq q;
    sq_init(&q, 3, 100);
    assert_true(sq_room(&q, 10));
    push(&q, put(1, 10));
    push(&q, put(2, 10));
    assert_true(sq_room(&q, 80));   /* 100 exactly: the bound is inclusive */
    assert_false(sq_room(&q, 81));
    push(&q, put(3, 10));
    assert_false(sq_room(&q, 0));   /* full by count, however small */
    assert_false(sq_room(&q, 1));
    sq_pop(&q);
    assert_true(sq_room(&q, 1));
    sq_free(&q);

    /* by bytes alone, with plenty of slots */
    sq_init(&q, 100, 50);
    push(&q, put(1, 30));
    assert_true(sq_room(&q, 20));
    assert_false(sq_room(&q, 21));
    push(&q, put(2, 20));
    assert_false(sq_room(&q, 1));
    assert_true(sq_room(&q, 0));
    sq_free(&q);

    /* zero items means one slot, not none */
    sq_init(&q, 0, 100);
    assert_int_equal(q.max, 1);
    assert_true(sq_room(&q, 10));
    push(&q, put(1, 10));
    assert_false(sq_room(&q, 0));
    sq_free(&q);
}

static void an_empty_queue_takes_one_oversized_item(void **state)
{
    (void)state;
    sinkq q;
    sq_init(&q, 4, 100);
    assert_true(sq_room(&q, 1000));
    assert_true(sq_room(&q, SIZE_MAX / 2));
    push(&q, put(1, 1000));
    assert_int_equal(q.bytes, 1000);
    assert_false(sq_room(&q, 0 + 1));   /* over the bound now: nothing more waits */
    assert_false(sq_room(&q, 1000));
    sq_pop(&q);
    assert_int_equal(q.bytes, 0);
    assert_true(sq_room(&q, 1000));
    sq_free(&q);

    /* a zero byte bound: only ever one item, of any size */
    sq_init(&q, 4, 0);
    assert_true(sq_room(&q, 5));
    push(&q, put(1, 5));
    assert_false(sq_room(&q, 1));
    sq_free(&q);
}

static void the_front_is_after_a_busy_head(void **state)
{
    (void)state;
    sinkq q;
    sq_init(&q, 8, 1000);
    assert_int_equal(sq_front(&q), 0);
    push(&q, put(1, 10));
    push(&q, put(2, 10));
    assert_int_equal(sq_front(&q), 0);  /* the head is not being written */
    assert_int_equal(sq_insert(&q, sq_front(&q), forget(0)), 0);
    expect_ids(&q, (long[]){0, 1, 2}, 3);
    assert_int_equal(sq_at(&q, 0)->kind, SQ_FORGET);

    sq_pop(&q);                         /* the forget is done */
    sq_at(&q, 0)->busy = 1;             /* document 1 is being written */
    assert_int_equal(sq_front(&q), 1);
    assert_int_equal(sq_insert(&q, sq_front(&q), forget(7)), 0);
    assert_int_equal(sq_at(&q, 0)->id, 1);
    assert_int_equal(sq_at(&q, 1)->kind, SQ_FORGET);
    assert_int_equal(sq_at(&q, 1)->forget.keep_upto, 7);
    assert_string_equal(sq_at(&q, 1)->forget.run, "r1");
    expect_ids(&q, (long[]){1, 0, 2}, 3);

    sq_at(&q, 0)->busy = 0;             /* its write is done */
    sq_pop(&q);
    assert_int_equal(sq_front(&q), 0);
    expect_ids(&q, (long[]){0, 2}, 2);
    sq_free(&q);
}

static void insert_remove_pop_keep_order_and_bytes(void **state)
{
    (void)state;
    sinkq q;
    sq_init(&q, 8, 1000);
    push(&q, put(10, 1));
    push(&q, put(20, 2));
    push(&q, put(30, 4));
    assert_int_equal(sq_insert(&q, 1, reject(15, 8)), 0);
    assert_int_equal(sq_insert(&q, 0, put(5, 16)), 0);
    assert_int_equal(sq_insert(&q, q.len, put(40, 32)), 0);
    expect_ids(&q, (long[]){5, 10, 15, 20, 30, 40}, 6);
    assert_int_equal(q.bytes, 63);

    sq_remove(&q, 2);                   /* the middle */
    expect_ids(&q, (long[]){5, 10, 20, 30, 40}, 5);
    assert_int_equal(q.bytes, 55);
    sq_remove(&q, q.len - 1);           /* the tail */
    expect_ids(&q, (long[]){5, 10, 20, 30}, 4);
    assert_int_equal(q.bytes, 23);
    sq_remove(&q, 0);                   /* a head that is not busy */
    expect_ids(&q, (long[]){10, 20, 30}, 3);
    assert_int_equal(q.bytes, 7);

    sq_pop(&q);
    expect_ids(&q, (long[]){20, 30}, 2);
    assert_int_equal(q.bytes, 6);
    sq_pop(&q);
    sq_pop(&q);
    assert_int_equal(q.len, 0);
    assert_int_equal(q.bytes, 0);
    sq_free(&q);
}

/* Games share a bound on their pending bytes together, on top of each game's own. */
static void queues_share_a_total_bound(void **state)
{
    (void)state;
    sinkq a, b;
    size_t total = 0;
    sq_init(&a, 8, 100);
    sq_init(&b, 8, 100);
    sq_share(&a, &total, 60);
    sq_share(&b, &total, 60);
    push(&a, put(1, 30));
    push(&b, put(2, 20));
    assert_int_equal(total, 50);
    assert_true(sq_room(&a, 10));
    assert_false(sq_room(&a, 11)); /* 61 in all: over the total, though a holds only 30 */
    assert_true(sq_room(&a, 11) == false && sq_room(&b, 10));
    sq_pop(&a);
    assert_int_equal(total, 20);
    assert_true(sq_room(&b, 40));
    sq_free(&b);
    assert_int_equal(total, 0);
    sq_free(&a);
}

/* The newest document, queued behind older ones when a shutdown comes, goes next. */
static void moving_an_item_forward_keeps_the_rest_in_order(void **state)
{
    (void)state;
    sinkq q;
    sq_init(&q, 4, 1000);
    for (int i = 0; i < 3; i++) { /* wrap the ring first */
        push(&q, put(i, 1));
        sq_pop(&q);
    }
    push(&q, put(10, 1));
    push(&q, forget(10));
    push(&q, put(20, 2));
    push(&q, put(30, 4));
    sq_at(&q, 0)->busy = 1;
    sq_move(&q, 3, 2); /* after the busy head and the forget */
    expect_ids(&q, (long[]){10, 0, 30, 20}, 4);
    sq_move(&q, 3, 3); /* in place */
    expect_ids(&q, (long[]){10, 0, 30, 20}, 4);
    assert_int_equal(q.bytes, 7);
    sq_free(&q);
}

static void dropping_the_newest_document(void **state)
{
    (void)state;
    sinkq q;
    sq_init(&q, 8, 1000);
    assert_false(sq_drop_newest_put(&q, 0));    /* empty */

    push(&q, put(1, 10));
    push(&q, put(2, 10));
    push(&q, reject(3, 5));
    assert_int_equal(sq_insert(&q, 0, forget(9)), 0);
    push(&q, forget(4));
    expect_ids(&q, (long[]){0, 1, 2, 3, 0}, 5);

    /* the newest document, skipping the forget and the reject after it */
    assert_true(sq_drop_newest_put(&q, 0));
    expect_ids(&q, (long[]){0, 1, 3, 0}, 4);
    assert_int_equal(q.bytes, 15);

    /* from: nothing before it is touched */
    assert_false(sq_drop_newest_put(&q, 2));
    expect_ids(&q, (long[]){0, 1, 3, 0}, 4);
    assert_false(sq_drop_newest_put(&q, q.len));
    assert_false(sq_drop_newest_put(&q, q.len + 5));
    assert_true(sq_drop_newest_put(&q, 1));     /* from may name the document itself */
    expect_ids(&q, (long[]){0, 3, 0}, 3);
    assert_int_equal(q.bytes, 5);

    /* only forgets and rejects left */
    assert_false(sq_drop_newest_put(&q, 0));
    expect_ids(&q, (long[]){0, 3, 0}, 3);

    /* a busy head is not dropped when from is the front */
    while (q.len)
        sq_pop(&q);
    push(&q, put(1, 10));
    push(&q, put(2, 10));
    sq_at(&q, 0)->busy = 1;
    assert_true(sq_drop_newest_put(&q, sq_front(&q)));
    expect_ids(&q, (long[]){1}, 1);
    assert_false(sq_drop_newest_put(&q, sq_front(&q)));
    expect_ids(&q, (long[]){1}, 1);
    assert_true(sq_at(&q, 0)->busy);
    sq_at(&q, 0)->busy = 0;
    sq_free(&q);
}

/* Many cycles round a small ring, mixing every operation at every head position:
 * checked against a plain array that is never wrapped. */
static void the_ring_wraps_round(void **state)
{
    (void)state;
    enum { CAP = 5 };
    sinkq q;
    sq_init(&q, CAP, 1u << 20);
    long model[CAP];
    size_t n = 0, model_bytes = 0;
    long next = 1;
    unsigned rng = 12345;
    for (int round = 0; round < 5000; round++) {
        unsigned op = (unsigned)rand_r(&rng) % 6;
        if (op <= 2 && n < CAP) {
            /* push at the tail, or insert at the front or in the middle */
            size_t pos = op == 0 ? n : op == 1 ? sq_front(&q) : (size_t)rand_r(&rng) % (n + 1);
            if (pos < sq_front(&q))
                pos = sq_front(&q);
            size_t bytes = (size_t)(next % 7) + 1;
            assert_int_equal(sq_insert(&q, pos, put(next, bytes)), 0);
            memmove(model + pos + 1, model + pos, (n - pos) * sizeof *model);
            model[pos] = next++;
            n++;
            model_bytes += bytes;
        } else if (op == 3 && n > 0) {
            model_bytes -= sq_at(&q, 0)->bytes;
            sq_pop(&q);
            memmove(model, model + 1, (n - 1) * sizeof *model);
            n--;
        } else if (op == 4 && n > sq_front(&q)) {
            size_t i = sq_front(&q) + (size_t)rand_r(&rng) % (n - sq_front(&q));
            model_bytes -= sq_at(&q, i)->bytes;
            sq_remove(&q, i);
            memmove(model + i, model + i + 1, (n - i - 1) * sizeof *model);
            n--;
        } else if (op == 5) {
            size_t from = sq_front(&q);
            bool dropped = sq_drop_newest_put(&q, from);
            assert_int_equal(dropped, n > from);
            if (dropped)
                n--;    /* every item here is a document: the newest is the last */
            model_bytes = 0;
            for (size_t i = 0; i < n; i++)
                model_bytes += sq_at(&q, i)->bytes;
        }
        /* the head is being written now and then: nothing goes before it or removes it */
        if (n > 0)
            sq_at(&q, 0)->busy = rand_r(&rng) % 2;
        expect_ids(&q, model, n);
        assert_int_equal(q.bytes, model_bytes);
        assert_true(q.head < CAP);
    }
    sq_free(&q);
}

/* The array is made by the first item, doubles up to the count bound (never past it),
 * keeps the order when it grows while wrapped, and goes when the queue is empty: a
 * queue that keeps up holds nothing between documents. */
static void the_array_grows_on_demand_and_goes_when_empty(void **state)
{
    (void)state;
    sinkq q;
    sq_init(&q, 10000, 1u << 20);
    assert_null(q.v);
    assert_int_equal(q.cap, 0);
    push(&q, put(1, 1));
    assert_int_equal(q.cap, SQ_MIN_CAP);
    sq_pop(&q);
    assert_null(q.v);               /* empty: no array */
    /* wrap the ring, then grow it: the items come out in order */
    for (long i = 1; i <= SQ_MIN_CAP; i++)
        push(&q, put(i, 1));
    sq_pop(&q);
    sq_pop(&q);
    push(&q, put(SQ_MIN_CAP + 1, 1));
    push(&q, put(SQ_MIN_CAP + 2, 1));
    assert_true(q.head != 0);
    push(&q, put(SQ_MIN_CAP + 3, 1)); /* full array, wrapped: it doubles */
    assert_int_equal(q.cap, 2 * SQ_MIN_CAP);
    long want[] = {3, 4, 5, 6, 7};
    expect_ids(&q, want, 5);
    while (q.len > 0)
        sq_remove(&q, q.len - 1);
    assert_null(q.v);
    assert_int_equal(q.bytes, 0);
    sq_free(&q);

    /* the bound caps the array: 6 items take 6 slots, not 8 */
    sq_init(&q, 6, 1u << 20);
    for (long i = 1; i <= 6; i++)
        push(&q, put(i, 1));
    assert_true(sq_full(&q));
    assert_int_equal(q.cap, 6);
    assert_false(sq_room(&q, 0));
    sq_free(&q);
}

/* Filled, wrapped and left full: sq_free frees every text (LSan would say otherwise). */
static void freeing_frees_the_texts(void **state)
{
    (void)state;
    sinkq q;
    sq_init(&q, 4, 1000);
    for (long i = 0; i < 10; i++) {
        if (sq_full(&q))
            sq_pop(&q);
        push(&q, put(i, 1));
    }
    sq_pop(&q);
    assert_int_equal(sq_insert(&q, sq_front(&q), forget(1)), 0);
    assert_int_equal(q.len, 4);
    assert_true(q.head != 0);   /* the items straddle the end of the array */
    sq_free(&q);
    assert_null(q.v);
    assert_int_equal(q.len, 0);
    assert_int_equal(q.bytes, 0);
    sq_free(&q);                /* twice is harmless */
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(room_by_count_and_by_bytes),
        cmocka_unit_test(an_empty_queue_takes_one_oversized_item),
        cmocka_unit_test(the_front_is_after_a_busy_head),
        cmocka_unit_test(insert_remove_pop_keep_order_and_bytes),
        cmocka_unit_test(moving_an_item_forward_keeps_the_rest_in_order),
        cmocka_unit_test(queues_share_a_total_bound),
        cmocka_unit_test(dropping_the_newest_document),
        cmocka_unit_test(the_ring_wraps_round),
        cmocka_unit_test(freeing_frees_the_texts),
        cmocka_unit_test(the_array_grows_on_demand_and_goes_when_empty),
    };
    return cmocka_run_group_tests_name("pipeline/sinkq", tests, NULL, NULL);
}
