/*
 * cursor.c — restart detection for rewritten objects.
 * See cursor.h for the protocol.
 */
#include "cursor.h"

#include <string.h>

uint64_t cn_cursor_start(const cn_cursor *c)
{
    return c->offset - c->taillen;
}

bool cn_cursor_shrank(const cn_cursor *c, uint64_t size)
{
    return size < c->offset;
}

void cn_cursor_reset(cn_cursor *c)
{
    c->restarted = c->restarted || c->offset > 0;
    c->offset = 0;
    c->taillen = 0;
}

void cn_cursor_accept(cn_cursor *c, const char *data, size_t len, uint64_t size, cn_chunk *out, bool *reread)
{
    *reread = false;
    if (len < c->taillen || memcmp(data, c->tail, c->taillen) != 0) {
        cn_cursor_reset(c);
        *reread = true;
        return;
    }
    data += c->taillen;
    len -= c->taillen;

    /* hand on every new byte, a partial last line too: the reader holds it */
    *out = (cn_chunk){data, len, c->restarted, c->offset, size, 0};
    c->restarted = false;
    c->offset += len;

    /* remember the bytes just before the new offset for the next overlap check */
    if (len >= CN_OVERLAP) {
        memcpy(c->tail, data + len - CN_OVERLAP, CN_OVERLAP);
        c->taillen = CN_OVERLAP;
    } else {
        size_t keep = c->taillen + len > CN_OVERLAP ? CN_OVERLAP - len : c->taillen;
        memmove(c->tail, c->tail + c->taillen - keep, keep);
        memcpy(c->tail + keep, data, len);
        c->taillen = keep + len;
    }
}
