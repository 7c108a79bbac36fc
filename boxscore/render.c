/*
 * render.c — the box-score document, one JSON object a web page reads in one query.
 *
 * The shape is documented field by field in the README ("The box-score document").
 * Every rostered player of both teams is listed, ordered by player id, even with no
 * shots; shooters missing from the roster follow as unrostered entries so that the
 * players' goals always add up to the team score.
 */
#include "boxscore.h"

#include <stdio.h>
#include <string.h>

static const char *status_of(int mine, int theirs)
{
    return mine > theirs ? "winning" : mine < theirs ? "losing" : "tied";
}

static const char *state_name(bs_state s)
{
    return s == BS_FINAL ? "final" : "in_progress";
}

static json_t *player_json(json_t *id, json_t *name, const char *number, bs_stat st, bool rostered)
{
    return json_pack("{s:o, s:o, s:s, s:i, s:i, s:f, s:b}", "id", id, "name", name, "number", number,
                     "shots", st.shots, "goals", st.goals, "pct", bs_pct(st.goals, st.shots), "rostered",
                     rostered);
}

static json_t *players_json(const bs_game *g, int teamid)
{
    const bs_ref *r = g->ref;
    json_t *arr = json_array();
    if (!arr)
        return NULL;
    /* the roster follows r->players, sorted by id (bs_ref_sort), so this walk is in id order */
    for (size_t k = 0; k < g->nroster; k++) {
        const bs_player *p = &r->players[g->roster[k]];
        if (p->teamid != teamid)
            continue;
        if (json_array_append_new(arr, player_json(json_integer(p->id), json_string(p->name), p->number,
                                                   g->pstat[k], true))) {
            json_decref(arr);
            return NULL;
        }
    }
    for (size_t i = 0; i < g->nunr; i++) {
        const bs_unrostered *u = &g->unr[i];
        char num[16];
        if (u->teamid != teamid)
            continue;
        snprintf(num, sizeof num, "%d", u->jersey);
        if (json_array_append_new(arr, player_json(json_null(), json_null(), num, u->stat, false))) {
            json_decref(arr);
            return NULL;
        }
    }
    return arr;
}

static json_t *side_json(const bs_game *g, int side)
{
    int teamid = g->teamid[side];
    const bs_team *t = bs_ref_team(g->ref, teamid);
    json_t *players = players_json(g, teamid);
    if (!players)
        return NULL;
    /* a team missing from teams: its name and record are unknown (null), as for an
     * unrostered player; a rebase onto rows that hold it fills them */
    return json_pack("{s:i, s:s?, s:s?, s:o, s:o, s:i, s:s, s:i, s:f, s:[iiii], s:o}", "teamid", teamid, "name",
                     t ? t->name : NULL, "conference", t ? t->conference : NULL, "wins",
                     t ? json_integer(t->wins) : json_null(), "losses", t ? json_integer(t->losses) : json_null(),
                     "score", g->score[side], "status",
                     status_of(g->score[side], g->score[1 - side]), "shots", g->shots[side], "pct",
                     bs_pct(g->score[side], g->shots[side]), "line_score", g->qgoals[side][0],
                     g->qgoals[side][1], g->qgoals[side][2], g->qgoals[side][3], "players", players);
}

static const char *player_name(const bs_game *g, int player_id)
{
    for (size_t k = 0; k < g->nroster; k++)
        if (g->ref->players[g->roster[k]].id == player_id)
            return g->ref->players[g->roster[k]].name;
    return NULL;
}

static json_t *scoring_json(const bs_game *g)
{
    json_t *arr = json_array();
    for (size_t i = 0; arr && i < g->ngoals; i++) {
        const bs_goal *s = &g->goals[i];
        char clk[8], qclk[8], num[16];
        const char *name = s->player_id >= 0 ? player_name(g, s->player_id) : NULL;
        bs_format_clock(s->clock, clk);
        bs_format_quarter_clock(s->clock, qclk);
        snprintf(num, sizeof num, "%d", s->jersey);
        json_t *e = json_pack("{s:I, s:s, s:i, s:s, s:i, s:s, s:o, s:o, s:i, s:i}", "event_id",
                              (json_int_t)s->event_id, "timestamp", clk, "period", bs_period(s->clock),
                              "quarter_clock", qclk, "teamid", s->teamid, "number", num,
                              "player_id", s->player_id >= 0 ? json_integer(s->player_id) : json_null(), "name",
                              name ? json_string(name) : json_null(), "home_score", s->home_score, "away_score",
                              s->away_score);
        if (json_array_append_new(arr, e)) {
            json_decref(arr);
            return NULL;
        }
    }
    return arr;
}

json_t *bs_render(const bs_game *g, const char *updated_at)
{
    char clk[8], qclk[8];
    if (g->state == BS_PREGAME)
        return NULL;
    bs_format_clock(g->clock, clk);
    bs_format_quarter_clock(g->clock, qclk);
    json_t *home = side_json(g, 0), *away = side_json(g, 1), *scoring = scoring_json(g);
    if (!home || !away || !scoring) {
        json_decref(home);
        json_decref(away);
        json_decref(scoring);
        return NULL;
    }
    return json_pack("{s:I, s:s, s:s, s:s, s:i, s:s, s:o, s:o, s:o, s:{s:I, s:I, s:I, s:I}, s:s}", "_id",
                     (json_int_t)g->last_id, "game", g->game_id, "timestamp", clk, "state", state_name(g->state),
                     "period", bs_period(g->clock), "quarter_clock", qclk, "home", home, "away", away, "scoring", scoring, "events",
                     "applied", (json_int_t)g->n.applied, "rejected", (json_int_t)g->n.rejected, "duplicates",
                     (json_int_t)g->n.duplicates, "unrostered_shots", (json_int_t)g->n.unrostered_shots,
                     "updated_at", updated_at ? updated_at : "");
}
