/*
 * fileio.h — local file helpers shared by the file:// backends and gamestream-sim's
 * file:// target: directories made on demand, whole writes, and atomic replacement
 * (temporary file, fsync, rename), so a reader sees the old file or the new one.
 */
#ifndef CN_FILEIO_H
#define CN_FILEIO_H

#include <sys/stat.h>

#include "connector.h"

/* True when u names a local absolute path: file:///abs or file://localhost/abs. */
bool cn_uri_is_local_path(const cn_uri *u);
/* Creates dir and any missing parents. */
cn_status cn_mkdirs(const char *dir, cn_error *err);
/* Creates the directories that file's path needs. */
cn_status cn_mkdirs_for(const char *file, cn_error *err);
/* Reads fd to its end into a malloc'd, NUL-terminated buffer (*data, *len), refusing more
 * than max bytes (CN_INPUT) even when the file grows while it is read; hint is its size
 * (from fstat), the first allocation. Read in large reads, not byte by byte. */
cn_status cn_read_all(int fd, const char *path, size_t hint, size_t max, char **data, size_t *len, cn_error *err);
/* Writes all of buf to fd; path names it in the error. */
cn_status cn_write_all(int fd, const char *buf, size_t len, const char *path, cn_error *err);
/* Replaces path with data, then tail (a string; NULL for none), atomically: PATH.tmp.PID
 * (created afresh with O_EXCL), fsync, rename. A symlink at path is replaced, never followed. */
cn_status cn_replace_file(const char *path, const char *data, size_t len, const char *tail, bool durable,
                          cn_error *err);

/* Opens key (relative, '/'-separated) under dir one component at a time, following no
 * symbolic link on the way (O_NOFOLLOW alone checks only the last one): read-only,
 * O_NONBLOCK (a FIFO does not wait for a writer). -1 with errno set, ELOOP for a link. */
int cn_open_beneath(const char *dir, const char *key);

/* Names what a non-regular file is ("a FIFO", "a directory", ...), for error messages. */
const char *cn_file_kind(mode_t mode);

#endif
