/*
 * fileio.c — see fileio.h.
 */
#include "fileio.h"

#include "backends.h"

#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

bool cn_uri_is_local_path(const cn_uri *u)
{
    return (!u->host[0] || strcmp(u->host, "localhost") == 0) && u->path[0] == '/' && u->path[1] != '\0';
}

/* Makes every directory along path; with whole, path itself too. */
static cn_status make_dirs(const char *path, bool whole, cn_error *err)
{
    char dir[1024];
    snprintf(dir, sizeof dir, "%s", path);
    for (char *p = dir + 1;; p++) {
        if (*p != '/' && (*p != '\0' || !whole)) {
            if (*p == '\0')
                break;
            continue;
        }
        char c = *p;
        *p = '\0';
        if (mkdir(dir, 0755) < 0 && errno != EEXIST)
            return cn_fail_errno(err, errno, CN_FATAL, "creating directory %s: %s", dir,
                           strerror(errno));
        *p = c;
        if (c == '\0')
            break;
    }
    return CN_OK;
}

cn_status cn_mkdirs(const char *dir, cn_error *err)
{
    return make_dirs(dir, true, err);
}

cn_status cn_mkdirs_for(const char *file, cn_error *err)
{
    return make_dirs(file, false, err);
}

cn_status cn_write_all(int fd, const char *buf, size_t len, const char *path, cn_error *err)
{
    while (len > 0) {
        ssize_t w = write(fd, buf, len);
        if (w < 0 && errno == EINTR)
            continue;
        if (w < 0)
            return cn_fail_errno(err, errno, CN_FATAL, "writing %s: %s", path, strerror(errno));
        buf += w;
        len -= (size_t)w;
    }
    return CN_OK;
}

cn_status cn_replace_file(const char *path, const char *data, size_t len, const char *tail, bool durable,
                          cn_error *err)
{
    char tmp[1100];
    snprintf(tmp, sizeof tmp, "%s.tmp.%ld", path, (long)getpid());
    /* A killed process with our pid (pid 1 in a container, every time) can have left
     * this name behind. O_EXCL then creates a new file: never one planted as a symlink. */
    unlink(tmp);
    int fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
    if (fd < 0)
        return cn_fail_errno(err, errno, CN_FATAL, "creating %s: %s", tmp, strerror(errno));
    cn_status rc = cn_write_all(fd, data, len, tmp, err);
    if (!rc && tail)
        rc = cn_write_all(fd, tail, strlen(tail), tmp, err);
    if (!rc && durable && fsync(fd) < 0)
        rc = cn_fail_errno(err, errno, CN_FATAL, "flushing %s: %s", tmp, strerror(errno));
    close(fd);
    if (!rc && rename(tmp, path) < 0)
        rc = cn_fail_errno(err, errno, CN_FATAL, "renaming %s to %s: %s", tmp, path, strerror(errno));
    if (rc)
        unlink(tmp);
    return rc;
}

int cn_open_beneath(const char *dir, const char *key)
{
    int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    char part[1024];
    for (const char *p = key; fd >= 0;) {
        size_t n = strcspn(p, "/");
        snprintf(part, sizeof part, "%.*s", (int)n, p);
        bool last = p[n] == '\0';
        int flags = last ? O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC
                         : O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC;
        int next = n ? openat(fd, part, flags) : (errno = ENOENT, -1);
        struct stat st;
        if (next < 0 && errno == ENOTDIR && fstatat(fd, part, &st, AT_SYMLINK_NOFOLLOW) == 0 && S_ISLNK(st.st_mode))
            errno = ELOOP; /* a folder reached through a link, not a missing one */
        int e = errno;
        close(fd);
        errno = e;
        fd = next;
        if (last)
            break;
        p += n + 1;
    }
    return fd;
}

const char *cn_file_kind(mode_t mode)
{
    return S_ISFIFO(mode) ? "a FIFO" : S_ISDIR(mode) ? "a directory" : S_ISCHR(mode) ? "a character device"
           : S_ISBLK(mode) ? "a block device" : S_ISSOCK(mode) ? "a socket" : "a special file";
}

/* (fileio.h) The buffer starts at hint + 2 bytes (the NUL and one byte too many, which
 * tells a file that grew past max) and doubles up to max + 2. */
cn_status cn_read_all(int fd, const char *path, size_t hint, size_t max, char **data, size_t *len, cn_error *err)
{
    if (max > SIZE_MAX / 4)
        max = SIZE_MAX / 4;
    size_t cap = (hint < max ? hint : max) + 2, n = 0; /* room for the NUL and one byte too many */
    char *buf = NULL;
    cn_status rc = CN_OK;
    for (;;) {
        if (!buf || n + 1 == cap) {
            size_t want = !buf ? cap : cap * 2 < max + 2 ? cap * 2 : max + 2;
            char *p = realloc(buf, want);
            if (!p) {
                rc = cn_fail(err, CN_FATAL, "out of memory reading %s", path);
                break;
            }
            buf = p;
            cap = want;
        }
        ssize_t r = read(fd, buf + n, cap - 1 - n);
        if (r < 0 && errno == EINTR)
            continue;
        if (r < 0) {
            rc = cn_fail(err, CN_TRANSIENT, "reading %s: %s", path, strerror(errno));
            break;
        }
        if (r == 0) {
            buf[n] = '\0';
            *data = buf;
            *len = n;
            return CN_OK;
        }
        if ((n += (size_t)r) > max) {
            rc = cn_fail(err, CN_INPUT, "%s grew over the %zu-byte cap while it was read", path, max);
            break;
        }
    }
    free(buf);
    return rc;
}
