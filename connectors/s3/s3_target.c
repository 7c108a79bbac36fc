/*
 * s3_target.c — stream target for s3://bucket/key (gamestream-sim writing to MinIO).
 *
 * Each write is one whole-object PUT through the same client the S3 source reads with;
 * preparing creates the bucket, which every target in it shares.
 */
#include <stdio.h>
#include <stdlib.h>

#include "../backends.h"
#include "s3_client.h"

typedef struct s3_target {
    s3_client *client;
    char describe[1400]; /* "gamestream.txt to bucket gamestreams" */
} s3_target;

static cn_status st_open(void **impl, const cn_uri *u, const cn_settings *cfg, cn_error *err)
{
    s3_target *t = calloc(1, sizeof *t);
    if (!t)
        return cn_fail(err, CN_FATAL, "out of memory");
    if (s3_client_new(&t->client, u, cfg, err)) {
        free(t);
        return err->status;
    }
    snprintf(t->describe, sizeof t->describe, "%s to bucket %s", s3_client_key(t->client),
             s3_client_bucket(t->client));
    *impl = t;
    return CN_OK;
}

static cn_status st_prepare(void *impl, cn_error *err)
{
    s3_target *t = impl;
    return s3_client_create_bucket(t->client, err);
}

static cn_status st_write(void *impl, const char *data, size_t len, cn_error *err)
{
    s3_target *t = impl;
    return s3_client_put(t->client, data, len, err);
}

static const char *st_describe(const void *impl)
{
    const s3_target *t = impl;
    return t->describe;
}

static void st_object(const void *impl, const char **bucket, const char **key)
{
    const s3_target *t = impl;
    *bucket = s3_client_bucket(t->client);
    *key = s3_client_key(t->client);
}

static void st_close(void *impl)
{
    s3_target *t = impl;
    s3_client_free(t->client);
    free(t);
}

const cn_target_ops cn_s3_target_ops = {
    .scheme = "s3",
    .description = "an S3/MinIO object, one whole-object PUT per write (s3://gamestreams/G1/gamestream.txt)",
    .shared_prepare = true,
    .open = st_open,
    .prepare = st_prepare,
    .write = st_write,
    .describe = st_describe,
    .object = st_object,
    .close = st_close,
};
