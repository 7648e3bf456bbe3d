/* fileio.h - crash-safe file writes and bounded reads. */
#ifndef CUTOVER_FILEIO_H
#define CUTOVER_FILEIO_H

#include <stddef.h>
#include <sys/types.h>

#include "util.h"

/* Replaces path with data atomically: a temporary file in the same
 * directory is written, fsync'd and renamed over path, then the directory
 * is fsync'd. Readers see the old or the new content, never a mix. */
int file_write_atomic(const char *path, const char *data, size_t len,
    mode_t mode, struct err *e);

/* Reads a whole file of at most max bytes. *out is NUL-terminated.
 * Returns 0, or -1 with errno set (EFBIG when the file is too large). */
int file_read_all(const char *path, size_t max, char **out, size_t *len);

/* fsync of the directory that holds path. */
int fsync_parent_dir(const char *path);

/* Creates dir (mode 0700) if missing; an existing directory must be
 * writable by us. */
int dir_ensure_private(const char *dir, struct err *e);

/* Writes all of buf, retrying short writes and EINTR. */
int write_all(int fd, const void *buf, size_t len);

/* rm -rf of path without following links; a missing entry is not an
 * error. 0, or -1 with errno set. */
int remove_tree(const char *path);

#endif
