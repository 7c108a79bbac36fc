/*
 * file_target.c — stream target for file:///abs/gamestream.txt (gamestream-sim).
 *
 * Each write replaces the file whole: a temporary file renamed over the old one, so a
 * reader sees the old stream or the new one, never a torn one. A producer stand-in
 * needs the atomic rename, not durability, so the write is not fsynced.
 */
#include <libgen.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../backends.h"
#include "../fileio.h"

typedef struct file_target {
    char path[1024];
    char describe[1100]; /* "gamestream.txt to /dir" */
} file_target;

static cn_status ft_open(void **impl, const cn_uri *u, const cn_settings *cfg, cn_error *err)
{
    (void)cfg;
    size_t n = strlen(u->path);
    if (!cn_uri_is_local_path(u) || n == 0 || u->path[n - 1] == '/')
        return cn_fail(err, CN_CONFIG, "file:// target needs an absolute file path, like file:///tmp/gamestream.txt");
    file_target *t = calloc(1, sizeof *t);
    if (!t)
        return cn_fail(err, CN_FATAL, "out of memory");
    snprintf(t->path, sizeof t->path, "%s", u->path);
    char base[1024], dir[1024];
    snprintf(base, sizeof base, "%s", u->path);
    snprintf(dir, sizeof dir, "%s", u->path);
    snprintf(t->describe, sizeof t->describe, "%s to %s", basename(base), dirname(dir));
    *impl = t;
    return CN_OK;
}

static cn_status ft_prepare(void *impl, cn_error *err)
{
    file_target *t = impl;
    return cn_mkdirs_for(t->path, err);
}

static cn_status ft_write(void *impl, const char *data, size_t len, cn_error *err)
{
    file_target *t = impl;
    return cn_replace_file(t->path, data, len, NULL, false, err);
}

static const char *ft_describe(const void *impl)
{
    const file_target *t = impl;
    return t->describe;
}

static void ft_object(const void *impl, const char **bucket, const char **key)
{
    const file_target *t = impl;
    *bucket = "";
    *key = t->path;
}

static void ft_close(void *impl)
{
    free(impl);
}

const cn_target_ops cn_file_target_ops = {
    .scheme = "file",
    .description = "a local file, replaced atomically on every write (file:///tmp/G1/gamestream.txt)",
    .shared_prepare = false,
    .open = ft_open,
    .prepare = ft_prepare,
    .write = ft_write,
    .describe = ft_describe,
    .object = ft_object,
    .close = ft_close,
};
