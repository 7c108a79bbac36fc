/*
 * standings.c — the rows of teams2 and players2 at the final whistle.
 *
 * Always computed from the reference rows (teams, players) plus this game, never
 * from an earlier teams2/players2, so writing the same game twice gives the same
 * tables. Unrostered shooters have no row to update; their numbers stay in the
 * box score only. The reference rows may hold any int: a count that would pass
 * INT_MAX stays at INT_MAX rather than overflow.
 */
#include "boxscore.h"

#include <limits.h>

/* a + b for a count b >= 0, saturating at INT_MAX. */
static int add_count(int a, int b)
{
    return a > INT_MAX - b ? INT_MAX : a + b;
}

int bs_standings(const bs_game *g, bs_ref *out, bool *tie)
{
    const bs_ref *r = g->ref;
    int winner = 0, loser = 0;

    *tie = g->score[0] == g->score[1];
    if (!*tie) {
        int w = g->score[0] > g->score[1] ? 0 : 1;
        winner = g->teamid[w];
        loser = g->teamid[1 - w];
    }
    for (size_t i = 0; i < r->nteams; i++) {
        const bs_team *t = &r->teams[i];
        if (bs_ref_add_team(out, t->id, t->name, t->conference, add_count(t->wins, t->id == winner),
                            add_count(t->losses, t->id == loser)))
            goto fail;
    }
    for (size_t i = 0; i < r->nplayers; i++) {
        const bs_player *p = &r->players[i];
        if (bs_ref_add_player(out, p->id, p->name, p->number, add_count(p->shots, g->pstat[i].shots),
                              add_count(p->goals, g->pstat[i].goals), p->teamid))
            goto fail;
    }
    bs_ref_sort(out);
    return 0;
fail:
    bs_ref_free(out);
    return -1;
}
