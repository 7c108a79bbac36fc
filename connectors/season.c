/*
 * season.c — one game's change to teams2/players2 as SQL both SQL backends run: the
 * rows of its two teams and their players, read, changed by what the game's new rows add
 * minus what its old rows added (bs_season_delta, bs_season_adjust), and written back.
 * The SQL is plain (SELECT .. WHERE id IN (..), UPDATE .. SET .. WHERE id = ..), which
 * SQLite, SQL Server and its stand-in all accept; values are integers, never text.
 */
#include "schema.h"

static const char *const tables[2] = {"teams2", "players2"};
static const char *const columns[2][2] = {{"wins", "losses"}, {"shots", "goals"}};

int cn_season_step_init(cn_season_step *s, const cn_game_rows *old, const bs_result *now)
{
    *s = (cn_season_step){0};
    return bs_season_delta(old->teams, old->nteams, old->players, old->nplayers, now, &s->d[0], &s->n[0], &s->d[1],
                           &s->n[1]);
}

bool cn_season_step_select(const cn_season_step *s, int t, bs_buf *out)
{
    if (!s->n[t])
        return false;
    bs_buf_printf(out, "SELECT id, %s, %s FROM %s WHERE id IN (", columns[t][0], columns[t][1], tables[t]);
    for (size_t i = 0; i < s->n[t]; i++)
        bs_buf_printf(out, "%s%d", i ? ", " : "", s->d[t][i].id);
    bs_buf_puts(out, ")");
    return true;
}

static int cmp_id(const void *key, const void *row)
{
    int x = *(const int *)key, y = ((const bs_count_delta *)row)->id;
    return (x > y) - (x < y);
}

void cn_season_step_row(cn_season_step *s, int t, int id, int v0, int v1)
{
    const bs_count_delta *d = bsearch(&id, s->d[t], s->n[t], sizeof *s->d[t], cmp_id);
    int n0, n1;
    if (!d)
        return;
    s->found[t]++;
    if (bs_season_adjust(v0, d->d[0], &n0) || bs_season_adjust(v1, d->d[1], &n1)) {
        s->unknown = true;
        return;
    }
    bs_buf_printf(&s->update, "UPDATE %s SET %s = %d, %s = %d WHERE id = %d; ", tables[t], columns[t][0], n0,
                  columns[t][1], n1, id);
}

bool cn_season_step_whole(const cn_season_step *s)
{
    return s->unknown || s->found[0] != s->n[0] || s->found[1] != s->n[1];
}

void cn_season_step_free(cn_season_step *s)
{
    free(s->d[0]);
    free(s->d[1]);
    bs_buf_free(&s->update);
    *s = (cn_season_step){0};
}
