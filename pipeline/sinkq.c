/*
 * sinkq.c — the bounded ring of one game's pending box-score writes. See sinkq.h.
 */
#include "sinkq.h"

#include <stdlib.h>

int sq_init(sinkq *q, size_t max_items, size_t max_bytes)
{
    *q = (sinkq){0};
    q->cap = max_items ? max_items : 1;
    q->max_bytes = max_bytes;
    q->v = calloc(q->cap, sizeof *q->v);
    return q->v ? 0 : -1;
}

static void count(sinkq *q, size_t add, size_t sub)
{
    q->bytes = q->bytes + add - sub;
    if (q->total)
        *q->total = *q->total + add - sub;
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

bool sq_room(const sinkq *q, size_t bytes)
{
    if (q->len == 0)
        return true;
    return q->len < q->cap && q->bytes + bytes <= q->max_bytes &&
           (!q->total || *q->total + bytes <= q->max_total);
}

size_t sq_front(const sinkq *q)
{
    return q->head_busy && q->len > 0 ? 1 : 0;
}

void sq_insert(sinkq *q, size_t pos, sq_item it)
{
    for (size_t k = q->len; k > pos; k--)
        *sq_at(q, k) = *sq_at(q, k - 1);
    *sq_at(q, pos) = it;
    q->len++;
    count(q, it.bytes, 0);
}

void sq_remove(sinkq *q, size_t i)
{
    sq_item *v = sq_at(q, i);
    count(q, 0, v->bytes);
    free(v->text);
    for (size_t k = i; k + 1 < q->len; k++)
        *sq_at(q, k) = *sq_at(q, k + 1);
    q->len--;
}

void sq_pop(sinkq *q)
{
    sq_item *it = sq_at(q, 0);
    count(q, 0, it->bytes);
    free(it->text);
    q->head = (q->head + 1) % q->cap;
    q->len--;
    q->head_busy = false;
}

void sq_move(sinkq *q, size_t from, size_t to)
{
    sq_item it = *sq_at(q, from);
    for (size_t k = from; k > to; k--)
        *sq_at(q, k) = *sq_at(q, k - 1);
    *sq_at(q, to) = it;
}

bool sq_drop_newest_put(sinkq *q, size_t from)
{
    for (size_t i = q->len; i-- > from;)
        if (sq_at(q, i)->kind == SQ_PUT) {
            sq_remove(q, i);
            return true;
        }
    return false;
}
