/* proc.c - child processes on the loop; see proc.h.
 *
 * Its end is noticed through a pidfd where the kernel has them (Linux
 * 5.3+), else by asking waitpid(pid, WNOHANG) on a short timer; either
 * way only that pid is reaped. */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "net.h"
#include "proc.h"

#define PROC_POLL_MS 50

struct proc {
	struct loop *loop;
	pid_t pid;
	proc_done_fn fn;
	void *arg;
	int64_t started;

	int in_fd;                 /* our end of its stdin, -1 closed */
	struct loop_io *in_io;
	char *input;
	size_t input_len, input_off;

	int out_fd;                /* our end of its stdout/stderr */
	struct loop_io *out_io;
	struct strbuf out;
	size_t output_max;
	bool truncated;

	int pidfd;
	struct loop_io *pid_io;
	struct loop_timer *poll_timer;
	struct loop_timer *timeout;
	bool timed_out;
	bool reaped;
	bool lost;                 /* reaped by someone else */
	int status;
};

static void
close_input(struct proc *p)
{
	if (p->in_io != NULL)
		loop_io_remove(p->in_io);
	p->in_io = NULL;
	if (p->in_fd >= 0)
		close(p->in_fd);
	p->in_fd = -1;
}

/* Reads what is there; returns true at end of file or error. */
static bool
read_output(struct proc *p)
{
	char buf[8192];
	ssize_t n;
	size_t keep;

	for (;;) {
		n = read(p->out_fd, buf, sizeof buf);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return errno != EAGAIN && errno != EWOULDBLOCK;
		if (n == 0)
			return true;
		keep = (size_t)n;
		if (p->out.len + keep > p->output_max) {
			keep = p->output_max - p->out.len;
			p->truncated = true;
		}
		sb_add(&p->out, buf, keep);
	}
}

static void
release(struct proc *p)
{
	close_input(p);
	if (p->out_io != NULL)
		loop_io_remove(p->out_io);
	if (p->out_fd >= 0)
		close(p->out_fd);
	if (p->pid_io != NULL)
		loop_io_remove(p->pid_io);
	if (p->pidfd >= 0)
		close(p->pidfd);
	if (p->poll_timer != NULL)
		loop_timer_cancel(p->poll_timer);
	if (p->timeout != NULL)
		loop_timer_cancel(p->timeout);
	free(p->input);
	sb_free(&p->out);
	free(p);
}

static void
finish(struct proc *p)
{
	struct proc_result r;

	if (p->out_fd >= 0)
		(void)read_output(p);	/* what it wrote before it ended */
	memset(&r, 0, sizeof r);
	r.pid = p->pid;
	r.exit_code = !p->lost && WIFEXITED(p->status) ?
	    WEXITSTATUS(p->status) : -1;
	r.signo = !p->lost && WIFSIGNALED(p->status) ? WTERMSIG(p->status) : 0;
	r.status_lost = p->lost;
	r.timed_out = p->timed_out;
	r.output = p->out.buf != NULL ? p->out.buf : "";
	r.output_len = p->out.len;
	r.output_truncated = p->truncated;
	r.duration_ms = mono_ms() - p->started;
	p->fn(&r, p->arg);
	release(p);
}

static bool
try_reap(struct proc *p)
{
	pid_t r;

	do
		r = waitpid(p->pid, &p->status, WNOHANG);
	while (r < 0 && errno == EINTR);
	if (r == p->pid) {
		p->reaped = true;
		return true;
	}
	if (r < 0 && errno == ECHILD) {
		/* Someone reaped it with waitpid(-1): its status is lost. */
		p->reaped = true;
		p->lost = true;
		return true;
	}
	return false;
}

static void
on_pidfd(struct loop_io *io, int fd, int revents, void *arg)
{
	struct proc *p = arg;

	(void)io;
	(void)fd;
	(void)revents;
	if (try_reap(p))
		finish(p);
}

static void
on_poll(struct loop_timer *t, void *arg)
{
	struct proc *p = arg;

	(void)t;
	p->poll_timer = NULL;
	if (try_reap(p)) {
		finish(p);
		return;
	}
	p->poll_timer = loop_timer_add(p->loop, PROC_POLL_MS, on_poll, p);
}

static void
on_timeout(struct loop_timer *t, void *arg)
{
	struct proc *p = arg;

	(void)t;
	p->timeout = NULL;
	p->timed_out = true;
	kill(-p->pid, SIGKILL);
	kill(p->pid, SIGKILL);	/* in case it left its group */
}

static void
on_output(struct loop_io *io, int fd, int revents, void *arg)
{
	struct proc *p = arg;

	(void)io;
	(void)fd;
	(void)revents;
	if (read_output(p)) {
		loop_io_remove(p->out_io);
		p->out_io = NULL;
		close(p->out_fd);
		p->out_fd = -1;
	}
}

static void
on_input(struct loop_io *io, int fd, int revents, void *arg)
{
	struct proc *p = arg;
	ssize_t n;

	(void)io;
	if (revents & (POLLERR | POLLHUP | POLLNVAL)) {
		close_input(p);
		return;
	}
	while (p->input_off < p->input_len) {
		n = write(fd, p->input + p->input_off, p->input_len - p->input_off);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
			return;
		if (n <= 0)
			break;	/* EPIPE: it does not read its input */
		p->input_off += (size_t)n;
	}
	close_input(p);
}

/* In the child, between fork and exec: async-signal-safe calls only. */
static void
child(const struct proc_opts *o, int in_fd, int out_fd, int err_fd,
    const char *path, char *const *argv, char *const *envp)
{
	struct sigaction sa;
	sigset_t none;
	int sig, saved, fd;

	setpgid(0, 0);
	memset(&sa, 0, sizeof sa);
	sa.sa_handler = SIG_DFL;
	for (sig = 1; sig < NSIG; sig++)
		(void)sigaction(sig, &sa, NULL);
	sigemptyset(&none);
	sigprocmask(SIG_SETMASK, &none, NULL);
	if (in_fd < 0)
		in_fd = open("/dev/null", O_RDONLY);
	if (in_fd < 0 || dup2(in_fd, 0) < 0 || dup2(out_fd, 1) < 0 ||
	    dup2(out_fd, 2) < 0)
		goto fail;
	if (err_fd != 3) {
		if (dup2(err_fd, 3) < 0)
			goto fail;
		err_fd = 3;
	}
	fcntl(err_fd, F_SETFD, FD_CLOEXEC);
	/* Nothing else of ours: no lock, no socket, no listener. */
#ifdef SYS_close_range
	if (syscall(SYS_close_range, 4U, ~0U, 0U) != 0)
#endif
		for (fd = 4; fd < 65536; fd++)
			close(fd);
	(void)o;
	execve(path, argv, envp);
fail:
	saved = errno;
	if (write(err_fd, &saved, sizeof saved) < 0) {
		/* the parent sees a child that exits 127 */
	}
	_exit(127);
}

struct proc *
proc_start(struct loop *loop, const struct proc_opts *o, proc_done_fn fn,
    void *arg, struct err *e)
{
	static char sh[] = "sh", dash_c[] = "-c";
	static char *const no_env[] = { NULL };
	char *sh_argv[] = { sh, dash_c, NULL, NULL }, *command = NULL;
	int inp[2] = { -1, -1 }, outp[2], errp[2], child_errno = 0;
	const char *path;
	char *const *argv;
	struct proc *p;
	struct sigaction sa;
	ssize_t n;
	pid_t pid;

	if (o->command != NULL) {
		command = xstrdup(o->command);
		sh_argv[2] = command;
		argv = sh_argv;
		path = "/bin/sh";
	} else {
		argv = o->argv;
		path = argv[0];
	}
	/* Writing to a child that went away must not kill us. */
	if (sigaction(SIGPIPE, NULL, &sa) == 0 && sa.sa_handler == SIG_DFL)
		signal(SIGPIPE, SIG_IGN);
	if ((o->input != NULL && pipe(inp) != 0)) {
		err_set(e, EXIT_RUNTIME, "pipe: %s", strerror(errno));
		free(command);
		return NULL;
	}
	if (pipe(outp) != 0) {
		err_set(e, EXIT_RUNTIME, "pipe: %s", strerror(errno));
		goto fail_in;
	}
	if (pipe(errp) != 0) {
		err_set(e, EXIT_RUNTIME, "pipe: %s", strerror(errno));
		goto fail_out;
	}
	fcntl(errp[1], F_SETFD, FD_CLOEXEC);
	pid = fork();
	if (pid < 0) {
		err_set(e, EXIT_RUNTIME, "fork: %s", strerror(errno));
		close(errp[0]);
		close(errp[1]);
		goto fail_out;
	}
	if (pid == 0)
		child(o, inp[0], outp[1], errp[1], path, argv,
		    o->envp != NULL ? o->envp : no_env);
	setpgid(pid, pid);	/* as the child does: whoever runs first */
	free(command);
	command = NULL;
	close(errp[1]);
	if (inp[0] >= 0)
		close(inp[0]);
	close(outp[1]);
	do
		n = read(errp[0], &child_errno, sizeof child_errno);
	while (n < 0 && errno == EINTR);
	close(errp[0]);

	p = xcalloc(1, sizeof *p);
	p->loop = loop;
	p->pid = pid;
	p->fn = fn;
	p->arg = arg;
	p->started = mono_ms();
	p->pidfd = -1;
	p->in_fd = inp[1];
	p->out_fd = outp[0];
	p->output_max = o->output_max > 0 ? o->output_max : PROC_OUTPUT_MAX;
	sb_init(&p->out);
	if (n == (ssize_t)sizeof child_errno) {
		/* exec failed: reap it here, it has exited already */
		err_set(e, EXIT_RUNTIME, "%s: %s", path, strerror(child_errno));
		while (waitpid(pid, NULL, 0) < 0 && errno == EINTR)
			;
		release(p);
		return NULL;
	}
	fd_nonblock_cloexec(p->out_fd);
	p->out_io = loop_io_add(loop, p->out_fd, POLLIN, on_output, p);
	if (p->in_fd >= 0) {
		fd_nonblock_cloexec(p->in_fd);
		p->input = xmalloc(o->input_len + 1);
		memcpy(p->input, o->input, o->input_len);
		p->input_len = o->input_len;
		p->in_io = loop_io_add(loop, p->in_fd, POLLOUT, on_input, p);
	}
#ifdef SYS_pidfd_open
	p->pidfd = (int)syscall(SYS_pidfd_open, pid, 0U);
	if (p->pidfd >= 0) {
		fcntl(p->pidfd, F_SETFD, FD_CLOEXEC);
		p->pid_io = loop_io_add(loop, p->pidfd, POLLIN, on_pidfd, p);
	}
#endif
	if (p->pidfd < 0)
		p->poll_timer = loop_timer_add(loop, PROC_POLL_MS, on_poll, p);
	if (o->timeout_ms > 0)
		p->timeout = loop_timer_add(loop, o->timeout_ms, on_timeout, p);
	return p;
fail_out:
	close(outp[0]);
	close(outp[1]);
fail_in:
	if (inp[0] >= 0) {
		close(inp[0]);
		close(inp[1]);
	}
	free(command);
	return NULL;
}

void
proc_cancel(struct proc *p)
{
	if (p == NULL)
		return;
	if (!p->reaped) {
		kill(-p->pid, SIGKILL);
		kill(p->pid, SIGKILL);
		while (waitpid(p->pid, &p->status, 0) < 0 && errno == EINTR)
			;
	}
	release(p);
}
