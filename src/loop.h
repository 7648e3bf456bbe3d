/* loop.h - the one event loop: poll() over file descriptors, one-shot
 * timers, signals through a self-pipe, and a hook run at the end of every
 * pass (where the console redraws). Single-threaded; every callback may
 * add or remove watchers and timers, including its own. */
#ifndef CUTOVER_LOOP_H
#define CUTOVER_LOOP_H

#include <poll.h>
#include <stdbool.h>
#include <stdint.h>

struct loop;
struct loop_io;
struct loop_timer;

typedef void (*loop_io_fn)(struct loop_io *io, int fd, int revents,
    void *arg);
typedef void (*loop_timer_fn)(struct loop_timer *t, void *arg);
typedef void (*loop_signal_fn)(int signo, void *arg);
typedef void (*loop_pass_fn)(void *arg);

struct loop *loop_new(void);
void loop_free(struct loop *l);

/* Watches fd for events (POLLIN, POLLOUT). revents may also hold POLLERR,
 * POLLHUP, POLLNVAL. */
struct loop_io *loop_io_add(struct loop *l, int fd, int events,
    loop_io_fn fn, void *arg);
void loop_io_set_events(struct loop_io *io, int events);
int loop_io_fd(const struct loop_io *io);
/* Stops watching; the handle is invalid afterwards. */
void loop_io_remove(struct loop_io *io);

/* Calls fn once, delay_ms from now (monotonic). */
struct loop_timer *loop_timer_add(struct loop *l, int64_t delay_ms,
    loop_timer_fn fn, void *arg);
/* Cancels a pending timer; the handle is invalid afterwards. Never call it
 * for a timer whose callback already ran. */
void loop_timer_cancel(struct loop_timer *t);

/* Delivers signo through the self-pipe to fn, in the loop. */
int loop_signal(struct loop *l, int signo, loop_signal_fn fn, void *arg);

/* fn runs once at the end of every pass, after all handlers. */
void loop_on_pass(struct loop *l, loop_pass_fn fn, void *arg);

/* One pass: waits at most max_wait_ms (-1: until something happens) and
 * dispatches. Returns -1 on a poll error other than EINTR. */
int loop_run_once(struct loop *l, int64_t max_wait_ms);
/* Passes until loop_stop(). */
void loop_run(struct loop *l);
void loop_stop(struct loop *l);

#endif
