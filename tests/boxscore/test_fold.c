/* The fold: duplicates, unrostered shooters, the three ways a game ends, restarts, ties. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include <cmocka.h>

#include "fixture.h"

static int setup(void **state)
{
    static bs_ref ref;
    fixture_ref(&ref);
    *state = bs_game_new(&ref, 101, 205, "g");
    return *state ? 0 : -1;
}

static int teardown(void **state)
{
    bs_game *g = *state;
    bs_ref *ref = (bs_ref *)g->ref;
    bs_game_free(g);
    bs_ref_free(ref);
    return 0;
}

static void counts_shots_and_goals_per_player_and_team(void **state)
{
    bs_game *g = *state;
    fold_log l = fold_text(g, "0 59:00 101 2 1\n1 58:00 101 2 0\n2 57:00 205 9 1\n3 56:00 101 8 1\n");
    assert_int_equal(l.applied, 4);
    assert_int_equal(g->score[0], 2);
    assert_int_equal(g->score[1], 1);
    assert_int_equal(g->shots[0], 3);
    assert_int_equal(g->ref->players[g->roster[0]].id, 1); /* the roster is in id order */
    assert_int_equal(g->pstat[0].shots, 2);
    assert_int_equal(g->pstat[0].goals, 1);
    assert_int_equal(g->last_id, 3);
    assert_int_equal(g->state, BS_LIVE);
}

static void duplicate_ids_are_skipped_and_not_recounted(void **state)
{
    bs_game *g = *state;
    fold_log l = fold_text(g, "0 59:00 101 2 1\n1 58:00 101 2 1\n1 58:00 101 2 1\n0 59:00 101 2 1\n2 57:00 205 9 0\n");
    assert_int_equal(l.applied, 3);
    assert_int_equal(l.duplicates, 2);
    assert_int_equal(g->n.duplicates, 2);
    assert_int_equal(g->score[0], 2);
}

static void gaps_and_rising_clock_are_warnings_not_errors(void **state)
{
    bs_game *g = *state;
    fold_log l = fold_text(g, "0 59:00 101 2 1\n5 59:30 101 2 0\n");
    assert_int_equal(l.applied, 2);
    assert_int_equal(l.gaps, 1);
    assert_int_equal(l.clock_up, 1);
}

static void unrostered_jersey_counts_for_the_team_score(void **state)
{
    bs_game *g = *state;
    fold_log l = fold_text(g, "0 59:00 205 77 1\n1 58:00 205 77 0\n2 57:00 205 9 1\n");
    assert_int_equal(l.unrostered, 2);
    assert_int_equal(g->score[1], 2);
    assert_int_equal(g->nunr, 1);
    assert_int_equal(g->unr[0].jersey, 77);
    assert_int_equal(g->unr[0].stat.goals, 1);
    assert_int_equal(g->unr[0].stat.shots, 2);
}

static void sentinel_team_zero_ends_the_game_without_a_shot(void **state)
{
    bs_game *g = *state;
    fold_log l = fold_text(g, "0 59:00 101 2 1\n1 30:00 0 0 0\n2 29:00 101 2 1\n");
    assert_int_equal(l.finals, 1);
    assert_int_equal(l.after_final, 1);
    assert_int_equal(g->state, BS_FINAL);
    assert_int_equal(g->last_id, 1);
    assert_int_equal(g->shots[0], 1);
    assert_int_equal(g->score[0], 1);
}

static void minus_one_ends_the_game_and_keeps_the_last_id(void **state)
{
    bs_game *g = *state;
    fold_log l = fold_text(g, "0 59:00 101 2 1\n-1 40:00 0 0 0\n");
    assert_int_equal(l.finals, 1);
    assert_int_equal(g->state, BS_FINAL);
    assert_int_equal(g->last_id, 0);
}

static void a_shot_at_00_00_counts_and_ends_the_game(void **state)
{
    bs_game *g = *state;
    fold_log l = fold_text(g, "0 59:00 101 2 1\n1 00:00 205 9 1\n2 00:00 0 0 0\n");
    assert_int_equal(l.finals, 1);
    assert_int_equal(g->score[1], 1);
    assert_int_equal(g->last_id, 1);
    assert_int_equal(l.after_final, 1);
}

static void bad_lines_are_set_aside_and_the_game_goes_on(void **state)
{
    bs_game *g = *state;
    fold_log l = fold_text(g, "0 59:00 101 2 1\n1 58:00 999 2 1\n\n2 57:00 101 2 1\n");
    assert_int_equal(l.rejected, 1);
    assert_int_equal(l.last_reject_line, 2);
    assert_non_null(strstr(l.last_reason, "unknown team 999"));
    assert_int_equal(g->score[0], 2);
    assert_int_equal(g->n.rejected, 1);
}

static void restart_forgets_the_previous_run(void **state)
{
    bs_game *g = *state;
    bs_feed f;
    fold_log l = {0};
    bs_feed_hooks h = {fold_applied, fold_rejected, &l};
    bs_feed_init(&f, g, &h);
    const char *a = "0 59:00 101 2 1\n1 58:00 101 2 1\n2 00:00 0 0 0\n";
    bs_feed_push(&f, a, strlen(a));
    assert_int_equal(g->state, BS_FINAL);
    bs_feed_restart(&f);
    const char *b = "0 59:00 205 9 1\n";
    bs_feed_push(&f, b, strlen(b));
    assert_int_equal(g->state, BS_LIVE);
    assert_int_equal(g->score[0], 0);
    assert_int_equal(g->score[1], 1);
    assert_int_equal(g->last_id, 0);
    assert_int_equal(g->ngoals, 1);
}

static void a_tie_is_flagged_and_changes_no_record(void **state)
{
    bs_game *g = *state;
    bs_ref out = {0};
    bool tie = false;
    fold_text(g, "0 59:00 101 2 1\n1 58:00 205 9 1\n2 00:00 0 0 0\n");
    assert_int_equal(bs_standings(g, &out, &tie), 0);
    assert_true(tie);
    assert_int_equal(out.teams[0].wins, 7); /* 101 */
    assert_int_equal(out.teams[0].losses, 3);
    assert_int_equal(out.teams[1].wins, 6); /* 205 */
    assert_int_equal(out.teams[1].losses, 4);
    bs_ref_free(&out);
}

static void standings_update_winner_loser_and_shooters_only(void **state)
{
    bs_game *g = *state;
    bs_ref out = {0};
    bool tie = true;
    fold_text(g, "0 59:00 101 2 1\n1 58:00 101 8 0\n2 57:00 205 9 0\n3 56:00 205 77 1\n4 55:00 101 8 1\n5 00:00 0 0 0\n");
    assert_int_equal(bs_standings(g, &out, &tie), 0);
    assert_false(tie);
    assert_int_equal(out.nteams, 3);
    assert_int_equal(out.teams[0].id, 101);
    assert_int_equal(out.teams[0].wins, 8);
    assert_int_equal(out.teams[0].losses, 3);
    assert_int_equal(out.teams[1].id, 205);
    assert_int_equal(out.teams[1].wins, 6);
    assert_int_equal(out.teams[1].losses, 5);
    assert_int_equal(out.teams[2].wins, 1); /* team 300 did not play: unchanged */
    assert_int_equal(out.nplayers, 6);
    assert_int_equal(out.players[0].shots, 21); /* Liam: 20 + 1 */
    assert_int_equal(out.players[0].goals, 6);
    assert_int_equal(out.players[1].shots, 32); /* Chris Walker #8: 30 + 2 */
    assert_int_equal(out.players[1].goals, 10);
    assert_int_equal(out.players[2].shots, 10); /* the other Chris Walker did not shoot */
    assert_int_equal(out.players[4].shots, 13); /* Sam Okafor: 12 + 1 */
    assert_int_equal(out.players[4].goals, 3);
    assert_string_equal(out.players[0].name, "Liam O'Brien");
    /* computed from the reference every time: the same game twice, the same tables */
    bs_ref again = {0};
    assert_int_equal(bs_standings(g, &again, &tie), 0);
    assert_true(bs_ref_equal(&out, &again));
    bs_ref_free(&again);
    bs_ref_free(&out);
}

int main(void)
{
#define T(f) cmocka_unit_test_setup_teardown(f, setup, teardown)
    const struct CMUnitTest tests[] = {
        T(counts_shots_and_goals_per_player_and_team),
        T(duplicate_ids_are_skipped_and_not_recounted),
        T(gaps_and_rising_clock_are_warnings_not_errors),
        T(unrostered_jersey_counts_for_the_team_score),
        T(sentinel_team_zero_ends_the_game_without_a_shot),
        T(minus_one_ends_the_game_and_keeps_the_last_id),
        T(a_shot_at_00_00_counts_and_ends_the_game),
        T(bad_lines_are_set_aside_and_the_game_goes_on),
        T(restart_forgets_the_previous_run),
        T(a_tie_is_flagged_and_changes_no_record),
        T(standings_update_winner_loser_and_shooters_only),
    };
    return cmocka_run_group_tests_name("boxscore/fold", tests, NULL, NULL);
}
