/*
 * test_kafka_key.c — kk_partition maps keys to partitions exactly as MinIO's producer does.
 *
 * Three independent witnesses: FNV-1a values from Go's hash/fnv (as librdkafka's own unit
 * test pins them), partitions computed by a Python model of sarama's hash partitioner
 * (int32(hash) % n, negated if negative), and librdkafka's "fnv1a" partitioner on random
 * keys (escaped and raw bytes) and partition counts.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include <librdkafka/rdkafka.h>
#include <stdlib.h>
#include <string.h>

#include "boxscore.h"
#include "kafka_key.h"

static void go_fnv1a_values(void **state)
{
    (void)state;
    static const struct { const char *key; uint32_t h; } cases[] = {
        {"kafka", 0x0d33c4e1u},     {"giberish123456789", 0x77a58295u},
        {"1234", 0x023bdd03u},      {"234", 0x2dea3cd2u},
        {"34", 0x740fa83eu},        {"4", 0x310ca263u},
        {"", 0x7ee3623bu},
    };
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
        uint32_t h = bs_fnv1a32(BS_FNV1A32_BASIS, cases[i].key, strlen(cases[i].key));
        /* Go's values are of |int32(h)|, as sarama takes them */
        uint32_t abs = (h & 0x80000000u) ? 0u - h : h;
        assert_int_equal(abs, cases[i].h);
    }
}

static void sarama_model_partitions(void **state)
{
    (void)state;
    static const struct { const char *key; int p12, p1, p7, p100; } cases[] = {
        {"gamestreams/2026-11-29/game-001/gamestream.txt", 0, 0, 0, 40},
        {"gamestreams/2026-11-29/game-002/gamestream.txt", 11, 0, 1, 19},
        {"gamestreams/day/game-001/gamestream.txt", 7, 0, 6, 51},
        {"gamestreams/2026-11-29/game-001/game.json", 2, 0, 1, 42},
        {"gamestreams/a b/\xc3\xbc/gamestream.txt", 7, 0, 0, 47},
        {"kafka", 5, 0, 4, 45},
    };
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
        size_t n = strlen(cases[i].key);
        assert_int_equal(kk_partition(cases[i].key, n, 12), cases[i].p12);
        assert_int_equal(kk_partition(cases[i].key, n, 1), cases[i].p1);
        assert_int_equal(kk_partition(cases[i].key, n, 7), cases[i].p7);
        assert_int_equal(kk_partition(cases[i].key, n, 100), cases[i].p100);
    }
    assert_int_equal(kk_partition("x", 1, 0), -1);
    assert_int_equal(kk_partition("x", 1, -3), -1);
}

static void same_as_librdkafka_on_random_keys(void **state)
{
    (void)state;
    srand(20261203);
    char key[96];
    for (int round = 0; round < 200000; round++) {
        size_t len = (size_t)(rand() % (int)sizeof key);
        for (size_t i = 0; i < len; i++)
            key[i] = round % 2 ? (char)(rand() % 256) : "abz09/-_.%2F~ "[rand() % 14];
        int32_t n = 1 + rand() % 1000;
        int32_t want = rd_kafka_msg_partitioner_fnv1a(NULL, key, len, n, NULL, NULL);
        assert_int_equal(kk_partition(key, len, n), want);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(go_fnv1a_values),
        cmocka_unit_test(sarama_model_partitions),
        cmocka_unit_test(same_as_librdkafka_on_random_keys),
    };
    return cmocka_run_group_tests_name("common/kafka_key", tests, NULL, NULL);
}
