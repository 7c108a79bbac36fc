/* Property: over many random games, folding in random chunk sizes (partial lines
 * included) gives exactly the document and standings of folding the whole stream
 * at once; and the players' goals always add up to the team score. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "fixture.h"

#define GAMES 300

static char *render(const bs_game *g)
{
    json_t *doc = bs_render(g, "fixed");
    char *s = json_dumps(doc, JSON_SORT_KEYS | JSON_COMPACT);
    json_decref(doc);
    return s;
}

static void check_goals_add_up(const bs_game *g)
{
    json_t *doc = bs_render(g, "fixed");
    assert_true(document_sums_add_up(doc));
    json_decref(doc);
}

static void chunked_fold_equals_whole_fold(void **state)
{
    (void)state;
    for (uint64_t seed = 1; seed <= GAMES; seed++) {
        bs_ref ref = {0};
        char *text;
        size_t len;
        assert_int_equal(bs_random_game(seed, 101, 205, &ref, &text, &len), 0);

        bs_game *whole = bs_game_new(&ref, 101, 205, "p"), *chunked = bs_game_new(&ref, 101, 205, "p");
        bs_feed fw, fc;
        bs_feed_init(&fw, whole, NULL);
        bs_feed_init(&fc, chunked, NULL);
        bs_feed_push(&fw, text, len);
        unsigned rng = (unsigned)seed;
        for (size_t off = 0; off < len;) {
            size_t n = 1 + (size_t)rand_r(&rng) % 40;
            if (n > len - off)
                n = len - off;
            bs_feed_push(&fc, text + off, n);
            off += n;
        }
        assert_int_equal(whole->state, BS_FINAL);
        char *a = render(whole), *b = render(chunked);
        assert_string_equal(a, b);
        check_goals_add_up(whole);

        bs_ref sa = {0}, sb = {0};
        bool ta, tb;
        assert_int_equal(bs_standings(whole, &sa, &ta), 0);
        assert_int_equal(bs_standings(chunked, &sb, &tb), 0);
        assert_true(bs_ref_equal(&sa, &sb));
        assert_int_equal(ta, tb);

        free(a);
        free(b);
        bs_ref_free(&sa);
        bs_ref_free(&sb);
        bs_game_free(whole);
        bs_game_free(chunked);
        bs_ref_free(&ref);
        free(text);
    }
}

/* Builds a random game with garbage mixed in: random bytes (NULs, high bytes, CRs,
 * over-long runs) as whole lines between the real ones. */
static char *with_garbage(const char *text, size_t len, unsigned *rng, size_t *outlen, int *ngarbage)
{
    size_t cap = len * 3 + 8192, n = 0;
    char *out = malloc(cap);
    *ngarbage = 0;
    for (size_t i = 0; i < len;) {
        const char *nl = memchr(text + i, '\n', len - i);
        size_t l = (size_t)(nl - (text + i)) + 1;
        memcpy(out + n, text + i, l);
        n += l;
        i += l;
        if (rand_r(rng) % 4 == 0 && n + 2100 < cap) {
            size_t g = (size_t)rand_r(rng) % (rand_r(rng) % 10 == 0 ? 2000 : 40);
            for (size_t k = 0; k < g; k++) {
                char c = (char)(rand_r(rng) % 256);
                out[n++] = c == '\n' ? 'x' : c;
            }
            out[n++] = '\n';
            (*ngarbage)++;
        }
    }
    *outlen = n;
    return out;
}

static void garbage_never_crashes_and_chunking_still_does_not_matter(void **state)
{
    (void)state;
    for (uint64_t seed = 1; seed <= 100; seed++) {
        bs_ref ref = {0};
        char *text, *dirty;
        size_t len, dlen;
        int ngarbage;
        unsigned rng = (unsigned)seed * 7919u;
        assert_int_equal(bs_random_game(seed, 101, 205, &ref, &text, &len), 0);
        dirty = with_garbage(text, len, &rng, &dlen, &ngarbage);
        bs_game *clean = bs_game_new(&ref, 101, 205, "p"), *whole = bs_game_new(&ref, 101, 205, "p"),
                *chunked = bs_game_new(&ref, 101, 205, "p");
        bs_feed fc, fw, fk;
        bs_feed_init(&fc, clean, NULL);
        bs_feed_init(&fw, whole, NULL);
        bs_feed_init(&fk, chunked, NULL);
        bs_feed_push(&fc, text, len);
        bs_feed_push(&fw, dirty, dlen);
        for (size_t off = 0; off < dlen;) {
            size_t n = 1 + (size_t)rand_r(&rng) % 64;
            n = n > dlen - off ? dlen - off : n;
            bs_feed_push(&fk, dirty + off, n);
            off += n;
        }
        /* garbage is set aside (blank garbage is not even an error); the game is the clean one */
        assert_true(whole->n.rejected <= ngarbage);
        assert_int_equal(whole->n.rejected, chunked->n.rejected);
        assert_int_equal(whole->score[0], clean->score[0]);
        assert_int_equal(whole->score[1], clean->score[1]);
        assert_int_equal(whole->last_id, clean->last_id);
        char *a = render(whole), *b = render(chunked);
        assert_string_equal(a, b);
        check_goals_add_up(whole);
        free(a);
        free(b);
        bs_game_free(clean);
        bs_game_free(whole);
        bs_game_free(chunked);
        bs_ref_free(&ref);
        free(text);
        free(dirty);
    }
}

static void same_seed_same_game(void **state)
{
    (void)state;
    bs_ref r1 = {0}, r2 = {0};
    char *t1, *t2;
    size_t l1, l2;
    assert_int_equal(bs_random_game(42, 101, 205, &r1, &t1, &l1), 0);
    assert_int_equal(bs_random_game(42, 101, 205, &r2, &t2, &l2), 0);
    assert_int_equal(l1, l2);
    assert_memory_equal(t1, t2, l1);
    assert_true(bs_ref_equal(&r1, &r2));
    assert_int_equal(r1.nplayers, 20);
    free(t1);
    free(t2);
    bs_ref_free(&r1);
    bs_ref_free(&r2);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(chunked_fold_equals_whole_fold),
        cmocka_unit_test(garbage_never_crashes_and_chunking_still_does_not_matter),
        cmocka_unit_test(same_seed_same_game),
    };
    return cmocka_run_group_tests_name("boxscore/property", tests, NULL, NULL);
}
