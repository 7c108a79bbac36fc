/*
 * pool.h — worker threads of their own for one kind of call, beside libuv's pool.
 *
 * libuv runs every uv_queue_work in one FIFO queue. At 10,000 games a burst of pushes
 * queues thousands of stream reads there, and a box-score write queued behind them waits
 * for all of them (issue 15: the freshness tail was that wait, not the sink's call). The
 * writes run here instead, on threads no read can take.
 *
 * It is used as uv_queue_work is: a task's work runs on one of the pool's threads, its
 * after function then runs on the loop thread, in the order the tasks finished. While a
 * task is in flight the pool keeps the loop alive; idle, it does not.
 */
#ifndef PL_POOL_H
#define PL_POOL_H

#include <stddef.h>
#include <stdint.h>

#include <uv.h>

typedef struct pl_task {
    struct pl_task *next;              /* the pool's */
    void (*work)(struct pl_task *t);   /* on a pool thread */
    void (*after)(struct pl_task *t);  /* on the loop thread, once work has returned */
} pl_task;

typedef struct pl_pool pl_pool;

/* Starts nthreads threads (at least 1). Returns 0, or a libuv error code (the threads
 * begun are stopped again, nothing is left). */
int pl_pool_new(pl_pool **out, uv_loop_t *loop, int nthreads);
/* Queues the task: work and after must be set. On the loop thread only. */
void pl_pool_submit(pl_pool *p, pl_task *t);
/* Tasks submitted and not yet given back to their after function. */
size_t pl_pool_in_flight(const pl_pool *p);
/* Closes its loop handle; no task may be in flight. Run the loop once more for the close,
 * then pl_pool_free. */
void pl_pool_close(pl_pool *p);
/* Stops and joins the threads and frees the pool (NULL: nothing). */
void pl_pool_free(pl_pool *p);

#endif
