/*
 * kafka_key.c — MinIO's (sarama's) key-to-partition mapping; see kafka_key.h.
 */
#include "kafka_key.h"

uint32_t kk_fnv1a(const void *key, size_t len)
{
    const unsigned char *p = key;
    uint32_t h = 0x811C9DC5u;
    for (size_t i = 0; i < len; i++) {
        h ^= p[i];
        h *= 0x01000193u;
    }
    return h;
}

int32_t kk_partition(const void *key, size_t len, int32_t partitions)
{
    if (partitions < 1)
        return -1;
    uint32_t h = kk_fnv1a(key, len);
    /* |int32(h)| without overflow: the magnitude of a negative int32 is 2^32 - h */
    uint64_t magnitude = (h & 0x80000000u) ? (uint64_t)0x100000000u - h : h;
    return (int32_t)(magnitude % (uint64_t)partitions);
}
