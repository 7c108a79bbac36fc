/*
 * schema.h — the columns of teams/players, which teams2/players2 copy exactly, and of
 * game_teams/game_players, each game's own result (written by write_game).
 * The same declarations of teams/players are in sql/schema.sql, from which the seed
 * scripts are made; the sink creates game_teams/game_players when they are missing.
 * %s is the table name.
 */
#ifndef CN_SCHEMA_H
#define CN_SCHEMA_H

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "boxscore.h"
#include "connector.h"

#define CN_TEAMS_DDL \
    "CREATE TABLE %s (id int PRIMARY KEY, name varchar(50), conference varchar(50), wins int, losses int)"
#define CN_PLAYERS_DDL                                                                                   \
    "CREATE TABLE %s (id int PRIMARY KEY, name varchar(50), number varchar(3), shots int, goals int, " \
    "teamid int REFERENCES %s(id))"
#define CN_TEAMS_COLS "id, name, conference, wins, losses"
#define CN_PLAYERS_COLS "id, name, number, shots, goals, teamid"

/* One row per team per game, and one per rostered player per game; a game's rows are
 * replaced as a whole, keyed by the game id. Written in the order of the columns. */
#define CN_GAME_TEAMS "game_teams"
#define CN_GAME_TEAMS_DEF                                                                                 \
    "(game varchar(64) NOT NULL, teamid int NOT NULL, opponent int, score int, opponent_score int, " \
    "result char(1), PRIMARY KEY (game, teamid))"
#define CN_GAME_TEAMS_COLS "game, teamid, opponent, score, opponent_score, result"
#define CN_GAME_PLAYERS "game_players"
#define CN_GAME_PLAYERS_DEF                                                                                 \
    "(game varchar(64) NOT NULL, player_id int NOT NULL, teamid int, number varchar(3), shots int, goals " \
    "int, PRIMARY KEY (game, player_id))"
#define CN_GAME_PLAYERS_COLS "game, player_id, teamid, number, shots, goals"
/* Where each game was read from (cn_uri_source), so the same game id under another
 * source (another day's folder) cannot replace this game's rows. Created when missing
 * (databases from before it have none: their games belong to whoever writes them next).
 * The key keeps the database's default collation on purpose: SQL Server's is case-
 * insensitive, and the lookup is made case-insensitive on SQLite too (NOCASE), so game
 * ids that differ only by case are refused the same way on both. */
#define CN_GAME_SOURCES "game_sources"
#define CN_GAME_SOURCES_DEF "(game varchar(64) NOT NULL PRIMARY KEY, source varchar(1024) NOT NULL)"

/* 0 when game (read from source) may be written over what game_sources holds for its
 * id (found: a row was there; stored_game and stored_source are its columns); otherwise
 * -1 with CN_CONFLICT and the reason, naming both sources, in refused (where: the
 * database, as messages name it). */
static inline int cn_check_source(bool found, const char *stored_game, const char *stored_source, const char *game,
                                  const char *source, const char *where, cn_error *refused)
{
    if (!found || (!strcmp(stored_game, game) && !strcmp(stored_source, source)))
        return 0;
    if (strcmp(stored_game, game))
        cn_fail(refused, CN_CONFLICT, "%s: game id '%s' differs only by case from game '%s' (from %s), which SQL "
                "Server keeps as the same key; give one of them another name", where, game, stored_game, stored_source);
    else
        cn_fail(refused, CN_CONFLICT, "%s: game '%s' was written from %s, and %s names a game with the same id", where,
                game, stored_source, source);
    return -1;
}

/* What bs_season needs of every game's rows, in the order cn_game_rows_add_* takes them;
 * with CN_OF_GAME and the game's id, one game's rows. */
#define CN_SEASON_TEAMS_SQL "SELECT teamid, opponent, score, opponent_score, result FROM " CN_GAME_TEAMS
#define CN_SEASON_PLAYERS_SQL "SELECT player_id, teamid, number, shots, goals FROM " CN_GAME_PLAYERS
#define CN_OF_GAME " WHERE game = "

/* What teams2/players2 were last added up from in full: one row (id 1), the reference's
 * stamp (cn_season_stamp). While it matches the reference of a write, and teams2,
 * players2, game_teams and game_players are all tables, a final updates only its own
 * teams' and players' rows; otherwise the write adds everything up again and stores the
 * new stamp. Replacing teams2/players2 by other means (write) drops it. */
#define CN_SEASON_STATE "season_state"
#define CN_SEASON_STATE_DEF "(id int NOT NULL PRIMARY KEY, reference varchar(64) NOT NULL)"
#define CN_STAMP_LEN 64

/* The stamp of a reference: its digest (kept, or computed: O(rows)) and row counts. */
static inline void cn_season_stamp(const bs_ref *ref, char out[CN_STAMP_LEN])
{
    snprintf(out, CN_STAMP_LEN, "%016llx:%zu:%zu",
             (unsigned long long)(ref->digest ? ref->digest : bs_ref_digest(ref)), ref->nteams, ref->nplayers);
}


/* The rows of game_teams and game_players as read back, for bs_season. */
typedef struct cn_game_rows {
    bs_team_result *teams;
    size_t nteams, capteams;
    bs_player_result *players;
    size_t nplayers, capplayers;
} cn_game_rows;

/* Makes room for one more element in *arr; 0, or -1 when out of memory. */
static inline int cn_game_rows_grow(void **arr, size_t *cap, size_t n, size_t size)
{
    if (n < *cap)
        return 0;
    size_t ncap = *cap ? *cap * 2 : 64;
    void *p = realloc(*arr, ncap * size);
    if (!p)
        return -1;
    *arr = p;
    *cap = ncap;
    return 0;
}

/* Appends a row of game_teams; 0, or -1 when out of memory. */
static inline int cn_game_rows_add_team(cn_game_rows *g, bs_team_result t)
{
    if (cn_game_rows_grow((void **)&g->teams, &g->capteams, g->nteams, sizeof *g->teams))
        return -1;
    g->teams[g->nteams++] = t;
    return 0;
}

/* Appends a row of game_players; 0, or -1 when out of memory. */
static inline int cn_game_rows_add_player(cn_game_rows *g, bs_player_result p)
{
    if (cn_game_rows_grow((void **)&g->players, &g->capplayers, g->nplayers, sizeof *g->players))
        return -1;
    g->players[g->nplayers++] = p;
    return 0;
}

/* 0 when r can be written: a safe game id and results W, L or T; otherwise -1 with the
 * reason in why. */
static inline int cn_check_result(const bs_result *r, char why[BS_ERRLEN])
{
    if (!bs_game_id_valid(r->game, why))
        return -1;
    for (int i = 0; i < 2; i++) {
        char x = r->teams[i].result;
        if (x != 'W' && x != 'L' && x != 'T') {
            snprintf(why, BS_ERRLEN, "result of team %d is not W, L or T", r->teams[i].teamid);
            return -1;
        }
    }
    if (r->nplayers && !r->players) {
        snprintf(why, BS_ERRLEN, "no player rows");
        return -1;
    }
    return 0;
}

static inline void cn_game_rows_free(cn_game_rows *g)
{
    free(g->teams);
    free(g->players);
    *g = (cn_game_rows){0};
}

/* One game's change to teams2 and players2 ([0] and [1]), as SQL: the SELECT of the
 * current values of the rows it touches, then, from the rows read back, their UPDATEs. */
typedef struct cn_season_step {
    bs_count_delta *d[2];
    size_t n[2];
    bs_buf update;      /* the UPDATEs of the rows read back so far */
    size_t found[2];    /* rows of the change read back */
    bool unknown;       /* a row at INT_MAX would go down: add everything up again */
} cn_season_step;

/* The change when the game's stored rows old (empty: never written) become now's; -1
 * when out of memory. cn_season_step_free in any case. */
int cn_season_step_init(cn_season_step *s, const cn_game_rows *old, const bs_result *now);
/* The SELECT of id and the two columns of table t's rows the change touches into out
 * (false, and nothing, when it touches none). Portable SQL: ids are integers. */
bool cn_season_step_select(const cn_season_step *s, int t, bs_buf *out);
/* One row (id, its two columns) of that SELECT: its UPDATE joins s->update, or
 * s->unknown is set. */
void cn_season_step_row(cn_season_step *s, int t, int id, int v0, int v1);
/* After both SELECTs: true when the change cannot be applied row by row and everything
 * must be added up again: a value out of range, or a row of its teams or players missing
 * from teams2/players2 (emptied or edited by hand since the stamp was stored). */
bool cn_season_step_whole(const cn_season_step *s);
void cn_season_step_free(cn_season_step *s);

#endif
