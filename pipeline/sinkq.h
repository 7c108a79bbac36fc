/*
 * sinkq.h — one game's pending box-score writes: a ring bounded in count and bytes.
 *
 * Items are written in order by each of up to SQ_MAX_SINKS sinks, each at its own pace:
 * an item records which sinks wrote it (done) and which are writing it now (busy), and
 * an item being written is never removed. The items some sink already took form the
 * front; nothing is inserted before it. Documents
 * wait serialised (compact JSON): text is a fraction of a jansson tree's memory, and
 * its size is exactly what the byte bound counts. Plain data, no libuv: unit-tested.
 *
 * The ring's array grows on demand (doubling from SQ_MIN_CAP up to the count bound) and
 * is freed whenever the queue is empty: a game whose sink keeps up holds no array at
 * all between documents, so ten thousand games do not each reserve --queue-max slots.
 */
#ifndef PL_SINKQ_H
#define PL_SINKQ_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef enum sq_kind { SQ_PUT, SQ_REJECT, SQ_FORGET } sq_kind;

/* Which of a game's documents a forget removes: all of them, or those of other runs
 * and those beyond the current run's last event (see connector.h). */
typedef struct sq_forget {
    bool all;
    char run[16];
    long keep_upto;
} sq_forget;

typedef struct sq_item {
    sq_kind kind;
    char *text;         /* the document or reject record; NULL for a forget; owned */
    size_t bytes;
    long id;            /* event id of a document, line of a reject record */
    sq_forget forget;
    uint64_t detected_ns;   /* a document: when the change it shows was seen (uv_hrtime), or 0 */
    uint64_t seq;       /* the order it was made in, per game (the owner numbers them) */
    uint8_t done, busy; /* bit s: sink s wrote it / is writing it */
} sq_item;

#define SQ_MAX_SINKS 8  /* bits of done and busy */

#define SQ_MIN_CAP 4   /* the first array's slots */
#define SQ_FORGET_SLACK 4 /* forgets that may go past the count bound: they carry no bytes */

typedef struct sinkq {
    sq_item *v;         /* NULL while empty */
    size_t head, len, cap; /* cap: slots of v now, at most max */
    size_t max;         /* the count bound (at least 1) */
    size_t bytes, max_bytes;
    size_t *total, max_total; /* the bytes of every game's queue, when shared (sq_share) */
} sinkq;

/* An empty queue of at most max_items (0 means 1) items and max_bytes bytes; allocates
 * nothing (sq_insert does). */
void sq_init(sinkq *q, size_t max_items, size_t max_bytes);
void sq_free(sinkq *q);
/* Counts this queue's bytes in *total too, and bounds that sum by max_total as well:
 * the pending work of all games together. */
void sq_share(sinkq *q, size_t *total, size_t max_total);
sq_item *sq_at(sinkq *q, size_t i);
/* True when an item of this size may wait: under every bound, or the queue is empty
 * (a single document larger than the byte bound still goes out). */
bool sq_room(const sinkq *q, size_t bytes);
/* True when the queue holds its count bound of items. */
bool sq_full(const sinkq *q);
/* True when a forget may still wait: up to SQ_FORGET_SLACK of them past the count bound
 * (dropping one would leave an abandoned run's documents on top in the sinks for good). */
bool sq_forget_room(const sinkq *q);
/* The first position an item may take ahead of the others: after every item a sink has
 * written or is writing, from the head on. */
size_t sq_front(const sinkq *q);
/* True when a sink is writing one of its items. */
bool sq_busy(const sinkq *q);
/* Puts it at pos (0 = head; sq_front at the least); the queue owns it.text. The ring
 * must not be full (for a forget: sq_forget_room). Returns 0, or -1 when out of memory growing the array (nothing
 * changed; it.text stays the caller's). */
int sq_insert(sinkq *q, size_t pos, sq_item it);
/* Removes and frees the item at i (not busy); the array goes with the last item. */
void sq_remove(sinkq *q, size_t i);
/* Removes the head (not busy). */
void sq_pop(sinkq *q);
/* Moves the item at from to position to (to <= from). */
void sq_move(sinkq *q, size_t from, size_t to);
/* The position of the newest document at or after from that no sink is writing, or
 * q->len when there is none. */
size_t sq_newest_put_from(sinkq *q, size_t from);
/* Removes the newest document at or after from that no sink is writing; true when one
 * was removed. */
bool sq_drop_newest_put(sinkq *q, size_t from);

/* The number (seq) of the newest document queued, 0 for none. */
uint64_t sq_newest_put(const sinkq *q);
/* Whether sink s is still to write it: not written, the sink not given up, and, for a
 * sink that keeps the newest document only, not a document older than newest. */
bool sq_needs(const sq_item *it, int s, bool gave_up, bool newest_only, uint64_t newest);
/* The writes sink s has before it, the one in flight included. */
size_t sq_depth(const sinkq *q, int s, bool gave_up, bool newest_only);

#endif
