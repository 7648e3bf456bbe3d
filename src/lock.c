/* lock.c - the driver lock on an open file description lock (F_OFD_SETLK):
 * the kernel drops it when the holder dies, so a crashed driver never
 * blocks the next one, and F_OFD_GETLK lets readers ask without taking it. */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cjson/cJSON.h>

#include "fileio.h"
#include "lock.h"

struct driver_lock {
	int fd;
	char *path;
};

static void
ofd_lock_struct(struct flock *fl, short type)
{
	memset(fl, 0, sizeof *fl);
	fl->l_type = type;
	fl->l_whence = SEEK_SET;
	fl->l_start = 0;
	fl->l_len = 0;
}

void
lock_holder_parse(const char *buf, size_t len, struct lock_holder *h)
{
	const cJSON *v;
	cJSON *o;

	memset(h, 0, sizeof *h);
	if ((o = cJSON_ParseWithLength(buf, len)) == NULL)
		return;
	/* A pid is a positive int: anything else names no holder. */
	if ((v = cJSON_GetObjectItemCaseSensitive(o, "pid")) && cJSON_IsNumber(v) &&
	    v->valuedouble >= 1 && v->valuedouble <= INT_MAX)
		h->pid = (long)v->valuedouble;
	if ((v = cJSON_GetObjectItemCaseSensitive(o, "user")) && cJSON_IsString(v))
		snprintf(h->user, sizeof h->user, "%s", v->valuestring);
	if ((v = cJSON_GetObjectItemCaseSensitive(o, "host")) && cJSON_IsString(v))
		snprintf(h->host, sizeof h->host, "%s", v->valuestring);
	if ((v = cJSON_GetObjectItemCaseSensitive(o, "since")) && cJSON_IsString(v))
		snprintf(h->since, sizeof h->since, "%s", v->valuestring);
	cJSON_Delete(o);
}

static void
read_holder(int fd, struct lock_holder *h)
{
	char buf[1024];
	ssize_t n;

	memset(h, 0, sizeof *h);
	n = pread(fd, buf, sizeof buf - 1, 0);
	if (n <= 0)
		return;
	buf[n] = '\0';
	lock_holder_parse(buf, (size_t)n, h);
}

static int
write_holder(int fd)
{
	char since[40], *text;
	cJSON *o = cJSON_CreateObject();
	int rc;

	time_rfc3339(now_ms(), since, sizeof since);
	cJSON_AddNumberToObject(o, "pid", (double)getpid());
	cJSON_AddStringToObject(o, "user", actor_user());
	cJSON_AddStringToObject(o, "host", actor_host());
	cJSON_AddStringToObject(o, "since", since);
	text = cJSON_PrintUnformatted(o);
	cJSON_Delete(o);
	rc = ftruncate(fd, 0) == 0 && pwrite(fd, text, strlen(text), 0) ==
	    (ssize_t)strlen(text) && pwrite(fd, "\n", 1, (off_t)strlen(text)) == 1 &&
	    fsync(fd) == 0 ? 0 : -1;
	cJSON_free(text);
	return rc;
}

int
lock_acquire(const char *dir, struct driver_lock **out,
    struct lock_holder *stale, struct err *e)
{
	struct lock_holder h;
	struct flock fl;
	char *path = xasprintf("%s/lock", dir);
	int fd, tries;

	*out = NULL;
	memset(stale, 0, sizeof *stale);
	fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
	if (fd < 0) {
		err_set(e, EXIT_RUNTIME, "%s: cannot open: %s", path,
		    strerror(errno));
		free(path);
		return -1;
	}
	ofd_lock_struct(&fl, F_WRLCK);
	if (fcntl(fd, F_OFD_SETLK, &fl) != 0) {
		if (errno != EAGAIN && errno != EACCES) {
			err_set(e, EXIT_RUNTIME, "%s: cannot lock: %s", path,
			    strerror(errno));
		} else {
			/* The holder writes its name right after locking. */
			for (tries = 0; tries < 20; tries++) {
				read_holder(fd, &h);
				if (h.pid != 0)
					break;
				usleep(10000);
			}
			if (h.pid != 0)
				err_set(e, EXIT_LOCKED,
				    "%s is held by another driver: pid %ld, %s@%s, since %s",
				    path, h.pid, h.user, h.host, h.since);
			else
				err_set(e, EXIT_LOCKED,
				    "%s is held by another driver that is just starting",
				    path);
		}
		close(fd);
		free(path);
		return -1;
	}
	/* Ours. A holder still named in the file died without releasing. */
	read_holder(fd, &h);
	if (h.pid != 0)
		*stale = h;
	if (write_holder(fd) != 0) {
		err_set(e, EXIT_RUNTIME, "%s: cannot write: %s", path,
		    strerror(errno));
		close(fd);
		free(path);
		return -1;
	}
	*out = xcalloc(1, sizeof **out);
	(*out)->fd = fd;
	(*out)->path = path;
	return 0;
}

void
lock_release(struct driver_lock *l)
{
	if (l == NULL)
		return;
	if (ftruncate(l->fd, 0) == 0)
		(void)fsync(l->fd);
	close(l->fd);
	free(l->path);
	free(l);
}

int
lock_fd(const struct driver_lock *l)
{
	return l != NULL ? l->fd : -1;
}

int
lock_query(const char *dir, struct lock_holder *h)
{
	char *path = xasprintf("%s/lock", dir);
	struct flock fl;
	int fd;

	memset(h, 0, sizeof *h);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	free(path);
	if (fd < 0)
		return 0;
	ofd_lock_struct(&fl, F_WRLCK);
	if (fcntl(fd, F_OFD_GETLK, &fl) != 0 || fl.l_type == F_UNLCK) {
		close(fd);
		return 0;
	}
	read_holder(fd, h);
	close(fd);
	return 1;
}
