/*
 * games.h — the set of games a process follows: one named by --source, or every game
 * under a prefix, found by listing it once per tick.
 *
 * Under a prefix each game is a folder <prefix><game>/ with game.json (home and away)
 * and gamestream.txt. One listing per tick (paged) tells which games are new and,
 * from size, ETag and modification time, which streams moved: only those are read.
 * A game whose game.json is missing or invalid waits (logged once, with the reason);
 * a folder whose name is not a safe game id is refused (logged once). A game that is
 * final and written is retired from memory; a later rewrite of its stream is a
 * restart and it is followed again.
 */
#ifndef PL_GAMES_H
#define PL_GAMES_H

#include "app.h"

/* The single game of --source/--home/--away/--game; its source's open status (a
 * failure is logged). */
cn_status games_add_single(app *a);
/* Starts a listing of the prefix when one may start. */
void games_list(app *a);
void games_list_cb(void *owner);
/* Under a prefix: the game seen with this id (added when add and new), or NULL. */
known_game *games_known(app *a, const char *id, bool add);
/* A push named a new game or a game.json: lists the prefix as soon as the lister is free
 * (now when it is). */
void games_list_now(app *a);
/* With --once: the prefix was listed and every manifest found was read. */
bool games_once_listed(const app *a);
/* No listing in flight, and no game.json waiting or being read. */
bool games_lister_idle(const app *a);
/* A manifest lane's retry is due (its kick), or the lister is free: the next game.json reads
 * start, then the listing a push asked for. */
void games_manifests_kick(void *owner);
/* Kafka: drops the games whose partition is not assigned here, once no call of theirs is in
 * flight and (unless force) nothing of theirs waits to be written. Returns how many such
 * games are left. */
size_t games_drop_unowned(app *a, bool force);
/* Retires the games that are final and written. */
void games_retire(app *a);
/* Touches --health-file: proof that the loop turns. */
void games_touch_health(app *a);
void games_free(app *a);

#endif
