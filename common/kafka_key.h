/*
 * kafka_key.h — which Kafka partition MinIO's Kafka target puts an object's events in.
 *
 * MinIO keys each message "<bucket>/<object key, URL-unescaped>" and sets no partitioner,
 * so its client's default (sarama's hash partitioner) applies: FNV-1a 32-bit over the key
 * bytes, read as a signed int32, remainder by the partition count, negated if negative.
 * librdkafka's "fnv1a" partitioner takes the absolute value before the remainder; the two
 * agree on every key (|h| % n == |h % n|, INT32_MIN included), and the unit test holds
 * this implementation to librdkafka's on known and random keys.
 *
 * Pure: no I/O, no allocation (the hash is boxscore/'s bs_fnv1a32). An instance follows a game when kk_partition of the game's
 * stream key is one of the partitions assigned to it.
 */
#ifndef KK_KAFKA_KEY_H
#define KK_KAFKA_KEY_H

#include <stddef.h>
#include <stdint.h>

/* The partition, 0..partitions-1, for a key; -1 when partitions < 1. */
int32_t kk_partition(const void *key, size_t len, int32_t partitions);

#endif
