/*
 * s3_lister.c — lister for s3://bucket/prefix/ (MinIO in production).
 *
 * One listing is one ListObjects request per page of 1,000 keys, whatever the number
 * of games: the size, ETag and Last-Modified of every object come with it, so the
 * pipeline reads only the streams that changed. A read is one whole-object GET.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../backends.h"
#include "s3_client.h"

typedef struct s3_lister {
    s3_client *client;
    char where[1300]; /* s3://bucket/prefix/, for messages */
} s3_lister;

static cn_status sl_open(void **impl, const cn_uri *u, const cn_settings *cfg, cn_error *err)
{
    size_t n = strlen(u->path);
    if (!u->host[0] || (n > 0 && u->path[n - 1] != '/'))
        return cn_fail(err, CN_CONFIG, "s3:// prefix needs a bucket and a prefix ending in '/', like "
                                       "s3://gamestreams/2026-11-28/");
    s3_lister *l = calloc(1, sizeof *l);
    if (!l)
        return cn_fail(err, CN_FATAL, "out of memory");
    if (s3_client_new_prefix(&l->client, u, cfg, err)) {
        free(l);
        return err->status;
    }
    snprintf(l->where, sizeof l->where, "s3://%s/%s", s3_client_bucket(l->client), s3_client_key(l->client));
    *impl = l;
    return CN_OK;
}

static cn_status sl_list(void *impl, cn_listing *out, cn_error *err)
{
    s3_lister *l = impl;
    if (s3_client_list(l->client, 0, out, err)) {
        cn_listing_drop(out);
        return err->status;
    }
    cn_listing_sort(out); /* S3 lists in UTF-8 byte order already; a look-alike server may not */
    return CN_OK;
}

static cn_status sl_read(void *impl, const char *key, size_t max, char **data, size_t *len, cn_error *err)
{
    s3_lister *l = impl;
    *data = NULL;
    *len = 0;
    if (cn_key_check(key, l->where, err))
        return err->status;
    return s3_client_get_key(l->client, key, max, data, len, err);
}

static void sl_close(void *impl)
{
    s3_lister *l = impl;
    s3_client_free(l->client);
    free(l);
}

const cn_lister_ops cn_s3_lister_ops = {
    .scheme = "s3",
    .description = "every game folder under an S3/MinIO prefix, by paged ListObjects (s3://bucket/day/)",
    .open = sl_open,
    .list = sl_list,
    .read = sl_read,
    .close = sl_close,
};
