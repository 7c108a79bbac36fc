/*
 * dir_sink.c — box-score sink for file:///abs/dir, the embedded stand-in for MongoDB.
 *
 * Each document becomes DIR/<_id>.json, written to a temporary file, flushed and
 * renamed over the old one: a reader sees the old document or the new one, never a
 * mix, and writing the same _id again replaces it (an upsert by _id). The first write
 * removes the temporary files (NAME.tmp.PID) that a killed process left behind.
 *
 * Rejected lines are appended to DIR/rejects.jsonl, one JSON object a line, at most
 * once per record _id: the ids already there are read on the first reject, so a re-run
 * does not add the same records again. A last line without its newline (a write cut
 * short by a full disk or a crash) is cut off before anything is appended, and a failed
 * append is truncated away, so the file never holds a torn line for long.
 *
 * Symbolic links in DIR are never followed: a link planted at DIR/rejects.jsonl is
 * refused, one at DIR/<_id>.json is replaced by the rename.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "../backends.h"
#include "../fileio.h"

typedef struct dir_sink {
    char dir[1024];
    bool per_game;      /* games under a prefix: DIR/<game>/<event_id>.json, DIR/<game>/rejects.jsonl */
    json_t *swept;      /* set of the directories whose stale temporary files were removed */
    json_t *rejected;   /* set of the reject _ids in the rejects.jsonl files read so far */
    json_t *loaded;     /* set of the rejects.jsonl files read (all read again after a failed append) */
} dir_sink;

static cn_status ds_open(void **impl, const cn_uri *u, const cn_settings *cfg, cn_error *err)
{
    if (!cn_uri_is_local_path(u))
        return cn_fail(err, CN_CONFIG, "file:// box-score sink needs an absolute directory, like file:///var/boxscores");
    dir_sink *s = calloc(1, sizeof *s);
    if (!s)
        return cn_fail(err, CN_FATAL, "out of memory");
    snprintf(s->dir, sizeof s->dir, "%s", u->path);
    s->per_game = cfg->per_game_keys;
    s->swept = json_object();
    s->rejected = json_object();
    s->loaded = json_object();
    if (!s->swept || !s->rejected || !s->loaded) {
        json_decref(s->swept);
        json_decref(s->rejected);
        json_decref(s->loaded);
        free(s);
        return cn_fail(err, CN_FATAL, "out of memory");
    }
    *impl = s;
    return CN_OK;
}

/* The directory of game's documents: DIR, or DIR/<game> under a prefix (game ids are
 * safe names: the pipeline checks them). */
static void game_dir(const dir_sink *s, const char *game, char *out, size_t len)
{
    if (s->per_game)
        snprintf(out, len, "%s/%s", s->dir, game);
    else
        snprintf(out, len, "%s", s->dir);
}

/* NAME.tmp.PID left by a process that was killed between create and rename: its PID
 * is gone, or is ours (a container's pipeline has the same PID on every start), and
 * this sink has written nothing yet. A live process's temporary file is kept. */
static bool is_stale_temp(const char *name)
{
    const char *t = NULL;
    for (const char *p = name; (p = strstr(p, ".tmp.")); p++)
        t = p + 5;
    if (!t || !*t || t[strspn(t, "0123456789")])
        return false;
    long pid = strtol(t, NULL, 10);
    return pid > 0 && (pid == (long)getpid() || (kill((pid_t)pid, 0) < 0 && errno == ESRCH));
}

/* Makes the directory; the first time, also removes stale temporary files (best effort:
 * one that cannot be removed only takes space). */
static cn_status ds_ready(dir_sink *s, const char *dir, cn_error *err)
{
    if (cn_mkdirs(dir, err))
        return err->status;
    DIR *d = json_object_get(s->swept, dir) ? NULL : opendir(dir);
    if (d) /* not swept when out of descriptors: the next write tries again */
        json_object_set_new(s->swept, dir, json_true());
    for (struct dirent *e; d && (e = readdir(d));) {
        char path[1400];
        snprintf(path, sizeof path, "%s/%s", dir, e->d_name);
        if (is_stale_temp(e->d_name))
            unlink(path);
    }
    if (d)
        closedir(d);
    return CN_OK;
}

static cn_status ds_put(void *impl, const cn_doc *doc, cn_error *err)
{
    dir_sink *s = impl;
    char dir[1100], path[1200];
    game_dir(s, doc->game, dir, sizeof dir);
    if (ds_ready(s, dir, err))
        return err->status;
    snprintf(path, sizeof path, "%s/%ld.json", dir, doc->id);
    /* the bytes the pipeline serialised, and a newline */
    return cn_replace_file(path, doc->text, doc->len, "\n", true, err);
}

/* Opens a file in the sink's directory without following a symbolic link. */
static int open_in_dir(const char *path, int flags, cn_error *err)
{
    int fd = open(path, flags | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC, 0644);
    int e = errno;
    if (fd < 0 && e == ELOOP)
        cn_fail(err, CN_FATAL, "%s is a symbolic link: the sink does not follow links, remove it", path);
    else if (fd < 0)
        cn_fail_errno(err, e, CN_FATAL, "opening %s: %s", path, strerror(e));
    errno = e; /* the caller may tell ENOENT apart */
    return fd;
}

/* Reads the _ids already in rejects.jsonl into s->rejected, and cuts off a torn last
 * line so the next append starts a line of its own. */
static cn_status load_rejects(dir_sink *s, const char *path, cn_error *err)
{
    json_t *seen = s->rejected;
    int fd = open_in_dir(path, O_RDWR, err);
    if (fd < 0 && errno == ENOENT)
        return json_object_set_new(s->loaded, path, json_true()) ? cn_fail(err, CN_FATAL, "out of memory") : CN_OK;
    FILE *f = fd < 0 ? NULL : fdopen(fd, "r");
    if (!f) {
        if (fd >= 0) {
            cn_fail_errno(err, errno, CN_FATAL, "reading %s: %s", path, strerror(errno));
            close(fd);
        }
        return err->status;
    }
    struct stat st;
    char *line = NULL;
    size_t cap = 0;
    ssize_t n = 0;
    off_t whole = 0; /* bytes of complete lines */
    cn_status rc = CN_OK;
    if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode))
        rc = cn_fail(err, CN_FATAL, "%s is not a regular file", path);
    while (!rc && (n = getline(&line, &cap, f)) > 0 && line[n - 1] == '\n') {
        whole += n;
        json_t *rec = json_loadb(line, (size_t)n, 0, NULL);
        const char *id = json_string_value(json_object_get(rec, "_id"));
        if (id && json_object_set_new(seen, id, json_true()) < 0)
            rc = cn_fail(err, CN_FATAL, "out of memory reading %s", path);
        json_decref(rec);
    }
    if (!rc && ferror(f))
        rc = cn_fail_errno(err, errno, CN_FATAL, "reading %s: %s", path, strerror(errno));
    if (!rc && n > 0 && ftruncate(fd, whole) < 0)
        rc = cn_fail_errno(err, errno, CN_FATAL, "cutting the torn last line of %s: %s", path,
                     strerror(errno));
    free(line);
    fclose(f);
    if (!rc && json_object_set_new(s->loaded, path, json_true()))
        rc = cn_fail(err, CN_FATAL, "out of memory reading %s", path);
    return rc;
}

/* Appends one line; a write cut short is truncated away again. */
static cn_status append_line(const char *path, const char *text, size_t len, cn_error *err)
{
    int fd = open_in_dir(path, O_WRONLY | O_CREAT | O_APPEND, err);
    if (fd < 0)
        return err->status;
    struct stat st;
    if (fstat(fd, &st) < 0) {
        cn_fail(err, CN_FATAL, "stat %s: %s", path, strerror(errno));
        close(fd);
        return err->status;
    }
    cn_status rc = cn_write_all(fd, text, len, path, err);
    if (rc == CN_OK && fsync(fd) < 0)
        rc = cn_fail_errno(err, errno, CN_FATAL, "flushing %s: %s", path, strerror(errno));
    if (rc)
        (void)!ftruncate(fd, st.st_size); /* if this fails too, the next load cuts the torn line */
    close(fd);
    return rc;
}

static cn_status ds_reject(void *impl, const json_t *rec, cn_error *err)
{
    dir_sink *s = impl;
    char dir[1100], path[1200];
    game_dir(s, json_string_value(json_object_get(rec, "game")), dir, sizeof dir);
    if (ds_ready(s, dir, err))
        return err->status;
    snprintf(path, sizeof path, "%s/rejects.jsonl", dir);
    if (!json_object_get(s->loaded, path) && load_rejects(s, path, err))
        return err->status;
    const char *id = json_string_value(json_object_get(rec, "_id"));
    if (id && json_object_get(s->rejected, id))
        return CN_OK; /* already recorded, by this run or an earlier one */
    char *text = json_dumps(rec, JSON_COMPACT);
    if (!text)
        return cn_fail(err, CN_FATAL, "out of memory rendering a rejected line");
    size_t n = strlen(text);
    text[n] = '\n'; /* json_dumps leaves room for the NUL we overwrite; write n+1 bytes */
    cn_status rc = append_line(path, text, n + 1, err);
    free(text);
    if (rc) {
        json_object_del(s->loaded, path); /* read the file again next time, whatever the append left */
    } else if (id && json_object_set_new(s->rejected, id, json_true()) < 0) {
        rc = cn_fail(err, CN_FATAL, "out of memory recording reject %s", id);
    }
    return rc;
}

static bool is_document_name(const char *name)
{
    size_t n = strspn(name, "0123456789-");
    return n > 0 && strcmp(name + n, ".json") == 0;
}

/* A document read back by a forget is at most this big: past it, it is left where it is
 * (as one that cannot be parsed is). The largest game documents are a few hundred KB. */
#define DOC_READ_MAX ((size_t)64 << 20)

/* True when doc belongs to game and is not one the current run keeps (see forget in
 * connector.h). */
static bool is_forgotten(const json_t *doc, const char *run, long keep_upto)
{
    if (!run)
        return true;
    const char *r = json_string_value(json_object_get(doc, "run"));
    return !r || strcmp(r, run) || json_integer_value(json_object_get(doc, "_id")) > keep_upto;
}

/* The documents of game in dir (read whole: a few hundred small files), or CN_CONFLICT
 * when one names another source. */
static cn_status game_documents(const char *dir, const char *game, const char *source, json_t *docs, cn_error *err)
{
    DIR *d = opendir(dir);
    if (!d)
        return errno == ENOENT ? CN_OK : cn_fail_errno(err, errno, CN_FATAL, "listing %s: %s", dir,
                                                 strerror(errno));
    cn_status rc = CN_OK;
    struct dirent *e;
    while (!rc && (e = readdir(d))) {
        char path[1400];
        if (!is_document_name(e->d_name))
            continue;
        snprintf(path, sizeof path, "%s/%s", dir, e->d_name);
        cn_error ignored;
        int fd = open_in_dir(path, O_RDONLY, &ignored);
        if (fd < 0 && ignored.status == CN_TRANSIENT) { /* out of descriptors: it may be one to remove */
            rc = (*err = ignored).status;
            break;
        }
        /* read whole, then parsed: jansson's json_loadfd reads one byte per read(2), and a
         * forget reads every document of the game (a 1,000-game takeover spent minutes here) */
        json_t *doc = NULL;
        if (fd >= 0) {
            struct stat st;
            char *text = NULL;
            size_t len = 0;
            if (fstat(fd, &st) == 0 && S_ISREG(st.st_mode) &&
                cn_read_all(fd, path, (size_t)st.st_size, DOC_READ_MAX, &text, &len, &ignored) == CN_OK)
                doc = json_loadb(text, len, 0, NULL);
            free(text);
            close(fd);
        }
        const char *g = json_string_value(json_object_get(doc, "game"));
        const char *src = json_string_value(json_object_get(doc, "source"));
        if (g && !strcmp(g, game) && src && source && strcmp(src, source))
            rc = cn_fail(err, CN_CONFLICT, "%s holds game '%s' from %s; %s names a game with the same id", path, game,
                         src, source);
        else if (g && !strcmp(g, game) && json_object_set_new(docs, path, json_incref(doc)))
            rc = cn_fail(err, CN_FATAL, "out of memory listing %s", dir);
        json_decref(doc);
    }
    closedir(d);
    return rc;
}

static cn_status ds_forget(void *impl, const char *game, const char *source, const char *run, long keep_upto,
                           cn_error *err)
{
    dir_sink *s = impl;
    char dir[1100];
    game_dir(s, game, dir, sizeof dir);
    json_t *docs = json_object();
    if (!docs)
        return cn_fail(err, CN_FATAL, "out of memory");
    /* every document is looked at before one is removed: another source's game is left whole */
    cn_status rc = game_documents(dir, game, source, docs, err);
    const char *path;
    json_t *doc;
    json_object_foreach(docs, path, doc) {
        if (!rc && is_forgotten(doc, run, keep_upto) && unlink(path) < 0 && errno != ENOENT)
            rc = cn_fail_errno(err, errno, CN_FATAL, "removing %s: %s", path, strerror(errno));
    }
    json_decref(docs);
    return rc;
}

static void ds_close(void *impl)
{
    dir_sink *s = impl;
    json_decref(s->swept);
    json_decref(s->rejected);
    json_decref(s->loaded);
    free(s);
}

const cn_boxscore_ops cn_dir_boxscore_ops = {
    .scheme = "file",
    .description = "a directory: DIR/<_id>.json and DIR/rejects.jsonl; under a prefix DIR/<game>/<event_id>.json (file:///abs/dir)",
    .open = ds_open,
    .put = ds_put,
    .reject = ds_reject,
    .forget = ds_forget,
    .close = ds_close,
};
