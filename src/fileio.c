/* fileio.c - crash-safe file writes, bounded reads, removing a tree. */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <libgen.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "fileio.h"

int
write_all(int fd, const void *buf, size_t len)
{
	const char *p = buf;
	ssize_t n;

	while (len > 0) {
		n = write(fd, p, len);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			return -1;
		}
		p += n;
		len -= (size_t)n;
	}
	return 0;
}

int
fsync_parent_dir(const char *path)
{
	char *copy = xstrdup(path), *dir;
	int fd, rc;

	dir = dirname(copy);
	fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	free(copy);
	if (fd < 0)
		return -1;
	rc = fsync(fd);
	close(fd);
	return rc;
}

int
file_write_atomic(const char *path, const char *data, size_t len,
    mode_t mode, struct err *e)
{
	char *tmp = xasprintf("%s.tmp.%ld", path, (long)getpid());
	int fd, saved;

	fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, mode);
	if (fd < 0) {
		err_set(e, EXIT_RUNTIME, "%s: cannot create: %s", tmp,
		    strerror(errno));
		free(tmp);
		return -1;
	}
	if (write_all(fd, data, len) != 0 || fchmod(fd, mode) != 0 ||
	    fsync(fd) != 0) {
		saved = errno;
		close(fd);
		unlink(tmp);
		err_set(e, EXIT_RUNTIME, "%s: cannot write: %s", tmp,
		    strerror(saved));
		free(tmp);
		return -1;
	}
	if (close(fd) != 0 || rename(tmp, path) != 0) {
		saved = errno;
		unlink(tmp);
		err_set(e, EXIT_RUNTIME, "%s: cannot replace: %s", path,
		    strerror(saved));
		free(tmp);
		return -1;
	}
	free(tmp);
	if (fsync_parent_dir(path) != 0)
		return err_set(e, EXIT_RUNTIME, "%s: cannot sync directory: %s",
		    path, strerror(errno));
	return 0;
}

int
file_read_all(const char *path, size_t max, char **out, size_t *len)
{
	struct strbuf sb;
	char buf[65536];
	ssize_t n;
	int fd;

	*out = NULL;
	if (len != NULL)
		*len = 0;
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -1;
	sb_init(&sb);
	for (;;) {
		n = read(fd, buf, sizeof buf);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			goto fail;
		}
		if (n == 0)
			break;
		if (sb.len + (size_t)n > max) {
			errno = EFBIG;
			goto fail;
		}
		sb_add(&sb, buf, (size_t)n);
	}
	close(fd);
	if (len != NULL)
		*len = sb.len;
	*out = sb_detach(&sb);
	return 0;
fail:
	n = errno;
	close(fd);
	sb_free(&sb);
	errno = (int)n;
	return -1;
}

int
dir_ensure_private(const char *dir, struct err *e)
{
	struct stat st;

	if (mkdir(dir, 0700) == 0) {
		fsync_parent_dir(dir);
		return 0;
	}
	if (errno != EEXIST)
		return err_set(e, EXIT_RUNTIME, "%s: cannot create directory: %s",
		    dir, strerror(errno));
	if (stat(dir, &st) != 0 || !S_ISDIR(st.st_mode))
		return err_set(e, EXIT_USAGE, "%s: not a directory", dir);
	if (access(dir, W_OK | X_OK) != 0)
		return err_set(e, EXIT_RUNTIME, "%s: state directory is not writable: %s",
		    dir, strerror(errno));
	return 0;
}

static int
remove_entry(const char *path, const struct stat *st, int flag,
    struct FTW *ftw)
{
	(void)st;
	(void)flag;
	(void)ftw;
	return remove(path) != 0 && errno != ENOENT ? -1 : 0;
}

int
remove_tree(const char *path)
{
	return nftw(path, remove_entry, 32, FTW_DEPTH | FTW_PHYS);
}
