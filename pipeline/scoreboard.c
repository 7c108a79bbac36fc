/*
 * scoreboard.c — index.json's body. See scoreboard.h.
 */
#include "scoreboard.h"

#include <stdlib.h>
#include <string.h>

#include "app.h"
#include "game_run.h"

/* The position of game in sb (found), or where it goes. */
static size_t find(const scoreboard *sb, const char *game, bool *found)
{
    size_t lo = 0, hi = sb->n;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        int c = strcmp(sb->v[mid].game, game);
        if (!c) {
            *found = true;
            return mid;
        }
        if (c < 0)
            lo = mid + 1;
        else
            hi = mid;
    }
    *found = false;
    return lo;
}

/* The line of g, rendered when it changed; false when out of memory. */
static bool update_line(scoreboard *sb, const game_run *g, bool *changed)
{
    bool found;
    size_t i = find(sb, g->id, &found);
    uint64_t key = gr_summary_key(g, BS_FNV1A64_BASIS);
    if (found && sb->v[i].key == key)
        return true;
    json_t *e = gr_summary(g);
    char *text = e ? json_dumps(e, JSON_COMPACT) : NULL;
    json_decref(e);
    if (!text)
        return false;
    if (!found) {
        char *game = strdup(g->id);
        if (!game || !bs_grow(&sb->v, &sb->cap, sb->n, sizeof *sb->v)) {
            free(game);
            free(text);
            return false;
        }
        memmove(&sb->v[i + 1], &sb->v[i], (sb->n - i) * sizeof *sb->v);
        sb->v[i] = (sb_line){.game = game};
        sb->n++;
    }
    free(sb->v[i].text);
    sb->v[i].text = text;
    sb->v[i].len = strlen(text);
    sb->v[i].key = key;
    *changed = true;
    return true;
}

void sb_keep(scoreboard *sb, const struct game_run *g)
{
    bool changed = false;
    if (g->updated_at[0] && update_line(sb, g, &changed) && changed)
        sb->dirty = true;
}

int sb_update(scoreboard *sb, app *a)
{
    bool changed = !sb->body || sb->dirty;
    for (size_t i = 0; i < a->ngames; i++) {
        const game_run *g = a->games[i];
        if (g->updated_at[0] && !update_line(sb, g, &changed))
            return -1;
    }
    if (!changed)
        return 0;
    bs_buf body = {0};
    uint64_t key = BS_FNV1A64_BASIS;
    bs_buf_puts(&body, "{\"games\":[");
    for (size_t i = 0; i < sb->n; i++) {
        if (i)
            bs_buf_puts(&body, ",");
        bs_buf_add(&body, sb->v[i].text, sb->v[i].len);
        key = bs_fnv1a64(key, &sb->v[i].key, sizeof sb->v[i].key);
    }
    bs_buf_puts(&body, "]}\n");
    size_t len = 0;
    char *text = bs_buf_take(&body, &len);
    if (!text)
        return -1;
    free(sb->body);
    sb->body = text;
    sb->body_len = len;
    sb->key = key;
    sb->dirty = false;
    return 0;
}

void sb_free(scoreboard *sb)
{
    for (size_t i = 0; i < sb->n; i++) {
        free(sb->v[i].game);
        free(sb->v[i].text);
    }
    free(sb->v);
    free(sb->body);
    *sb = (scoreboard){0};
}
