/* bs_game_rebase: a game folded over one roster, rebased onto another, equals the game
 * folded over the other roster from the start (documents and standings), at the end of
 * a game and in the middle of one; the original game is left as it was. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "fixture.h"

#define GAMES 300

static unsigned below(unsigned *rng, unsigned n)
{
    return (unsigned)rand_r(rng) % n;
}

/* A copy of base with some players removed, renumbered (also onto a jersey already in
 * use, or as "07" or "x"), moved to the other team, and some new players added. */
static void mutate(const bs_ref *base, unsigned *rng, bs_ref *out)
{
    memset(out, 0, sizeof *out);
    for (size_t i = 0; i < base->nteams; i++) {
        const bs_team *t = &base->teams[i];
        assert_int_equal(bs_ref_add_team(out, t->id, t->name, t->conference, t->wins, t->losses), 0);
    }
    int other[2] = {base->teams[0].id, base->teams[1].id};
    for (size_t i = 0; i < base->nplayers; i++) {
        const bs_player *p = &base->players[i];
        char num[16];
        int team = p->teamid;
        snprintf(num, sizeof num, "%s", p->number);
        switch (below(rng, 12)) {
        case 0:
        case 1:
            continue; /* removed */
        case 2:
            snprintf(num, sizeof num, "%u", 1 + below(rng, 99));
            break;
        case 3:
            snprintf(num, sizeof num, "%s", base->players[below(rng, (unsigned)base->nplayers)].number);
            break;
        case 4:
            snprintf(num, sizeof num, "0%s", p->number);
            break;
        case 5:
            snprintf(num, sizeof num, "x%s", p->number);
            break;
        case 6:
            team = team == other[0] ? other[1] : other[0];
            break;
        default:
            break;
        }
        assert_int_equal(bs_ref_add_player(out, p->id, p->name, num, p->shots, p->goals, team), 0);
    }
    for (unsigned k = below(rng, 4), i = 0; i < k; i++) {
        const bs_player *like = &base->players[below(rng, (unsigned)base->nplayers)];
        /* new ids both below and above the others, so the id order changes too */
        int id = i % 2 ? 3000 + (int)i : 1 + (int)i;
        assert_int_equal(bs_ref_add_player(out, id, "New Player", like->number, 0, 0, other[below(rng, 2)]), 0);
    }
    bs_ref_sort(out);
}

static void assert_same_game(const bs_game *a, const bs_game *b)
{
    json_t *da = bs_render(a, "t"), *db = bs_render(b, "t");
    if ((da || db) && !json_equal(da, db)) {
        char *sa = json_dumps(da, JSON_SORT_KEYS | JSON_COMPACT), *sb = json_dumps(db, JSON_SORT_KEYS | JSON_COMPACT);
        fail_msg("documents differ:\n%s\n%s", sa ? sa : "(null)", sb ? sb : "(null)");
    }
    json_decref(da);
    json_decref(db);
    assert_int_equal(a->n.unrostered_shots, b->n.unrostered_shots);
    if (a->state == BS_PREGAME)
        return;
    bs_ref sa = {0}, sb = {0};
    bool ta, tb;
    assert_int_equal(bs_standings(a, &sa, &ta), 0);
    assert_int_equal(bs_standings(b, &sb, &tb), 0);
    assert_true(bs_ref_equal(&sa, &sb));
    assert_int_equal(ta, tb);
    bs_ref_free(&sa);
    bs_ref_free(&sb);
}

static char *dump(const bs_game *g)
{
    json_t *d = bs_render(g, "t");
    char *s = d ? json_dumps(d, JSON_SORT_KEYS | JSON_COMPACT) : strdup("pregame");
    json_decref(d);
    return s;
}

static void rebased_fold_equals_fold_over_the_new_roster(void **state)
{
    (void)state;
    for (uint64_t seed = 1; seed <= GAMES; seed++) {
        bs_ref base = {0}, a, b;
        char *text;
        size_t len;
        unsigned rng = (unsigned)seed * 2654435761u;
        assert_int_equal(bs_random_game(seed, 101, 205, &base, &text, &len), 0);
        mutate(&base, &rng, &a);
        mutate(&base, &rng, &b);
        /* rebase somewhere in the stream (even before the first event), then go on */
        size_t cut = below(&rng, (unsigned)len + 1);

        bs_game *ga = bs_game_new(&a, 101, 205, "r"), *gb = bs_game_new(&b, 101, 205, "r");
        bs_feed fa, fb;
        bs_feed_init(&fa, ga, NULL);
        bs_feed_init(&fb, gb, NULL);
        bs_feed_push(&fa, text, cut);
        bs_feed_push(&fb, text, cut);

        char *before = dump(ga);
        bs_game *rb = bs_game_rebase(ga, &b);
        assert_non_null(rb);
        char *after = dump(ga);
        assert_string_equal(before, after); /* the original is untouched */
        assert_same_game(rb, gb);

        fa.game = rb; /* the swap a caller makes: the partial line stays in the reader */
        bs_feed_push(&fa, text + cut, len - cut);
        bs_feed_push(&fb, text + cut, len - cut);
        assert_int_equal(rb->state, BS_FINAL);
        assert_same_game(rb, gb);

        /* and at the final whistle, straight from roster a to roster b */
        bs_game *full = bs_game_new(&a, 101, 205, "r");
        bs_feed ff;
        bs_feed_init(&ff, full, NULL);
        bs_feed_push(&ff, text, len);
        bs_game *rf = bs_game_rebase(full, &b);
        assert_non_null(rf);
        assert_same_game(rf, gb);

        free(before);
        free(after);
        bs_game_free(ga);
        bs_game_free(gb);
        bs_game_free(rb);
        bs_game_free(full);
        bs_game_free(rf);
        bs_ref_free(&a);
        bs_ref_free(&b);
        bs_ref_free(&base);
        free(text);
    }
}

static const char *const stream = "0 59:00 101 2 1\n"   /* Liam O'Brien (id 1) */
                                  "1 58:00 205 77 1\n"  /* not on the roster yet */
                                  "2 57:00 101 7 0\n"   /* Chris Walker (id 3), removed below */
                                  "3 56:00 205 77 0\n"
                                  "4 55:00 101 44 1\n"; /* never on a roster */

static void roster_fixed_mid_game(void **state)
{
    (void)state;
    bs_ref a, b;
    fixture_ref(&a);
    memset(&b, 0, sizeof b);
    for (size_t i = 0; i < a.nteams; i++)
        bs_ref_add_team(&b, a.teams[i].id, a.teams[i].name, a.teams[i].conference, a.teams[i].wins,
                        a.teams[i].losses);
    for (size_t i = 0; i < a.nplayers; i++) {
        const bs_player *p = &a.players[i];
        if (p->id != 3)
            bs_ref_add_player(&b, p->id, p->name, p->number, p->shots, p->goals, p->teamid);
    }
    bs_ref_add_player(&b, 7, "Nia Adeyemi", "77", 3, 1, 205);
    bs_ref_sort(&b);

    bs_game *g = bs_game_new(&a, 101, 205, "g");
    fold_text(g, stream);
    assert_int_equal(g->n.unrostered_shots, 3);
    bs_game *r = bs_game_rebase(g, &b);
    assert_non_null(r);

    /* the original is unchanged */
    assert_ptr_equal(g->ref, &a);
    assert_int_equal(g->nunr, 2);
    assert_int_equal(g->unr[0].jersey, 77);
    assert_int_equal(g->goals[1].player_id, -1);

    assert_ptr_equal(r->ref, &b);
    assert_int_equal(r->n.unrostered_shots, 2);
    assert_int_equal(r->n.applied, 5);
    assert_int_equal(r->nunr, 2); /* #7 (first shot 2) before #44 (first shot 4) */
    assert_int_equal(r->unr[0].teamid, 101);
    assert_int_equal(r->unr[0].jersey, 7);
    assert_int_equal(r->unr[0].stat.shots, 1);
    assert_int_equal(r->unr[1].jersey, 44);
    assert_int_equal(r->unr[1].stat.goals, 1);
    size_t nia = r->nroster - 1; /* id 7 is the highest */
    assert_int_equal(b.players[r->roster[nia]].id, 7);
    assert_int_equal(r->pstat[nia].shots, 2);
    assert_int_equal(r->pstat[nia].goals, 1);
    assert_int_equal(r->ngoals, 3);
    assert_int_equal(r->goals[0].player_id, 1);
    assert_int_equal(r->goals[1].player_id, 7);
    assert_int_equal(r->goals[2].player_id, -1);
    assert_int_equal(r->score[0], 2);
    assert_int_equal(r->score[1], 1);

    bs_game *gb = bs_game_new(&b, 101, 205, "g");
    fold_text(gb, stream);
    assert_same_game(r, gb);

    /* and back again */
    bs_game *back = bs_game_rebase(r, &a);
    assert_non_null(back);
    assert_same_game(back, g);

    bs_game_free(g);
    bs_game_free(r);
    bs_game_free(gb);
    bs_game_free(back);
    bs_ref_free(&a);
    bs_ref_free(&b);
}

static void pregame_rebases_to_an_empty_game(void **state)
{
    (void)state;
    bs_ref a, empty = {0};
    fixture_ref(&a);
    bs_game *g = bs_game_new(&a, 101, 205, "g");
    bs_game *r = bs_game_rebase(g, &empty);
    assert_non_null(r);
    assert_int_equal(r->state, BS_PREGAME);
    assert_null(bs_render(r, "t"));
    fold_text(r, stream); /* no roster at all: every shooter is unrostered */
    assert_int_equal(r->n.unrostered_shots, 5);
    assert_int_equal(r->nunr, 4);
    bs_game_free(g);
    bs_game_free(r);
    bs_ref_free(&a);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(rebased_fold_equals_fold_over_the_new_roster),
        cmocka_unit_test(roster_fixed_mid_game),
        cmocka_unit_test(pregame_rebases_to_an_empty_game),
    };
    return cmocka_run_group_tests_name("boxscore/rebase", tests, NULL, NULL);
}
