/* loop.c - poll(), timers, a self-pipe for signals; see loop.h. */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "loop.h"
#include "util.h"

struct loop_io {
	struct loop *loop;
	int fd;
	int events;
	loop_io_fn fn;
	void *arg;
	bool dead;
};

struct loop_timer {
	int64_t due;
	uint64_t order;            /* ties run in the order they were added */
	loop_timer_fn fn;
	void *arg;
	bool dead;
};

struct loop_sig {
	int signo;
	loop_signal_fn fn;
	void *arg;
};

struct loop {
	struct loop_io **io;
	size_t nio, capio;
	struct loop_timer **timers;  /* a binary min-heap on (due, order) */
	size_t ntimers, captimers;
	uint64_t timer_order;
	struct loop_sig sigs[16];
	size_t nsigs;
	loop_pass_fn pass_fn;
	void *pass_arg;
	int64_t now;
	bool stop;
	struct pollfd *pfd;
	size_t cappfd;
};

/* The self-pipe: handlers write the signal number, the loop reads it. */
static int sigpipe[2] = { -1, -1 };

static void
on_signal(int signo)
{
	unsigned char b = (unsigned char)signo;
	int saved = errno;

	if (write(sigpipe[1], &b, 1) < 0) {
		/* full pipe: the loop has plenty to read already */
	}
	errno = saved;
}

struct loop *
loop_new(void)
{
	struct loop *l = xcalloc(1, sizeof *l);

	l->now = mono_ms();
	return l;
}

void
loop_free(struct loop *l)
{
	size_t i;

	if (l == NULL)
		return;
	for (i = 0; i < l->nio; i++)
		free(l->io[i]);
	for (i = 0; i < l->ntimers; i++)
		free(l->timers[i]);
	for (i = 0; i < l->nsigs; i++)
		signal(l->sigs[i].signo, SIG_DFL);
	free(l->io);
	free(l->timers);
	free(l->pfd);
	free(l);
}

struct loop_io *
loop_io_add(struct loop *l, int fd, int events, loop_io_fn fn, void *arg)
{
	struct loop_io *io = xcalloc(1, sizeof *io);

	io->loop = l;
	io->fd = fd;
	io->events = events;
	io->fn = fn;
	io->arg = arg;
	if (l->nio == l->capio) {
		l->capio = l->capio ? 2 * l->capio : 16;
		l->io = xreallocarray(l->io, l->capio, sizeof *l->io);
	}
	l->io[l->nio++] = io;
	return io;
}

void
loop_io_set_events(struct loop_io *io, int events)
{
	io->events = events;
}

int
loop_io_fd(const struct loop_io *io)
{
	return io->fd;
}

void
loop_io_remove(struct loop_io *io)
{
	if (io != NULL)
		io->dead = true;	/* freed after the pass's dispatch */
}

static bool
timer_before(const struct loop_timer *a, const struct loop_timer *b)
{
	return a->due < b->due || (a->due == b->due && a->order < b->order);
}

static void
heap_swap(struct loop *l, size_t a, size_t b)
{
	struct loop_timer *t = l->timers[a];

	l->timers[a] = l->timers[b];
	l->timers[b] = t;
}

static void
heap_up(struct loop *l, size_t i)
{
	while (i > 0 && timer_before(l->timers[i], l->timers[(i - 1) / 2])) {
		heap_swap(l, i, (i - 1) / 2);
		i = (i - 1) / 2;
	}
}

static void
heap_down(struct loop *l, size_t i)
{
	size_t c;

	for (;;) {
		c = 2 * i + 1;
		if (c >= l->ntimers)
			return;
		if (c + 1 < l->ntimers && timer_before(l->timers[c + 1], l->timers[c]))
			c++;
		if (!timer_before(l->timers[c], l->timers[i]))
			return;
		heap_swap(l, i, c);
		i = c;
	}
}

static struct loop_timer *
heap_pop(struct loop *l)
{
	struct loop_timer *t = l->timers[0];

	l->timers[0] = l->timers[--l->ntimers];
	heap_down(l, 0);
	return t;
}

struct loop_timer *
loop_timer_add(struct loop *l, int64_t delay_ms, loop_timer_fn fn, void *arg)
{
	struct loop_timer *t = xcalloc(1, sizeof *t);

	t->due = mono_ms() + (delay_ms > 0 ? delay_ms : 0);
	t->order = l->timer_order++;
	t->fn = fn;
	t->arg = arg;
	if (l->ntimers == l->captimers) {
		l->captimers = l->captimers ? 2 * l->captimers : 16;
		l->timers = xreallocarray(l->timers, l->captimers, sizeof *l->timers);
	}
	l->timers[l->ntimers] = t;
	heap_up(l, l->ntimers++);
	return t;
}

void
loop_timer_cancel(struct loop_timer *t)
{
	if (t != NULL)
		t->dead = true;	/* freed when it reaches the top of the heap */
}

int
loop_signal(struct loop *l, int signo, loop_signal_fn fn, void *arg)
{
	struct sigaction sa;
	int flags, i;

	if (l->nsigs == ARRAY_SIZE(l->sigs))
		return -1;
	if (sigpipe[0] < 0) {
		if (pipe(sigpipe) != 0)
			return -1;
		for (i = 0; i < 2; i++) {
			flags = fcntl(sigpipe[i], F_GETFL);
			fcntl(sigpipe[i], F_SETFL, flags | O_NONBLOCK);
			fcntl(sigpipe[i], F_SETFD, FD_CLOEXEC);
		}
	}
	l->sigs[l->nsigs].signo = signo;
	l->sigs[l->nsigs].fn = fn;
	l->sigs[l->nsigs].arg = arg;
	l->nsigs++;
	memset(&sa, 0, sizeof sa);
	sa.sa_handler = on_signal;
	sigemptyset(&sa.sa_mask);
	sa.sa_flags = SA_RESTART;
	return sigaction(signo, &sa, NULL);
}

void
loop_on_pass(struct loop *l, loop_pass_fn fn, void *arg)
{
	l->pass_fn = fn;
	l->pass_arg = arg;
}

static void
dispatch_signals(struct loop *l)
{
	unsigned char buf[64];
	ssize_t n, i;
	size_t j;

	while ((n = read(sigpipe[0], buf, sizeof buf)) > 0)
		for (i = 0; i < n; i++)
			for (j = 0; j < l->nsigs; j++)
				if (l->sigs[j].signo == buf[i])
					l->sigs[j].fn(buf[i], l->sigs[j].arg);
}

static void
run_timers(struct loop *l)
{
	struct loop_timer *t;
	int64_t now = mono_ms();
	uint64_t limit = l->timer_order;

	/* Timers added by these callbacks wait for the next pass. */
	while (l->ntimers > 0 && (l->timers[0]->dead ||
	    (l->timers[0]->due <= now && l->timers[0]->order < limit))) {
		t = heap_pop(l);
		if (!t->dead)
			t->fn(t, t->arg);
		free(t);
	}
}

static void
reap_dead_io(struct loop *l)
{
	size_t i, j = 0;

	for (i = 0; i < l->nio; i++) {
		if (l->io[i]->dead)
			free(l->io[i]);
		else
			l->io[j++] = l->io[i];
	}
	l->nio = j;
}

int
loop_run_once(struct loop *l, int64_t max_wait_ms)
{
	size_t i, n, nfds;
	int64_t wait = max_wait_ms;
	int rc;

	while (l->ntimers > 0 && l->timers[0]->dead)
		free(heap_pop(l));
	if (l->ntimers > 0) {
		int64_t until = l->timers[0]->due - mono_ms();

		if (until < 0)
			until = 0;
		if (wait < 0 || until < wait)
			wait = until;
	}
	reap_dead_io(l);
	n = l->nio;
	nfds = n + (sigpipe[0] >= 0 ? 1 : 0);
	if (nfds > l->cappfd) {
		l->cappfd = nfds * 2;
		l->pfd = xreallocarray(l->pfd, l->cappfd, sizeof *l->pfd);
	}
	for (i = 0; i < n; i++) {
		l->pfd[i].fd = l->io[i]->events != 0 ? l->io[i]->fd : -1;
		l->pfd[i].events = (short)l->io[i]->events;
		l->pfd[i].revents = 0;
	}
	if (sigpipe[0] >= 0) {
		l->pfd[n].fd = sigpipe[0];
		l->pfd[n].events = POLLIN;
		l->pfd[n].revents = 0;
	}
	rc = poll(l->pfd, nfds, wait > INT32_MAX ? INT32_MAX : (int)wait);
	l->now = mono_ms();
	if (rc < 0 && errno != EINTR)
		return -1;
	if (rc > 0) {
		if (sigpipe[0] >= 0 && (l->pfd[n].revents & POLLIN))
			dispatch_signals(l);
		/* Only the watchers polled this pass; new ones wait. */
		for (i = 0; i < n; i++) {
			struct loop_io *io = l->io[i];

			if (l->pfd[i].revents != 0 && !io->dead)
				io->fn(io, io->fd, l->pfd[i].revents, io->arg);
		}
	}
	run_timers(l);
	if (l->pass_fn != NULL)
		l->pass_fn(l->pass_arg);
	return rc < 0 ? 0 : rc;
}

void
loop_run(struct loop *l)
{
	l->stop = false;
	while (!l->stop)
		if (loop_run_once(l, -1) < 0)
			break;
}

void
loop_stop(struct loop *l)
{
	l->stop = true;
}
