/* A tiny league for the boxscore tests: teams 101 (home) and 205 (away), with two
 * players named alike on 101, and a team 300 that does not play. */
#ifndef TEST_FIXTURE_H
#define TEST_FIXTURE_H

#include <string.h>

#include "boxscore.h"

static inline void fixture_ref(bs_ref *r)
{
    memset(r, 0, sizeof *r);
    bs_ref_add_team(r, 205, "Owls", "Plains", 6, 4);
    bs_ref_add_team(r, 101, "Herons", "Coastal", 7, 3);
    bs_ref_add_team(r, 300, "Idle", "Coastal", 1, 1);
    bs_ref_add_player(r, 3, "Chris Walker", "7", 10, 2, 101);
    bs_ref_add_player(r, 1, "Liam O'Brien", "2", 20, 5, 101);
    bs_ref_add_player(r, 2, "Chris Walker", "8", 30, 9, 101);
    bs_ref_add_player(r, 4, "Zoë Hart", "5", 0, 0, 205);
    bs_ref_add_player(r, 5, "Sam Okafor", "9", 12, 3, 205);
    bs_ref_add_player(r, 6, "Idle Player", "1", 4, 1, 300);
    bs_ref_sort(r);
}

typedef struct fold_log {
    int applied, duplicates, after_final, rejected, gaps, clock_up, unrostered, finals;
    long last_reject_line;
    char last_reason[BS_ERRLEN];
} fold_log;

static inline void fold_applied(void *ctx, const bs_game *g, const bs_event *ev, const bs_apply_info *info)
{
    fold_log *l = ctx;
    (void)g;
    (void)ev;
    l->applied += info->outcome == BS_APPLIED;
    l->duplicates += info->outcome == BS_DUPLICATE;
    l->after_final += info->outcome == BS_AFTER_FINAL;
    l->gaps += info->gap;
    l->clock_up += info->clock_up;
    l->unrostered += info->unrostered;
    l->finals += info->final;
}

static inline void fold_rejected(void *ctx, long lineno, const char *line, size_t len, const char *reason)
{
    fold_log *l = ctx;
    (void)line;
    (void)len;
    l->rejected++;
    l->last_reject_line = lineno;
    snprintf(l->last_reason, sizeof l->last_reason, "%s", reason);
}

/* Folds the whole text into g through a feed; returns what the hooks saw. */
static inline fold_log fold_text(bs_game *g, const char *text)
{
    fold_log log = {0};
    bs_feed f;
    bs_feed_hooks h = {fold_applied, fold_rejected, &log};
    bs_feed_init(&f, g, &h);
    bs_feed_push(&f, text, strlen(text));
    return log;
}

/* True when, in a rendered document, each side's players' goals and shots add up to
 * the side's score and shots. Also used by the fuzz targets (fuzz/). */
static inline bool document_sums_add_up(const json_t *doc)
{
    static const char *const sides[] = {"home", "away"};
    for (int s = 0; s < 2; s++) {
        json_t *side = json_object_get(doc, sides[s]), *p;
        size_t i;
        json_int_t goals = 0, shots = 0;
        json_array_foreach(json_object_get(side, "players"), i, p) {
            goals += json_integer_value(json_object_get(p, "goals"));
            shots += json_integer_value(json_object_get(p, "shots"));
        }
        if (goals != json_integer_value(json_object_get(side, "score")) ||
            shots != json_integer_value(json_object_get(side, "shots")))
            return false;
    }
    return true;
}

#endif
