/*
 * sinkq.c — the bounded ring of one game's pending box-score writes. See sinkq.h.
 */
#include "sinkq.h"

#include <stdlib.h>

void sq_init(sinkq *q, size_t max_items, size_t max_bytes)
{
    *q = (sinkq){0};
    q->max = max_items ? max_items : 1;
    q->max_bytes = max_bytes;
}

static void count(sinkq *q, size_t add, size_t sub)
{
    q->bytes = q->bytes + add - sub;
    if (q->total)
        *q->total = *q->total + add - sub;
}

/* Room for one more item: a larger array with the items from its start. */
static int grow(sinkq *q)
{
    if (q->len < q->cap)
        return 0;
    size_t cap = q->cap ? q->cap * 2 : SQ_MIN_CAP;
    if (cap > q->max) /* up to the count bound; past it only for the forgets (sq_forget_room) */
        cap = q->len < q->max ? q->max : q->max + SQ_FORGET_SLACK;
    sq_item *v = malloc(cap * sizeof *v);
    if (!v)
        return -1;
    for (size_t i = 0; i < q->len; i++)
        v[i] = *sq_at(q, i);
    free(q->v);
    q->v = v;
    q->cap = cap;
    q->head = 0;
    return 0;
}

/* An empty queue holds no array. */
static void release_if_empty(sinkq *q)
{
    if (q->len == 0) {
        free(q->v);
        q->v = NULL;
        q->cap = q->head = 0;
    }
}

void sq_share(sinkq *q, size_t *total, size_t max_total)
{
    q->total = total;
    q->max_total = max_total;
    *total += q->bytes;
}

void sq_free(sinkq *q)
{
    count(q, 0, q->bytes);
    for (size_t i = 0; i < q->len; i++)
        free(sq_at(q, i)->text);
    free(q->v);
    *q = (sinkq){0};
}

sq_item *sq_at(sinkq *q, size_t i)
{
    return &q->v[(q->head + i) % q->cap];
}

bool sq_full(const sinkq *q)
{
    return q->len >= q->max;
}

bool sq_forget_room(const sinkq *q)
{
    return q->len < q->max + SQ_FORGET_SLACK;
}

bool sq_room(const sinkq *q, size_t bytes)
{
    if (q->len == 0)
        return true;
    return !sq_full(q) && q->bytes + bytes <= q->max_bytes && (!q->total || *q->total + bytes <= q->max_total);
}

size_t sq_front(const sinkq *q)
{
    size_t i = 0;
    while (i < q->len && (q->v[(q->head + i) % q->cap].done | q->v[(q->head + i) % q->cap].busy))
        i++;
    return i;
}

bool sq_busy(const sinkq *q)
{
    for (size_t i = 0; i < q->len; i++)
        if (q->v[(q->head + i) % q->cap].busy)
            return true;
    return false;
}

int sq_insert(sinkq *q, size_t pos, sq_item it)
{
    if (grow(q))
        return -1;
    for (size_t k = q->len; k > pos; k--)
        *sq_at(q, k) = *sq_at(q, k - 1);
    *sq_at(q, pos) = it;
    q->len++;
    count(q, it.bytes, 0);
    return 0;
}

void sq_remove(sinkq *q, size_t i)
{
    if (i == 0) {
        sq_pop(q);
        return;
    }
    sq_item *v = sq_at(q, i);
    count(q, 0, v->bytes);
    free(v->text);
    for (size_t k = i; k + 1 < q->len; k++)
        *sq_at(q, k) = *sq_at(q, k + 1);
    q->len--;
    release_if_empty(q);
}

void sq_pop(sinkq *q)
{
    sq_item *it = sq_at(q, 0);
    count(q, 0, it->bytes);
    free(it->text);
    q->head = (q->head + 1) % q->cap;
    q->len--;
    release_if_empty(q);
}

void sq_move(sinkq *q, size_t from, size_t to)
{
    sq_item it = *sq_at(q, from);
    for (size_t k = from; k > to; k--)
        *sq_at(q, k) = *sq_at(q, k - 1);
    *sq_at(q, to) = it;
}

size_t sq_newest_put_from(sinkq *q, size_t from)
{
    for (size_t i = q->len; i-- > from;)
        if (sq_at(q, i)->kind == SQ_PUT && !sq_at(q, i)->busy)
            return i;
    return q->len;
}

bool sq_drop_newest_put(sinkq *q, size_t from)
{
    size_t i = sq_newest_put_from(q, from);
    if (i == q->len)
        return false;
    sq_remove(q, i);
    return true;
}

uint64_t sq_newest_put(const sinkq *q)
{
    uint64_t n = 0;
    for (size_t i = 0; i < q->len; i++) {
        const sq_item *it = &q->v[(q->head + i) % q->cap];
        if (it->kind == SQ_PUT && it->seq > n)
            n = it->seq;
    }
    return n;
}

bool sq_needs(const sq_item *it, int s, bool gave_up, bool newest_only, uint64_t newest)
{
    if (gave_up || (it->done >> s & 1u))
        return false;
    return !(newest_only && it->kind == SQ_PUT && it->seq != newest);
}

size_t sq_depth(const sinkq *q, int s, bool gave_up, bool newest_only)
{
    uint64_t newest = sq_newest_put(q);
    size_t n = 0;
    for (size_t i = 0; i < q->len; i++) {
        const sq_item *it = &q->v[(q->head + i) % q->cap];
        n += sq_needs(it, s, gave_up, newest_only, newest) || (it->busy >> s & 1u);
    }
    return n;
}
