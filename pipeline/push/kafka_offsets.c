/*
 * kafka_offsets.c — the offset bookkeeping of one partition (see kafka_offsets.h).
 *
 * The kept messages are a vector read from head: moving past a message is head++, and
 * the dead front is reclaimed when it passes half the capacity (a memmove), so a
 * partition that always has a few messages in flight does not grow without bound.
 */
#include "kafka_offsets.h"

#include <stdlib.h>
#include <string.h>

void ko_init(ko_part *p)
{
    *p = (ko_part){.stored = -1};
}

bool ko_keep(ko_part *p, const ko_msg *m)
{
    if (p->len == p->cap && !bs_grow(&p->v, &p->cap, p->len, sizeof *p->v)) {
        p->blocked = true;
        return false;
    }
    p->v[p->len++] = *m;
    return true;
}

size_t ko_pending(const ko_part *p)
{
    return p->len - p->head;
}

int64_t ko_advance(ko_part *p, ko_done_fn done, void *ctx)
{
    int64_t last = -1;
    while (p->head < p->len && done(ctx, &p->v[p->head]))
        last = p->v[p->head++].offset;
    if (p->head == p->len)
        p->head = p->len = 0;
    else if (p->head > p->cap / 2) {
        memmove(p->v, p->v + p->head, (p->len - p->head) * sizeof *p->v);
        p->len -= p->head;
        p->head = 0;
    }
    if (last < 0 || p->blocked)
        return -1;
    p->stored = last + 1;
    return p->stored;
}

ko_flow_t ko_flow(ko_part *p, size_t max)
{
    size_t n = ko_pending(p);
    if (!p->paused && n >= max) {
        p->paused = true;
        return KO_FLOW_PAUSE;
    }
    if (p->paused && n < max / 2) {
        p->paused = false;
        return KO_FLOW_RESUME;
    }
    return KO_FLOW_SAME;
}

void ko_forget(ko_part *p)
{
    p->head = p->len = 0;
    p->stored = -1;
    p->paused = p->blocked = false;
}

void ko_free(ko_part *p)
{
    free(p->v);
    ko_init(p);
}
