/*
 * season.c — one game's own result, and the season tables as the reference rows plus
 * the sum of every game's result.
 *
 * teams2/players2 are the reference rows (teams, players) plus the stored rows of every
 * final game, so a game written twice, or a restarted game that replaced its own rows,
 * is counted once, and games may finish in any order. bs_season makes them whole;
 * bs_season_delta and bs_season_adjust update them by what one game's new rows add
 * minus what its old rows added, which gives the same tables at the cost of that game's
 * rows (the results sinks, issue 15). bs_standings (one game) is this same sum over one
 * game's result, so the arithmetic below exists once.
 *
 * Invariants:
 *  - each row adds a count >= 0 (a negative count in a stored row adds nothing), and an
 *    addition that would pass INT_MAX stays at INT_MAX. Both together make the sum
 *    min(INT_MAX, reference + every row) whatever the order of the rows;
 *  - rows name their team or player by id; a row whose id is not in the reference has
 *    no row to update and is ignored (unrostered shooters live in the box score only);
 *  - the output rows are the reference rows, sorted by id, with the same names.
 */
#include "boxscore.h"

#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* a + b for a count b, saturating at INT_MAX; a negative b adds nothing. */
static int add_count(int a, int b)
{
    if (b <= 0)
        return a;
    return a > INT_MAX - b ? INT_MAX : a + b;
}

/* ---------------------------------------------------------------- one game's result */

static int cmp_player_result(const void *a, const void *b)
{
    int x = ((const bs_player_result *)a)->player_id, y = ((const bs_player_result *)b)->player_id;
    return (x > y) - (x < y);
}

/* Copies at most 3 bytes of a jersey number, never cutting a UTF-8 character. */
static void copy_number(char dst[4], const char *src)
{
    size_t len = src ? strlen(src) : 0, n = 0;
    while (n < len) {
        size_t k = bs_utf8_next(src + n, len - n);
        if (!k || n + k > 3)
            break;
        n += k;
    }
    memcpy(dst, src ? src : "", n);
    dst[n] = '\0';
}

static void team_result(bs_team_result *t, int teamid, int opponent, int score, int opponent_score)
{
    t->teamid = teamid;
    t->opponent = opponent;
    t->score = score;
    t->opponent_score = opponent_score;
    t->result = score > opponent_score ? 'W' : score < opponent_score ? 'L' : 'T';
}

int bs_result_of(const bs_game *g, bs_result *out)
{
    const bs_ref *r = g->ref;
    size_t n = 0;

    memset(out, 0, sizeof *out);
    snprintf(out->game, sizeof out->game, "%s", g->game_id);
    team_result(&out->teams[0], g->teamid[0], g->teamid[1], g->score[0], g->score[1]);
    team_result(&out->teams[1], g->teamid[1], g->teamid[0], g->score[1], g->score[0]);

    n = g->nroster;
    if (!n)
        return 0;
    out->players = malloc(n * sizeof *out->players);
    if (!out->players)
        return -1;
    for (size_t k = 0; k < g->nroster; k++) {
        const bs_player *p = &r->players[g->roster[k]];
        bs_player_result *pr = &out->players[out->nplayers++];
        pr->player_id = p->id;
        pr->teamid = p->teamid;
        copy_number(pr->number, p->number);
        pr->shots = g->pstat[k].shots;   /* pstat is parallel to the roster */
        pr->goals = g->pstat[k].goals;
    }
    qsort(out->players, out->nplayers, sizeof *out->players, cmp_player_result);
    return 0;
}

void bs_result_free(bs_result *r)
{
    free(r->players);
    r->players = NULL;
    r->nplayers = 0;
}

/* ---------------------------------------------------------------- the season sum */

static int cmp_team_id(const void *key, const void *row)
{
    int x = *(const int *)key, y = ((const bs_team *)row)->id;
    return (x > y) - (x < y);
}

static int cmp_player_id(const void *key, const void *row)
{
    int x = *(const int *)key, y = ((const bs_player *)row)->id;
    return (x > y) - (x < y);
}

/* The row of out (sorted by id) with this id, or NULL. */
static bs_team *team_row(bs_ref *out, int id)
{
    return out->nteams ? bsearch(&id, out->teams, out->nteams, sizeof *out->teams, cmp_team_id) : NULL;
}

static bs_player *player_row(bs_ref *out, int id)
{
    return out->nplayers ? bsearch(&id, out->players, out->nplayers, sizeof *out->players, cmp_player_id) : NULL;
}

/* out = a sorted copy of ref. */
static int copy_ref(const bs_ref *ref, bs_ref *out)
{
    for (size_t i = 0; i < ref->nteams; i++) {
        const bs_team *t = &ref->teams[i];
        if (bs_ref_add_team(out, t->id, t->name, t->conference, t->wins, t->losses))
            return -1;
    }
    for (size_t i = 0; i < ref->nplayers; i++) {
        const bs_player *p = &ref->players[i];
        if (bs_ref_add_player(out, p->id, p->name, p->number, p->shots, p->goals, p->teamid))
            return -1;
    }
    bs_ref_sort(out);
    return 0;
}

int bs_season(const bs_ref *ref, const bs_team_result *teams, size_t nteams, const bs_player_result *players,
              size_t nplayers, bs_ref *out)
{
    if (copy_ref(ref, out)) {
        bs_ref_free(out);
        return -1;
    }
    for (size_t i = 0; i < nteams; i++) {
        bs_team *t = team_row(out, teams[i].teamid);
        if (!t)
            continue;
        t->wins = add_count(t->wins, teams[i].result == 'W');
        t->losses = add_count(t->losses, teams[i].result == 'L');
    }
    for (size_t i = 0; i < nplayers; i++) {
        bs_player *p = player_row(out, players[i].player_id);
        if (!p)
            continue;
        p->shots = add_count(p->shots, players[i].shots);
        p->goals = add_count(p->goals, players[i].goals);
    }
    return 0;
}

/* ---------------------------------------------------------------- one game's change */

static int cmp_delta(const void *a, const void *b)
{
    int x = ((const bs_count_delta *)a)->id, y = ((const bs_count_delta *)b)->id;
    return (x > y) - (x < y);
}

/* Sorts the n entries of v by id, sums those of one id, and drops the zero ones: the
 * number left. */
static size_t merge_deltas(bs_count_delta *v, size_t n)
{
    size_t out = 0;
    if (n)
        qsort(v, n, sizeof *v, cmp_delta);
    for (size_t i = 0; i < n; i++) {
        if (out && v[out - 1].id == v[i].id) {
            v[out - 1].d[0] += v[i].d[0];
            v[out - 1].d[1] += v[i].d[1];
        } else {
            v[out++] = v[i];
        }
        if (!v[out - 1].d[0] && !v[out - 1].d[1])
            out--;
    }
    return out;
}

/* What a row adds, as bs_season adds it (negative counts add nothing), times sign. */
static bs_count_delta team_adds(const bs_team_result *t, int sign)
{
    return (bs_count_delta){t->teamid, {sign * (t->result == 'W'), sign * (t->result == 'L')}};
}

static bs_count_delta player_adds(const bs_player_result *p, int sign)
{
    return (bs_count_delta){p->player_id, {sign * (long long)(p->shots > 0 ? p->shots : 0),
                                           sign * (long long)(p->goals > 0 ? p->goals : 0)}};
}

int bs_season_delta(const bs_team_result *old_teams, size_t nold_teams, const bs_player_result *old_players,
                    size_t nold_players, const bs_result *now, bs_count_delta **teams, size_t *nteams,
                    bs_count_delta **players, size_t *nplayers)
{
    size_t nt = nold_teams + 2, np = nold_players + now->nplayers;
    *nteams = *nplayers = 0;
    *teams = malloc(nt * sizeof **teams);
    *players = malloc((np ? np : 1) * sizeof **players);
    if (!*teams || !*players)
        return -1;
    for (size_t i = 0; i < nold_teams; i++)
        (*teams)[i] = team_adds(&old_teams[i], -1);
    for (size_t i = 0; i < 2; i++)
        (*teams)[nold_teams + i] = team_adds(&now->teams[i], 1);
    for (size_t i = 0; i < nold_players; i++)
        (*players)[i] = player_adds(&old_players[i], -1);
    for (size_t i = 0; i < now->nplayers; i++)
        (*players)[nold_players + i] = player_adds(&now->players[i], 1);
    *nteams = merge_deltas(*teams, nt);
    *nplayers = merge_deltas(*players, np);
    return 0;
}

int bs_season_adjust(int v, long long d, int *out)
{
    if (v == INT_MAX && d < 0)
        return -1;
    long long n = (long long)v + d;
    *out = n > INT_MAX ? INT_MAX : n < INT_MIN ? INT_MIN : (int)n;
    return 0;
}
