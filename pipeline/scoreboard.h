/*
 * scoreboard.h — index.json: every game a box-score sink was given, one line each, as
 * GET /v1/games shows them (gr_summary), in game order. A game keeps its line after it
 * is retired (its final score stays readable); a restarted game's line is the new run's.
 * A line is rendered again only when what it shows changed (gr_summary_key), and the
 * body only when a line did: at 10,000 games an unchanged scoreboard costs a hash per game.
 */
#ifndef PL_SCOREBOARD_H
#define PL_SCOREBOARD_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct app;
struct game_run;

typedef struct sb_line {
    char *game;         /* owned */
    char *text;         /* compact JSON, owned */
    size_t len;
    uint64_t key;
} sb_line;

typedef struct scoreboard {
    sb_line *v;         /* sorted by game */
    size_t n, cap;
    char *body;         /* {"games":[...]}, owned; NULL until the first sb_update */
    size_t body_len;
    uint64_t key;       /* of the body: a hash of every line's key */
    bool dirty;         /* a line changed since the body was made */
} scoreboard;

/* Brings the lines up to date with the games followed now (those with a box score) and
 * the body with the lines. 0, or -1 when out of memory (the previous body stays). */
int sb_update(scoreboard *sb, struct app *a);
/* Keeps g's line as it is now: a game about to be freed (retired after its final) stays
 * on the scoreboard with its last state. Out of memory: the previous line stays. */
void sb_keep(scoreboard *sb, const struct game_run *g);
void sb_free(scoreboard *sb);

#endif
