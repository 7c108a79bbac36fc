/*
 * s3_source.c — stream source for s3://bucket/key (MinIO in production).
 *
 * A steady-state poll is one ranged GET from CN_OVERLAP bytes before the consumed
 * offset to the end of the object: it moves only the new bytes plus the overlap that
 * proves the object still continues the same game. A changed overlap, or an object
 * now shorter than the range start (InvalidRange), is a restart: read again from 0.
 */
#include <stdlib.h>
#include <string.h>

#include "../backends.h"
#include "../cursor.h"
#include "s3_client.h"

typedef struct s3_source {
    s3_client *client;
    uint64_t max_bytes;
    cn_cursor cur;
    char *buf;
    size_t len, cap;
} s3_source;

static cn_status ss_open(void **impl, const cn_uri *u, const cn_settings *cfg, cn_error *err)
{
    s3_source *s = calloc(1, sizeof *s);
    if (!s)
        return cn_fail(err, CN_FATAL, "out of memory");
    if (s3_client_new(&s->client, u, cfg, err)) {
        free(s);
        return err->status;
    }
    s->max_bytes = cfg->max_object_bytes;
    *impl = s;
    return CN_OK;
}

static cn_status ss_poll(void *impl, cn_chunk *out, cn_error *err)
{
    s3_source *s = impl;
    uint64_t transferred = 0;
    for (int attempt = 0; attempt < 3; attempt++) {
        uint64_t start = cn_cursor_start(&s->cur);
        bool shorter, reread;
        if (s3_client_get(s->client, start, s->max_bytes, &s->buf, &s->len, &s->cap, &shorter, err))
            return err->status;
        transferred += s->len;
        if (shorter) {
            cn_cursor_reset(&s->cur);
            continue;
        }
        cn_cursor_accept(&s->cur, s->buf, s->len, start + s->len, out, &reread);
        if (!reread) {
            out->transferred = transferred;
            return CN_OK;
        }
    }
    return cn_fail(err, CN_TRANSIENT, "s3://%s/%s keeps changing under the reader; will try again",
                   s3_client_bucket(s->client), s3_client_key(s->client));
}

static void ss_close(void *impl)
{
    s3_source *s = impl;
    s3_client_free(s->client);
    free(s->buf);
    free(s);
}

const cn_source_ops cn_s3_source_ops = {
    .scheme = "s3",
    .description = "an S3/MinIO object, ranged GETs from the consumed offset (s3://bucket/key)",
    .open = ss_open,
    .poll = ss_poll,
    .close = ss_close,
};
