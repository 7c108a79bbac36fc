/* bs_fnv1a32/bs_fnv1a64, the project's one hash: the published FNV-1a test vectors
 * (from the FNV authors' reference code and Go's hash/fnv), and a hash continued over
 * pieces equals the hash of the whole (run ids are hashed as the bytes arrive). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "boxscore.h"

static const struct {
    const char *s;
    uint32_t h32;
    uint64_t h64;
} vectors[] = {
    {"", 0x811c9dc5u, 0xcbf29ce484222325u},
    {"a", 0xe40c292cu, 0xaf63dc4c8601ec8cu},
    {"foobar", 0xbf9cf968u, 0x85944171f73967e8u},
};

static void known_vectors(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof vectors / sizeof *vectors; i++) {
        size_t n = strlen(vectors[i].s);
        assert_int_equal(bs_fnv1a32(BS_FNV1A32_BASIS, vectors[i].s, n), vectors[i].h32);
        assert_true(bs_fnv1a64(BS_FNV1A64_BASIS, vectors[i].s, n) == vectors[i].h64);
    }
}

static void continued_equals_whole(void **state)
{
    (void)state;
    const char *s = "1,00:15:00,0,0,0,0,0,0\n";
    size_t n = strlen(s);
    for (size_t cut = 0; cut <= n; cut++) {
        uint32_t h32 = bs_fnv1a32(bs_fnv1a32(BS_FNV1A32_BASIS, s, cut), s + cut, n - cut);
        uint64_t h64 = bs_fnv1a64(bs_fnv1a64(BS_FNV1A64_BASIS, s, cut), s + cut, n - cut);
        assert_int_equal(h32, bs_fnv1a32(BS_FNV1A32_BASIS, s, n));
        assert_true(h64 == bs_fnv1a64(BS_FNV1A64_BASIS, s, n));
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(known_vectors),
        cmocka_unit_test(continued_equals_whole),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
