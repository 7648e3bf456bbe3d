/* httpserv.c - GET-only HTTP/1.1 on the loop; see httpserv.h. */
#include "config.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <unistd.h>

#include "httpserv.h"
#include "net.h"

struct conn {
	struct httpserv *srv;
	struct conn *next;
	int fd;
	struct loop_io *io;
	struct loop_timer *timer;
	char req[HTTPSERV_REQUEST_MAX];
	size_t req_len;
	struct strbuf out;         /* the whole answer, head and body */
	size_t sent;
};

struct httpserv {
	struct loop *loop;
	int lfd;
	struct loop_io *lio;
	httpserv_page_fn page;
	void *arg;
	struct conn *conns;
	int nconns;
	char address[300];
};

static void
conn_free(struct conn *c)
{
	struct conn **pp;

	for (pp = &c->srv->conns; *pp != NULL; pp = &(*pp)->next)
		if (*pp == c) {
			*pp = c->next;
			break;
		}
	c->srv->nconns--;
	if (c->io != NULL)
		loop_io_remove(c->io);
	if (c->timer != NULL)
		loop_timer_cancel(c->timer);
	close(c->fd);
	sb_free(&c->out);
	free(c);
}

static void
on_timeout(struct loop_timer *t, void *arg)
{
	struct conn *c = arg;

	(void)t;
	c->timer = NULL;
	conn_free(c);
}

static void
answer(struct conn *c, int status, const char *type, const char *body,
    size_t len, bool head_only)
{
	const char *reason = status == 200 ? "OK" : status == 404 ? "Not Found" :
	    status == 405 ? "Method Not Allowed" : "Bad Request";

	sb_reset(&c->out);
	sb_printf(&c->out, "HTTP/1.1 %d %s\r\nContent-Type: %s\r\n"
	    "Content-Length: %zu\r\nCache-Control: no-store\r\n"
	    "Connection: close\r\n%s\r\n", status, reason, type, len,
	    status == 405 ? "Allow: GET, HEAD\r\n" : "");
	if (!head_only)
		sb_add(&c->out, body, len);
	c->sent = 0;
	loop_io_set_events(c->io, POLLOUT);
}

static void
error_page(struct conn *c, int status, const char *text, bool head_only)
{
	answer(c, status, "text/plain; charset=utf-8", text, strlen(text),
	    head_only);
}

/* The request's head is complete: answers it. */
static void
handle(struct conn *c)
{
	char method[16], target[2048], *q;
	struct strbuf body;
	const char *type = "text/plain; charset=utf-8";
	bool head_only;
	int status;

	if (sscanf(c->req, "%15s %2047s HTTP/1.%*c", method, target) != 2) {
		error_page(c, 400, "bad request\n", false);
		return;
	}
	head_only = strcmp(method, "HEAD") == 0;
	if (strcmp(method, "GET") != 0 && !head_only) {
		error_page(c, 405, "only GET and HEAD\n", false);
		return;
	}
	if ((q = strchr(target, '?')) != NULL)
		*q = '\0';
	sb_init(&body);
	status = c->srv->page(target, &body, &type, c->srv->arg);
	if (status == 200)
		answer(c, 200, type, body.buf != NULL ? body.buf : "", body.len,
		    head_only);
	else
		error_page(c, 404, "not found: try /metrics\n", head_only);
	sb_free(&body);
}

static void
on_conn(struct loop_io *io, int fd, int revents, void *arg)
{
	struct conn *c = arg;
	ssize_t n;

	(void)io;
	if (c->out.len > 0 || (revents & POLLOUT)) {
		while (c->sent < c->out.len) {
			n = send(fd, c->out.buf + c->sent, c->out.len - c->sent,
			    MSG_NOSIGNAL);
			if (n < 0 && errno == EINTR)
				continue;
			if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
				return;
			if (n <= 0)
				break;
			c->sent += (size_t)n;
		}
		conn_free(c);
		return;
	}
	if (revents & (POLLERR | POLLNVAL)) {
		conn_free(c);
		return;
	}
	n = recv(fd, c->req + c->req_len, sizeof c->req - 1 - c->req_len, 0);
	if (n < 0 && (errno == EINTR || errno == EAGAIN || errno == EWOULDBLOCK))
		return;
	if (n <= 0) {
		conn_free(c);
		return;
	}
	c->req_len += (size_t)n;
	c->req[c->req_len] = '\0';
	if (strstr(c->req, "\r\n\r\n") != NULL || strstr(c->req, "\n\n") != NULL)
		handle(c);
	else if (c->req_len >= sizeof c->req - 1)
		error_page(c, 400, "request too large\n", false);
}

static void
on_accept(struct loop_io *io, int fd, int revents, void *arg)
{
	struct httpserv *s = arg;
	struct conn *c;
	int cfd;

	(void)io;
	(void)revents;
	while ((cfd = accept(fd, NULL, NULL)) >= 0) {
		if (s->nconns >= HTTPSERV_CLIENTS) {
			close(cfd);	/* busy: a scraper retries */
			continue;
		}
		fd_nonblock_cloexec(cfd);
		c = xcalloc(1, sizeof *c);
		c->srv = s;
		c->fd = cfd;
		sb_init(&c->out);
		c->io = loop_io_add(s->loop, cfd, POLLIN, on_conn, c);
		c->timer = loop_timer_add(s->loop, HTTPSERV_TIMEOUT_MS, on_timeout,
		    c);
		c->next = s->conns;
		s->conns = c;
		s->nconns++;
	}
}

struct httpserv *
httpserv_new(struct loop *loop, const char *listen_on, httpserv_page_fn page,
    void *arg, struct err *e)
{
	struct httpserv *s;
	char *host = NULL, *port = NULL;
	int fd;

	/* No host: loopback, never every interface by accident. */
	if ((fd = tcp_listen("[metrics] listen", listen_on, "127.0.0.1", 16,
	    e)) < 0)
		return NULL;
	hostport_split(listen_on, "127.0.0.1", &host, &port);
	s = xcalloc(1, sizeof *s);
	s->loop = loop;
	s->page = page;
	s->arg = arg;
	s->lfd = fd;
	snprintf(s->address, sizeof s->address, strchr(host, ':') != NULL ?
	    "[%s]:%s" : "%s:%s", host, port);
	s->lio = loop_io_add(loop, s->lfd, POLLIN, on_accept, s);
	free(host);
	free(port);
	return s;
}

void
httpserv_free(struct httpserv *s)
{
	if (s == NULL)
		return;
	while (s->conns != NULL)
		conn_free(s->conns);
	if (s->lio != NULL)
		loop_io_remove(s->lio);
	if (s->lfd >= 0)
		close(s->lfd);
	free(s);
}

const char *
httpserv_address(const struct httpserv *s)
{
	return s->address;
}
