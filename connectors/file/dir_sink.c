/*
 * dir_sink.c — box-score sink for file:///abs/dir, the embedded stand-in for MongoDB.
 *
 * Each document becomes DIR/<_id>.json, written to a temporary file, flushed and
 * renamed over the old one: a reader sees the old document or the new one, never a
 * mix, and writing the same _id again replaces it (an upsert by _id). Rejected
 * lines are appended to DIR/rejects.jsonl, one JSON object a line.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "../backends.h"
#include "../fileio.h"

typedef struct dir_sink {
    char dir[1024];
} dir_sink;

static cn_status ds_open(void **impl, const cn_uri *u, const cn_settings *cfg, cn_error *err)
{
    (void)cfg;
    if (!cn_uri_is_local_path(u))
        return cn_fail(err, CN_CONFIG, "file:// box-score sink needs an absolute directory, like file:///var/boxscores");
    dir_sink *s = calloc(1, sizeof *s);
    if (!s)
        return cn_fail(err, CN_FATAL, "out of memory");
    snprintf(s->dir, sizeof s->dir, "%s", u->path);
    *impl = s;
    return CN_OK;
}

static cn_status ds_put(void *impl, const json_t *doc, cn_error *err)
{
    dir_sink *s = impl;
    char path[1100];
    json_int_t id = json_integer_value(json_object_get(doc, "_id"));
    if (cn_mkdirs(s->dir, err))
        return err->status;
    snprintf(path, sizeof path, "%s/%lld.json", s->dir, (long long)id);
    char *text = json_dumps(doc, JSON_INDENT(2) | JSON_REAL_PRECISION(10));
    if (!text)
        return cn_fail(err, CN_FATAL, "out of memory rendering document %lld", (long long)id);
    size_t n = strlen(text);
    text[n] = '\n'; /* json_dumps leaves room for the NUL we overwrite; write n+1 bytes */
    cn_status rc = cn_replace_file(path, text, n + 1, err);
    free(text);
    return rc;
}

static cn_status ds_reject(void *impl, const json_t *rec, cn_error *err)
{
    dir_sink *s = impl;
    char path[1100];
    if (cn_mkdirs(s->dir, err))
        return err->status;
    snprintf(path, sizeof path, "%s/rejects.jsonl", s->dir);
    char *text = json_dumps(rec, JSON_COMPACT);
    if (!text)
        return cn_fail(err, CN_FATAL, "out of memory rendering a rejected line");
    int fd = open(path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
    cn_status rc = CN_OK;
    if (fd < 0) {
        rc = cn_fail(err, CN_FATAL, "opening %s: %s", path, strerror(errno));
    } else {
        size_t n = strlen(text);
        text[n] = '\n'; /* json_dumps leaves room for the NUL we overwrite; write n+1 bytes */
        rc = cn_write_all(fd, text, n + 1, path, err);
        close(fd);
    }
    free(text);
    return rc;
}

static bool is_document_name(const char *name)
{
    size_t n = strspn(name, "0123456789-");
    return n > 0 && strcmp(name + n, ".json") == 0;
}

static cn_status ds_forget(void *impl, const char *game, cn_error *err)
{
    dir_sink *s = impl;
    DIR *d = opendir(s->dir);
    if (!d)
        return errno == ENOENT ? CN_OK : cn_fail(err, CN_FATAL, "listing %s: %s", s->dir, strerror(errno));
    cn_status rc = CN_OK;
    struct dirent *e;
    while (!rc && (e = readdir(d))) {
        char path[1400];
        if (!is_document_name(e->d_name))
            continue;
        snprintf(path, sizeof path, "%s/%s", s->dir, e->d_name);
        json_t *doc = json_load_file(path, 0, NULL);
        const char *g = json_string_value(json_object_get(doc, "game"));
        if (g && !strcmp(g, game) && unlink(path) < 0 && errno != ENOENT)
            rc = cn_fail(err, CN_FATAL, "removing %s: %s", path, strerror(errno));
        json_decref(doc);
    }
    closedir(d);
    return rc;
}

static void ds_close(void *impl)
{
    free(impl);
}

const cn_boxscore_ops cn_dir_boxscore_ops = {
    .scheme = "file",
    .description = "a directory: DIR/<_id>.json and DIR/rejects.jsonl (file:///abs/dir)",
    .open = ds_open,
    .put = ds_put,
    .reject = ds_reject,
    .forget = ds_forget,
    .close = ds_close,
};
