/* lockholder - takes the driver lock of a state directory as a driver does
 * and holds it until killed; prints what happened.
 *
 *   lockholder DIR           hold until SIGTERM/SIGKILL
 *   lockholder DIR --once    take, report, release */
#include "config.h"

#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "lock.h"
#include "util.h"

static volatile sig_atomic_t stop;

static void
on_term(int sig)
{
	(void)sig;
	stop = 1;
}

int
main(int argc, char **argv)
{
	struct driver_lock *l;
	struct lock_holder stale;
	struct err e = { 0, "" };

	if (argc < 2) {
		fprintf(stderr, "usage: lockholder DIR [--once]\n");
		return 2;
	}
	if (lock_acquire(argv[1], &l, &stale, &e) != 0) {
		fprintf(stderr, "lockholder: %s\n", e.msg);
		return e.code;
	}
	if (stale.pid != 0)
		printf("took over a stale lock of pid %ld (%s@%s, since %s)\n",
		    stale.pid, stale.user, stale.host, stale.since);
	printf("locked %ld\n", (long)getpid());
	fflush(stdout);
	if (argc < 3 || strcmp(argv[2], "--once") != 0) {
		signal(SIGTERM, on_term);
		while (!stop)
			pause();
	}
	lock_release(l);
	return 0;
}
