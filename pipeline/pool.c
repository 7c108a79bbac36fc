/*
 * pool.c — see pool.h. Two lists under one mutex: the tasks waiting for a thread, and
 * the tasks done, handed to the loop through a uv_async_t (its sends coalesce, so each
 * wake-up takes every task done so far).
 */
#include "pool.h"

#include <stdbool.h>
#include <stdlib.h>

typedef struct task_list {
    pl_task *head, *tail;
} task_list;

struct pl_pool {
    uv_mutex_t mu;
    uv_cond_t more;         /* a task was queued, or the pool stops */
    task_list queued, done;
    bool stop;
    uv_async_t wake;        /* tasks are done: run their after functions */
    size_t in_flight;       /* on the loop thread: submitted, not yet after */
    int nthreads;
    uv_thread_t *threads;
};

static void list_push(task_list *l, pl_task *t)
{
    t->next = NULL;
    if (l->tail)
        l->tail->next = t;
    else
        l->head = t;
    l->tail = t;
}

static void worker(void *arg)
{
    pl_pool *p = arg;
    uv_mutex_lock(&p->mu);
    for (;;) {
        while (!p->queued.head && !p->stop)
            uv_cond_wait(&p->more, &p->mu);
        if (p->stop)
            break;
        pl_task *t = p->queued.head;
        p->queued.head = t->next;
        if (!p->queued.head)
            p->queued.tail = NULL;
        uv_mutex_unlock(&p->mu);
        t->work(t);
        uv_mutex_lock(&p->mu);
        list_push(&p->done, t);
        uv_async_send(&p->wake);
    }
    uv_mutex_unlock(&p->mu);
}

static void woken(uv_async_t *h)
{
    pl_pool *p = h->data;
    uv_mutex_lock(&p->mu);
    pl_task *t = p->done.head;
    p->done = (task_list){0};
    uv_mutex_unlock(&p->mu);
    while (t) {
        pl_task *next = t->next; /* after may free or submit t again */
        p->in_flight--;
        t->after(t);
        t = next;
    }
    if (p->in_flight == 0)
        uv_unref((uv_handle_t *)&p->wake);
}

static void stop_threads(pl_pool *p, int n)
{
    uv_mutex_lock(&p->mu);
    p->stop = true;
    uv_cond_broadcast(&p->more);
    uv_mutex_unlock(&p->mu);
    for (int i = 0; i < n; i++)
        uv_thread_join(&p->threads[i]);
}

int pl_pool_new(pl_pool **out, uv_loop_t *loop, int nthreads)
{
    *out = NULL;
    if (nthreads < 1)
        nthreads = 1;
    pl_pool *p = calloc(1, sizeof *p);
    if (!p || !(p->threads = calloc((size_t)nthreads, sizeof *p->threads))) {
        free(p);
        return UV_ENOMEM;
    }
    int rc = uv_mutex_init(&p->mu);
    if (rc)
        goto no_mutex;
    if ((rc = uv_cond_init(&p->more)))
        goto no_cond;
    /* the threads before the handle: none sends to it before a task is submitted */
    for (; p->nthreads < nthreads; p->nthreads++)
        if ((rc = uv_thread_create(&p->threads[p->nthreads], worker, p)))
            goto no_threads;
    if ((rc = uv_async_init(loop, &p->wake, woken)))
        goto no_threads;
    p->wake.data = p;
    uv_unref((uv_handle_t *)&p->wake);
    *out = p;
    return 0;
no_threads:
    stop_threads(p, p->nthreads);
    uv_cond_destroy(&p->more);
no_cond:
    uv_mutex_destroy(&p->mu);
no_mutex:
    free(p->threads);
    free(p);
    return rc;
}

void pl_pool_submit(pl_pool *p, pl_task *t)
{
    if (p->in_flight++ == 0)
        uv_ref((uv_handle_t *)&p->wake);
    uv_mutex_lock(&p->mu);
    list_push(&p->queued, t);
    uv_cond_signal(&p->more);
    uv_mutex_unlock(&p->mu);
}

size_t pl_pool_in_flight(const pl_pool *p)
{
    return p->in_flight;
}

void pl_pool_close(pl_pool *p)
{
    if (p && !uv_is_closing((uv_handle_t *)&p->wake))
        uv_close((uv_handle_t *)&p->wake, NULL);
}

void pl_pool_free(pl_pool *p)
{
    if (!p)
        return;
    stop_threads(p, p->nthreads);
    uv_cond_destroy(&p->more);
    uv_mutex_destroy(&p->mu);
    free(p->threads);
    free(p);
}
