/* fileio.c - crash-safe file writes, bounded reads, removing a tree. */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <libgen.h>
#include <pwd.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#if defined(HAVE_SYS_FSUID_H)
#include <sys/fsuid.h>
#endif
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

/* ------------------------------------------------------- safe writes */

/* The directory part and the last component of path ("a/b" -> "a", "b";
 * "b" -> ".", "b"; "/b" -> "/", "b"). NULL when path names no file. */
static char *
split_path(const char *path, const char **base)
{
	const char *slash = strrchr(path, '/');

	if (*path == '\0' || (slash != NULL && slash[1] == '\0'))
		return NULL;
	if (slash == NULL) {
		*base = path;
		return xstrdup(".");
	}
	*base = slash + 1;
	if (strcmp(*base, ".") == 0 || strcmp(*base, "..") == 0)
		return NULL;
	return slash == path ? xstrdup("/") :
	    xstrndup(path, (size_t)(slash - path));
}

static const char *
node_kind(mode_t m)
{
	return S_ISLNK(m) ? "a symbolic link" : S_ISDIR(m) ? "a directory" :
	    S_ISBLK(m) ? "a block device" : S_ISSOCK(m) ? "a socket" :
	    S_ISCHR(m) ? "a character device" : S_ISFIFO(m) ? "a FIFO" :
	    "not a regular file";
}

/* A destination that exists and is not a regular file (/dev/null, a FIFO,
 * a terminal) is written in place, as the shell's `>` would: replacing it
 * with a regular file would break whatever else uses it. */
static int
write_in_place(int dfd, const char *path, const char *base,
    const struct stat *was, const char *data, size_t len, struct err *e)
{
	struct stat st;
	int fd, saved;

	fd = openat(dfd, base, O_WRONLY | O_NOFOLLOW | O_NOCTTY | O_CLOEXEC);
	if (fd < 0)
		return err_set(e, EXIT_RUNTIME, "%s: cannot open: %s", path,
		    strerror(errno));
	/* Swapped for something else since we looked: not ours to write. */
	if (fstat(fd, &st) != 0 || st.st_dev != was->st_dev ||
	    st.st_ino != was->st_ino || S_ISREG(st.st_mode)) {
		close(fd);
		return err_set(e, EXIT_RUNTIME, "%s: changed while it was being "
		    "opened; nothing written", path);
	}
	if (write_all(fd, data, len) != 0) {
		saved = errno;
		close(fd);
		return err_set(e, EXIT_RUNTIME, "%s: cannot write: %s", path,
		    strerror(saved));
	}
	close(fd);
	return 0;
}

/* Whose rules a file written in the directory d follows. As root, a file
 * in a directory another user owns is created as that user (its owner
 * decides what is in it anyway): root never creates files where another
 * user could have prepared the ground. */
struct writer {
	bool switched;
	uid_t uid;
	gid_t gid;
};

static int
writer_for(const char *dir, const struct stat *d, struct writer *w,
    struct err *e)
{
	struct passwd *pw;

	memset(w, 0, sizeof *w);
	if (geteuid() != 0)
		return 0;
	if (d->st_uid == 0) {
		if ((d->st_mode & S_IWOTH) != 0 && (d->st_mode & S_ISVTX) == 0)
			return err_set(e, EXIT_USAGE, "%s: writable by everyone and "
			    "not sticky: refusing to write there as root", dir);
		return 0;
	}
#if defined(HAVE_SYS_FSUID_H)
	pw = getpwuid(d->st_uid);
	w->switched = true;
	w->uid = d->st_uid;
	w->gid = pw != NULL ? pw->pw_gid : d->st_gid;
	return 0;
#else
	(void)pw;
	return err_set(e, EXIT_USAGE, "%s: owned by uid %ld: root does not write "
	    "into another user's directory on this system", dir,
	    (long)d->st_uid);
#endif
}

static void
writer_become(const struct writer *w, bool on)
{
#if defined(HAVE_SYS_FSUID_H)
	if (!w->switched)
		return;
	/* The file system ids only: the process stays root otherwise. */
	if (on) {
		setfsgid(w->gid);
		setfsuid(w->uid);
	} else {
		setfsuid(geteuid());
		setfsgid(getegid());
	}
#else
	(void)w;
	(void)on;
#endif
}

/* A new file beside the destination: a random name, created exclusively
 * and never through a link. */
static int
temp_create(int dfd, const char *base, char *name, size_t namelen)
{
	char rnd[17];
	int fd, tries;

	for (tries = 0; tries < 16; tries++) {
		if (random_hex(rnd, 8) != 0)
			snprintf(rnd, sizeof rnd, "%08lx%08lx", (long)getpid(),
			    (long)(mono_ms() + tries));
		snprintf(name, namelen, ".%.200s.cutover-%s", base, rnd);
		fd = openat(dfd, name, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW |
		    O_CLOEXEC, 0600);
		if (fd >= 0 || errno != EEXIST)
			return fd;
	}
	return -1;
}

/* The one way cutover writes a file: see fileio.h. */
static int
write_file(const char *path, const char *data, size_t len, mode_t mode,
    bool keep, struct err *e)
{
	struct stat d, st;
	struct writer w;
	const char *base;
	char *dir, tmp[256];
	bool exists = false;
	int dfd = -1, fd = -1, rc = -1, saved;

	if ((dir = split_path(path, &base)) == NULL)
		return err_set(e, EXIT_USAGE, "%s: not a file name", path);
	dfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (dfd < 0 || fstat(dfd, &d) != 0) {
		err_set(e, EXIT_RUNTIME, "%s: cannot create: the directory %s: %s",
		    path, dir, strerror(errno));
		goto out;
	}
	if (fstatat(dfd, base, &st, AT_SYMLINK_NOFOLLOW) == 0) {
		exists = true;
		if (S_ISLNK(st.st_mode) || S_ISDIR(st.st_mode) ||
		    S_ISBLK(st.st_mode) || S_ISSOCK(st.st_mode)) {
			err_set(e, EXIT_USAGE, "%s is %s: not written%s", path,
			    node_kind(st.st_mode), S_ISLNK(st.st_mode) ?
			    " (cutover never writes through a link: name the file "
			    "it points to)" : "");
			goto out;
		}
		if (!S_ISREG(st.st_mode)) {
			rc = write_in_place(dfd, path, base, &st, data, len, e);
			goto out;
		}
	} else if (errno != ENOENT) {
		err_set(e, EXIT_RUNTIME, "%s: %s", path, strerror(errno));
		goto out;
	}
	if (keep && !exists) {
		err_set(e, EXIT_RUNTIME, "%s: does not exist", path);
		goto out;
	}
	if (writer_for(dir, &d, &w, e) != 0)
		goto out;
	writer_become(&w, true);
	fd = temp_create(dfd, base, tmp, sizeof tmp);
	if (fd < 0) {
		saved = errno;
		writer_become(&w, false);
		err_set(e, EXIT_RUNTIME, "%s: cannot create a file in %s: %s", path,
		    dir, strerror(saved));
		goto out;
	}
	/* An existing file keeps its owner (when we may give it) and mode. */
	if (keep && !w.switched && (st.st_uid != geteuid() ||
	    st.st_gid != getegid()) && fchown(fd, st.st_uid, st.st_gid) != 0 &&
	    errno != EPERM)
		goto fail;
	if (write_all(fd, data, len) != 0 ||
	    fchmod(fd, keep ? st.st_mode & 07777 : mode) != 0 || fsync(fd) != 0)
		goto fail;
	saved = close(fd);
	fd = -1;
	if (saved != 0 || renameat(dfd, tmp, dfd, base) != 0)
		goto fail;
	writer_become(&w, false);
	if (fsync(dfd) != 0) {
		err_set(e, EXIT_RUNTIME, "%s: cannot sync the directory: %s", path,
		    strerror(errno));
		goto out;
	}
	rc = 0;
	goto out;
fail:
	saved = errno;
	if (fd >= 0)
		close(fd);
	unlinkat(dfd, tmp, 0);
	writer_become(&w, false);
	err_set(e, EXIT_RUNTIME, "%s: cannot write: %s", path, strerror(saved));
	errno = saved;
out:
	saved = errno;
	if (dfd >= 0)
		close(dfd);
	free(dir);
	errno = saved;
	return rc;
}

int
file_write_atomic(const char *path, const char *data, size_t len,
    mode_t mode, struct err *e)
{
	return write_file(path, data, len, mode, false, e);
}

int
file_rewrite(const char *path, const char *data, size_t len, struct err *e)
{
	return write_file(path, data, len, 0, true, e);
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
	/* Whoever else could write here could plant links or rewrite the
	 * state a crashed driver resumes from. */
	if (st.st_uid != geteuid() || (st.st_mode & 077) != 0)
		return err_set(e, EXIT_USAGE, "%s: the state directory must be "
		    "owned by you (uid %ld) and private (mode 0700); it is owned "
		    "by uid %ld with mode %04o (chown/chmod 700 it, or choose "
		    "another with -s)", dir, (long)geteuid(), (long)st.st_uid,
		    (unsigned)(st.st_mode & 07777));
	if (access(dir, W_OK | X_OK) != 0)
		return err_set(e, EXIT_RUNTIME, "%s: state directory is not writable: %s",
		    dir, strerror(errno));
	return 0;
}

#define RESERVE_FILE "reserve"
#define RESERVE_BYTES (1 << 20)

int
reserve_make(const char *dir)
{
	char *path = xasprintf("%s/%s", dir, RESERVE_FILE);
	static const char zeros[65536];
	struct stat st;
	int fd, rc = 0;
	size_t done;

	if (lstat(path, &st) == 0 && S_ISREG(st.st_mode) &&
	    st.st_size >= RESERVE_BYTES) {
		free(path);
		return 0;
	}
	fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_NOFOLLOW | O_CLOEXEC,
	    0600);
	if (fd < 0) {
		free(path);
		return -1;
	}
	/* Written, not sparse: the blocks must really be taken. */
	for (done = 0; done < RESERVE_BYTES && rc == 0; done += sizeof zeros)
		rc = write_all(fd, zeros, sizeof zeros);
	if (rc != 0 || fsync(fd) != 0) {
		close(fd);
		unlink(path);
		free(path);
		return -1;
	}
	close(fd);
	free(path);
	return 0;
}

int
reserve_release(const char *dir)
{
	char *path = xasprintf("%s/%s", dir, RESERVE_FILE);
	int rc = unlink(path) == 0 ? 1 : 0;

	free(path);
	return rc;
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
