/*
 * kafka_key.c — MinIO's (sarama's) key-to-partition mapping; see kafka_key.h.
 */
#include "kafka_key.h"

#include "boxscore.h"

int32_t kk_partition(const void *key, size_t len, int32_t partitions)
{
    if (partitions < 1)
        return -1;
    uint32_t h = bs_fnv1a32(BS_FNV1A32_BASIS, key, len);
    /* |int32(h)| without overflow: the magnitude of a negative int32 is 2^32 - h */
    uint64_t magnitude = (h & 0x80000000u) ? (uint64_t)0x100000000u - h : h;
    return (int32_t)(magnitude % (uint64_t)partitions);
}
