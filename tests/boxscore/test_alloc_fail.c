/* Allocation-failure injection, in the SQLite style: for every N, the Nth allocation
 * fails (once, or that one and every later one), over a whole game: the reference read
 * from JSON, a random game, parse and fold through bs_feed in chunks, every document,
 * the standings and a rebase. After each failure the state must be consistent (a failed
 * line leaves the game equal to the fold of the lines before it, and retrying from
 * there gives the whole game), nothing may crash, and nothing may leak (LSan in the
 * sanitizer build).
 *
 * The failures are injected in this test binary only: it is linked with
 * -Wl,--wrap=malloc,--wrap=calloc,--wrap=realloc,--wrap=strdup, which sends the
 * calls made by boxscore (a static library) here; jansson, a shared library, gets the
 * same allocator through json_set_alloc_funcs. boxscore itself keeps no globals. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "boxscore.h"

/* ---------------------------------------------------------------- the injector */

static long fail_at;      /* the allocation to fail, counting from 1; 0: none */
static bool fail_after;   /* fail every allocation from fail_at on */
static long nalloc;       /* allocations since arm() */
static long nfailed;      /* failures injected since arm() */

void *__real_malloc(size_t n);
void *__real_calloc(size_t n, size_t size);
void *__real_realloc(void *p, size_t n);
char *__real_strdup(const char *s);

static bool fail_now(void)
{
    if (!fail_at)
        return false;
    long k = ++nalloc;
    if (k == fail_at || (fail_after && k > fail_at)) {
        nfailed++;
        return true;
    }
    return false;
}

void *__wrap_malloc(size_t n) { return fail_now() ? NULL : __real_malloc(n); }
void *__wrap_calloc(size_t n, size_t size) { return fail_now() ? NULL : __real_calloc(n, size); }
void *__wrap_realloc(void *p, size_t n) { return fail_now() ? NULL : __real_realloc(p, n); }
char *__wrap_strdup(const char *s) { return fail_now() ? NULL : __real_strdup(s); }
static void *json_malloc(size_t n) { return fail_now() ? NULL : __real_malloc(n); }

static void arm(long n, bool after)
{
    fail_at = n;
    fail_after = after;
    nalloc = nfailed = 0;
}

static void disarm(void) { fail_at = 0; }

/* Runs fn(ctx) with the Nth allocation failing, for N = 1, 2, ... until a run sees no
 * failure; both modes. Returns how many allocations the clean run made. */
static long for_every_n(void (*fn)(void *ctx), void *ctx)
{
    long n = 1;
    for (int after = 0; after < 2; after++) {
        for (n = 1;; n++) {
            arm(n, after);
            fn(ctx);
            bool failed = nfailed > 0;
            disarm();
            if (!failed)
                break;
        }
    }
    return n - 1;
}

/* ---------------------------------------------------------------- comparing games */

static void assert_stat_equal(bs_stat a, bs_stat b)
{
    assert_int_equal(a.shots, b.shots);
    assert_int_equal(a.goals, b.goals);
    if (a.shots)
        assert_int_equal(a.first_id, b.first_id);
}

/* Everything a game holds but its capacities. */
static void assert_game_equal(const bs_game *a, const bs_game *b)
{
    assert_ptr_equal(a->ref, b->ref);
    assert_int_equal(a->state, b->state);
    assert_int_equal(a->last_id, b->last_id);
    assert_int_equal(a->clock, b->clock);
    assert_memory_equal(a->score, b->score, sizeof a->score);
    assert_memory_equal(a->shots, b->shots, sizeof a->shots);
    assert_memory_equal(a->qgoals, b->qgoals, sizeof a->qgoals);
    assert_memory_equal(&a->n, &b->n, sizeof a->n);
    assert_int_equal(a->nroster, b->nroster);
    for (size_t i = 0; i < a->nroster; i++) {
        assert_int_equal(a->roster[i], b->roster[i]);
        assert_stat_equal(a->pstat[i], b->pstat[i]);
    }
    assert_int_equal(a->nunr, b->nunr);
    for (size_t i = 0; i < a->nunr; i++) {
        assert_int_equal(a->unr[i].teamid, b->unr[i].teamid);
        assert_int_equal(a->unr[i].jersey, b->unr[i].jersey);
        assert_stat_equal(a->unr[i].stat, b->unr[i].stat);
    }
    assert_int_equal(a->ngoals, b->ngoals);
    if (a->ngoals)
        assert_memory_equal(a->goals, b->goals, a->ngoals * sizeof *a->goals);
}

/* ---------------------------------------------------------------- the games */

typedef struct game_case {
    const char *name;
    bs_ref ref;
    char *text;
    size_t len;
    int home, away;
    bs_game *clean;   /* folded without failures */
} game_case;

static bs_game *fold_clean(const bs_ref *ref, int home, int away, const char *text, size_t len)
{
    bs_game *g = bs_game_new(ref, home, away, "a");
    bs_feed f;
    assert_non_null(g);
    bs_feed_init(&f, g, NULL);
    bs_feed_push(&f, text, len);
    assert_false(f.oom);
    return g;
}

static char *read_file(const char *path, size_t *len)
{
    FILE *fp = fopen(path, "rb");
    assert_non_null(fp);
    char *buf = malloc(1 << 20);
    *len = fread(buf, 1, 1 << 20, fp);
    fclose(fp);
    return buf;
}

/* The sample game over sql/data/reference.json, and a random game. A few garbage lines
 * (rejected) and a BOM make the reader and the reject path part of every run. */
static void load_cases(game_case c[2])
{
    json_error_t je;
    char err[BS_ERRLEN];
    json_t *root = json_load_file(SAMPLE_DIR "/reference.json", 0, &je);
    assert_non_null(root);
    memset(c, 0, 2 * sizeof *c);
    c[0].name = "sample";
    assert_int_equal(bs_ref_from_json(root, &c[0].ref, err), 0);
    json_decref(root);
    size_t glen;
    char *game = read_file(SAMPLE_DIR "/game.txt", &glen);
    static const char prefix[] = "\xEF\xBB\xBF" "garbage line\r\n\n7 61:00 101 2 1\n";
    c[0].text = malloc(sizeof prefix + glen);
    memcpy(c[0].text, prefix, sizeof prefix - 1);
    memcpy(c[0].text + sizeof prefix - 1, game, glen);
    c[0].len = sizeof prefix - 1 + glen;
    free(game);
    c[0].home = 101;
    c[0].away = 205;

    c[1].name = "random";
    assert_int_equal(bs_random_game(7, 101, 205, &c[1].ref, &c[1].text, &c[1].len), 0);
    c[1].home = 101;
    c[1].away = 205;
    /* a player dropped from the roster, so the random game has unrostered shooters too */
    free(c[1].ref.players[3].name);
    free(c[1].ref.players[3].number);
    c[1].ref.players[3] = c[1].ref.players[--c[1].ref.nplayers];
    bs_ref_sort(&c[1].ref);
    for (int i = 0; i < 2; i++)
        c[i].clean = fold_clean(&c[i].ref, c[i].home, c[i].away, c[i].text, c[i].len);
}

static void free_cases(game_case c[2])
{
    for (int i = 0; i < 2; i++) {
        bs_game_free(c[i].clean);
        bs_ref_free(&c[i].ref);
        free(c[i].text);
    }
}

/* ---------------------------------------------------------------- the runs */

/* Parse and fold the whole game in chunks of 1..61 bytes; after each failure, check the
 * game against a clean fold of the bytes before the failed line, then retry from there. */
static void fold_run(void *ctx)
{
    const game_case *c = ctx;
    bs_game *g;
    while (!(g = bs_game_new(&c->ref, c->home, c->away, "a"))) {
        assert_true(nfailed > 0);
        if (fail_after)
            disarm();
    }
    bs_feed f;
    bs_feed_init(&f, g, NULL);
    unsigned rng = 12345;
    for (size_t off = 0; off < c->len;) {
        size_t n = 1 + (size_t)rand_r(&rng) % 61;
        n = n > c->len - off ? c->len - off : n;
        bs_feed_push(&f, c->text + off, n);
        off += n;
        if (!f.oom)
            continue;
        assert_true(nfailed > 0);
        long saved = fail_at;
        disarm();
        bs_game *prefix = fold_clean(&c->ref, c->home, c->away, c->text, (size_t)f.resume_at);
        assert_game_equal(g, prefix);
        bs_game_free(prefix);
        fail_at = saved;
        assert_true(f.resume_at < off);
        bs_feed_retry(&f);
        off = (size_t)f.resume_at;
        if (fail_after)
            disarm(); /* let the retry through; the run still counts as failed */
    }
    assert_false(f.oom);
    assert_game_equal(g, c->clean);
    bs_game_free(g);
}

typedef struct doc_run {
    const bs_game *g;
    json_t *expected;
} doc_run;

static void render_run(void *ctx)
{
    doc_run *d = ctx;
    json_t *doc = bs_render(d->g, "t");
    if (!doc) {
        assert_true(nfailed > 0);
        return;
    }
    assert_true(json_equal(doc, d->expected));
    json_decref(doc);
}

typedef struct standings_run {
    const bs_game *g;
    const bs_ref *expected;
    bool tie;
} standings_run;

static void standings_run_fn(void *ctx)
{
    standings_run *s = ctx;
    bs_ref out = {0};
    bool tie;
    if (bs_standings(s->g, &out, &tie)) {
        assert_true(nfailed > 0);
        assert_int_equal(out.nteams + out.nplayers, 0); /* emptied */
        return;
    }
    assert_true(bs_ref_equal(&out, s->expected));
    assert_int_equal(tie, s->tie);
    bs_ref_free(&out);
}

typedef struct rebase_run {
    const bs_game *g;
    const bs_ref *to;
    const bs_game *expected;
} rebase_run;

static void rebase_run_fn(void *ctx)
{
    rebase_run *r = ctx;
    bs_game *g = bs_game_rebase(r->g, r->to);
    if (!g) {
        assert_true(nfailed > 0);
        return;
    }
    assert_game_equal(g, r->expected);
    bs_game_free(g);
}

static void ref_run(void *ctx)
{
    const json_t *root = ctx;
    bs_ref ref = {0};
    char err[BS_ERRLEN];
    if (bs_ref_from_json(root, &ref, err)) {
        /* the reason may be jansson's: out of memory in its JSON_STRICT key check is
         * reported as "1 object item(s) left unpacked" */
        assert_true(nfailed > 0);
        assert_true(err[0] != '\0');
        assert_int_equal(ref.nteams + ref.nplayers, 0);
        return;
    }
    bs_ref_free(&ref);
}

static void random_run(void *ctx)
{
    (void)ctx;
    bs_ref ref = {0};
    char *text = NULL;
    size_t len;
    if (bs_random_game(99, 101, 205, &ref, &text, &len))
        assert_true(nfailed > 0);
    else
        free(text);
    bs_ref_free(&ref);
}

/* ---------------------------------------------------------------- the tests */

static void reference_and_random_game_survive_every_failure(void **state)
{
    (void)state;
    json_error_t je;
    json_t *root = json_load_file(SAMPLE_DIR "/reference.json", 0, &je);
    assert_non_null(root);
    long n = for_every_n(ref_run, root);
    json_decref(root);
    assert_true(n > 10);
    assert_true(for_every_n(random_run, NULL) > 10);
}

static void fold_survives_every_failure_and_retries(void **state)
{
    game_case *c = *state;
    for (int i = 0; i < 2; i++) {
        long n = for_every_n(fold_run, &c[i]);
        print_message("%s: fold makes %ld allocations\n", c[i].name, n);
        assert_true(n >= 3);
    }
}

/* Every document of the game, as it stood after each applied event. */
static void every_document_survives_every_failure(void **state)
{
    game_case *c = *state;
    for (int i = 0; i < 2; i++) {
        bs_game *g = bs_game_new(&c[i].ref, c[i].home, c[i].away, "a");
        bs_feed f;
        bs_feed_init(&f, g, NULL);
        long docs = 0, allocs = 0;
        size_t start = 0;
        for (size_t k = 0; k < c[i].len; k++) {
            if (c[i].text[k] != '\n')
                continue;
            long applied = g->n.applied;
            bs_feed_push(&f, c[i].text + start, k + 1 - start);
            start = k + 1;
            if (g->n.applied == applied || g->state == BS_PREGAME)
                continue;
            doc_run d = {g, bs_render(g, "t")};
            assert_non_null(d.expected);
            allocs += for_every_n(render_run, &d);
            json_decref(d.expected);
            docs++;
        }
        print_message("%s: %ld documents, %ld allocations\n", c[i].name, docs, allocs);
        assert_true(docs > 10);
        bs_game_free(g);
    }
}

static void standings_and_rebase_survive_every_failure(void **state)
{
    game_case *c = *state;
    for (int i = 0; i < 2; i++) {
        standings_run s = {c[i].clean, NULL, false};
        bs_ref expected = {0};
        assert_int_equal(bs_standings(c[i].clean, &expected, &s.tie), 0);
        s.expected = &expected;
        assert_true(for_every_n(standings_run_fn, &s) > 0);
        bs_ref_free(&expected);

        /* rebase onto the other case's roster and back onto its own */
        const bs_ref *to[2] = {&c[1 - i].ref, &c[i].ref};
        for (int k = 0; k < 2; k++) {
            bs_game *want = bs_game_rebase(c[i].clean, to[k]);
            assert_non_null(want);
            rebase_run r = {c[i].clean, to[k], want};
            assert_true(for_every_n(rebase_run_fn, &r) >= 2);
            bs_game_free(want);
        }
    }
}

static int setup(void **state)
{
    static game_case cases[2];
    json_set_alloc_funcs(json_malloc, free);
    load_cases(cases);
    *state = cases;
    return 0;
}

static int teardown(void **state)
{
    free_cases(*state);
    return 0;
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(reference_and_random_game_survive_every_failure),
        cmocka_unit_test(fold_survives_every_failure_and_retries),
        cmocka_unit_test(every_document_survives_every_failure),
        cmocka_unit_test(standings_and_rebase_survive_every_failure),
    };
    return cmocka_run_group_tests_name("boxscore/alloc_fail", tests, setup, teardown);
}
