/* A final game's own result (bs_result_of) and the season tables (bs_season): the
 * reference rows plus the sum of every game's rows. One game's season is that game's
 * standings; the season does not depend on the order in which games finished (or rows
 * arrive); a tie counts neither a win nor a loss; counts saturate at INT_MAX; rows of
 * unknown teams or players change nothing. */
#include <limits.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#include <cmocka.h>

#include "fixture.h"

/* ---------------------------------------------------------------- helpers */

/* xorshift64: a number in 0..n-1; *s must not be 0. */
static int below(uint64_t *s, int n)
{
    *s ^= *s << 13;
    *s ^= *s >> 7;
    *s ^= *s << 17;
    return (int)(*s % (uint64_t)n);
}

static void fold_bytes(bs_game *g, const char *text, size_t len)
{
    bs_feed f;
    bs_feed_init(&f, g, NULL);
    bs_feed_push(&f, text, len);
    assert_int_equal(f.oom, 0);
    assert_int_equal(g->state, BS_FINAL);
}

static bs_ref season_of(const bs_ref *ref, const bs_team_result *t, size_t nt, const bs_player_result *p,
                        size_t np)
{
    bs_ref out = {0};
    assert_int_equal(bs_season(ref, t, nt, p, np, &out), 0);
    return out;
}

static const bs_player *player(const bs_ref *r, int id)
{
    for (size_t i = 0; i < r->nplayers; i++)
        if (r->players[i].id == id)
            return &r->players[i];
    fail_msg("no player %d", id);
    return NULL;
}

static int clamp(long long v)
{
    return v > INT_MAX ? INT_MAX : (int)v;
}

/* The tables the way a person would add them up: wide sums, then one clamp. */
static bs_ref model_season(const bs_ref *ref, const bs_team_result *t, size_t nt, const bs_player_result *p,
                           size_t np)
{
    bs_ref out = {0};
    for (size_t i = 0; i < ref->nteams; i++) {
        const bs_team *r = &ref->teams[i];
        long long w = r->wins, l = r->losses;
        for (size_t k = 0; k < nt; k++) {
            w += t[k].teamid == r->id && t[k].result == 'W';
            l += t[k].teamid == r->id && t[k].result == 'L';
        }
        assert_int_equal(bs_ref_add_team(&out, r->id, r->name, r->conference, clamp(w), clamp(l)), 0);
    }
    for (size_t i = 0; i < ref->nplayers; i++) {
        const bs_player *r = &ref->players[i];
        long long s = r->shots, g = r->goals;
        for (size_t k = 0; k < np; k++)
            if (p[k].player_id == r->id) {
                s += p[k].shots;
                g += p[k].goals;
            }
        assert_int_equal(bs_ref_add_player(&out, r->id, r->name, r->number, clamp(s), clamp(g), r->teamid), 0);
    }
    bs_ref_sort(&out);
    return out;
}

/* Checks a result against the game it was made from. */
static void check_result(const bs_game *g, const bs_result *res)
{
    const bs_ref *r = g->ref;
    size_t rostered = 0;
    int shots[2] = {0, 0}, goals[2] = {0, 0};

    assert_string_equal(res->game, g->game_id);
    for (int s = 0; s < 2; s++) {
        const bs_team_result *t = &res->teams[s];
        assert_int_equal(t->teamid, g->teamid[s]);
        assert_int_equal(t->opponent, g->teamid[1 - s]);
        assert_int_equal(t->score, g->score[s]);
        assert_int_equal(t->opponent_score, g->score[1 - s]);
        assert_int_equal(t->result, g->score[s] > g->score[1 - s] ? 'W' : g->score[s] < g->score[1 - s] ? 'L' : 'T');
    }
    for (size_t i = 0; i < r->nplayers; i++)
        rostered += r->players[i].teamid == g->teamid[0] || r->players[i].teamid == g->teamid[1];
    assert_int_equal(res->nplayers, rostered);
    for (size_t i = 0; i < res->nplayers; i++) {
        const bs_player_result *p = &res->players[i];
        if (i)
            assert_true(res->players[i - 1].player_id < p->player_id);
        const bs_player *rp = player(r, p->player_id);
        assert_int_equal(p->teamid, rp->teamid);
        assert_string_equal(p->number, rp->number);
        int s = p->teamid == g->teamid[0] ? 0 : 1;
        shots[s] += p->shots;
        goals[s] += p->goals;
    }
    /* the rostered shooters' numbers and the unrostered ones make up the team's */
    for (size_t i = 0; i < g->nunr; i++) {
        int s = g->unr[i].teamid == g->teamid[0] ? 0 : 1;
        shots[s] += g->unr[i].stat.shots;
        goals[s] += g->unr[i].stat.goals;
    }
    for (int s = 0; s < 2; s++) {
        assert_int_equal(shots[s], g->shots[s]);
        assert_int_equal(goals[s], g->score[s]);
    }
}

/* ---------------------------------------------------------------- one game */

static void one_games_season_is_its_standings(void **state)
{
    (void)state;
    int ties = 0;
    for (uint64_t seed = 1; seed <= 300; seed++) {
        bs_ref ref = {0}, standings = {0}, season, model;
        char *text;
        size_t len;
        bool tie;
        int home = 1 + (int)(seed % 7), away = 100 + (int)(seed % 11);
        assert_int_equal(bs_random_game(seed, home, away, &ref, &text, &len), 0);
        bs_game *g = bs_game_new(&ref, home, away, "g");
        assert_non_null(g);
        fold_bytes(g, text, len);

        bs_result res;
        assert_int_equal(bs_result_of(g, &res), 0);
        check_result(g, &res);
        assert_int_equal(res.nplayers, 20);
        assert_int_equal(bs_standings(g, &standings, &tie), 0);
        assert_int_equal(tie, res.teams[0].result == 'T');
        ties += tie;
        season = season_of(&ref, res.teams, 2, res.players, res.nplayers);
        model = model_season(&ref, res.teams, 2, res.players, res.nplayers);
        assert_true(bs_ref_equal(&season, &standings));
        assert_true(bs_ref_equal(&season, &model));

        bs_ref_free(&standings);
        bs_ref_free(&season);
        bs_ref_free(&model);
        bs_result_free(&res);
        bs_game_free(g);
        bs_ref_free(&ref);
        free(text);
    }
    print_message("300 games, %d ties\n", ties);
}

/* 101 beats 205 2-1 in the fixture league: #2 (id 1) scores twice on three shots,
 * #9 (id 5) once, and an unrostered #44 of 205 shoots once. */
static const char *const game = "0 59:00 101 2 1\n1 58:00 205 9 1\n2 57:00 101 2 0\n3 56:00 101 2 1\n"
                                "4 55:00 205 44 0\n5 00:00 0 0 0\n";

static void a_result_holds_every_rostered_player_of_both_teams(void **state)
{
    (void)state;
    bs_ref ref = {0};
    /* out of order on purpose, with numbers longer than varchar(3) */
    bs_ref_add_team(&ref, 205, "Owls", "Plains", 6, 4);
    bs_ref_add_team(&ref, 101, "Herons", "Coastal", 7, 3);
    bs_ref_add_team(&ref, 300, "Idle", "Coastal", 1, 1);
    bs_ref_add_player(&ref, 5, "Sam Okafor", "9", 12, 3, 205);
    bs_ref_add_player(&ref, 6, "Idle Player", "1", 4, 1, 300);
    bs_ref_add_player(&ref, 3, "Chris Walker", "1234", 10, 2, 101);
    bs_ref_add_player(&ref, 1, "Liam O'Brien", "2", 20, 5, 101);
    bs_ref_add_player(&ref, 4, "Zoë Hart", "99é", 0, 0, 205);   /* 4 bytes: é is not cut */
    bs_ref_add_player(&ref, 2, "Chris Walker", "9é", 30, 9, 101); /* 3 bytes: kept */
    bs_game *g = bs_game_new(&ref, 101, 205, "2026-11-28_herons-owls");
    assert_non_null(g);
    fold_bytes(g, game, strlen(game));

    bs_result res;
    assert_int_equal(bs_result_of(g, &res), 0);
    assert_string_equal(res.game, "2026-11-28_herons-owls");
    assert_int_equal(res.teams[0].teamid, 101);
    assert_int_equal(res.teams[0].opponent, 205);
    assert_int_equal(res.teams[0].score, 2);
    assert_int_equal(res.teams[0].opponent_score, 1);
    assert_int_equal(res.teams[0].result, 'W');
    assert_int_equal(res.teams[1].teamid, 205);
    assert_int_equal(res.teams[1].opponent, 101);
    assert_int_equal(res.teams[1].score, 1);
    assert_int_equal(res.teams[1].opponent_score, 2);
    assert_int_equal(res.teams[1].result, 'L');

    static const struct {
        int id, teamid;
        const char *number;
        int shots, goals;
    } want[] = {{1, 101, "2", 3, 2}, {2, 101, "9é", 0, 0}, {3, 101, "123", 0, 0}, {4, 205, "99", 0, 0},
                {5, 205, "9", 1, 1}};
    assert_int_equal(res.nplayers, 5); /* player 6 of team 300 is not in this game */
    for (size_t i = 0; i < 5; i++) {
        assert_int_equal(res.players[i].player_id, want[i].id);
        assert_int_equal(res.players[i].teamid, want[i].teamid);
        assert_string_equal(res.players[i].number, want[i].number);
        assert_int_equal(res.players[i].shots, want[i].shots);
        assert_int_equal(res.players[i].goals, want[i].goals);
    }
    bs_result_free(&res);
    assert_null(res.players);
    assert_int_equal(res.nplayers, 0);
    bs_result_free(&res); /* twice is harmless */
    bs_game_free(g);
    bs_ref_free(&ref);
}

static void a_result_without_rostered_players_is_empty(void **state)
{
    (void)state;
    bs_ref ref = {0};
    bs_ref_add_team(&ref, 101, "Herons", "Coastal", 7, 3);
    bs_ref_add_team(&ref, 205, "Owls", "Plains", 6, 4);
    bs_game *g = bs_game_new(&ref, 101, 205, "empty");
    assert_non_null(g);
    fold_bytes(g, "0 59:00 205 4 1\n1 00:00 0 0 0\n", 30);
    bs_result res;
    assert_int_equal(bs_result_of(g, &res), 0);
    assert_int_equal(res.nplayers, 0);
    assert_int_equal(res.teams[1].result, 'W');
    bs_result_free(&res);
    bs_game_free(g);
    bs_ref_free(&ref);
}

/* ---------------------------------------------------------------- many games */

enum { NTEAMS = 7, ROSTER = 8, NGAMES = 20 };

/* A league of seven teams (ids 11..17) with rosters of eight (ids team*100 + k,
 * jerseys 3k + 1), counts from the seed: small, or just below INT_MAX to saturate. */
static int count(uint64_t *s, int span, bool near_max)
{
    return near_max ? INT_MAX - below(s, span) : below(s, span);
}

static void league(uint64_t *s, bs_ref *ref, bool near_max)
{
    char name[32], num[8];
    memset(ref, 0, sizeof *ref);
    for (int t = NTEAMS - 1; t >= 0; t--) {
        snprintf(name, sizeof name, "Team %d", 11 + t);
        assert_int_equal(
            bs_ref_add_team(ref, 11 + t, name, "League", count(s, 12, near_max), count(s, 12, near_max)), 0);
        for (int k = 0; k < ROSTER; k++) {
            snprintf(name, sizeof name, "Player %d-%d", 11 + t, k);
            snprintf(num, sizeof num, "%d", 3 * k + 1);
            assert_int_equal(bs_ref_add_player(ref, (11 + t) * 100 + k, name, num, count(s, 60, near_max),
                                               count(s, 20, near_max), 11 + t),
                             0);
        }
    }
    bs_ref_sort(ref);
}

/* A random game of two of the league's teams; one in five is scoreless (a tie), and a
 * few shots are by jerseys not on the roster. Returns the stream text (caller frees). */
static char *league_game(uint64_t *s, int *home, int *away)
{
    *home = 11 + below(s, NTEAMS);
    do
        *away = 11 + below(s, NTEAMS);
    while (*away == *home);
    bool scoreless = below(s, 5) == 0;
    int nshots = 10 + below(s, 50), clock = BS_GAME_SECONDS;
    size_t cap = (size_t)(nshots + 1) * 32, n = 0;
    char *text = malloc(cap);
    assert_non_null(text);
    for (int i = 0; i < nshots; i++) {
        clock -= below(s, BS_GAME_SECONDS / (nshots + 1));
        int team = below(s, 2) ? *home : *away;
        int jersey = below(s, 10) ? 3 * below(s, ROSTER) + 1 : 98;
        bs_event ev = {i, clock, team, jersey, !scoreless && below(s, 3) == 0};
        n += (size_t)bs_format_event(&ev, text + n, cap - n);
    }
    bs_event end = {nshots, 0, 0, 0, 0};
    bs_format_event(&end, text + n, cap - n);
    return text;
}

typedef struct season_rows {
    bs_team_result teams[2 * NGAMES];
    bs_player_result *players;
    size_t nteams, nplayers;
} season_rows;

/* Plays NGAMES league games over ref and gathers every result's rows. */
static void play_season(uint64_t *s, const bs_ref *ref, season_rows *rows)
{
    memset(rows, 0, sizeof *rows);
    rows->players = malloc(NGAMES * 2 * ROSTER * sizeof *rows->players);
    assert_non_null(rows->players);
    for (int k = 0; k < NGAMES; k++) {
        int home, away;
        char *text = league_game(s, &home, &away), id[16];
        snprintf(id, sizeof id, "game-%d", k);
        bs_game *g = bs_game_new(ref, home, away, id);
        assert_non_null(g);
        fold_bytes(g, text, strlen(text));
        bs_result res;
        assert_int_equal(bs_result_of(g, &res), 0);
        check_result(g, &res);
        assert_int_equal(res.nplayers, 2 * ROSTER);
        memcpy(rows->teams + rows->nteams, res.teams, sizeof res.teams);
        rows->nteams += 2;
        memcpy(rows->players + rows->nplayers, res.players, res.nplayers * sizeof *res.players);
        rows->nplayers += res.nplayers;
        bs_result_free(&res);
        bs_game_free(g);
        free(text);
    }
}

static void shuffle(uint64_t *s, void *base, size_t n, size_t size)
{
    unsigned char tmp[sizeof(bs_player_result) > sizeof(bs_team_result) ? sizeof(bs_player_result)
                                                                         : sizeof(bs_team_result)];
    unsigned char *b = base;
    for (size_t i = n; i > 1; i--) {
        size_t j = (size_t)below(s, (int)i);
        memcpy(tmp, b + (i - 1) * size, size);
        memcpy(b + (i - 1) * size, b + j * size, size);
        memcpy(b + j * size, tmp, size);
    }
}

/* The season of 20 games over one league is the same in every order of the rows, equal
 * to the model, and equal to the season of some games taken as the reference of the
 * rest (games finishing in any order). Near INT_MAX, the same with saturation. */
static void check_any_order(uint64_t seed, bool near_max)
{
    uint64_t s = seed;
    bs_ref ref;
    season_rows rows;
    league(&s, &ref, near_max);
    play_season(&s, &ref, &rows);

    bs_ref want = model_season(&ref, rows.teams, rows.nteams, rows.players, rows.nplayers);
    for (int round = 0; round < 200; round++) {
        if (round)
            shuffle(&s, rows.teams, rows.nteams, sizeof *rows.teams);
        if (round)
            shuffle(&s, rows.players, rows.nplayers, sizeof *rows.players);
        bs_ref got = season_of(&ref, rows.teams, rows.nteams, rows.players, rows.nplayers);
        assert_true(bs_ref_equal(&got, &want));
        bs_ref_free(&got);

        /* the rows split anywhere: the season of the first part, plus the rest */
        size_t kt = (size_t)below(&s, (int)rows.nteams + 1), kp = (size_t)below(&s, (int)rows.nplayers + 1);
        bs_ref part = season_of(&ref, rows.teams, kt, rows.players, kp);
        got = season_of(&part, rows.teams + kt, rows.nteams - kt, rows.players + kp, rows.nplayers - kp);
        assert_true(bs_ref_equal(&got, &want));
        bs_ref_free(&got);
        bs_ref_free(&part);
    }
    if (near_max) {
        /* saturation was reached somewhere, and not everywhere */
        size_t saturated = 0;
        for (size_t i = 0; i < want.nplayers; i++)
            saturated += want.players[i].shots == INT_MAX;
        assert_true(saturated > 0 && saturated < want.nplayers);
    }
    bs_ref_free(&want);
    free(rows.players);
    bs_ref_free(&ref);
}

static void finals_in_any_order_give_the_same_season(void **state)
{
    (void)state;
    for (uint64_t seed = 1; seed <= 10; seed++)
        check_any_order(seed, false);
}

static void finals_in_any_order_give_the_same_saturated_season(void **state)
{
    (void)state;
    for (uint64_t seed = 1; seed <= 5; seed++)
        check_any_order(seed * 7919, true);
}

/* ---------------------------------------------------------------- edges */

/* cur (a season) changed by one game's rows going from old to now, as the results sinks
 * change teams2/players2: false when a row at INT_MAX would go down (add up again). */
static bool apply_delta(bs_ref *cur, const bs_result *old, const bs_result *now)
{
    bs_count_delta *dt, *dp;
    size_t nt, np;
    bool ok = true;
    assert_int_equal(bs_season_delta(old ? old->teams : NULL, old ? 2 : 0, old ? old->players : NULL,
                                     old ? old->nplayers : 0, now, &dt, &nt, &dp, &np),
                     0);
    for (size_t i = 0; i < nt && ok; i++)
        for (size_t k = 0; k < cur->nteams; k++)
            if (cur->teams[k].id == dt[i].id)
                ok = !bs_season_adjust(cur->teams[k].wins, dt[i].d[0], &cur->teams[k].wins) &&
                     !bs_season_adjust(cur->teams[k].losses, dt[i].d[1], &cur->teams[k].losses);
    for (size_t i = 0; i < np && ok; i++)
        for (size_t k = 0; k < cur->nplayers; k++)
            if (cur->players[k].id == dp[i].id)
                ok = !bs_season_adjust(cur->players[k].shots, dp[i].d[0], &cur->players[k].shots) &&
                     !bs_season_adjust(cur->players[k].goals, dp[i].d[1], &cur->players[k].goals);
    free(dt);
    free(dp);
    return ok;
}

/* Games written in random order and written again with another game's rows (a re-run
 * with another result): changing the season by each write's delta gives the model's
 * season of the newest rows of every game after every write, or says that a capped row
 * would go down (then the season is added up again, as the sinks do). */
static void check_deltas(uint64_t seed, bool near_max)
{
    uint64_t s = seed;
    bs_ref ref, cur;
    season_rows rows;
    league(&s, &ref, near_max);
    play_season(&s, &ref, &rows);
    bs_result game[NGAMES];
    int stored[NGAMES]; /* which game's rows each game id holds; -1: not written */
    for (int k = 0; k < NGAMES; k++) {
        game[k] = (bs_result){.nplayers = 2 * ROSTER, .players = rows.players + (size_t)k * 2 * ROSTER};
        memcpy(game[k].teams, rows.teams + 2 * k, sizeof game[k].teams);
        stored[k] = -1;
    }
    cur = season_of(&ref, NULL, 0, NULL, 0);
    int rebuilt = 0;
    for (int step = 0; step < 200; step++) {
        int id = below(&s, NGAMES), rows_of = below(&s, 3) ? id : below(&s, NGAMES);
        if (!apply_delta(&cur, stored[id] < 0 ? NULL : &game[stored[id]], &game[rows_of]))
            rebuilt++;
        stored[id] = rows_of;
        bs_team_result t[2 * NGAMES];
        bs_player_result p[2 * NGAMES * ROSTER];
        size_t nt = 0, np = 0;
        for (int k = 0; k < NGAMES; k++)
            if (stored[k] >= 0) {
                memcpy(t + nt, game[stored[k]].teams, sizeof game[0].teams);
                nt += 2;
                memcpy(p + np, game[stored[k]].players, 2 * ROSTER * sizeof *p);
                np += 2 * ROSTER;
            }
        bs_ref want = model_season(&ref, t, nt, p, np);
        if (rebuilt) { /* the sinks add up in full */
            bs_ref_free(&cur);
            cur = season_of(&ref, t, nt, p, np);
            rebuilt = 0;
        }
        assert_true(bs_ref_equal(&cur, &want));
        bs_ref_free(&want);
    }
    bs_ref_free(&cur);
    free(rows.players);
    bs_ref_free(&ref);
}

static void a_games_delta_changes_the_season_as_adding_up_does(void **state)
{
    (void)state;
    for (uint64_t seed = 1; seed <= 10; seed++) {
        check_deltas(seed, false);
        check_deltas(seed * 7919, true);
    }
}

static void a_tie_counts_neither_win_nor_loss(void **state)
{
    (void)state;
    bs_ref ref;
    fixture_ref(&ref);
    bs_team_result t[] = {{101, 205, 3, 3, 'T'}, {205, 101, 3, 3, 'T'}, {300, 101, 0, 0, 'T'}};
    bs_ref out = season_of(&ref, t, 3, NULL, 0);
    assert_true(bs_ref_equal(&out, &ref));
    bs_ref_free(&out);

    /* and a game that ended level, through its result: only the players' rows move */
    bs_game *g = bs_game_new(&ref, 101, 205, "tie");
    fold_bytes(g, "0 59:00 101 2 1\n1 58:00 205 9 1\n2 00:00 0 0 0\n", 46);
    bs_result res;
    assert_int_equal(bs_result_of(g, &res), 0);
    assert_true(res.teams[0].result == 'T' && res.teams[1].result == 'T');
    out = season_of(&ref, res.teams, 2, res.players, res.nplayers);
    for (size_t i = 0; i < ref.nteams; i++)
        assert_true(out.teams[i].wins == ref.teams[i].wins && out.teams[i].losses == ref.teams[i].losses);
    assert_int_equal(player(&out, 1)->goals, player(&ref, 1)->goals + 1);
    assert_int_equal(player(&out, 5)->goals, player(&ref, 5)->goals + 1);
    bs_ref_free(&out);
    bs_result_free(&res);
    bs_game_free(g);
    bs_ref_free(&ref);
}

static void counts_saturate_at_int_max(void **state)
{
    (void)state;
    bs_ref ref = {0};
    bs_ref_add_team(&ref, 101, "Herons", "Coastal", INT_MAX - 1, INT_MAX);
    bs_ref_add_team(&ref, 205, "Owls", "Plains", -5, INT_MAX - 2);
    bs_ref_add_player(&ref, 1, "Liam O'Brien", "2", INT_MAX - 10, INT_MAX, 101);
    bs_ref_add_player(&ref, 5, "Sam Okafor", "9", INT_MIN, 0, 205);
    bs_ref_sort(&ref);
    bs_team_result t[] = {{101, 205, 2, 1, 'W'}, {205, 101, 1, 2, 'L'}, {101, 205, 5, 0, 'W'},
                          {205, 101, 0, 5, 'L'}, {101, 205, 0, 1, 'L'}, {205, 101, 1, 0, 'W'},
                          {205, 101, 1, 0, 'L'}, {205, 101, 1, 0, 'L'}};
    bs_player_result p[] = {{1, 101, "2", 7, 1}, {1, 101, "2", 7, 1}, {1, 101, "2", INT_MAX, INT_MAX},
                            {5, 205, "9", INT_MAX, 3}, {5, 205, "9", INT_MAX, 4}};
    bs_ref out = season_of(&ref, t, 8, p, 5);
    assert_int_equal(bs_ref_team(&out, 101)->wins, INT_MAX);
    assert_int_equal(bs_ref_team(&out, 101)->losses, INT_MAX);
    assert_int_equal(bs_ref_team(&out, 205)->wins, -4);
    assert_int_equal(bs_ref_team(&out, 205)->losses, INT_MAX);
    assert_int_equal(player(&out, 1)->shots, INT_MAX);
    assert_int_equal(player(&out, 1)->goals, INT_MAX);
    assert_int_equal(player(&out, 5)->shots, INT_MAX - 1); /* INT_MIN + 2 * INT_MAX */
    assert_int_equal(player(&out, 5)->goals, 7);
    bs_ref_free(&out);
    bs_ref_free(&ref);
}

static void negative_counts_in_rows_add_nothing(void **state)
{
    (void)state;
    bs_ref ref;
    fixture_ref(&ref);
    bs_player_result p[] = {{1, 101, "2", -3, -1}, {5, 205, "9", INT_MIN, INT_MIN}};
    bs_ref out = season_of(&ref, NULL, 0, p, 2);
    assert_true(bs_ref_equal(&out, &ref));
    bs_ref_free(&out);
    bs_ref_free(&ref);
}

static void rows_of_unknown_teams_and_players_are_ignored(void **state)
{
    (void)state;
    bs_ref ref;
    fixture_ref(&ref);
    bs_team_result t[] = {{999, 101, 9, 0, 'W'}, {-1, 999, 0, 9, 'L'}, {0, 0, 0, 0, 'W'}, {101, 205, 1, 1, 'x'}};
    bs_player_result p[] = {{42, 101, "2", 5, 5}, {0, 205, "", 1, 1}, {-7, 999, "1", 3, 2}, {INT_MAX, 101, "", 1, 1}};
    bs_ref out = season_of(&ref, t, 4, p, 4);
    assert_true(bs_ref_equal(&out, &ref));
    bs_ref_free(&out);

    /* known rows among them still count; the player's team in the row does not matter */
    bs_player_result mixed[] = {{42, 101, "2", 5, 5}, {1, 999, "2", 2, 1}};
    out = season_of(&ref, t, 1, mixed, 2);
    assert_int_equal(player(&out, 1)->shots, 22);
    assert_int_equal(player(&out, 1)->goals, 6);
    assert_int_equal(out.nplayers, ref.nplayers);
    assert_int_equal(out.nteams, ref.nteams);
    bs_ref_free(&out);

    /* an empty reference has no rows to update */
    bs_ref empty = {0};
    out = season_of(&empty, t, 4, p, 4);
    assert_int_equal(out.nteams + out.nplayers, 0);
    bs_ref_free(&out);
    bs_ref_free(&ref);
}

static void the_season_keeps_the_reference_rows_sorted(void **state)
{
    (void)state;
    bs_ref ref = {0};
    bs_ref_add_team(&ref, 205, "Owls", "Plains", 6, 4);
    bs_ref_add_team(&ref, 101, "Herons", "Coastal", 7, 3);
    bs_ref_add_player(&ref, 5, "Sam Okafor", "9", 12, 3, 205);
    bs_ref_add_player(&ref, 1, "Liam O'Brien", "2", 20, 5, 101);
    bs_team_result t[] = {{205, 101, 2, 1, 'W'}};
    bs_player_result p[] = {{5, 205, "9", 4, 2}};
    bs_ref out = season_of(&ref, t, 1, p, 1);
    assert_int_equal(out.teams[0].id, 101);
    assert_int_equal(out.teams[1].id, 205);
    assert_int_equal(out.teams[1].wins, 7);
    assert_string_equal(out.teams[1].name, "Owls");
    assert_int_equal(out.players[0].id, 1);
    assert_int_equal(out.players[1].shots, 16);
    assert_int_equal(out.players[1].goals, 5);
    assert_string_equal(out.players[1].number, "9");
    bs_ref_free(&out);
    bs_ref_free(&ref);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(one_games_season_is_its_standings),
        cmocka_unit_test(a_result_holds_every_rostered_player_of_both_teams),
        cmocka_unit_test(a_result_without_rostered_players_is_empty),
        cmocka_unit_test(finals_in_any_order_give_the_same_season),
        cmocka_unit_test(finals_in_any_order_give_the_same_saturated_season),
        cmocka_unit_test(a_games_delta_changes_the_season_as_adding_up_does),
        cmocka_unit_test(a_tie_counts_neither_win_nor_loss),
        cmocka_unit_test(counts_saturate_at_int_max),
        cmocka_unit_test(negative_counts_in_rows_add_nothing),
        cmocka_unit_test(rows_of_unknown_teams_and_players_are_ignored),
        cmocka_unit_test(the_season_keeps_the_reference_rows_sorted),
    };
    return cmocka_run_group_tests_name("boxscore/season", tests, NULL, NULL);
}
