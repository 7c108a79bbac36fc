/*
 * fuzz_kafka_key.c — libFuzzer target: which Kafka partition an object's events land in
 * (common/kafka_key.c) is exactly what MinIO's producer computes.
 *
 * Input: bytes 0..3 are the partition count (a signed 32-bit integer, any value), the
 * rest the message key. The target aborts unless
 *  - kk_partition agrees with librdkafka's "fnv1a" partitioner (the one gamestream-sim
 *    produces with) and with sarama's rule (int32(FNV-1a) % n, negated if negative) for
 *    every positive count, and is -1 for the others;
 *  - for a key without NUL, the escaped object key of a MinIO record (me_url_encode)
 *    decodes back to it (me_url_decode), so the consumer that reads "<bucket>/<escaped
 *    key>" from a record computes the same partition as the producer did from the
 *    message key.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <librdkafka/rdkafka.h>

#include "boxscore.h"
#include "kafka_key.h"
#include "minio_event.h"

#define CHECK(c)                                                                                        \
    do {                                                                                               \
        if (!(c)) {                                                                                    \
            fprintf(stderr, "fuzz_kafka_key: %s failed (line %d)\n", #c, __LINE__);                    \
            abort();                                                                                   \
        }                                                                                              \
    } while (0)

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 4)
        return 0;
    uint32_t raw = (uint32_t)data[0] | (uint32_t)data[1] << 8 | (uint32_t)data[2] << 16 | (uint32_t)data[3] << 24;
    int32_t n = (int32_t)raw;
    const char *key = (const char *)data + 4;
    size_t len = size - 4;

    int32_t got = kk_partition(key, len, n);
    if (n < 1) {
        CHECK(got == -1);
        return 0;
    }
    CHECK(got >= 0 && got < n);
    CHECK(got == rd_kafka_msg_partitioner_fnv1a(NULL, key, len, n, NULL, NULL));
    int32_t h = (int32_t)bs_fnv1a32(BS_FNV1A32_BASIS, key, len), sarama = h % n;
    CHECK(got == (sarama < 0 ? -sarama : sarama));

    /* the record's escaped key, decoded by the consumer, is the message key again */
    if (memchr(key, '\0', len) || len > ME_MAX_KEY)
        return 0;
    char *plain = malloc(len + 1), *enc = malloc(3 * len + 1), *dec = malloc(len + 1);
    CHECK(plain && enc && dec);
    memcpy(plain, key, len);
    plain[len] = '\0';
    long elen = me_url_encode(plain, enc, 3 * len + 1);
    CHECK(elen >= 0 && !memchr(enc, '/', (size_t)elen));
    long dlen = me_url_decode(enc, (size_t)elen, dec, len + 1);
    CHECK(dlen == (long)len && !memcmp(dec, plain, len));
    CHECK(kk_partition(dec, (size_t)dlen, n) == got);
    free(plain);
    free(enc);
    free(dec);
    return 0;
}
