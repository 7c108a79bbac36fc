/*
 * minio_event.h — MinIO bucket notifications (webhook bodies), pure: no I/O.
 *
 * MinIO's webhook target POSTs one JSON object per event:
 *
 *   {"EventName":"s3:ObjectCreated:Put","Key":"gamestreams/game-001/gamestream.txt",
 *    "Records":[{"eventVersion":"2.0","eventSource":"minio:s3","eventTime":"...Z",
 *                "eventName":"s3:ObjectCreated:Put",
 *                "s3":{"bucket":{"name":"gamestreams",...},
 *                      "object":{"key":"game-001%2Fgamestream.txt","size":1234,
 *                                "eTag":"...","sequencer":"..."}}}]}
 *
 * me_parse reads the fields the pipeline uses and decodes the object key (MinIO sends
 * it query-escaped: %XX and '+' for a space). Removal events carry no size. The
 * encoder is what gamestream-sim --notify uses to send the same bodies.
 */
#ifndef PL_MINIO_EVENT_H
#define PL_MINIO_EVENT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define ME_MAX_RECORDS 1000     /* more in one body is refused as malformed */
#define ME_MAX_KEY 1024         /* S3's longest object key, in bytes */
#define ME_MAX_BUCKET 63        /* S3's longest bucket name */

typedef struct me_record {
    char event_name[64];        /* "s3:ObjectCreated:Put", "s3:ObjectRemoved:Delete", ... */
    char event_time[40];        /* ISO-8601 as sent, "" when absent */
    char bucket[ME_MAX_BUCKET + 1];
    char key[ME_MAX_KEY + 1];   /* decoded */
    bool created;               /* event_name starts with "s3:ObjectCreated:" */
    bool has_size;
    uint64_t size;
    char etag[72];              /* "" when absent */
    char sequencer[40];         /* "" when absent */
} me_record;

typedef struct me_event {
    char event_name[64];        /* top-level EventName, "" when absent */
    char key[ME_MAX_BUCKET + 1 + ME_MAX_KEY + 1]; /* top-level Key ("bucket/key"), "" when absent */
    me_record *records;
    size_t n;
} me_event;

/* Parses one webhook body. Returns 0, or -1 with a short reason in why (the reason is
 * stable for a kind of defect: callers log each distinct reason once). On success the
 * caller frees with me_event_free; on failure nothing is left to free. */
int me_parse(const char *body, size_t len, me_event *ev, char *why, size_t whylen);
void me_event_free(me_event *ev);

/* Decodes a query-escaped string (%XX, '+' is a space) into out. Returns the length, or
 * -1 for a bad escape, a NUL byte, or no room. */
long me_url_decode(const char *in, size_t len, char *out, size_t outlen);
/* Query-escapes in the way MinIO escapes object keys (Go's url.QueryEscape: letters,
 * digits and -_.~ as they are, ' ' as '+', everything else %XX). Returns the length, or
 * -1 when out is too small. */
long me_url_encode(const char *in, char *out, size_t outlen);

/* Whether an event name is "s3:ObjectCreated:*". */
bool me_is_created(const char *event_name);

#endif
