/*
 * file_lister.c — lister for file:///dir/ (a directory prefix, one folder per game).
 *
 * A listing reads the prefix directory and each subdirectory one level deep, with
 * lstat for size and mtime: one readdir per folder and one stat per file, no reads.
 * Only regular files are listed and read. A symbolic link is neither listed nor
 * followed (a game folder linked to /etc must not make the pipeline read it), and a
 * FIFO or device is refused, since reading one could block the thread forever.
 * Entries that vanish between readdir and lstat (a producer's temporary file renamed
 * over gamestream.txt) are skipped: the next listing sees the result.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "../backends.h"
#include "../fileio.h"

typedef struct file_lister {
    char dir[1024]; /* ends in '/' */
} file_lister;

static cn_status fl_open(void **impl, const cn_uri *u, const cn_settings *cfg, cn_error *err)
{
    (void)cfg;
    size_t n = strlen(u->path);
    if (!cn_uri_is_local_path(u) || u->path[n - 1] != '/')
        return cn_fail(err, CN_CONFIG, "file:// prefix needs an absolute directory ending in '/', like file:///srv/games/");
    file_lister *l = calloc(1, sizeof *l);
    if (!l)
        return cn_fail(err, CN_FATAL, "out of memory");
    snprintf(l->dir, sizeof l->dir, "%s", u->path);
    *impl = l;
    return CN_OK;
}

static int64_t mtime_ms(const struct stat *st)
{
    return (int64_t)st->st_mtim.tv_sec * 1000 + st->st_mtim.tv_nsec / 1000000;
}

/* The status for an errno from opening or reading path. */
static cn_status dir_error(cn_error *err, int e, const char *what, const char *path)
{
    if (e == ENOTDIR)
        return cn_fail(err, CN_CONFIG, "%s %s: %s", what, path, strerror(e));
    return cn_fail_errno(err, e, CN_TRANSIENT, "%s %s: %s", what, path, strerror(e));
}

/* Lists the regular files of the directory open at fd (named path, keys prefixed by
 * sub, "" or "G1/"); with descend, the same one level into each subdirectory. Closes fd. */
static cn_status list_dir(int fd, const char *path, const char *sub, bool descend, cn_listing *out, cn_error *err)
{
    DIR *d = fdopendir(fd);
    if (!d) {
        int e = errno;
        close(fd);
        return dir_error(err, e, "listing", path);
    }
    cn_status rc = CN_OK;
    for (;;) {
        errno = 0;
        struct dirent *de = readdir(d);
        if (!de) {
            if (errno)
                rc = dir_error(err, errno, "listing", path);
            break;
        }
        const char *name = de->d_name;
        if (strcmp(name, ".") == 0 || strcmp(name, "..") == 0)
            continue;
        struct stat st;
        if (fstatat(dirfd(d), name, &st, AT_SYMLINK_NOFOLLOW) < 0) {
            if (errno == ENOENT)
                continue; /* gone since readdir */
            rc = dir_error(err, errno, "stat of an entry in", path);
            break;
        }
        char key[1024], child[2048];
        if ((size_t)snprintf(key, sizeof key, "%s%s", sub, name) >= sizeof key)
            continue; /* longer than any key a reader accepts */
        if (S_ISREG(st.st_mode)) {
            if ((rc = cn_listing_add(out, key, (uint64_t)st.st_size, "", mtime_ms(&st), err)))
                break;
        } else if (S_ISDIR(st.st_mode) && descend) {
            snprintf(child, sizeof child, "%s%s/", path, name);
            /* one game's folder that cannot be read (permissions, I/O) is skipped: it must
             * not hide every other game; without its game.json it is not followed */
            int cfd = openat(dirfd(d), name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
            if (cfd < 0 && (errno == EMFILE || errno == ENFILE)) { /* not the folder's fault: the whole listing again */
                rc = dir_error(err, errno, "opening", child);
                break;
            }
            if (cfd < 0)
                continue;
            strcat(key, "/");
            cn_error ignored;
            size_t before = out->n;
            if (list_dir(cfd, child, key, false, out, &ignored)) {
                while (out->n > before) /* what it listed before failing goes too */
                    free(out->v[--out->n].key);
            }
        }
        /* symbolic links, FIFOs, devices, sockets and deeper folders: not listed */
    }
    closedir(d);
    return rc;
}

static cn_status fl_list(void *impl, cn_listing *out, cn_error *err)
{
    file_lister *l = impl;
    out->requests++;
    int fd = open(l->dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd < 0 && errno == ENOENT)
        return cn_fail(err, CN_NOT_FOUND, "%s does not exist yet (waiting for the first game)", l->dir);
    if (fd < 0)
        return dir_error(err, errno, "opening", l->dir);
    cn_status rc = list_dir(fd, l->dir, "", true, out, err);
    if (rc) {
        cn_listing_drop(out);
        return rc;
    }
    cn_listing_sort(out);
    return CN_OK;
}

static cn_status fl_read(void *impl, const char *key, size_t max, char **data, size_t *len, cn_error *err)
{
    file_lister *l = impl;
    *data = NULL;
    *len = 0;
    if (cn_key_check(key, l->dir, err))
        return err->status;
    char path[2048];
    snprintf(path, sizeof path, "%s%s", l->dir, key);
    int fd = cn_open_beneath(l->dir, key);
    if (fd < 0 && (errno == ENOENT || errno == ENOTDIR))
        return cn_fail(err, CN_NOT_FOUND, "%s does not exist (yet)", path);
    if (fd < 0 && errno == ELOOP)
        return cn_fail(err, CN_INPUT, "%s is reached through a symbolic link: refused", path);
    if (fd < 0)
        return cn_fail_errno(err, errno, CN_TRANSIENT, "opening %s: %s", path, strerror(errno));
    struct stat st;
    if (fstat(fd, &st) < 0) {
        int e = errno;
        close(fd);
        return cn_fail(err, CN_TRANSIENT, "stat %s: %s", path, strerror(e));
    }
    if (!S_ISREG(st.st_mode)) {
        close(fd);
        return cn_fail(err, CN_INPUT, "%s is %s, not a regular file: a read could block forever, so it is refused",
                       path, cn_file_kind(st.st_mode));
    }
    if ((uint64_t)st.st_size > max) {
        close(fd);
        return cn_fail(err, CN_INPUT, "%s is %llu bytes, over the %zu-byte cap", path,
                       (unsigned long long)st.st_size, max);
    }
    cn_status rc = cn_read_all(fd, path, (size_t)st.st_size, max, data, len, err);
    close(fd);
    return rc;
}

static void fl_close(void *impl)
{
    free(impl);
}

const cn_lister_ops cn_file_lister_ops = {
    .scheme = "file",
    .description = "every game folder under a local directory, by readdir and lstat (file:///srv/games/)",
    .open = fl_open,
    .list = fl_list,
    .read = fl_read,
    .close = fl_close,
};
