/* Standings at the final whistle: the winner's wins and the loser's losses go up by one,
 * players' shots and goals by this game's; counts already at INT_MAX stay there instead
 * of overflowing (run under UBSan in the sanitizer build). */
#include <limits.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include <cmocka.h>

#include "fixture.h"

static const bs_player *player(const bs_ref *r, int id)
{
    for (size_t i = 0; i < r->nplayers; i++)
        if (r->players[i].id == id)
            return &r->players[i];
    fail_msg("no player %d", id);
    return NULL;
}

static void standings_of(const bs_ref *ref, const char *stream, bs_ref *out, bool *tie)
{
    bs_game *g = bs_game_new(ref, 101, 205, "s");
    assert_non_null(g);
    fold_text(g, stream);
    assert_int_equal(g->state, BS_FINAL);
    memset(out, 0, sizeof *out);
    assert_int_equal(bs_standings(g, out, tie), 0);
    bs_game_free(g);
}

/* 101 beats 205 2-1: #2 (id 1) scores twice on three shots, #9 (id 5) once. */
static const char *const game = "0 59:00 101 2 1\n1 58:00 205 9 1\n2 57:00 101 2 0\n3 56:00 101 2 1\n4 00:00 0 0 0\n";

static void winner_loser_and_players_are_counted(void **state)
{
    (void)state;
    bs_ref ref, out;
    bool tie;
    fixture_ref(&ref);
    standings_of(&ref, game, &out, &tie);
    assert_false(tie);
    assert_int_equal(bs_ref_team(&out, 101)->wins, 8);
    assert_int_equal(bs_ref_team(&out, 101)->losses, 3);
    assert_int_equal(bs_ref_team(&out, 205)->wins, 6);
    assert_int_equal(bs_ref_team(&out, 205)->losses, 5);
    assert_int_equal(bs_ref_team(&out, 300)->wins, 1);
    assert_int_equal(player(&out, 1)->shots, 23);
    assert_int_equal(player(&out, 1)->goals, 7);
    assert_int_equal(player(&out, 5)->shots, 13);
    assert_int_equal(player(&out, 5)->goals, 4);
    bs_ref_free(&out);
    bs_ref_free(&ref);
}

static void counts_at_int_max_saturate(void **state)
{
    (void)state;
    bs_ref ref = {0}, out;
    bool tie;
    bs_ref_add_team(&ref, 101, "Herons", "Coastal", INT_MAX, INT_MAX);
    bs_ref_add_team(&ref, 205, "Owls", "Plains", INT_MAX, INT_MAX);
    bs_ref_add_player(&ref, 1, "Liam O'Brien", "2", INT_MAX, INT_MAX, 101);
    bs_ref_add_player(&ref, 5, "Sam Okafor", "9", INT_MAX - 1, INT_MAX - 2, 205);
    bs_ref_sort(&ref);
    standings_of(&ref, game, &out, &tie);
    assert_int_equal(bs_ref_team(&out, 101)->wins, INT_MAX);
    assert_int_equal(bs_ref_team(&out, 101)->losses, INT_MAX);
    assert_int_equal(bs_ref_team(&out, 205)->losses, INT_MAX);
    assert_int_equal(player(&out, 1)->shots, INT_MAX);
    assert_int_equal(player(&out, 1)->goals, INT_MAX);
    assert_int_equal(player(&out, 5)->shots, INT_MAX);
    assert_int_equal(player(&out, 5)->goals, INT_MAX - 1);
    bs_ref_free(&out);
    bs_ref_free(&ref);
}

static void a_tie_changes_no_record(void **state)
{
    (void)state;
    bs_ref ref, out;
    bool tie;
    fixture_ref(&ref);
    standings_of(&ref, "0 59:00 101 2 1\n1 58:00 205 9 1\n2 00:00 0 0 0\n", &out, &tie);
    assert_true(tie);
    assert_int_equal(bs_ref_team(&out, 101)->wins, 7);
    assert_int_equal(bs_ref_team(&out, 205)->losses, 4);
    bs_ref_free(&out);
    bs_ref_free(&ref);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(winner_loser_and_players_are_counted),
        cmocka_unit_test(counts_at_int_max_saturate),
        cmocka_unit_test(a_tie_changes_no_record),
    };
    return cmocka_run_group_tests_name("boxscore/standings", tests, NULL, NULL);
}
