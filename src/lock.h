/* lock.h - the driver lock: one driver per state directory. */
#ifndef CUTOVER_LOCK_H
#define CUTOVER_LOCK_H

#include <stdbool.h>
#include <stddef.h>

#include "util.h"

struct lock_holder {
	long pid;
	char user[128];
	char host[256];
	char since[40];        /* RFC 3339 */
};

struct driver_lock;

/* Takes <dir>/lock for as long as the process runs. When another live
 * driver holds it: EXIT_LOCKED with a message naming pid, user, host and
 * since. When the file names a holder that is gone (it crashed), the lock
 * is taken over and *stale describes the old holder (stale->pid != 0). */
int lock_acquire(const char *dir, struct driver_lock **out,
    struct lock_holder *stale, struct err *e);
/* Releases the lock and clears the file (a clean exit leaves no holder). */
void lock_release(struct driver_lock *l);
/* Who holds the lock, without taking it: 1 held (h filled), 0 free. */
int lock_query(const char *dir, struct lock_holder *h);
/* Reads the holder written in a lock file (pid 0: none or unreadable). */
void lock_holder_parse(const char *buf, size_t len, struct lock_holder *h);
/* In a child after fork(): close the lock's fd without releasing it. */
int lock_fd(const struct driver_lock *l);

#endif
