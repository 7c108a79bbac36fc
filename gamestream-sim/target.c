/*
 * target.c — the stream destinations of gamestream-sim. The file target writes a
 * temporary file and renames it over the old one, so a reader never sees a torn
 * object; the S3 target goes through the same libs3 client as the pipeline's source.
 */
#include "target.h"

#include "fileio.h"

#include <libgen.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#ifdef CN_WITH_SERVERS
#include "s3/s3_client.h"
#endif

struct sim_target {
    bool s3;
    char path[1024];        /* file target */
    char describe[1200];
#ifdef CN_WITH_SERVERS
    s3_client *client;      /* s3 target */
#endif
};

cn_status sim_target_open(sim_target **out, const char *uri, const cn_settings *cfg, cn_error *err)
{
    cn_uri u;
    if (cn_uri_parse(uri, &u, err))
        return err->status;
    sim_target *t = calloc(1, sizeof *t);
    if (!t)
        return cn_fail(err, CN_FATAL, "out of memory");
    if (!strcmp(u.scheme, "file")) {
        if (!cn_uri_is_local_path(&u)) {
            free(t);
            return cn_fail(err, CN_CONFIG, "file:// target needs an absolute path, like file:///tmp/gamestream.txt");
        }
        snprintf(t->path, sizeof t->path, "%s", u.path);
        char copy[1024], copy2[1024];
        snprintf(copy, sizeof copy, "%s", u.path);
        snprintf(copy2, sizeof copy2, "%s", u.path);
        snprintf(t->describe, sizeof t->describe, "%s to %s", basename(copy), dirname(copy2));
#ifdef CN_WITH_SERVERS
    } else if (!strcmp(u.scheme, "s3")) {
        t->s3 = true;
        if (s3_client_new(&t->client, &u, cfg, err)) {
            free(t);
            return err->status;
        }
        snprintf(t->describe, sizeof t->describe, "%s to bucket %s", s3_client_key(t->client),
                 s3_client_bucket(t->client));
#endif
    } else {
        free(t);
        (void)cfg;
        return cn_fail(err, CN_CONFIG, "no stream target for scheme '%s://' (file:// or s3://)", u.scheme);
    }
    *out = t;
    return CN_OK;
}

cn_status sim_target_prepare(sim_target *t, cn_error *err)
{
#ifdef CN_WITH_SERVERS
    if (t->s3)
        return s3_client_create_bucket(t->client, err);
#endif
    return cn_mkdirs_for(t->path, err);
}

cn_status sim_target_write(sim_target *t, const char *data, size_t len, cn_error *err)
{
#ifdef CN_WITH_SERVERS
    if (t->s3)
        return s3_client_put(t->client, data, len, err);
#endif
    /* a producer stand-in: readers need the atomic rename, not durability */
    return cn_replace_file(t->path, data, len, NULL, false, err);
}

const char *sim_target_describe(const sim_target *t)
{
    return t->describe;
}

bool sim_target_is_s3(const sim_target *t)
{
    return t->s3;
}

void sim_target_object(const sim_target *t, const char **bucket, const char **key)
{
#ifdef CN_WITH_SERVERS
    if (t->s3) {
        *bucket = s3_client_bucket(t->client);
        *key = s3_client_key(t->client);
        return;
    }
#endif
    *bucket = "";
    *key = t->path;
}

void sim_target_close(sim_target *t)
{
    if (!t)
        return;
#ifdef CN_WITH_SERVERS
    s3_client_free(t->client);
#endif
    free(t);
}
