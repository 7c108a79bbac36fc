/*
 * notify.h — gamestream-sim --notify URL: after each write of a stream (and of a
 * game.json), POSTs the event MinIO's webhook target would send for it, with
 * "Authorization: Bearer $NOTIFY_TOKEN" when the token is set, so tests and benchmarks
 * reproduce MinIO's push without MinIO.
 *
 * The body is MinIO's (EventName "s3:ObjectCreated:Put", Key "bucket/key", one record
 * with eventVersion 2.0, eventSource minio:s3, eventTime in UTC with milliseconds,
 * s3.bucket.name, s3.object.key query-escaped, size, eTag, sequencer). For an s3://
 * target the bucket and key are the object's; for a file:// target the bucket is "" and
 * the key the path relative to the target root (the folder of the stream for one game,
 * the prefix with --games), and Key is that key alone. The eTag is an opaque hash of the
 * bytes (MinIO's is their MD5; nobody reads it as one).
 *
 * A POST that fails (no answer, or a status other than 2xx) is logged and the sim goes
 * on: a lost notification is what the receiver's safety poll is for.
 */
#ifndef SIM_NOTIFY_H
#define SIM_NOTIFY_H

#include <stddef.h>

#include "target.h"

/* Sets up the notifier: url NULL turns it off. file_root is the folder file:// keys are
 * relative to. Returns 0, or -1 (logged). */
int sim_notify_init(const char *url, const char *token, const char *file_root, int timeout_ms);
/* --kafka-brokers: the Kafka side of MinIO's notifications. */
typedef struct sim_kafka {
    const char *brokers, *topic;
    const char *security, *ca_file, *sasl_mechanism, *sasl_username;
    const char *sasl_password; /* KAFKA_SASL_PASSWORD(_FILE) only */
} sim_kafka;
/* Sets up a producer that sends, after each write, the message MinIO's Kafka target would:
 * key "<bucket>/<object key>" (file://: bucket "" and the key relative to file_root), the
 * event as the value (its "Key" the message key), partitioned with FNV-1a as MinIO's client does. brokers NULL turns
 * it off. A message that cannot be delivered is logged once and the sim goes on. Returns
 * 0, or -1 (logged). */
int sim_notify_kafka_init(const sim_kafka *k, const char *file_root, int timeout_ms);
/* Posts (and produces) the event for a write of len bytes to t (no-op when off). */
void sim_notify_write(const sim_target *t, const char *data, size_t len);
/* Delivers what is queued (Kafka: up to 10 s), then closes. */
void sim_notify_cleanup(void);

/* The event body for an object written (exposed for tests): a malloc'd JSON text, NULL
 * when out of memory. log_key is its top-level "Key"; NULL: "bucket/key", or the key alone
 * when the bucket is "" (the webhook's file:// form). The Kafka value passes its message
 * key, as MinIO's Kafka target does ("<bucket>/<key>" always, so "/game-001/..."). */
char *sim_notify_body(const char *bucket, const char *key, size_t size, const char *etag, const char *event_time,
                      const char *sequencer, const char *log_key);

#endif
