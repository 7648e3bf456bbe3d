/* fileio.h - crash-safe file writes and bounded reads. */
#ifndef CUTOVER_FILEIO_H
#define CUTOVER_FILEIO_H

#include <stddef.h>
#include <sys/types.h>

#include "util.h"

/* THE way cutover writes a file (state, snapshot, results, reports,
 * configs, pgbouncer's entry file). A regular file is replaced
 * atomically: a new file with a random name is created beside it
 * (O_EXCL, O_NOFOLLOW), written, fsync'd and renamed over path, then the
 * directory is fsync'd; readers see the old or the new content, never a
 * mix. It never writes through a symbolic link (an error). A destination
 * that exists and is not a regular file (/dev/null, a FIFO, a terminal)
 * is written in place, never replaced; a directory, block device or
 * socket is an error. Run as root, a file in a directory that another
 * user owns is created with that user's file system ids (it becomes
 * theirs), and a world-writable directory without the sticky bit is
 * refused. errno is kept for the caller (ENOSPC: the disk is full). */
int file_write_atomic(const char *path, const char *data, size_t len,
    mode_t mode, struct err *e);
/* The same for a file that must exist, keeping its owner, group (when
 * this user may give them) and mode: a file another program reads. */
int file_rewrite(const char *path, const char *data, size_t len,
    struct err *e);

/* Reads a whole file of at most max bytes. *out is NUL-terminated.
 * Returns 0, or -1 with errno set (EFBIG when the file is too large). */
int file_read_all(const char *path, size_t max, char **out, size_t *len);

/* fsync of the directory that holds path. */
int fsync_parent_dir(const char *path);

/* Creates dir (mode 0700) if missing; an existing directory must be ours,
 * mode 0700 (else EXIT_USAGE) and writable. */
int dir_ensure_private(const char *dir, struct err *e);

/* The state directory keeps a 1 MiB reserve file: when its file system
 * fills up, the reserve is released so that the way back can still be
 * logged and recorded. reserve_make() (re)creates it (0, or -1 with
 * errno); reserve_release() removes it (1 when there was one). */
int reserve_make(const char *dir);
int reserve_release(const char *dir);

/* Writes all of buf, retrying short writes and EINTR. */
int write_all(int fd, const void *buf, size_t len);

/* rm -rf of path without following links; a missing entry is not an
 * error. 0, or -1 with errno set. */
int remove_tree(const char *path);

#endif
