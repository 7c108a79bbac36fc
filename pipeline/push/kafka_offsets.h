/*
 * kafka_offsets.h — which offset of one partition may be stored (at least once, counted
 * once), pure: no librdkafka, no loop, no clock. kafka.c keeps one ko_part per assigned
 * partition and asks it, on each tick, what to store and whether to pause the partition.
 *
 * Invariants:
 *   - the messages kept are the partition's messages whose work is not known to be done,
 *     in the order they came (offsets increasing);
 *   - ko_advance moves past an unbroken run of done messages from the oldest, and only
 *     that run: a done message behind one not done waits, so the offset stored (the last
 *     done one's + 1) never passes work that is not written;
 *   - what is done is the caller's to say (the ko_done_fn), and a message once done stays
 *     done: ko_advance asks again only about the messages it has not moved past;
 *   - the bookkeeping is bounded: ko_flow says pause once the kept messages reach max and
 *     resume once they fall below max / 2 (hysteresis, so a partition at the edge does not
 *     flap), and the caller pauses fetching while paused.
 */
#ifndef PL_KAFKA_OFFSETS_H
#define PL_KAFKA_OFFSETS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "boxscore.h"

typedef struct ko_msg {
    int64_t offset;
    char game[BS_MAX_GAME_ID + 1]; /* the game it names, "" when it names nothing followed */
    long want_polls;               /* the game's successful reads that make it done */
    uint64_t listing;              /* the listings that must have ended for it (none followed) */
} ko_msg;

typedef struct ko_part {
    ko_msg *v;          /* kept messages: v[head..len) */
    size_t head, len, cap;
    int64_t stored;     /* the offset ko_advance gave last (the next to read), -1 none */
    bool paused;        /* ko_flow said pause */
    bool blocked;       /* a message could not be kept: nothing is stored until ko_forget */
} ko_part;

/* An empty partition with nothing stored. */
void ko_init(ko_part *p);
/* Keeps m, the partition's newest message. Returns false out of memory: then m's work is
 * never known, so nothing more is stored until ko_forget (a new owner or a restart reads
 * again from the last offset stored: duplicates, never a loss). */
bool ko_keep(ko_part *p, const ko_msg *m);
/* Whether the work of m is done (the caller's knowledge of games, listings and sinks). */
typedef bool (*ko_done_fn)(void *ctx, const ko_msg *m);
/* Moves past the done run from the oldest kept message; returns the offset to store (the
 * last done message's + 1, also set in stored), or -1 when no message was moved past or
 * the partition is blocked (the done run still goes, so memory stays bounded). */
int64_t ko_advance(ko_part *p, ko_done_fn done, void *ctx);
/* Messages kept (not done yet). */
size_t ko_pending(const ko_part *p);

typedef enum { KO_FLOW_SAME, KO_FLOW_PAUSE, KO_FLOW_RESUME } ko_flow_t;
/* Whether fetching must pause (kept >= max) or may resume (kept < max / 2) now; updates
 * paused. KO_FLOW_SAME when nothing changes. */
ko_flow_t ko_flow(ko_part *p, size_t max);
/* Forgets the kept messages, what was stored and the pause (a new assignment, a
 * revocation, a lost assignment: librdkafka fetches afresh after each); keeps the memory. */
void ko_forget(ko_part *p);
/* Frees the memory (the partition is empty after). */
void ko_free(ko_part *p);

#endif
