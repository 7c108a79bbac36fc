/*
 * ref.c — the reference rows (`teams`, `players`) as plain growable arrays.
 *
 * Readers of SQLite and SQL Server fill a bs_ref row by row; the final standings
 * produce another. Rows are kept sorted by id so that every output is stable.
 *
 * The index (bs_ref_index) is two sorted arrays of (key, position): teams by id, players
 * by team id. Ties are kept in position order, so a lookup finds what a scan from the
 * start would find first, and a team's players come in row order. It describes the rows
 * as they were when it was built: every function here that changes the rows drops it.
 */
#include "boxscore.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Names come from databases that may hold any bytes: keep them valid UTF-8 here, once,
 * so that every document, log line and SQL statement made from them is too. */
static char *dup_or_empty(const char *s)
{
    return bs_utf8_dup(s, s ? strlen(s) : 0);
}

static void drop_index(bs_ref *r)
{
    free(r->team_idx);
    free(r->player_idx);
    r->team_idx = r->player_idx = NULL;
}

int bs_ref_add_team(bs_ref *r, int id, const char *name, const char *conference, int wins, int losses)
{
    drop_index(r);
    if (!bs_grow(&r->teams, &r->capteams, r->nteams, sizeof *r->teams))
        return -1;
    bs_team t = {id, dup_or_empty(name), dup_or_empty(conference), wins, losses};
    if (!t.name || !t.conference) {
        free(t.name);
        free(t.conference);
        return -1;
    }
    r->teams[r->nteams++] = t;
    r->digest = 0;
    return 0;
}

int bs_ref_add_player(bs_ref *r, int id, const char *name, const char *number, int shots, int goals,
                      int teamid)
{
    drop_index(r);
    if (!bs_grow(&r->players, &r->capplayers, r->nplayers, sizeof *r->players))
        return -1;
    bs_player p = {id, dup_or_empty(name), dup_or_empty(number), shots, goals, teamid};
    if (!p.name || !p.number) {
        free(p.name);
        free(p.number);
        return -1;
    }
    r->players[r->nplayers++] = p;
    r->digest = 0;
    return 0;
}

static int cmp_team(const void *a, const void *b)
{
    int x = ((const bs_team *)a)->id, y = ((const bs_team *)b)->id;
    return (x > y) - (x < y);
}

static int cmp_player(const void *a, const void *b)
{
    int x = ((const bs_player *)a)->id, y = ((const bs_player *)b)->id;
    return (x > y) - (x < y);
}

void bs_ref_sort(bs_ref *r)
{
    drop_index(r);
    if (r->nteams)
        qsort(r->teams, r->nteams, sizeof *r->teams, cmp_team);
    if (r->nplayers)
        qsort(r->players, r->nplayers, sizeof *r->players, cmp_player);
    r->digest = 0;
}

void bs_ref_free(bs_ref *r)
{
    for (size_t i = 0; i < r->nteams; i++) {
        free(r->teams[i].name);
        free(r->teams[i].conference);
    }
    for (size_t i = 0; i < r->nplayers; i++) {
        free(r->players[i].name);
        free(r->players[i].number);
    }
    free(r->teams);
    free(r->players);
    drop_index(r);
    memset(r, 0, sizeof *r);
}

static int cmp_key(const void *a, const void *b)
{
    const bs_ref_key *x = a, *y = b;
    if (x->key != y->key)
        return (x->key > y->key) - (x->key < y->key);
    return (x->pos > y->pos) - (x->pos < y->pos);
}

/* The first entry of idx[0..n) with this key (n when none). */
static size_t lower_bound(const bs_ref_key *idx, size_t n, int key)
{
    size_t lo = 0, hi = n;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (idx[mid].key < key)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo;
}

int bs_ref_index(bs_ref *r)
{
    drop_index(r);
    if (r->nteams > UINT32_MAX || r->nplayers > UINT32_MAX)
        return -1;
    bs_ref_key *t = malloc((r->nteams ? r->nteams : 1) * sizeof *t);
    bs_ref_key *p = malloc((r->nplayers ? r->nplayers : 1) * sizeof *p);
    if (!t || !p) {
        free(t);
        free(p);
        return -1;
    }
    for (size_t i = 0; i < r->nteams; i++)
        t[i] = (bs_ref_key){r->teams[i].id, (uint32_t)i};
    for (size_t i = 0; i < r->nplayers; i++)
        p[i] = (bs_ref_key){r->players[i].teamid, (uint32_t)i};
    if (r->nteams > 1)
        qsort(t, r->nteams, sizeof *t, cmp_key);
    if (r->nplayers > 1)
        qsort(p, r->nplayers, sizeof *p, cmp_key);
    r->team_idx = t;
    r->player_idx = p;
    return 0;
}

const bs_team *bs_ref_team(const bs_ref *r, int id)
{
    if (r->team_idx) {
        size_t i = lower_bound(r->team_idx, r->nteams, id);
        return i < r->nteams && r->team_idx[i].key == id ? &r->teams[r->team_idx[i].pos] : NULL;
    }
    for (size_t i = 0; i < r->nteams; i++)
        if (r->teams[i].id == id)
            return &r->teams[i];
    return NULL;
}

static uint64_t fnv_int(uint64_t h, long long v)
{
    unsigned char b[8];
    for (int i = 0; i < 8; i++)
        b[i] = (unsigned char)((unsigned long long)v >> (8 * i));
    return bs_fnv1a64(h, b, sizeof b);
}

/* A text and its terminating NUL: "ab","c" and "a","bc" differ. */
static uint64_t fnv_text(uint64_t h, const char *s)
{
    return bs_fnv1a64(h, s, strlen(s) + 1);
}

uint64_t bs_ref_digest(const bs_ref *r)
{
    uint64_t h = fnv_int(fnv_int(BS_FNV1A64_BASIS, (long long)r->nteams), (long long)r->nplayers);
    for (size_t i = 0; i < r->nteams; i++) {
        const bs_team *t = &r->teams[i];
        h = fnv_int(fnv_int(fnv_text(fnv_text(fnv_int(h, t->id), t->name), t->conference), t->wins), t->losses);
    }
    for (size_t i = 0; i < r->nplayers; i++) {
        const bs_player *p = &r->players[i];
        h = fnv_int(fnv_int(fnv_int(fnv_text(fnv_text(fnv_int(h, p->id), p->name), p->number), p->shots), p->goals),
                    p->teamid);
    }
    return h ? h : 1;
}

size_t bs_ref_team_players(const bs_ref *r, int teamid, const bs_ref_key **pos)
{
    *pos = NULL;
    if (!r->player_idx)
        return 0;
    size_t lo = lower_bound(r->player_idx, r->nplayers, teamid), hi = lo;
    while (hi < r->nplayers && r->player_idx[hi].key == teamid)
        hi++;
    *pos = r->player_idx + lo;
    return hi - lo;
}

bool bs_ref_equal(const bs_ref *a, const bs_ref *b)
{
    if (a->nteams != b->nteams || a->nplayers != b->nplayers)
        return false;
    for (size_t i = 0; i < a->nteams; i++) {
        const bs_team *x = &a->teams[i], *y = &b->teams[i];
        if (x->id != y->id || strcmp(x->name, y->name) || strcmp(x->conference, y->conference) ||
            x->wins != y->wins || x->losses != y->losses)
            return false;
    }
    for (size_t i = 0; i < a->nplayers; i++) {
        const bs_player *x = &a->players[i], *y = &b->players[i];
        if (x->id != y->id || strcmp(x->name, y->name) || strcmp(x->number, y->number) ||
            x->shots != y->shots || x->goals != y->goals || x->teamid != y->teamid)
            return false;
    }
    return true;
}

int bs_ref_from_json(const json_t *root, bs_ref *out, char err[BS_ERRLEN])
{
    json_t *teams = json_object_get(root, "teams"), *players = json_object_get(root, "players"), *row;
    size_t i;
    if (!json_is_array(teams) || !json_is_array(players)) {
        snprintf(err, BS_ERRLEN, "expected an object with arrays \"teams\" and \"players\"");
        return -1;
    }
    json_array_foreach(teams, i, row) {
        json_error_t je;
        int id, wins, losses;
        const char *name, *conf;
        if (json_unpack_ex(row, &je, JSON_STRICT, "{s:i, s:s, s:s, s:i, s:i}", "id", &id, "name", &name,
                           "conference", &conf, "wins", &wins, "losses", &losses)) {
            snprintf(err, BS_ERRLEN, "teams[%zu]: %s", i, je.text);
            goto fail;
        }
        if (bs_ref_add_team(out, id, name, conf, wins, losses))
            goto oom;
    }
    json_array_foreach(players, i, row) {
        json_error_t je;
        int id, shots, goals, teamid;
        const char *name, *number;
        if (json_unpack_ex(row, &je, JSON_STRICT, "{s:i, s:s, s:s, s:i, s:i, s:i}", "id", &id, "name", &name,
                           "number", &number, "shots", &shots, "goals", &goals, "teamid", &teamid)) {
            snprintf(err, BS_ERRLEN, "players[%zu]: %s", i, je.text);
            goto fail;
        }
        if (bs_ref_add_player(out, id, name, number, shots, goals, teamid))
            goto oom;
    }
    bs_ref_sort(out);
    return 0;
oom:
    snprintf(err, BS_ERRLEN, "out of memory");
fail:
    bs_ref_free(out);
    return -1;
}
