/*
 * target.c — the stream destinations of gamestream-sim. The file target writes a
 * temporary file and renames it over the old one, so a reader never sees a torn
 * object; the S3 target goes through the same libs3 client as the pipeline's source.
 */
#include "target.h"

#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

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
        if (u.path[0] != '/' || u.path[1] == '\0') {
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

static cn_status mkdir_parent(const char *path, cn_error *err)
{
    char dir[1024];
    snprintf(dir, sizeof dir, "%s", path);
    for (char *p = dir + 1; *p; p++) {
        if (*p != '/')
            continue;
        *p = '\0';
        if (mkdir(dir, 0755) < 0 && errno != EEXIST)
            return cn_fail(err, CN_FATAL, "creating directory %s: %s", dir, strerror(errno));
        *p = '/';
    }
    return CN_OK;
}

cn_status sim_target_prepare(sim_target *t, cn_error *err)
{
#ifdef CN_WITH_SERVERS
    if (t->s3)
        return s3_client_create_bucket(t->client, err);
#endif
    return mkdir_parent(t->path, err);
}

static cn_status file_write(sim_target *t, const char *data, size_t len, cn_error *err)
{
    char tmp[1100];
    snprintf(tmp, sizeof tmp, "%s.tmp.%ld", t->path, (long)getpid());
    int fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    if (fd < 0)
        return cn_fail(err, CN_FATAL, "creating %s: %s", tmp, strerror(errno));
    size_t off = 0;
    while (off < len) {
        ssize_t w = write(fd, data + off, len - off);
        if (w < 0 && errno == EINTR)
            continue;
        if (w < 0) {
            close(fd);
            unlink(tmp);
            return cn_fail(err, CN_FATAL, "writing %s: %s", tmp, strerror(errno));
        }
        off += (size_t)w;
    }
    close(fd);
    if (rename(tmp, t->path) < 0) {
        unlink(tmp);
        return cn_fail(err, CN_FATAL, "renaming %s to %s: %s", tmp, t->path, strerror(errno));
    }
    return CN_OK;
}

cn_status sim_target_write(sim_target *t, const char *data, size_t len, cn_error *err)
{
#ifdef CN_WITH_SERVERS
    if (t->s3)
        return s3_client_put(t->client, data, len, err);
#endif
    return file_write(t, data, len, err);
}

const char *sim_target_describe(const sim_target *t)
{
    return t->describe;
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
