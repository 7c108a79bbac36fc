/* The results sinks' tests of write_game, one body for every backend: a league of three
 * teams where 101 and 205 play G1 and 205 and 300 play G2, results made by hand, random
 * final games folded from gamestream text, and the checks, each run against a backend
 * through a results_backend (a fresh sink, and SQL to read the tables back with).
 * Include after cmocka.h. */
#ifndef TEST_RESULTS_FIXTURE_H
#define TEST_RESULTS_FIXTURE_H

#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sqlite3.h>

#include "boxscore.h"
#include "connector.h"

static inline void league(bs_ref *ref)
{
    *ref = (bs_ref){0};
    bs_ref_add_team(ref, 101, "Herons", "Coastal", 7, 3);
    bs_ref_add_team(ref, 205, "Owls", "Plains", 6, 4);
    bs_ref_add_team(ref, 300, "Foxes", "Coastal", 1, 1);
    bs_ref_add_player(ref, 1, "Liam O'Brien", "2", 20, 5, 101);
    bs_ref_add_player(ref, 2, "Zoë Hart", "19", 0, 0, 101);
    bs_ref_add_player(ref, 4, "Sam Okafor", "9", 12, 3, 205);
    bs_ref_add_player(ref, 7, "Ana Ruiz", "11", 3, 1, 300);
}

/* Shots and goals of G1 and G2 as {player_id, teamid, shots, goals}. */
static const int g1_players[][4] = {{1, 101, 4, 2}, {2, 101, 1, 0}, {4, 205, 3, 1}};
static const int g2_players[][4] = {{4, 205, 5, 2}, {7, 300, 2, 1}};
/* G1 played again: 205 won, and one player of 101 is not in it. */
static const int g1_replay_players[][4] = {{1, 101, 2, 0}, {4, 205, 6, 3}};

/* A game's result by hand: home and away scores, and the players' rows. bs_result_free
 * frees it. */
static inline bs_result game_result(const char *game, int home, int away, int hs, int as, const int (*pl)[4],
                                    size_t n)
{
    bs_result r = {0};
    snprintf(r.game, sizeof r.game, "%s", game);
    char res[2] = {hs > as ? 'W' : hs < as ? 'L' : 'T', hs > as ? 'L' : hs < as ? 'W' : 'T'};
    r.teams[0] = (bs_team_result){home, away, hs, as, res[0]};
    r.teams[1] = (bs_team_result){away, home, as, hs, res[1]};
    r.players = calloc(n ? n : 1, sizeof *r.players);
    r.nplayers = n;
    for (size_t i = 0; i < n; i++)
        r.players[i] = (bs_player_result){pl[i][0], pl[i][1], "", pl[i][2], pl[i][3]};
    return r;
}

/* The random game of this seed (101 at home to 205) folded to its end over *ref, which
 * it fills; NULL when it could not be made. */
static inline bs_game *random_final_game(uint64_t seed, bs_ref *ref)
{
    char *text;
    size_t len;
    bs_feed f;
    *ref = (bs_ref){0};
    if (bs_random_game(seed, 101, 205, ref, &text, &len))
        return NULL;
    bs_game *g = bs_game_new(ref, 101, 205, "G-random");
    if (g) {
        bs_feed_init(&f, g, NULL);
        bs_feed_push(&f, text, len);
    }
    free(text);
    return g;
}

/* The results sink at uri, with the league written as teams/players. */
static inline cn_results league_sink(const char *uri, const cn_settings *cfg)
{
    cn_results w;
    cn_error err;
    bs_ref ref;
    league(&ref);
    assert_int_equal(cn_results_open(&w, uri, cfg, &err), CN_OK);
    if (w.ops->write(w.impl, &ref, "teams", "players", &err))
        fail_msg("write %s: %s", uri, err.msg);
    bs_ref_free(&ref);
    return w;
}

static inline void write_game_ok(cn_results *w, const bs_result *r)
{
    cn_error err;
    if (w->ops->write_game(w->impl, NULL, r, 1, NULL, NULL, &err))
        fail_msg("write_game %s: %s: %s", r->game, cn_status_name(err.status), err.msg);
}

/* ---------------------------------------------------------------- the checks */

typedef struct results_backend {
    /* A sink of a database called name holding the league as teams/players and no
     * game tables. */
    cn_results (*fresh)(const char *name);
    /* Runs sql (statements separated by ';') in database name: the rows, columns
     * tab-separated, one a line (malloc'd). */
    char *(*query)(const char *name, const char *sql);
    /* Where a failure message must point: the database (path or name) called name. */
    void (*where)(const char *name, char *out, size_t len);
    /* As query, in SQLite's own SQL on the SQLite file behind database name (the file
     * itself, or the TDS stand-in's): triggers that watch what the sink changes. */
    char *(*native)(const char *name, const char *sql);
} results_backend;

/* The rows of every statement in sql run on the SQLite file at path, tab-separated, one
 * a line (malloc'd); NULL when a statement cannot be prepared (a missing table). */
static inline char *sqlite_rows(const char *path, const char *sql)
{
    sqlite3 *h;
    sqlite3_stmt *st;
    char *out = calloc(1, 1);
    size_t len = 0;
    assert_int_equal(sqlite3_open(path, &h), SQLITE_OK);
    sqlite3_busy_timeout(h, 10000);
    for (const char *tail = sql; *tail;) {
        if (sqlite3_prepare_v2(h, tail, -1, &st, &tail) != SQLITE_OK) {
            sqlite3_close(h);
            free(out);
            return NULL;
        }
        while (st && sqlite3_step(st) == SQLITE_ROW) {
            for (int i = 0; i < sqlite3_column_count(st); i++) {
                const char *v = (const char *)sqlite3_column_text(st, i);
                size_t n = strlen(v ? v : "NULL");
                out = realloc(out, len + n + 2);
                memcpy(out + len, v ? v : "NULL", n);
                len += n;
                out[len++] = i + 1 < sqlite3_column_count(st) ? '\t' : '\n';
                out[len] = '\0';
            }
        }
        sqlite3_finalize(st);
    }
    sqlite3_close(h);
    return out;
}

#define SEASON_SQL "SELECT id, name, wins, losses FROM teams2 ORDER BY id; " \
                   "SELECT id, name, number, shots, goals, teamid FROM players2 ORDER BY id"
#define GAMES_SQL                                                                                  \
    "SELECT game, teamid, opponent, score, opponent_score, result FROM game_teams ORDER BY game, " \
    "teamid; SELECT game, player_id, teamid, number, shots, goals FROM game_players ORDER BY game, player_id"
/* The reference plus G1 and G2: 205 lost G1 and won G2; player 4 shot in both. */
#define G1_G2_SEASON                                                           \
    "101\tHerons\t8\t3\n205\tOwls\t7\t5\n300\tFoxes\t1\t2\n"                 \
    "1\tLiam O'Brien\t2\t24\t7\t101\n2\tZoë Hart\t19\t1\t0\t101\n"             \
    "4\tSam Okafor\t9\t20\t6\t205\n7\tAna Ruiz\t11\t5\t2\t300\n"
#define G1_G2_GAMES                                                            \
    "G1\t101\t205\t2\t1\tW\nG1\t205\t101\t1\t2\tL\n"                          \
    "G2\t205\t300\t2\t1\tW\nG2\t300\t205\t1\t2\tL\n"                          \
    "G1\t1\t101\t\t4\t2\nG1\t2\t101\t\t1\t0\nG1\t4\t205\t\t3\t1\n"            \
    "G2\t4\t205\t\t5\t2\nG2\t7\t300\t\t2\t1\n"

/* G1 then G2, G2 then G1, and both in one call (finals written together) give the same
 * game tables and the same teams2/players2. */
static inline void check_games_in_either_order(const results_backend *b)
{
    char *season[3], *games[3];
    bs_result g1 = game_result("G1", 101, 205, 2, 1, g1_players, 3);
    bs_result g2 = game_result("G2", 205, 300, 2, 1, g2_players, 2);
    for (int order = 0; order < 3; order++) {
        const char *name = order == 0 ? "order-a" : order == 1 ? "order-b" : "order-batch";
        cn_results w = b->fresh(name);
        if (order < 2) {
            write_game_ok(&w, order ? &g2 : &g1);
            write_game_ok(&w, order ? &g1 : &g2);
        } else {
            bs_result both[2] = {g2, g1}; /* shallow copies: freed once, below */
            cn_error err = {0};
            if (w.ops->write_game(w.impl, NULL, both, 2, NULL, NULL, &err))
                fail_msg("write_game of two games: %s: %s", cn_status_name(err.status), err.msg);
        }
        cn_results_close(&w);
        season[order] = b->query(name, SEASON_SQL);
        games[order] = b->query(name, GAMES_SQL);
    }
    for (int i = 1; i < 3; i++) {
        assert_string_equal(season[0], season[i]);
        assert_string_equal(games[0], games[i]);
    }
    assert_string_equal(season[0], G1_G2_SEASON);
    assert_string_equal(games[0], G1_G2_GAMES);
    for (int i = 0; i < 3; i++) {
        free(season[i]);
        free(games[i]);
    }
    bs_result_free(&g1);
    bs_result_free(&g2);
}

/* The same game written again changes nothing. */
static inline void check_a_game_written_twice_counts_once(const results_backend *b)
{
    bs_result g1 = game_result("G1", 101, 205, 2, 1, g1_players, 3);
    cn_results w = b->fresh("twice");
    write_game_ok(&w, &g1);
    char *once = b->query("twice", SEASON_SQL), *games = b->query("twice", GAMES_SQL);
    write_game_ok(&w, &g1);
    cn_results_close(&w);
    char *twice = b->query("twice", SEASON_SQL), *games2 = b->query("twice", GAMES_SQL);
    assert_string_equal(once, twice);
    assert_string_equal(games, games2);
    assert_non_null(strstr(twice, "101\tHerons\t8\t3\n"));
    free(once);
    free(twice);
    free(games);
    free(games2);
    bs_result_free(&g1);
}

/* teams2 and players2 emptied by hand after G1 (the stamp still stored): G2's final
 * finds its rows missing and adds everything up again, so the tables are still the
 * reference plus G1 and G2 (a delta applied to no rows would leave them empty). */
static inline void check_emptied_season_tables_are_added_up_again(const results_backend *b)
{
    bs_result g1 = game_result("G1", 101, 205, 2, 1, g1_players, 3);
    bs_result g2 = game_result("G2", 205, 300, 2, 1, g2_players, 2);
    cn_results w = b->fresh("emptied");
    write_game_ok(&w, &g1);
    free(b->query("emptied", "DELETE FROM teams2; DELETE FROM players2"));
    write_game_ok(&w, &g2);
    cn_results_close(&w);
    char *season = b->query("emptied", SEASON_SQL);
    assert_string_equal(season, G1_G2_SEASON);
    free(season);
    bs_result_free(&g1);
    bs_result_free(&g2);
}

/* G1 written again with another result (a restarted game) replaces its rows, the
 * player who is not in it any more included. */
static inline void check_a_rewritten_game_replaces_its_rows(const results_backend *b)
{
    bs_result first = game_result("G1", 101, 205, 2, 1, g1_players, 3);
    bs_result again = game_result("G1", 101, 205, 0, 3, g1_replay_players, 2);
    bs_result g2 = game_result("G2", 205, 300, 2, 1, g2_players, 2);
    cn_results w = b->fresh("rewritten");
    write_game_ok(&w, &g2);
    write_game_ok(&w, &first);
    write_game_ok(&w, &again);
    cn_results_close(&w);
    char *season = b->query("rewritten", SEASON_SQL), *games = b->query("rewritten", GAMES_SQL);
    assert_string_equal(season, "101\tHerons\t7\t4\n205\tOwls\t8\t4\n300\tFoxes\t1\t2\n"
                                "1\tLiam O'Brien\t2\t22\t5\t101\n2\tZoë Hart\t19\t0\t0\t101\n"
                                "4\tSam Okafor\t9\t23\t8\t205\n7\tAna Ruiz\t11\t5\t2\t300\n");
    assert_string_equal(games, "G1\t101\t205\t0\t3\tL\nG1\t205\t101\t3\t0\tW\n"
                               "G2\t205\t300\t2\t1\tW\nG2\t300\t205\t1\t2\tL\n"
                               "G1\t1\t101\t\t2\t0\nG1\t4\t205\t\t6\t3\n"
                               "G2\t4\t205\t\t5\t2\nG2\t7\t300\t\t2\t1\n");
    free(season);
    free(games);
    bs_result_free(&first);
    bs_result_free(&again);
    bs_result_free(&g2);
}

/* teams2 turned into a view: dropping it fails after the game's rows went in, and the
 * rollback leaves the game tables, teams2 and players2 as they were. The sink works
 * again once teams2 is a table. */
static inline void check_a_failed_game_write_changes_nothing(const results_backend *b)
{
    cn_error err;
    char where[300];
    bs_result g1 = game_result("G1", 101, 205, 2, 1, g1_players, 3);
    bs_result g2 = game_result("G2", 205, 300, 2, 1, g2_players, 2);
    cn_results w = b->fresh("failing");
    write_game_ok(&w, &g1);
    free(b->query("failing", "CREATE TABLE teams2_kept (id int, name varchar(50), conference varchar(50), wins int, "
                             "losses int); INSERT INTO teams2_kept SELECT id, name, conference, wins, losses FROM "
                             "teams2; DROP TABLE teams2; CREATE VIEW teams2 AS SELECT id, name, conference, wins, "
                             "losses FROM teams2_kept"));
    char *season = b->query("failing", SEASON_SQL), *games = b->query("failing", GAMES_SQL);
    assert_non_null(strstr(season, "101\tHerons\t8\t3\n"));
    cn_status st = w.ops->write_game(w.impl, NULL, &g2, 1, NULL, NULL, &err);
    char *season2 = b->query("failing", SEASON_SQL), *games2 = b->query("failing", GAMES_SQL);
    free(b->query("failing", "DROP VIEW teams2; DROP TABLE teams2_kept")); /* before any assert can fail */
    if (st != CN_FATAL)
        fail_msg("write_game with teams2 a view: %s: %s", cn_status_name(st), err.msg);
    b->where("failing", where, sizeof where);
    assert_non_null(strstr(err.msg, where));
    assert_non_null(strstr(err.msg, "teams2"));
    assert_string_equal(season, season2);
    assert_string_equal(games, games2);
    assert_null(strstr(games2, "G2"));
    write_game_ok(&w, &g2);
    cn_results_close(&w);
    free(games2);
    games2 = b->query("failing", GAMES_SQL);
    assert_string_equal(games2, G1_G2_GAMES);
    free(season);
    free(season2);
    free(games);
    free(games2);
    bs_result_free(&g1);
    bs_result_free(&g2);
}

/* write_game of n games with their sources; each game's refusal in refused. */
static inline void write_games_from(cn_results *w, const bs_result *r, size_t n, const char *const *sources,
                                    cn_error *refused)
{
    cn_error err;
    if (w->ops->write_game(w->impl, NULL, r, n, sources, refused, &err))
        fail_msg("write_game %s: %s: %s", r[0].game, cn_status_name(err.status), err.msg);
}

/* A game id already written from another source (another day's folder) is refused alone,
 * naming both sources: its rows stay the first source's, the other games of the same
 * call are written. The same source again replaces its rows (a restarted game); an id
 * that differs only by case is refused too; a database from before game_sources lets
 * whoever writes a game next claim it. */
static inline void check_a_game_of_another_source_is_refused(const results_backend *b)
{
    static const char *const day1[] = {"s3://gamestreams/2026-11-28/G1/gamestream.txt"};
    static const char *const day2[] = {"s3://gamestreams/2026-11-29/G1/gamestream.txt",
                                       "s3://gamestreams/2026-11-29/G2/gamestream.txt"};
    static const char *const day3[] = {"s3://gamestreams/2026-11-30/g1/gamestream.txt"};
    bs_result g1 = game_result("G1", 101, 205, 2, 1, g1_players, 3);
    bs_result two[2] = {game_result("G1", 101, 205, 0, 3, g1_replay_players, 2),
                        game_result("G2", 205, 300, 2, 1, g2_players, 2)};
    bs_result lower = game_result("g1", 101, 205, 0, 3, g1_replay_players, 2);
    cn_error refused[2];
    cn_results w = b->fresh("sources");
    write_games_from(&w, &g1, 1, day1, refused);
    assert_int_equal(refused[0].status, CN_OK);
    write_games_from(&w, two, 2, day2, refused);
    assert_int_equal(refused[0].status, CN_CONFLICT);
    assert_non_null(strstr(refused[0].msg, day1[0]));
    assert_non_null(strstr(refused[0].msg, day2[0]));
    assert_int_equal(refused[1].status, CN_OK);
    char *season = b->query("sources", SEASON_SQL), *games = b->query("sources", GAMES_SQL);
    assert_string_equal(games, G1_G2_GAMES); /* day 1's G1 intact, day 2's G2 added */
    assert_string_equal(season, G1_G2_SEASON);
    free(season);
    free(games);
    games = b->query("sources", "SELECT game, source FROM game_sources ORDER BY game");
    assert_string_equal(games, "G1\ts3://gamestreams/2026-11-28/G1/gamestream.txt\n"
                               "G2\ts3://gamestreams/2026-11-29/G2/gamestream.txt\n");
    free(games);
    write_games_from(&w, &lower, 1, day3, refused);
    assert_int_equal(refused[0].status, CN_CONFLICT);
    assert_non_null(strstr(refused[0].msg, "differs only by case"));
    write_games_from(&w, two, 1, day1, refused); /* G1 restarted from day 1's folder: replaced */
    assert_int_equal(refused[0].status, CN_OK);
    games = b->query("sources", "SELECT score FROM game_teams WHERE game = 'G1' AND teamid = 101");
    assert_string_equal(games, "0\n");
    free(games);
    free(b->query("sources", "DROP TABLE game_sources")); /* a database from before game_sources */
    write_games_from(&w, &g1, 1, day2, refused);
    assert_int_equal(refused[0].status, CN_OK);
    games = b->query("sources", "SELECT game, source FROM game_sources");
    assert_string_equal(games, "G1\ts3://gamestreams/2026-11-29/G1/gamestream.txt\n");
    free(games);
    cn_results_close(&w);
    bs_result_free(&g1);
    bs_result_free(&two[0]);
    bs_result_free(&two[1]);
    bs_result_free(&lower);
}

/* The single-game contract: one game's write_game gives the teams2/players2 that write
 * of bs_standings gives, for random games. */
static inline void check_one_game_gives_what_standings_give(const results_backend *b, int games)
{
    for (uint64_t seed = 1; seed <= (uint64_t)games; seed++) {
        cn_error err;
        bs_ref ref, standings = {0};
        bs_result r;
        bool tie;
        bs_game *g = random_final_game(seed, &ref);
        assert_non_null(g);
        assert_int_equal(g->state, BS_FINAL);
        assert_int_equal(bs_standings(g, &standings, &tie), 0);
        assert_int_equal(bs_result_of(g, &r), 0);
        cn_results w = b->fresh("single");
        if (w.ops->write(w.impl, &ref, "teams", "players", &err) ||
            w.ops->write(w.impl, &standings, "teams2", "players2", &err))
            fail_msg("write: %s", err.msg);
        char *want = b->query("single", SEASON_SQL);
        free(b->query("single", "DROP TABLE players2; DROP TABLE teams2"));
        write_game_ok(&w, &r);
        cn_results_close(&w);
        char *got = b->query("single", SEASON_SQL);
        assert_string_equal(want, got);
        free(want);
        free(got);
        bs_result_free(&r);
        bs_game_free(g);
        bs_ref_free(&standings);
        bs_ref_free(&ref);
    }
}

/* ---------------------------------------------------------------- at the league's size */

/* A league of nteams teams (ids 1..) of per players each (ids from 1, by team); team
 * names carry quotes. */
static inline void big_league(bs_ref *ref, int nteams, int per)
{
    *ref = (bs_ref){0};
    for (int t = 1; t <= nteams; t++) {
        char name[40];
        snprintf(name, sizeof name, "Team %d's", t);
        bs_ref_add_team(ref, t, name, t % 2 ? "East" : "West", t % 7, t % 5);
        for (int i = 0; i < per; i++) {
            snprintf(name, sizeof name, "Player %d", (t - 1) * per + i + 1);
            bs_ref_add_player(ref, (t - 1) * per + i + 1, name, "9", t % 11, t % 3, t);
        }
    }
}

/* Game id between home and away of a big_league of per players a team: every player
 * shoots (1 + bump + his place) times and scores once; home wins when home_wins. */
static inline bs_result league_game(const char *id, int home, int away, int per, bool home_wins, int bump)
{
    int pl[40][4];
    size_t n = 0;
    int lo = home < away ? home : away, hi = home < away ? away : home;
    for (int k = 0; k < 2; k++)
        for (int i = 0; i < per && n < 40; i++, n++) {
            int team = k ? hi : lo;
            pl[n][0] = (team - 1) * per + i + 1;
            pl[n][1] = team;
            pl[n][2] = 1 + bump + i;
            pl[n][3] = 1;
        }
    return game_result(id, home, away, home_wins ? 3 : 1, home_wins ? 1 : 3, (const int(*)[4])pl, n);
}

#define TOUCH_SQL                                                                                              \
    "DROP TABLE IF EXISTS touched; CREATE TABLE touched (what text, id int); "                                \
    "CREATE TRIGGER touched_t AFTER UPDATE ON teams2 BEGIN INSERT INTO touched VALUES ('teams2', new.id); END; " \
    "CREATE TRIGGER touched_p AFTER UPDATE ON players2 BEGIN INSERT INTO touched VALUES ('players2', new.id); "  \
    "END; CREATE TRIGGER touched_ti AFTER INSERT ON teams2 BEGIN INSERT INTO touched VALUES ('teams2 insert', "   \
    "new.id); END; CREATE TRIGGER touched_pi AFTER INSERT ON players2 BEGIN INSERT INTO touched VALUES "          \
    "('players2 insert', new.id); END; CREATE TRIGGER touched_td AFTER DELETE ON teams2 BEGIN INSERT INTO "       \
    "touched VALUES ('teams2 delete', old.id); END; CREATE TRIGGER touched_pd AFTER DELETE ON players2 BEGIN "    \
    "INSERT INTO touched VALUES ('players2 delete', old.id); END"

/* With a league of 2,000 teams of 10 players and a game already written (which adds
 * teams2/players2 up in full, once), a final changes only its two teams' rows and their
 * 20 players' rows: triggers on teams2/players2 see those updates and nothing else (no
 * table made anew, no other row written), and the rows hold the reference plus both
 * games. A game written again changes only its own teams' and players' rows too. */
static inline void check_a_final_changes_only_its_own_rows(const results_backend *b)
{
    cn_error err;
    bs_ref ref;
    big_league(&ref, 2000, 10);
    cn_results w = b->fresh("touch");
    if (w.ops->write(w.impl, &ref, "teams", "players", &err))
        fail_msg("write the league: %s", err.msg);
    bs_result g1 = league_game("G1", 1, 2, 10, true, 0), g2 = league_game("G2", 1500, 3, 10, false, 0);
    bs_result again = league_game("G1", 1, 2, 10, false, 1);
    write_game_ok(&w, &g1);
    char *out = b->native("touch", TOUCH_SQL);
    assert_non_null(out);
    free(out);
    write_game_ok(&w, &g2);
    out = b->native("touch", "SELECT what, count(*), min(id), max(id), sum(id) FROM touched GROUP BY what ORDER BY what");
    /* players 21..30 of team 3 and 14991..15000 of team 1500 */
    assert_string_equal(out, "players2\t20\t21\t15000\t150210\nteams2\t2\t3\t1500\t1503\n");
    free(out);
    out = b->query("touch", "SELECT id, wins, losses FROM teams2 WHERE id IN (1, 2, 3, 4, 1500) ORDER BY id; "
                            "SELECT id, shots, goals FROM players2 WHERE id IN (1, 21, 22, 31, 14991) ORDER BY id");
    assert_string_equal(out, "1\t2\t1\n2\t2\t3\n3\t4\t3\n4\t4\t4\n1500\t2\t1\n" /* 3 won, 1500 lost */
                             "1\t2\t2\n21\t4\t1\n22\t5\t1\n31\t4\t1\n14991\t5\t1\n");
    free(out);
    free(b->native("touch", "DELETE FROM touched"));
    write_game_ok(&w, &again); /* G1 replayed: 2 won, everyone shot once more */
    out = b->native("touch", "SELECT what, count(*), min(id), max(id) FROM touched GROUP BY what ORDER BY what");
    assert_string_equal(out, "players2\t20\t1\t20\nteams2\t2\t1\t2\n");
    free(out);
    out = b->query("touch", "SELECT id, wins, losses FROM teams2 WHERE id IN (1, 2) ORDER BY id; "
                            "SELECT id, shots, goals FROM players2 WHERE id IN (1, 20) ORDER BY id");
    assert_string_equal(out, "1\t1\t2\n2\t3\t2\n1\t3\t2\n20\t13\t3\n");
    free(out);
    free(b->native("touch", "DROP TABLE touched"));
    cn_results_close(&w);
    bs_result_free(&g1);
    bs_result_free(&g2);
    bs_result_free(&again);
    bs_ref_free(&ref);
}

/* teams2/players2 as the test adds them up itself, from the reference and the newest
 * result of each game (NULL: not written), as the text SEASON_ROWS_SQL reads back. */
#define SEASON_ROWS_SQL "SELECT id, name, wins, losses FROM teams2 ORDER BY id; " \
                        "SELECT id, shots, goals, teamid FROM players2 ORDER BY id"

static inline int capped(long long v)
{
    return v > INT_MAX ? INT_MAX : (int)v;
}

static inline char *expected_season(const bs_ref *ref, const bs_result *const *games, size_t ngames)
{
    bs_buf b = {0};
    for (size_t i = 0; i < ref->nteams; i++) {
        const bs_team *t = &ref->teams[i];
        long long w = t->wins, l = t->losses;
        for (size_t g = 0; g < ngames; g++)
            for (int k = 0; games[g] && k < 2; k++)
                if (games[g]->teams[k].teamid == t->id) {
                    w += games[g]->teams[k].result == 'W';
                    l += games[g]->teams[k].result == 'L';
                }
        bs_buf_printf(&b, "%d\t%s\t%d\t%d\n", t->id, t->name, capped(w), capped(l));
    }
    for (size_t i = 0; i < ref->nplayers; i++) {
        const bs_player *p = &ref->players[i];
        long long sh = p->shots, go = p->goals;
        for (size_t g = 0; g < ngames; g++)
            for (size_t k = 0; games[g] && k < games[g]->nplayers; k++)
                if (games[g]->players[k].player_id == p->id) {
                    sh += games[g]->players[k].shots > 0 ? games[g]->players[k].shots : 0;
                    go += games[g]->players[k].goals > 0 ? games[g]->players[k].goals : 0;
                }
        bs_buf_printf(&b, "%d\t%d\t%d\t%d\n", p->id, capped(sh), capped(go), p->teamid);
    }
    return bs_buf_take(&b, NULL);
}

static inline uint64_t next_random(uint64_t *x)
{
    *x ^= *x << 13;
    *x ^= *x >> 7;
    *x ^= *x << 17;
    return *x;
}

/* Finals of random games over a league of 12 teams of 4 (two rows start one short of
 * INT_MAX), in random order, one or a few per call, games written again with another
 * result, the reference changed between finals (a reload), given by the caller or read
 * from the database, and teams2 dropped once: after every call teams2/players2 are the
 * reference plus the newest result of every game, as the test adds them up itself. */
static inline void check_random_finals_add_up(const results_backend *b, uint64_t seed, int steps)
{
    enum { NGAMES = 8, PER = 4 };
    cn_error err;
    bs_ref ref;
    bs_result games[NGAMES];
    memset(games, 0, sizeof games);
    const bs_result *newest[NGAMES] = {0};
    uint64_t x = seed * 2654435761u + 1;
    big_league(&ref, 12, PER);
    ref.teams[0].wins = INT_MAX - 1;
    ref.players[0].shots = INT_MAX - 2;
    cn_results w = b->fresh("random");
    if (w.ops->write(w.impl, &ref, "teams", "players", &err))
        fail_msg("write the league: %s", err.msg);
    for (int step = 0; step < steps; step++) {
        unsigned op = (unsigned)(next_random(&x) % 20);
        if (op == 0) { /* a reload: a name and a count of the reference change */
            bs_team *t = &ref.teams[next_random(&x) % ref.nteams];
            char name[40];
            snprintf(name, sizeof name, "Renamed %d", step);
            free(t->name);
            t->name = malloc(strlen(name) + 1);
            memcpy(t->name, name, strlen(name) + 1);
            t->losses += 1;
            if (w.ops->write(w.impl, &ref, "teams", "players", &err))
                fail_msg("write the league: %s", err.msg);
        } else if (op == 1) {
            free(b->query("random", "DROP TABLE players2; DROP TABLE teams2"));
        }
        bs_result batch[3];
        size_t n = 1 + (size_t)(next_random(&x) % 3), g0 = (size_t)(next_random(&x) % NGAMES);
        for (size_t i = 0; i < n; i++) {
            size_t g = (g0 + i) % NGAMES; /* n different games */
            int home = next_random(&x) % 3 ? 1 : 1 + (int)(next_random(&x) % 12), away;
            do
                away = 1 + (int)(next_random(&x) % 12);
            while (away == home);
            char id[8];
            snprintf(id, sizeof id, "R%zu", g);
            batch[i] = league_game(id, home, away, PER, next_random(&x) % 2, (int)(next_random(&x) % 3) - 1);
            for (size_t k = 0; k < batch[i].nplayers; k++) /* some rows add nothing */
                if (next_random(&x) % 4 == 0)
                    batch[i].players[k].shots = batch[i].players[k].goals = 0;
            if (next_random(&x) % 3 == 0)
                batch[i].teams[0].result = batch[i].teams[1].result = 'T';
            bs_result_free(&games[g]);
            games[g] = batch[i]; /* the newest of game g; batch keeps shallow copies */
            newest[g] = &games[g];
        }
        unsigned how = (unsigned)(next_random(&x) % 3);
        bs_ref given = ref; /* shallow: the same rows, with or without their digest kept */
        given.digest = how == 2 ? bs_ref_digest(&ref) : 0;
        if (w.ops->write_game(w.impl, how ? &given : NULL, batch, n, NULL, NULL, &err))
            fail_msg("step %d: write_game: %s: %s", step, cn_status_name(err.status), err.msg);
        char *want = expected_season(&ref, newest, NGAMES), *got = b->query("random", SEASON_ROWS_SQL);
        if (strcmp(want, got))
            fail_msg("seed %llu step %d: teams2/players2 are\n%s\nnot\n%s", (unsigned long long)seed, step, got, want);
        free(want);
        free(got);
    }
    cn_results_close(&w);
    for (size_t g = 0; g < NGAMES; g++)
        bs_result_free(&games[g]);
    bs_ref_free(&ref);
}

#endif
