/*
 * file_source.c — stream source for file:///abs/path.
 *
 * Works for a file that is rewritten (replaced by rename, as gamestream-sim does)
 * and for one appended in place: each poll opens the path afresh, so a renamed-over
 * file is seen at once. Only a regular file is read: a FIFO or a device could block
 * the reading thread forever, so while the path is one (or a directory) the source
 * waits for a regular file there, as for a missing one. Under a prefix (the game's
 * folder is DIR/<game>/) no symbolic link is followed, neither the stream nor its
 * folder: a link planted there must not make the pipeline read /etc/passwd. A
 * --source naming one stream is the operator's own path: a link there is followed.
 * Restart detection is cursor.c's.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "../backends.h"
#include "../cursor.h"
#include "../fileio.h"

typedef struct file_source {
    char *path;
    char *base, *key;   /* under a prefix: the folder above the game's, and "<game>/gamestream.txt" */
    uint64_t max_bytes;
    cn_cursor cur;
    char *scratch;
    size_t cap;
} file_source;

static cn_status fs_open(void **impl, const cn_uri *u, const cn_settings *cfg, cn_error *err)
{
    if (!cn_uri_is_local_path(u))
        return cn_fail(err, CN_CONFIG, "file:// source needs an absolute path, like file:///var/games/gamestream.txt");
    file_source *s = calloc(1, sizeof *s);
    if (!s || !(s->path = strdup(u->path))) {
        free(s);
        return cn_fail(err, CN_FATAL, "out of memory");
    }
    s->max_bytes = cfg->max_object_bytes;
    char *slash = strrchr(s->path, '/'), *game = slash;
    while (cfg->per_game_keys && game > s->path && *--game != '/')
        ;
    if (cfg->per_game_keys && game > s->path) {
        s->base = strndup(s->path, (size_t)(game - s->path));
        s->key = strdup(game + 1);
        if (!s->base || !s->key) {
            free(s->base);
            free(s->key);
            free(s->path);
            free(s);
            return cn_fail(err, CN_FATAL, "out of memory");
        }
    }
    *impl = s;
    return CN_OK;
}

static cn_status read_range(file_source *s, int fd, uint64_t from, uint64_t size, size_t *got, cn_error *err)
{
    size_t want = (size_t)(size - from);
    if (want + 1 > s->cap) {
        char *p = realloc(s->scratch, want + 1);
        if (!p)
            return cn_fail(err, CN_FATAL, "out of memory reading %s", s->path);
        s->scratch = p;
        s->cap = want + 1;
    }
    size_t n = 0;
    while (n < want) {
        ssize_t r = pread(fd, s->scratch + n, want - n, (off_t)(from + n));
        if (r < 0 && errno == EINTR)
            continue;
        if (r < 0)
            return cn_fail_errno(err, errno, CN_TRANSIENT, "reading %s: %s", s->path, strerror(errno));
        if (r == 0)
            break; /* truncated while reading: take what is there */
        n += (size_t)r;
    }
    *got = n;
    return CN_OK;
}

static cn_status fs_poll(void *impl, cn_chunk *out, cn_error *err)
{
    file_source *s = impl;
    uint64_t transferred = 0;
    for (int attempt = 0; attempt < 2; attempt++) {
        /* O_NONBLOCK: opening a FIFO must not wait for a writer; fstat then refuses it */
        int fd = s->key ? cn_open_beneath(s->base, s->key) : open(s->path, O_RDONLY | O_NONBLOCK | O_CLOEXEC);
        if (fd < 0 && errno == ENOENT)
            return cn_fail(err, CN_NOT_FOUND, "%s does not exist yet (waiting for the game to start)", s->path);
        if (fd < 0 && errno == ELOOP)
            return cn_fail(err, CN_NOT_FOUND, "%s is a symbolic link, or its folder is: refused, links under a prefix "
                           "are not followed; waiting for a regular file there", s->path);
        if (fd < 0)
            return cn_fail_errno(err, errno, CN_TRANSIENT, "opening %s: %s", s->path, strerror(errno));
        struct stat st;
        if (fstat(fd, &st) < 0) {
            close(fd);
            return cn_fail(err, CN_TRANSIENT, "stat %s: %s", s->path, strerror(errno));
        }
        if (!S_ISREG(st.st_mode)) {
            close(fd);
            return cn_fail(err, CN_NOT_FOUND, "%s is %s, not a regular file: it is not read (a read could block "
                           "forever); waiting for a regular file there", s->path, cn_file_kind(st.st_mode));
        }
        uint64_t size = (uint64_t)st.st_size;
        if (size > s->max_bytes) {
            close(fd);
            return cn_fail(err, CN_INPUT, "%s is %llu bytes, over the %llu-byte cap (--max-object-mib)", s->path,
                           (unsigned long long)size, (unsigned long long)s->max_bytes);
        }
        if (cn_cursor_shrank(&s->cur, size))
            cn_cursor_reset(&s->cur);
        size_t got = 0;
        bool reread;
        cn_status rc = read_range(s, fd, cn_cursor_start(&s->cur), size, &got, err);
        close(fd);
        if (rc)
            return rc;
        transferred += got;
        cn_cursor_accept(&s->cur, s->scratch, got, size, out, &reread);
        if (!reread) {
            out->transferred = transferred;
            return CN_OK;
        }
    }
    return cn_fail(err, CN_TRANSIENT, "%s keeps changing under the reader; will try again", s->path);
}

static void fs_close(void *impl)
{
    file_source *s = impl;
    free(s->base);
    free(s->key);
    free(s->scratch);
    free(s->path);
    free(s);
}

const cn_source_ops cn_file_source_ops = {
    .scheme = "file",
    .description = "a local file, rewritten or appended (file:///abs/gamestream.txt)",
    .open = fs_open,
    .poll = fs_poll,
    .close = fs_close,
};
