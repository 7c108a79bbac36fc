/*
 * game.c — folds events into the running box score of one game.
 *
 * Invariants kept after every call to bs_game_apply:
 *  - events are applied in increasing id order; an id at or below the last one is a
 *    duplicate and changes nothing but the duplicate counter;
 *  - for each side, the goals of its rostered and unrostered players add up to its
 *    score, and likewise for shots;
 *  - once the game is final nothing is applied until bs_game_reset;
 *  - a shooter is matched to the first player of ref (in id order) with the event's
 *    team and a number that reads as the jersey, or else gets an unrostered entry, kept
 *    in the order of first shots; each stat keeps the id of its first shot, which is
 *    all bs_game_rebase needs to redo the matching over another reference.
 */
#include "boxscore.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int side_of(const bs_game *g, int teamid)
{
    return teamid == g->teamid[0] ? 0 : teamid == g->teamid[1] ? 1 : -1;
}

static bool number_is(const char *number, int jersey)
{
    char *end;
    long v = strtol(number, &end, 10);
    return end != number && *end == '\0' && v == jersey;
}

/* Position in g->roster of the rostered player (teamid, jersey), or -1. The roster
 * holds the two teams' players only (a few dozen), whatever the size of the reference. */
static long find_player(const bs_game *g, int teamid, int jersey)
{
    const bs_ref *r = g->ref;
    for (size_t k = 0; k < g->nroster; k++) {
        const bs_player *p = &r->players[g->roster[k]];
        if (p->teamid == teamid && number_is(p->number, jersey))
            return (long)k;
    }
    return -1;
}

/* The two teams' players as positions in ref->players, in position order (so in id
 * order once the rows are sorted): merged from the index's two runs when the rows have
 * one (O(log players)), else by a scan. n is set first, then roster filled when given. */
static size_t roster_of(const bs_ref *ref, int home, int away, size_t *roster)
{
    const bs_ref_key *h = NULL, *a = NULL;
    size_t nh = bs_ref_team_players(ref, home, &h), na = home == away ? 0 : bs_ref_team_players(ref, away, &a);
    size_t n = 0;
    if (!ref->player_idx) {
        for (size_t i = 0; i < ref->nplayers; i++)
            if (ref->players[i].teamid == home || ref->players[i].teamid == away) {
                if (roster)
                    roster[n] = i;
                n++;
            }
        return n;
    }
    if (!roster)
        return nh + na;
    for (size_t i = 0, j = 0; i < nh || j < na;)
        roster[n++] = j >= na || (i < nh && h[i].pos < a[j].pos) ? h[i++].pos : a[j++].pos;
    return n;
}

bs_game *bs_game_new(const bs_ref *ref, int home, int away, const char *game_id)
{
    bs_game *g = calloc(1, sizeof *g);
    if (!g)
        return NULL;
    g->ref = ref;
    g->teamid[0] = home;
    g->teamid[1] = away;
    strncpy(g->game_id, game_id ? game_id : "", sizeof g->game_id - 1);
    size_t n = roster_of(ref, home, away, NULL);
    g->roster = malloc((n ? n : 1) * sizeof *g->roster);
    g->pstat = calloc(n ? n : 1, sizeof *g->pstat);
    if (!g->roster || !g->pstat) {
        free(g->roster);
        free(g->pstat);
        free(g);
        return NULL;
    }
    g->nroster = roster_of(ref, home, away, g->roster);
    bs_game_reset(g);
    return g;
}

void bs_game_reset(bs_game *g)
{
    g->state = BS_PREGAME;
    g->last_id = -1;
    g->clock = BS_GAME_SECONDS;
    memset(g->score, 0, sizeof g->score);
    memset(g->shots, 0, sizeof g->shots);
    memset(g->qgoals, 0, sizeof g->qgoals);
    memset(g->pstat, 0, (g->nroster ? g->nroster : 1) * sizeof *g->pstat);
    g->nunr = 0;
    g->ngoals = 0;
    memset(&g->n, 0, sizeof g->n);
}

void bs_game_free(bs_game *g)
{
    if (!g)
        return;
    free(g->roster);
    free(g->pstat);
    free(g->unr);
    free(g->goals);
    free(g);
}

int bs_period(int clock)
{
    if (clock >= 2700)
        return 1;
    if (clock >= 1800)
        return 2;
    if (clock >= 900)
        return 3;
    return 4;
}

void bs_format_quarter_clock(int clock, char out[8])
{
    if (clock < 0)
        clock = 0;
    if (clock > BS_GAME_SECONDS)
        clock = BS_GAME_SECONDS;
    int left = clock - (4 - bs_period(clock)) * (BS_GAME_SECONDS / 4); /* 0..900 */
    /* unsigned and bounded, so every build (-O0 too) sees that "mm:ss" fits in 8 bytes */
    unsigned secs = (unsigned)(left < 0 ? 0 : left);
    snprintf(out, 8, "%u:%02u", secs / 60 % 100, secs % 60);
}

double bs_pct(int goals, int shots)
{
    if (shots <= 0)
        return 0.0;
    /* round half up at the hundredths in integers, so 1/8 is 0.13 on every platform */
    long hundredths = ((long)goals * 200 + shots) / (2L * shots);
    return (double)hundredths / 100.0;
}

static bs_stat *unrostered_stat(bs_game *g, int teamid, int jersey)
{
    for (size_t i = 0; i < g->nunr; i++)
        if (g->unr[i].teamid == teamid && g->unr[i].jersey == jersey)
            return &g->unr[i].stat;
    if (g->nunr == g->capunr) {
        size_t cap = g->capunr ? g->capunr * 2 : 8;
        bs_unrostered *p = realloc(g->unr, cap * sizeof *p);
        if (!p)
            return NULL;
        g->unr = p;
        g->capunr = cap;
    }
    g->unr[g->nunr] = (bs_unrostered){teamid, jersey, {0, 0, 0}};
    return &g->unr[g->nunr++].stat;
}

static int reserve_goal(bs_game *g)
{
    if (g->ngoals < g->capgoals)
        return 0;
    size_t cap = g->capgoals ? g->capgoals * 2 : 32;
    bs_goal *p = realloc(g->goals, cap * sizeof *p);
    if (!p)
        return -1;
    g->goals = p;
    g->capgoals = cap;
    return 0;
}

/* Counts a shot (and maybe a goal); -1 when out of memory, with nothing changed. */
static int count_shot(bs_game *g, const bs_event *ev, bs_apply_info *info)
{
    int side = side_of(g, ev->team);
    long pi = find_player(g, ev->team, ev->jersey);
    bs_stat *st;
    if (ev->goal && reserve_goal(g))
        return -1;
    if (pi >= 0) {
        st = &g->pstat[pi];
    } else {
        st = unrostered_stat(g, ev->team, ev->jersey);
        if (!st)
            return -1;
        info->unrostered = true;
        g->n.unrostered_shots++;
    }
    if (st->shots == 0)
        st->first_id = ev->id;
    st->shots++;
    g->shots[side]++;
    if (ev->goal) {
        st->goals++;
        g->score[side]++;
        g->qgoals[side][bs_period(ev->clock) - 1]++;
        g->goals[g->ngoals++] = (bs_goal){ev->id, ev->clock, ev->team, ev->jersey,
                                          pi >= 0 ? g->ref->players[g->roster[pi]].id : -1, g->score[0], g->score[1]};
    }
    return 0;
}

int bs_game_apply(bs_game *g, const bs_event *ev, bs_apply_info *info)
{
    memset(info, 0, sizeof *info);
    if (g->state == BS_FINAL) {
        info->outcome = BS_AFTER_FINAL;
        g->n.after_final++;
        return 0;
    }
    if (ev->id == -1) {
        info->outcome = BS_ENDED_BY_SENTINEL;
        info->final = true;
        g->state = BS_FINAL;
        return 0;
    }
    if (g->state != BS_PREGAME && ev->id <= g->last_id) {
        info->outcome = BS_DUPLICATE;
        g->n.duplicates++;
        return 0;
    }
    long expected = g->state == BS_PREGAME ? 0 : g->last_id + 1;
    if (ev->id != expected) {
        info->gap = true;
        info->expected_id = expected;
    }
    if (g->state != BS_PREGAME && ev->clock > g->clock)
        info->clock_up = true;
    if (ev->team != 0 && count_shot(g, ev, info))
        return -1;
    g->n.gaps += info->gap;
    g->n.clock_warnings += info->clock_up;
    g->n.applied++;
    g->last_id = ev->id;
    g->clock = ev->clock;
    g->state = BS_LIVE;
    if (ev->team == 0 || ev->clock == 0) {
        g->state = BS_FINAL;
        info->final = true;
    }
    info->outcome = BS_APPLIED;
    return 0;
}

/* ---------------------------------------------------------------- rebase */

/* Adds one shooter's numbers to r as the fold would have counted them: to the rostered
 * player with this team and jersey, or else to an unrostered entry. -1 when out of memory. */
static int add_shooter(bs_game *r, int teamid, int jersey, bs_stat st)
{
    long pi = find_player(r, teamid, jersey);
    bs_stat *to = pi >= 0 ? &r->pstat[pi] : unrostered_stat(r, teamid, jersey);
    if (!to)
        return -1;
    if (to->shots == 0 || st.first_id < to->first_id)
        to->first_id = st.first_id;
    to->shots += st.shots;
    to->goals += st.goals;
    if (pi < 0)
        r->n.unrostered_shots += st.shots;
    return 0;
}

/* The fold lists unrostered shooters in the order of their first shot. */
static int cmp_first_shot(const void *a, const void *b)
{
    long x = ((const bs_unrostered *)a)->stat.first_id, y = ((const bs_unrostered *)b)->stat.first_id;
    return (x > y) - (x < y);
}

bs_game *bs_game_rebase(const bs_game *g, const bs_ref *ref)
{
    bs_game *r = bs_game_new(ref, g->teamid[0], g->teamid[1], g->game_id);
    if (!r)
        return NULL;
    r->state = g->state;
    r->last_id = g->last_id;
    r->clock = g->clock;
    memcpy(r->score, g->score, sizeof r->score);
    memcpy(r->shots, g->shots, sizeof r->shots);
    memcpy(r->qgoals, g->qgoals, sizeof r->qgoals);
    r->n = g->n;
    r->n.unrostered_shots = 0;
    /* a rostered player with shots was matched on its number, so the number is the jersey */
    for (size_t k = 0; k < g->nroster; k++) {
        const bs_player *p = &g->ref->players[g->roster[k]];
        if (g->pstat[k].shots > 0 && add_shooter(r, p->teamid, (int)strtol(p->number, NULL, 10), g->pstat[k]))
            goto fail;
    }
    for (size_t i = 0; i < g->nunr; i++)
        if (add_shooter(r, g->unr[i].teamid, g->unr[i].jersey, g->unr[i].stat))
            goto fail;
    if (r->nunr > 1)
        qsort(r->unr, r->nunr, sizeof *r->unr, cmp_first_shot);
    if (g->ngoals) {
        r->goals = malloc(g->ngoals * sizeof *r->goals);
        if (!r->goals)
            goto fail;
        r->capgoals = r->ngoals = g->ngoals;
        for (size_t i = 0; i < g->ngoals; i++) {
            bs_goal s = g->goals[i];
            long pi = find_player(r, s.teamid, s.jersey);
            s.player_id = pi >= 0 ? ref->players[r->roster[pi]].id : -1;
            r->goals[i] = s;
        }
    }
    return r;
fail:
    bs_game_free(r);
    return NULL;
}

/* ---------------------------------------------------------------- feed */

static void feed_line(void *ctx, long lineno, const char *line, size_t len, bool too_long)
{
    bs_feed *f = ctx;
    bs_game *g = f->game;
    bs_event ev;
    bs_apply_info info;
    char err[BS_ERRLEN];
    bs_parse_status st;

    if (f->oom)
        return; /* a line was not applied: nothing after it counts until it is */
    if (too_long) {
        snprintf(err, sizeof err, "line is longer than %d bytes", BS_MAX_LINE);
        st = BS_PARSE_REJECT;
    } else {
        st = bs_parse_line(line, len, g->teamid[0], g->teamid[1], &ev, err);
    }
    if (st == BS_PARSE_BLANK)
        return;
    if (st == BS_PARSE_REJECT) {
        g->n.rejected++;
        if (f->hooks.rejected)
            f->hooks.rejected(f->hooks.ctx, lineno, line, len, err);
        return;
    }
    if (bs_game_apply(g, &ev, &info)) {
        f->oom = 1;
        f->resume_at = f->reader.line_start;
        f->resume_lineno = lineno;
        return;
    }
    if (f->hooks.applied)
        f->hooks.applied(f->hooks.ctx, g, &ev, &info);
}

void bs_feed_init(bs_feed *f, bs_game *g, const bs_feed_hooks *hooks)
{
    memset(f, 0, sizeof *f);
    f->game = g;
    if (hooks)
        f->hooks = *hooks;
    bs_reader_reset(&f->reader);
}

void bs_feed_push(bs_feed *f, const char *data, size_t n)
{
    bs_reader_push(&f->reader, data, n, feed_line, f);
}

void bs_feed_retry(bs_feed *f)
{
    bs_reader *r = &f->reader;
    if (!f->oom)
        return;
    r->len = 0;
    r->overlong = false;
    r->offset = r->line_start = f->resume_at;
    r->lineno = f->resume_lineno;
    f->oom = 0;
}

void bs_feed_restart(bs_feed *f)
{
    bs_reader_reset(&f->reader);
    bs_game_reset(f->game);
    f->oom = 0;
}
