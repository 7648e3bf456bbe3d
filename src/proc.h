/* proc.h - child processes on the loop: a command started with an
 * environment of the caller's choosing (nothing inherited), input written
 * to its standard input without blocking, its standard output and error
 * collected (bounded), a timeout that kills its whole process group, and
 * its exit reaped by pid - never waitpid(-1): other parts of the program
 * have children of their own.
 *
 * The child runs in a process group of its own, with default signal
 * dispositions and an empty signal mask, standard input from the given
 * bytes (or /dev/null), standard output and error into one pipe, and no
 * other descriptor open: a hook never inherits the driver lock, a
 * database socket or the feed's listener. */
#ifndef CUTOVER_PROC_H
#define CUTOVER_PROC_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "loop.h"
#include "util.h"

#define PROC_OUTPUT_MAX (64 * 1024)

struct proc_opts {
	const char *command;       /* run by /bin/sh -c, or: */
	char *const *argv;         /* argv[0] is the program's path */
	char *const *envp;         /* the whole environment; NULL: empty */
	const char *input;         /* standard input; NULL: /dev/null */
	size_t input_len;
	int64_t timeout_ms;        /* <= 0: none */
	size_t output_max;         /* bytes kept; 0: PROC_OUTPUT_MAX */
};

struct proc_result {
	pid_t pid;
	int exit_code;             /* its exit status, -1 when killed */
	int signo;                 /* the signal that ended it, 0 none */
	bool timed_out;            /* the timeout killed its group */
	bool status_lost;          /* another part reaped it: status unknown */
	const char *output;        /* stdout and stderr as they came ("" none) */
	size_t output_len;
	bool output_truncated;     /* more came than output_max */
	int64_t duration_ms;
};

struct proc;
typedef void (*proc_done_fn)(const struct proc_result *r, void *arg);

/* Starts the command; fn runs from the loop once it has ended and been
 * reaped. Returns NULL with e set when it cannot start (fork, exec). */
struct proc *proc_start(struct loop *loop, const struct proc_opts *o,
    proc_done_fn fn, void *arg, struct err *e);
/* Kills the process group, reaps the child, and forgets it without
 * calling fn. For shutdown. */
void proc_cancel(struct proc *p);

#endif
