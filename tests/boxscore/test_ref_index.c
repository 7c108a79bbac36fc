/* The reference's lookup index (bs_ref_index): a team and a team's players are found
 * as a scan from the start finds them (first of duplicate ids, missing teams, unsorted
 * rows, a game of a team against itself), a game over indexed rows has the roster and
 * the documents of a game over the same rows unindexed, the rosters really come from
 * the index (no scan), and any change to the rows drops it. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "fixture.h"

/* What bs_ref_team gives without an index: the first row with the id. */
static const bs_team *scan_team(const bs_ref *r, int id)
{
    for (size_t i = 0; i < r->nteams; i++)
        if (r->teams[i].id == id)
            return &r->teams[i];
    return NULL;
}

/* Random rows: nteams teams with ids in 1..ids (so some repeat and some are missing),
 * each player on a random one of ids 1..ids+5 (some on no listed team); sorted or not. */
static void random_ref(bs_ref *r, unsigned *rng, int ids, size_t nteams, size_t nplayers, bool sort)
{
    memset(r, 0, sizeof *r);
    for (size_t i = 0; i < nteams; i++)
        assert_int_equal(bs_ref_add_team(r, 1 + rand_r(rng) % ids, "T", "C", 0, 0), 0);
    for (size_t i = 0; i < nplayers; i++) {
        char num[8];
        snprintf(num, sizeof num, "%d", rand_r(rng) % 40);
        assert_int_equal(bs_ref_add_player(r, rand_r(rng) % 100000, "P", num, 0, 0, 1 + rand_r(rng) % (ids + 5)), 0);
    }
    if (sort)
        bs_ref_sort(r);
}

static void lookups_find_what_a_scan_finds(void **state)
{
    (void)state;
    unsigned rng = 7;
    for (int round = 0; round < 200; round++) {
        bs_ref r;
        int ids = 1 + rand_r(&rng) % 30;
        random_ref(&r, &rng, ids, (size_t)rand_r(&rng) % 40, (size_t)rand_r(&rng) % 200, round % 2);
        assert_int_equal(bs_ref_index(&r), 0);
        assert_non_null(r.team_idx);
        for (int id = -1; id <= ids + 6; id++) {
            assert_ptr_equal(bs_ref_team(&r, id), scan_team(&r, id));
            const bs_ref_key *pos;
            size_t n = bs_ref_team_players(&r, id, &pos), want = 0;
            for (size_t i = 0; i < r.nplayers; i++)
                if (r.players[i].teamid == id) {
                    assert_true(want < n);
                    assert_int_equal(pos[want].pos, i); /* every one, in row order */
                    assert_int_equal(pos[want].key, id);
                    want++;
                }
            assert_int_equal(n, want);
        }
        bs_ref_free(&r);
        assert_null(r.team_idx);
    }
}

/* The same game over indexed and unindexed rows: the same roster, positions and all,
 * for any pair of teams (one missing, or a team against itself, included). */
static void rosters_from_the_index_equal_the_scan(void **state)
{
    (void)state;
    unsigned rng = 11;
    for (int round = 0; round < 200; round++) {
        bs_ref plain, indexed;
        int ids = 1 + rand_r(&rng) % 20;
        size_t nt = (size_t)rand_r(&rng) % 30, np = (size_t)rand_r(&rng) % 300;
        unsigned copy = rng; /* the same rows twice */
        random_ref(&plain, &copy, ids, nt, np, round % 3 != 0);
        random_ref(&indexed, &rng, ids, nt, np, round % 3 != 0);
        assert_int_equal(bs_ref_index(&indexed), 0);
        int home = 1 + rand_r(&rng) % (ids + 5), away = round % 10 == 0 ? home : 1 + rand_r(&rng) % (ids + 5);
        bs_game *a = bs_game_new(&plain, home, away, "a"), *b = bs_game_new(&indexed, home, away, "b");
        assert_non_null(a);
        assert_non_null(b);
        assert_int_equal(a->nroster, b->nroster);
        for (size_t k = 0; k < a->nroster; k++)
            assert_int_equal(a->roster[k], b->roster[k]);
        bs_game_free(a);
        bs_game_free(b);
        bs_ref_free(&plain);
        bs_ref_free(&indexed);
    }
}

static char *render(const bs_game *g)
{
    json_t *doc = bs_render(g, "fixed");
    char *s = json_dumps(doc, JSON_SORT_KEYS | JSON_COMPACT);
    json_decref(doc);
    return s;
}

/* A whole random game among many other teams' players: byte-identical documents and
 * result with and without the index. */
static void documents_are_the_same_with_the_index(void **state)
{
    (void)state;
    for (uint64_t seed = 1; seed <= 50; seed++) {
        bs_ref ref = {0};
        char *text;
        size_t len;
        assert_int_equal(bs_random_game(seed, 101, 205, &ref, &text, &len), 0);
        for (int t = 0; t < 50; t++) { /* other teams, some players numbered like the shooters */
            assert_int_equal(bs_ref_add_team(&ref, 1000 + t, "Other", "X", 0, 0), 0);
            for (int p = 0; p < 10; p++) {
                char num[8];
                snprintf(num, sizeof num, "%d", p * 3);
                assert_int_equal(bs_ref_add_player(&ref, 50000 + t * 10 + p, "O", num, 0, 0, 1000 + t), 0);
            }
        }
        bs_ref_sort(&ref);
        bs_game *plain = bs_game_new(&ref, 101, 205, "g");
        fold_text(plain, text);
        char *want = render(plain);
        bs_result rw;
        assert_int_equal(bs_result_of(plain, &rw), 0);

        assert_int_equal(bs_ref_index(&ref), 0);
        bs_game *indexed = bs_game_new(&ref, 101, 205, "g");
        fold_text(indexed, text);
        char *got = render(indexed);
        assert_string_equal(got, want);
        bs_result rg;
        assert_int_equal(bs_result_of(indexed, &rg), 0);
        assert_int_equal(rg.nplayers, rw.nplayers);
        assert_memory_equal(rg.players, rw.players, rw.nplayers * sizeof *rw.players);
        assert_memory_equal(rg.teams, rw.teams, sizeof rw.teams);

        bs_result_free(&rw);
        bs_result_free(&rg);
        free(want);
        free(got);
        bs_game_free(plain);
        bs_game_free(indexed);
        free(text);
        bs_ref_free(&ref);
    }
}

/* The rosters come from the index: a row moved to team 101 behind the index's back is
 * not on a new game's roster (a scan would put it there), and lookups of teams use it. */
static void lookups_use_the_index_not_a_scan(void **state)
{
    (void)state;
    bs_ref r;
    fixture_ref(&r);
    assert_int_equal(bs_ref_index(&r), 0);
    size_t idle = 0;
    while (r.players[idle].teamid != 300)
        idle++;
    r.players[idle].teamid = 101; /* the index still says 300 */
    bs_game *g = bs_game_new(&r, 101, 205, "g");
    assert_non_null(g);
    assert_int_equal(g->nroster, 5);
    for (size_t k = 0; k < g->nroster; k++)
        assert_int_not_equal(g->roster[k], idle);
    bs_game_free(g);
    r.teams[0].id = 999; /* was 101 (sorted: 101, 205, 300) */
    assert_ptr_equal(bs_ref_team(&r, 999), NULL);
    assert_ptr_equal(bs_ref_team(&r, 101), &r.teams[0]);
    bs_ref_free(&r);
}

/* Adding or sorting rows drops the index, so it never describes other rows; lookups
 * then scan and stay right. */
static void changing_the_rows_drops_the_index(void **state)
{
    (void)state;
    bs_ref r;
    fixture_ref(&r);
    assert_int_equal(bs_ref_index(&r), 0);
    assert_int_equal(bs_ref_add_team(&r, 400, "New", "X", 0, 0), 0);
    assert_null(r.team_idx);
    assert_null(r.player_idx);
    assert_non_null(bs_ref_team(&r, 400));
    assert_int_equal(bs_ref_index(&r), 0);
    assert_int_equal(bs_ref_add_player(&r, 7, "New Player", "4", 0, 0, 400), 0);
    assert_null(r.player_idx);
    assert_int_equal(bs_ref_index(&r), 0);
    bs_ref_sort(&r);
    assert_null(r.team_idx);
    const bs_ref_key *pos;
    assert_int_equal(bs_ref_team_players(&r, 400, &pos), 0); /* no index: the caller scans */
    assert_null(pos);
    bs_game *g = bs_game_new(&r, 400, 101, "g");
    assert_int_equal(g->nroster, 4);
    bs_game_free(g);
    assert_int_equal(bs_ref_index(&r), 0);
    g = bs_game_new(&r, 400, 101, "g");
    assert_int_equal(g->nroster, 4);
    bs_game_free(g);
    bs_ref_free(&r);

    bs_ref empty = {0}; /* no rows at all */
    assert_int_equal(bs_ref_index(&empty), 0);
    assert_null(bs_ref_team(&empty, 101));
    g = bs_game_new(&empty, 101, 205, "g");
    assert_int_equal(g->nroster, 0);
    bs_game_free(g);
    bs_ref_free(&empty);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(lookups_find_what_a_scan_finds),
        cmocka_unit_test(rosters_from_the_index_equal_the_scan),
        cmocka_unit_test(documents_are_the_same_with_the_index),
        cmocka_unit_test(lookups_use_the_index_not_a_scan),
        cmocka_unit_test(changing_the_rows_drops_the_index),
    };
    return cmocka_run_group_tests_name("boxscore/ref_index", tests, NULL, NULL);
}
