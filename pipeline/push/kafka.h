/*
 * kafka.h — the Kafka intake: pipelines as one consumer group on the topic MinIO's Kafka
 * notification target writes (--kafka-brokers, --kafka-topic, --kafka-group; with a
 * prefix source only).
 *
 * MinIO keys each event "<bucket>/<object key>" and its producer picks the partition
 * from the key (common/kafka_key.h), so every event of one game's stream lands in one
 * partition. An instance follows exactly the games whose stream key maps to a partition
 * the group assigned to it: the listing, the safety poll and every push are restricted
 * to those. A message is a hint to read now (the object stays the source of truth);
 * its offset is stored only once the reads it led to are written (see kafka.c).
 */
#ifndef PL_KAFKA_H
#define PL_KAFKA_H

#include "app.h"
#include "metrics.h"

/* Whether the configuration asks for Kafka (any --kafka-* option). */
bool kafka_wanted(const pl_config *c);
/* Creates the consumer and puts it on the loop (nothing waits on the network). Returns
 * PL_EXIT_OK, or PL_EXIT_USAGE for a configuration librdkafka refuses (logged). */
int kafka_start(app *a);
/* Whether this instance owns the game under the prefix: always without Kafka; with it,
 * whether the game's stream key maps to a partition assigned now. */
bool kafka_owns(const app *a, const char *game);
/* A listing of the prefix came back (the games of new partitions are taken up by it). */
void kafka_listed(app *a);
/* What the intake waits for, for /readyz ("" when nothing). */
void kafka_waiting(const app *a, char *out, size_t outlen);
/* Its families for /metrics (nothing without Kafka). */
void kafka_expose(const app *a, pl_expo *e);
/* At the end: stores what is done, leaves the group (bounded by --grace-ms), then closes
 * its handles. */
void kafka_close(app *a);
/* After the loop: destroys the consumer. */
void kafka_free(app *a);

#endif
