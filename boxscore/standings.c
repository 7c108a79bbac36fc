/*
 * standings.c — the rows of teams2 and players2 at the final whistle of one game.
 *
 * Always computed from the reference rows (teams, players) plus this game, never
 * from an earlier teams2/players2, so writing the same game twice gives the same
 * tables. This is the season sum (season.c) over this one game's result: the
 * arithmetic, saturation at INT_MAX included, is written once, there. Unrostered
 * shooters have no row to update; their numbers stay in the box score only.
 */
#include "boxscore.h"

int bs_standings(const bs_game *g, bs_ref *out, bool *tie)
{
    bs_result res;

    *tie = g->score[0] == g->score[1];
    if (bs_result_of(g, &res))
        return -1;
    int rc = bs_season(g->ref, res.teams, 2, res.players, res.nplayers, out);
    bs_result_free(&res);
    return rc;
}
