/*
 * fuzz_boxscore.c — libFuzzer target over the stream reader, the parser, the fold and
 * (built as fuzz_render) the rendered documents.
 *
 * Input: byte 0 seeds the chunking and byte 1 bounds the chunk size (1..256); the rest
 * is a stream for the sample game (teams 101 vs 205 over sql/data/reference.json). The
 * stream is folded whole and in those chunks through bs_feed, and the target aborts
 * unless both folds agree (every field of the game, every counter) and each team's
 * players' goals and shots add up to its score and shots. fuzz_render also renders the
 * document after every applied event of the whole fold and checks the sums in each,
 * compares the final documents of both folds and the standings, and rebases the
 * game onto its own reference (which must change nothing). fuzz_fold leaves rendering
 * out to run ten times as many inputs.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fixture.h" /* tests/boxscore: document_sums_add_up */

#ifndef RENDER_ALL
#define RENDER_ALL 0
#endif

#define HOME 101
#define AWAY 205

static bs_ref ref;

#define check(cond) ((cond) ? (void)0 : fail(#cond, __LINE__))

static void fail(const char *what, int line)
{
    fprintf(stderr, "fuzz_boxscore.c:%d: check failed: %s\n", line, what);
    abort();
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    (void)argc;
    (void)argv;
    const char *path = getenv("BS_FUZZ_REFERENCE");
    json_error_t je;
    char err[BS_ERRLEN];
    json_t *root = json_load_file(path ? path : BS_FUZZ_REFERENCE, 0, &je);
    if (!root || bs_ref_from_json(root, &ref, err)) {
        fprintf(stderr, "cannot read the reference %s\n", path ? path : BS_FUZZ_REFERENCE);
        exit(1);
    }
    json_decref(root);
    return 0;
}

/* What one fold saw, hook by hook. */
typedef struct fold_trace {
    long applied, rejected;
    bool render;  /* render (and check) the document after every applied event */
} fold_trace;

static char *dump(const bs_game *g)
{
    json_t *doc = bs_render(g, "t");
    char *s = doc ? json_dumps(doc, JSON_SORT_KEYS | JSON_COMPACT) : NULL;
    check(doc && s);
    json_decref(doc);
    return s;
}

static void on_applied(void *ctx, const bs_game *g, const bs_event *ev, const bs_apply_info *info)
{
    fold_trace *t = ctx;
    (void)ev;
    t->applied += info->outcome == BS_APPLIED;
    if (!t->render || g->state == BS_PREGAME)
        return;
    json_t *doc = bs_render(g, "t");
    check(doc != NULL);
    check(document_sums_add_up(doc));
    json_decref(doc);
}

static void on_rejected(void *ctx, long lineno, const char *line, size_t len, const char *reason)
{
    fold_trace *t = ctx;
    (void)lineno;
    (void)line;
    (void)len;
    check(reason && reason[0]);
    t->rejected++;
}

/* The fold's own sums: rostered and unrostered players against the side's totals. */
static void check_fold_sums(const bs_game *g)
{
    for (int s = 0; s < 2; s++) {
        long goals = 0, shots = 0;
        for (size_t i = 0; i < g->nroster; i++)
            if (g->ref->players[g->roster[i]].teamid == g->teamid[s]) {
                goals += g->pstat[i].goals;
                shots += g->pstat[i].shots;
            }
        for (size_t i = 0; i < g->nunr; i++)
            if (g->unr[i].teamid == g->teamid[s]) {
                goals += g->unr[i].stat.goals;
                shots += g->unr[i].stat.shots;
            }
        check(goals == g->score[s]);
        check(shots == g->shots[s]);
        check(g->qgoals[s][0] + g->qgoals[s][1] + g->qgoals[s][2] + g->qgoals[s][3] == g->score[s]);
    }
    check((size_t)(g->score[0] + g->score[1]) == g->ngoals);
}

static bool same_stat(bs_stat a, bs_stat b)
{
    return a.shots == b.shots && a.goals == b.goals && (!a.shots || a.first_id == b.first_id);
}

/* Everything two games over the same reference hold, but their capacities. */
static void check_same_fold(const bs_game *a, const bs_game *b)
{
    check(a->state == b->state && a->last_id == b->last_id && a->clock == b->clock);
    check(!memcmp(a->score, b->score, sizeof a->score) && !memcmp(a->shots, b->shots, sizeof a->shots));
    check(!memcmp(a->qgoals, b->qgoals, sizeof a->qgoals) && !memcmp(&a->n, &b->n, sizeof a->n));
    check(a->nroster == b->nroster);
    for (size_t i = 0; i < a->nroster; i++)
        check(a->roster[i] == b->roster[i] && same_stat(a->pstat[i], b->pstat[i]));
    check(a->nunr == b->nunr && a->ngoals == b->ngoals);
    for (size_t i = 0; i < a->nunr; i++)
        check(a->unr[i].teamid == b->unr[i].teamid && a->unr[i].jersey == b->unr[i].jersey &&
              same_stat(a->unr[i].stat, b->unr[i].stat));
    check(!a->ngoals || !memcmp(a->goals, b->goals, a->ngoals * sizeof *a->goals));
}

static void check_same_document(const bs_game *a, const bs_game *b)
{
    check(a->state == b->state);
    if (a->state == BS_PREGAME)
        return;
    char *da = dump(a), *db = dump(b);
    check(strcmp(da, db) == 0);
    free(da);
    free(db);
}

static void check_standings(const bs_game *a, const bs_game *b)
{
    bs_ref sa = {0}, sb = {0};
    bool ta, tb;
    check(bs_standings(a, &sa, &ta) == 0);
    check(bs_standings(b, &sb, &tb) == 0);
    check(bs_ref_equal(&sa, &sb) && ta == tb);
    bs_ref_free(&sa);
    bs_ref_free(&sb);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 2)
        return 0;
    uint64_t rng = data[0] * 0x9E3779B97F4A7C15ULL + 1;
    size_t maxchunk = (size_t)data[1] + 1;
    const char *text = (const char *)data + 2;
    size_t len = size - 2;

    bs_game *whole = bs_game_new(&ref, HOME, AWAY, "fuzz"), *chunked = bs_game_new(&ref, HOME, AWAY, "fuzz");
    check(whole && chunked);
    fold_trace tw = {0, 0, RENDER_ALL}, tc = {0, 0, false};
    bs_feed fw, fc;
    bs_feed_hooks hw = {on_applied, on_rejected, &tw}, hc = {on_applied, on_rejected, &tc};
    bs_feed_init(&fw, whole, &hw);
    bs_feed_init(&fc, chunked, &hc);

    bs_feed_push(&fw, text, len);
    for (size_t off = 0; off < len;) {
        rng = rng * 6364136223846793005ULL + 1442695040888963407ULL;
        size_t n = 1 + (size_t)(rng >> 33) % maxchunk;
        n = n > len - off ? len - off : n;
        bs_feed_push(&fc, text + off, n);
        off += n;
    }
    check(!fw.oom && !fc.oom);
    check(tw.applied == tc.applied && tw.rejected == tc.rejected);
    check(tw.rejected == whole->n.rejected);
    check_fold_sums(whole);
    check_same_fold(whole, chunked);
    if (RENDER_ALL) {
        check_same_document(whole, chunked);
        if (whole->state != BS_PREGAME)
            check_standings(whole, chunked);
        bs_game *same = bs_game_rebase(whole, &ref);
        check(same != NULL);
        check_same_fold(whole, same);
        check_same_document(whole, same);
        bs_game_free(same);
    }
    bs_game_free(whole);
    bs_game_free(chunked);
    return 0;
}
