/* The box-score document: every field, pct rounding, zero shots, player order. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include <cmocka.h>

#include "fixture.h"

static bs_ref ref;

static json_t *render_after(const char *text, bs_game **out)
{
    bs_game *g = bs_game_new(&ref, 101, 205, "g-42");
    fold_text(g, text);
    json_t *doc = bs_render(g, "2026-11-25T20:00:00.000Z");
    *out = g;
    return doc;
}

static void pct_rounds_to_two_decimals_and_is_zero_without_shots(void **state)
{
    (void)state;
    assert_true(bs_pct(0, 0) == 0.0);
    assert_true(bs_pct(1, 8) == 0.13);  /* 0.125 rounds up */
    assert_true(bs_pct(1, 3) == 0.33);
    assert_true(bs_pct(2, 3) == 0.67);
    assert_true(bs_pct(3, 3) == 1.0);
    assert_true(bs_pct(1, 200) == 0.01); /* 0.005 rounds up */
    assert_true(bs_pct(1, 201) == 0.0);
}

static void period_boundaries_follow_the_quarters(void **state)
{
    (void)state;
    assert_int_equal(bs_period(3600), 1);
    assert_int_equal(bs_period(2700), 1);
    assert_int_equal(bs_period(2699), 2);
    assert_int_equal(bs_period(1800), 2);
    assert_int_equal(bs_period(1799), 3);
    assert_int_equal(bs_period(900), 3);
    assert_int_equal(bs_period(899), 4);
    assert_int_equal(bs_period(0), 4);
}

static const char *qclock(int clock)
{
    static char out[8];
    bs_format_quarter_clock(clock, out);
    return out;
}

/* The time left in the quarter, as the page shows it: the game clock counts down 60:00,
 * a quarter is 15:00 and ends at 0:00 (45:00 is the end of Q1, like bs_period). */
static void quarter_clock_is_the_time_left_in_the_quarter(void **state)
{
    (void)state;
    assert_string_equal(qclock(3600), "15:00");
    assert_string_equal(qclock(51 * 60 + 18), "6:18");
    assert_string_equal(qclock(2700), "0:00");
    assert_string_equal(qclock(2699), "14:59");
    assert_string_equal(qclock(1800), "0:00");
    assert_string_equal(qclock(1799), "14:59");
    assert_string_equal(qclock(900), "0:00");
    assert_string_equal(qclock(899), "14:59");
    assert_string_equal(qclock(80), "1:20");
    assert_string_equal(qclock(0), "0:00");
    assert_string_equal(qclock(-5), "0:00");     /* clamped like bs_format_clock */
    assert_string_equal(qclock(9999), "15:00");
}

static void nothing_to_render_before_the_first_event(void **state)
{
    (void)state;
    bs_game *g;
    json_t *doc = render_after("", &g);
    assert_null(doc);
    bs_game_free(g);
}

static void document_has_every_field(void **state)
{
    (void)state;
    bs_game *g;
    json_t *doc = render_after("0 59:00 101 2 1\n1 44:10 101 2 0\n2 44:00 205 9 1\n3 43:00 205 9 0\n4 42:00 205 77 1\n"
                               "5 41:00 101 8 0\n6 40:00 101 8 0\n7 39:00 101 8 1\n",
                               &g);
    assert_non_null(doc);
    assert_int_equal(json_integer_value(json_object_get(doc, "_id")), 7);
    assert_string_equal(json_string_value(json_object_get(doc, "timestamp")), "39:00");
    assert_string_equal(json_string_value(json_object_get(doc, "quarter_clock")), "9:00");
    assert_string_equal(json_string_value(json_object_get(doc, "game")), "g-42");
    assert_string_equal(json_string_value(json_object_get(doc, "state")), "in_progress");
    assert_int_equal(json_integer_value(json_object_get(doc, "period")), 2);
    assert_string_equal(json_string_value(json_object_get(doc, "updated_at")), "2026-11-25T20:00:00.000Z");

    json_t *home = json_object_get(doc, "home"), *away = json_object_get(doc, "away");
    assert_int_equal(json_integer_value(json_object_get(home, "teamid")), 101);
    assert_string_equal(json_string_value(json_object_get(home, "name")), "Herons");
    assert_string_equal(json_string_value(json_object_get(home, "conference")), "Coastal");
    assert_int_equal(json_integer_value(json_object_get(home, "wins")), 7);
    assert_int_equal(json_integer_value(json_object_get(home, "losses")), 3);
    assert_int_equal(json_integer_value(json_object_get(home, "score")), 2);
    assert_int_equal(json_integer_value(json_object_get(away, "score")), 2);
    assert_string_equal(json_string_value(json_object_get(home, "status")), "tied");
    assert_int_equal(json_integer_value(json_object_get(home, "shots")), 5);
    assert_true(json_real_value(json_object_get(home, "pct")) == 0.4);
    json_t *ls = json_object_get(home, "line_score");
    assert_int_equal(json_integer_value(json_array_get(ls, 0)), 1);
    assert_int_equal(json_integer_value(json_array_get(ls, 1)), 1);

    /* every rostered player in id order, shots or not, then the unrostered shooter */
    json_t *hp = json_object_get(home, "players"), *ap = json_object_get(away, "players");
    assert_int_equal(json_array_size(hp), 3);
    assert_int_equal(json_integer_value(json_object_get(json_array_get(hp, 0), "id")), 1);
    assert_int_equal(json_integer_value(json_object_get(json_array_get(hp, 1), "id")), 2);
    assert_int_equal(json_integer_value(json_object_get(json_array_get(hp, 2), "id")), 3);
    json_t *walker7 = json_array_get(hp, 2);
    assert_int_equal(json_integer_value(json_object_get(walker7, "shots")), 0);
    assert_true(json_real_value(json_object_get(walker7, "pct")) == 0.0);
    json_t *walker8 = json_array_get(hp, 1);
    assert_string_equal(json_string_value(json_object_get(walker8, "number")), "8");
    assert_true(json_real_value(json_object_get(walker8, "pct")) == 0.33);
    assert_int_equal(json_array_size(ap), 3);
    json_t *unr = json_array_get(ap, 2);
    assert_true(json_is_null(json_object_get(unr, "id")));
    assert_true(json_is_false(json_object_get(unr, "rostered")));
    assert_string_equal(json_string_value(json_object_get(unr, "number")), "77");
    int goals = 0;
    size_t i;
    json_t *p;
    json_array_foreach(ap, i, p) goals += (int)json_integer_value(json_object_get(p, "goals"));
    assert_int_equal(goals, 2);

    json_t *sc = json_object_get(doc, "scoring");
    assert_int_equal(json_array_size(sc), 4);
    json_t *last = json_array_get(sc, 3);
    assert_int_equal(json_integer_value(json_object_get(last, "event_id")), 7);
    assert_string_equal(json_string_value(json_object_get(last, "timestamp")), "39:00");
    assert_string_equal(json_string_value(json_object_get(last, "quarter_clock")), "9:00");
    assert_string_equal(json_string_value(json_object_get(json_array_get(sc, 0), "quarter_clock")), "14:00");
    assert_int_equal(json_integer_value(json_object_get(last, "player_id")), 2);
    assert_string_equal(json_string_value(json_object_get(last, "name")), "Chris Walker");
    assert_int_equal(json_integer_value(json_object_get(last, "home_score")), 2);
    assert_int_equal(json_integer_value(json_object_get(last, "away_score")), 2);
    assert_true(json_is_null(json_object_get(json_array_get(sc, 2), "player_id")));
    json_decref(doc);
    bs_game_free(g);
}

static void final_document_names_the_sentinel_and_the_winner(void **state)
{
    (void)state;
    bs_game *g;
    json_t *doc = render_after("0 59:00 101 2 1\n1 00:00 0 0 0\n", &g);
    assert_int_equal(json_integer_value(json_object_get(doc, "_id")), 1);
    assert_string_equal(json_string_value(json_object_get(doc, "state")), "final");
    assert_string_equal(json_string_value(json_object_get(doc, "timestamp")), "00:00");
    assert_string_equal(json_string_value(json_object_get(doc, "quarter_clock")), "0:00");
    assert_int_equal(json_integer_value(json_object_get(doc, "period")), 4);
    assert_string_equal(json_string_value(json_object_get(json_object_get(doc, "home"), "status")), "winning");
    assert_string_equal(json_string_value(json_object_get(json_object_get(doc, "away"), "status")), "losing");
    json_decref(doc);
    bs_game_free(g);
}

static int setup(void **state)
{
    (void)state;
    fixture_ref(&ref);
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    bs_ref_free(&ref);
    return 0;
}

/* A team missing from teams (game.json naming 9999) has a null name, conference and
 * record, never "" (a page would print a blank team); moved onto rows that gain it
 * (bs_game_rebase), it takes them. */
static void a_team_missing_from_teams_is_null_until_the_rows_gain_it(void **state)
{
    (void)state;
    bs_game *g = bs_game_new(&ref, 101, 9999, "g-9999");
    fold_text(g, "0 59:00 101 2 1\n1 58:00 9999 4 0\n");
    json_t *doc = bs_render(g, "2026-11-25T20:00:00.000Z");
    assert_non_null(doc);
    json_t *away = json_object_get(doc, "away");
    assert_int_equal(json_integer_value(json_object_get(away, "teamid")), 9999);
    static const char *const unknown[] = {"name", "conference", "wins", "losses"};
    for (size_t i = 0; i < 4; i++) {
        assert_non_null(json_object_get(away, unknown[i]));
        assert_true(json_is_null(json_object_get(away, unknown[i])));
    }
    assert_int_equal(json_integer_value(json_object_get(away, "shots")), 1);
    assert_string_equal(json_string_value(json_object_get(json_object_get(doc, "home"), "name")), "Herons");
    json_decref(doc);

    bs_ref more;
    fixture_ref(&more);
    bs_ref_add_team(&more, 9999, "Late Larks", "Plains", 2, 5);
    bs_ref_sort(&more);
    bs_game *n = bs_game_rebase(g, &more);
    assert_non_null(n);
    doc = bs_render(n, "2026-11-25T20:00:00.000Z");
    away = json_object_get(doc, "away");
    assert_string_equal(json_string_value(json_object_get(away, "name")), "Late Larks");
    assert_string_equal(json_string_value(json_object_get(away, "conference")), "Plains");
    assert_int_equal(json_integer_value(json_object_get(away, "wins")), 2);
    assert_int_equal(json_integer_value(json_object_get(away, "losses")), 5);
    assert_int_equal(json_integer_value(json_object_get(away, "shots")), 1);
    json_decref(doc);
    bs_game_free(n);
    bs_game_free(g);
    bs_ref_free(&more);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(pct_rounds_to_two_decimals_and_is_zero_without_shots),
        cmocka_unit_test(period_boundaries_follow_the_quarters),
        cmocka_unit_test(quarter_clock_is_the_time_left_in_the_quarter),
        cmocka_unit_test(nothing_to_render_before_the_first_event),
        cmocka_unit_test(document_has_every_field),
        cmocka_unit_test(final_document_names_the_sentinel_and_the_winner),
        cmocka_unit_test(a_team_missing_from_teams_is_null_until_the_rows_gain_it),
    };
    return cmocka_run_group_tests_name("boxscore/render", tests, setup, teardown);
}
