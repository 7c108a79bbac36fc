/* The writes' own threads (pipeline/pool.c) on a real libuv loop: work runs on the
 * pool's threads, after on the loop thread, the loop lives exactly as long as a task is
 * in flight, an after may submit its task again, and — the reason the pool exists — a
 * task completes while every thread of libuv's own pool is taken. */
#include <setjmp.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>

#include <cmocka.h>

#include "pool.h"

enum { NTASKS = 300, LIBUV_THREADS = 2 };

typedef struct rec {
    pl_task t; /* first: a task is its record */
    uv_thread_t loop_thread;
    uv_thread_t work_thread;
    bool work_on_loop, after_on_loop, worked;
    int afters, again; /* again: how many more times after submits it */
    pl_pool *pool;
    atomic_int *running; /* works in progress at once, and the most seen */
    atomic_int *most;
} rec;

static void rec_work(pl_task *t)
{
    rec *r = (rec *)t;
    uv_thread_t self = uv_thread_self();
    r->work_on_loop = uv_thread_equal(&self, &r->loop_thread);
    r->work_thread = self;
    if (r->running) {
        int now = atomic_fetch_add(r->running, 1) + 1;
        int m = atomic_load(r->most);
        while (now > m && !atomic_compare_exchange_weak(r->most, &m, now))
            ;
        uv_sleep(2); /* long enough for the other threads to take tasks too */
        atomic_fetch_sub(r->running, 1);
    }
    r->worked = true;
}

static void rec_after(pl_task *t)
{
    rec *r = (rec *)t;
    uv_thread_t self = uv_thread_self();
    r->after_on_loop = r->worked && uv_thread_equal(&self, &r->loop_thread);
    r->afters++;
    r->worked = false;
    if (r->again > 0) {
        r->again--;
        pl_pool_submit(r->pool, &r->t);
    }
}

static void rec_init(rec *r, pl_pool *p)
{
    *r = (rec){.t = {.work = rec_work, .after = rec_after}, .loop_thread = uv_thread_self(), .pool = p};
}

static void close_and_free(uv_loop_t *loop, pl_pool *p)
{
    assert_int_equal(pl_pool_in_flight(p), 0);
    pl_pool_close(p);
    assert_int_equal(uv_run(loop, UV_RUN_DEFAULT), 0);
    pl_pool_free(p);
    assert_int_equal(uv_loop_close(loop), 0); /* nothing of the pool is left on the loop */
}

/* Every task's work on a pool thread, every after on the loop thread, each once; the
 * loop runs until the last after and then returns by itself. */
static void test_work_on_threads_after_on_loop(void **state)
{
    (void)state;
    uv_loop_t loop;
    uv_loop_init(&loop);
    pl_pool *p;
    assert_int_equal(pl_pool_new(&p, &loop, 3), 0);
    static rec r[NTASKS];
    atomic_int running = 0, most = 0;
    for (int i = 0; i < NTASKS; i++) {
        rec_init(&r[i], p);
        if (i < 30) { /* a few slow ones: the threads work at once */
            r[i].running = &running;
            r[i].most = &most;
        }
        pl_pool_submit(p, &r[i].t);
    }
    assert_int_equal(pl_pool_in_flight(p), NTASKS);
    assert_int_equal(uv_run(&loop, UV_RUN_DEFAULT), 0); /* returns once none is in flight */
    assert_int_equal(pl_pool_in_flight(p), 0);
    for (int i = 0; i < NTASKS; i++) {
        assert_int_equal(r[i].afters, 1);
        assert_false(r[i].work_on_loop);
        assert_true(r[i].after_on_loop);
    }
    assert_true(atomic_load(&most) >= 2); /* more than one thread took tasks */
    assert_true(atomic_load(&most) <= 3); /* and never more than the pool has */
    close_and_free(&loop, p);
}

/* An idle pool does not keep the loop running; an after may submit its task again. */
static void test_idle_pool_and_resubmit(void **state)
{
    (void)state;
    uv_loop_t loop;
    uv_loop_init(&loop);
    pl_pool *p;
    assert_int_equal(pl_pool_new(&p, &loop, 0), 0); /* 0 threads asked: it has one */
    assert_int_equal(uv_run(&loop, UV_RUN_DEFAULT), 0);
    rec r;
    rec_init(&r, p);
    r.again = 4;
    pl_pool_submit(p, &r.t);
    assert_int_equal(uv_run(&loop, UV_RUN_DEFAULT), 0);
    assert_int_equal(r.afters, 5);
    assert_true(r.after_on_loop);
    assert_int_equal(uv_run(&loop, UV_RUN_NOWAIT), 0); /* idle again */
    close_and_free(&loop, p);
}

/* ------------------------------------------------ beside libuv's own pool, taken */

typedef struct blocked {
    uv_work_t req;
    uv_sem_t *gate;
    bool ran;
} blocked;

static void blocked_work(uv_work_t *req)
{
    blocked *b = req->data;
    uv_sem_wait(b->gate);
    b->ran = true;
}

static void blocked_after(uv_work_t *req, int status)
{
    (void)req;
    assert_int_equal(status, 0);
}

typedef struct beside {
    rec r;
    uv_sem_t gate;
    uv_timer_t watchdog;
    bool timed_out;
    int opened; /* gates opened */
} beside;

static void open_gates(beside *b)
{
    for (; b->opened < 2 * LIBUV_THREADS; b->opened++)
        uv_sem_post(&b->gate);
}

static void beside_after(pl_task *t)
{
    beside *b = (beside *)t;
    rec_after(t);
    uv_timer_stop(&b->watchdog);
    open_gates(b); /* the write is done: now the reads may go on */
}

static void watchdog_fired(uv_timer_t *h)
{
    beside *b = h->data;
    b->timed_out = true; /* the task waited for libuv's pool: let everything finish, then fail */
    open_gates(b);
}

static void test_task_runs_while_libuv_pool_is_taken(void **state)
{
    (void)state;
    uv_loop_t loop;
    uv_loop_init(&loop);
    beside b = {0};
    assert_int_equal(uv_sem_init(&b.gate, 0), 0);
    /* every libuv thread blocked until the pool's task is done, and more waiting behind */
    blocked reads[2 * LIBUV_THREADS];
    for (int i = 0; i < 2 * LIBUV_THREADS; i++) {
        reads[i] = (blocked){.gate = &b.gate};
        reads[i].req.data = &reads[i];
        assert_int_equal(uv_queue_work(&loop, &reads[i].req, blocked_work, blocked_after), 0);
    }
    pl_pool *p;
    assert_int_equal(pl_pool_new(&p, &loop, 1), 0);
    rec_init(&b.r, p);
    b.r.t.after = beside_after;
    uv_timer_init(&loop, &b.watchdog);
    b.watchdog.data = &b;
    uv_timer_start(&b.watchdog, watchdog_fired, 30000, 0); /* only if it hangs */
    pl_pool_submit(p, &b.r.t);
    assert_int_equal(uv_run(&loop, UV_RUN_DEFAULT), 0); /* the watchdog stopped, the reads done */
    uv_close((uv_handle_t *)&b.watchdog, NULL);
    uv_run(&loop, UV_RUN_DEFAULT);
    assert_false(b.timed_out);
    assert_int_equal(b.r.afters, 1);
    for (int i = 0; i < 2 * LIBUV_THREADS; i++)
        assert_true(reads[i].ran);
    uv_sem_destroy(&b.gate);
    close_and_free(&loop, p);
}

int main(void)
{
    /* libuv's pool starts at the first uv_queue_work, with this many threads */
    setenv("UV_THREADPOOL_SIZE", "2", 1);
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_work_on_threads_after_on_loop),
        cmocka_unit_test(test_idle_pool_and_resubmit),
        cmocka_unit_test(test_task_runs_while_libuv_pool_is_taken),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
