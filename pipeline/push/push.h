/*
 * push.h — reads triggered by pushes rather than by the poll timer, the push room:
 *
 *   POST /minio/events ──► webhook.c (serve.h) ──────────┐
 *   file:// source: uv_fs_event on the stream's folder ──┼─► push.c: the game named is polled now
 *     (or, under a prefix, on the prefix and every game   │   (an unknown game: a listing now)
 *     folder): fswatch.c                                  │
 *   Kafka: MinIO's topic, one consumer group: kafka.c ───┘   (only the games of its partitions)
 *
 * A push only says "read now": what is read is still decided by the object (the source
 * reads from its consumed offset and sees rewrites), so a push that comes late, twice,
 * out of order or never changes nothing but the latency. While MinIO notifications
 * naming a followed stream keep coming (one in the last minute; under a prefix, once one
 * named one of its games), and always for a
 * file:// prefix whose folders are all watched on a local file system, the poll timer's
 * work (the listing above all: one stat per file of every game) runs every
 * --safety-poll-ms instead of every --poll-ms.
 */
#ifndef PL_PUSH_H
#define PL_PUSH_H

#include "app.h"
#include "minio_event.h"

#define PUSH_FLOWING_MS 60000   /* notifications count as flowing for a minute after the last */

/* The step every intake shares: rel, a decoded key relative to what is followed (the
 * single stream's name, or "<game>/gamestream.txt" / "<game>/game.json" under the prefix),
 * makes that game poll now or the prefix be listed now. Returns whether it names
 * something followed. */
bool push_key(app *a, const char *rel);
/* push_key for every s3:ObjectCreated:* record of ev in the followed bucket and prefix;
 * returns how many named something followed (and notes the time: notifications flow).
 * game (gamelen bytes), when given, gets the first such record's game id under a prefix,
 * "" when none. */
size_t push_records(app *a, const me_event *ev, char *game, size_t gamelen);
/* Works out what the source follows and, for file://, starts watching it. After the
 * connectors are open; the loop is not running yet. */
void push_start(app *a);
/* Once per poll tick: retries a watch that could not start (a folder not made yet).
 * Returns whether this tick should poll (false while notifications flow, or every folder
 * of a file:// prefix is watched, and the last polling tick is less than
 * --safety-poll-ms ago). */
bool push_tick(app *a);
/* file:// under a prefix: watches the game's folder (no-op when watched or not file://). */
void push_watch_game(app *a, known_game *k);
/* Closes every watch (their memory goes with the close callbacks). */
void push_close(app *a);
/* Frees what is left once the loop has ended. */
void push_free(app *a);

#endif
