/*
 * cursor.h — where a stream source is in a rewritten object, shared by file:// and s3://.
 *
 * The producer rewrites the whole object each time, usually with a longer prefix.
 * A poll reads from CN_OVERLAP bytes before the consumed offset to the end. If those
 * overlap bytes differ from what was consumed, or the object got shorter, the game
 * was restarted and the next read starts again from 0.
 *
 * Every byte read is handed on, a partial last line included, and the offset moves
 * past it: no byte is ever read twice except the overlap. The consumer's line reader
 * (bs_reader) holds a partial line until its newline arrives in a later chunk, so a
 * long line without a newline costs one read, not one per poll.
 */
#ifndef CN_CURSOR_H
#define CN_CURSOR_H

#include "connector.h"

#define CN_OVERLAP 64

typedef struct cn_cursor {
    uint64_t offset;                /* bytes handed on so far, a partial last line included */
    unsigned char tail[CN_OVERLAP]; /* the last bytes before offset */
    size_t taillen;
    bool restarted;                 /* reset after consuming data: the next chunk says restart */
} cn_cursor;

/* The offset to read from for the next poll. */
uint64_t cn_cursor_start(const cn_cursor *c);
/* True when an object of this size cannot be a continuation (it shrank). */
bool cn_cursor_shrank(const cn_cursor *c, uint64_t size);
/* Takes the bytes read from cn_cursor_start() on; fills out with all of them after the
 * overlap, whose data points into them (the caller keeps them until its next poll).
 * *reread is set when the overlap did not match: read again from offset 0 (the
 * cursor is already reset). */
void cn_cursor_accept(cn_cursor *c, const char *data, size_t len, uint64_t size, cn_chunk *out, bool *reread);
/* Forgets everything: the next read starts at 0 and is a restart. */
void cn_cursor_reset(cn_cursor *c);

#endif
