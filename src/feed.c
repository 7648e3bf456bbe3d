/* feed.c - the TLS watch feed, server and client, non-blocking on the
 * loop; see feed.h for the protocol. */
#include "config.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <openssl/crypto.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/ssl.h>
#include <openssl/x509v3.h>

#include "feed.h"
#include "fileio.h"
#include "net.h"
#include "snapshot.h"

#define MAX_CONNS 64
#define AUTH_TIMEOUT_MS 10000
#define TICK_MS 5000
#define QUEUE_MIN (4u << 20)

/* ---------------------------------------------------------------- common */

static const char *
ssl_reason(void)
{
	static char buf[256];
	unsigned long code = ERR_get_error();

	if (code == 0)
		return "connection closed";
	ERR_error_string_n(code, buf, sizeof buf);
	ERR_clear_error();
	return buf;
}

int
feed_read_token(const char *path, char *out, size_t len, struct err *e)
{
	char *text, *t;
	size_t n;

	if (file_read_all(path, 4096, &text, &n) != 0)
		return err_set(e, EXIT_USAGE, "%s: cannot read the watch token: %s",
		    path, strerror(errno));
	t = str_trim(text);
	if (*t == '\0' || strlen(t) > 512 || strlen(t) >= len ||
	    strpbrk(t, " \t\r\n") != NULL) {
		secure_zero(text, n);
		free(text);
		return err_set(e, EXIT_USAGE, "%s: the watch token must be one "
		    "word of 1 to 512 characters", path);
	}
	snprintf(out, len, "%s", t);
	secure_zero(text, n);
	free(text);
	return 0;
}

static void
token_digest(const char *token, size_t len, unsigned char out[32])
{
	unsigned int n = 32;

	EVP_Digest(token, len, out, &n, EVP_sha256(), NULL);
}

/* ---------------------------------------------------------------- server */

struct feed_msg {
	int refs;
	size_t len;
	char data[];
};

static struct feed_msg *
msg_new(const char *prefix, const char *body, size_t blen, const char *suffix)
{
	size_t pl = strlen(prefix), sl = strlen(suffix);
	struct feed_msg *m = xmalloc(sizeof *m + pl + blen + sl + 1);

	m->refs = 1;
	m->len = pl + blen + sl;
	memcpy(m->data, prefix, pl);
	memcpy(m->data + pl, body, blen);
	memcpy(m->data + pl + blen, suffix, sl);
	m->data[m->len] = '\0';
	return m;
}

static void
msg_unref(struct feed_msg *m)
{
	if (m != NULL && --m->refs == 0)
		free(m);
}

enum conn_state { CONN_HANDSHAKE, CONN_AUTH, CONN_LIVE };

struct feed_conn {
	struct feed_server *srv;
	int fd;
	SSL *ssl;
	struct loop_io *io;
	struct loop_timer *auth_timer;
	enum conn_state st;
	char peer[80];
	char line[FEED_AUTH_MAX + 1];
	size_t linelen;
	struct feed_msg **q;
	size_t qhead, qn, qcap, qoff, queued;
	int64_t joined_at;
	int64_t blocked_since;     /* mono ms data first waited unsent, or 0 */
	struct feed_conn *next;
};

struct feed_server {
	struct loop *loop;
	SSL_CTX *ctx;
	int lfd;
	struct loop_io *lio;
	struct loop_timer *tick;
	struct eventlog *log;
	unsigned char token[32];
	char address[128];
	struct feed_conn *conns;
	int nconns, nlive;
	struct feed_msg *snapshot;
	struct feed_msg *tail[FEED_TAIL];
	size_t tail_start, tail_n;
	size_t max_queue, min_queue;
	void (*changed)(void *arg);
	void *arg;
	int64_t refusal_logged_at;
	int refusals_suppressed;
};

static void
srv_log(struct feed_server *f, const char *kind, const char *peer,
    const char *reason, const char *fmt, ...) PRINTF_LIKE(5, 6);

static void
srv_log(struct feed_server *f, const char *kind, const char *peer,
    const char *reason, const char *fmt, ...)
{
	struct err e = { 0, "" };
	char msg[512];
	cJSON *data;
	va_list ap;

	if (f->log == NULL)
		return;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof msg, fmt, ap);
	va_end(ap);
	data = cJSON_CreateObject();
	cJSON_AddStringToObject(data, "peer", peer);
	if (reason != NULL)
		cJSON_AddStringToObject(data, "reason", reason);
	cJSON_AddNumberToObject(data, "watchers", f->nlive);
	if (eventlog_append(f->log, kind, NULL, data, &e, "%s", msg) < 0)
		fprintf(stderr, "cutover: feed: could not log: %s\n", e.msg);
}

/* Refusals can come in floods: log at most one a second, with a count. */
static void
log_refusal(struct feed_server *f, const char *peer, const char *reason)
{
	int64_t now = mono_ms();

	if (now - f->refusal_logged_at < 1000 && f->refusal_logged_at != 0) {
		f->refusals_suppressed++;
		return;
	}
	f->refusal_logged_at = now;
	if (f->refusals_suppressed > 0)
		srv_log(f, "watch.refused", peer, reason,
		    "watcher %s refused: %s (and %d more refusals not logged)",
		    peer, reason, f->refusals_suppressed);
	else
		srv_log(f, "watch.refused", peer, reason,
		    "watcher %s refused: %s", peer, reason);
	f->refusals_suppressed = 0;
}

static void
conn_free(struct feed_conn *c)
{
	struct feed_server *f = c->srv;
	struct feed_conn **pp;
	size_t i;

	for (pp = &f->conns; *pp != NULL; pp = &(*pp)->next)
		if (*pp == c) {
			*pp = c->next;
			break;
		}
	f->nconns--;
	if (c->st == CONN_LIVE)
		f->nlive--;
	if (c->auth_timer != NULL)
		loop_timer_cancel(c->auth_timer);
	loop_io_remove(c->io);
	if (c->ssl != NULL)
		SSL_free(c->ssl);
	close(c->fd);
	for (i = 0; i < c->qn; i++)
		msg_unref(c->q[(c->qhead + i) % c->qcap]);
	free(c->q);
	secure_zero(c->line, sizeof c->line);
	free(c);
}

/* Ends a watcher: live ones are logged as leaving, others as refused. */
static void
conn_end(struct feed_conn *c, const char *why)
{
	struct feed_server *f = c->srv;
	bool live = c->st == CONN_LIVE;
	char peer[80];

	snprintf(peer, sizeof peer, "%s", c->peer);
	conn_free(c);
	if (live) {
		srv_log(f, "watch.left", peer, why, "watcher %s left: %s", peer,
		    why);
		if (f->changed != NULL)
			f->changed(f->arg);
	} else {
		log_refusal(f, peer, why);
	}
}

static void
conn_push(struct feed_conn *c, struct feed_msg *m)
{
	if (c->qn == c->qcap) {
		struct feed_msg **q;
		size_t i, cap = c->qcap ? 2 * c->qcap : 16;

		q = xcalloc(cap, sizeof *q);
		for (i = 0; i < c->qn; i++)
			q[i] = c->q[(c->qhead + i) % c->qcap];
		free(c->q);
		c->q = q;
		c->qcap = cap;
		c->qhead = 0;
	}
	c->q[(c->qhead + c->qn++) % c->qcap] = m;
	m->refs++;
	c->queued += m->len;
}

static bool conn_flush(struct feed_conn *c);

/* Queues m; a watcher whose queue is over the bound is dropped. Returns
 * false when c is gone. */
static bool
conn_send(struct feed_conn *c, struct feed_msg *m)
{
	struct feed_server *f = c->srv;
	char why[128];

	if (c->queued + m->len > f->max_queue) {
		snprintf(why, sizeof why, "too slow: %zu bytes unsent, dropped",
		    c->queued);
		conn_end(c, why);
		return false;
	}
	/* Small snapshots may take long to fill the bound: a watcher that has
	 * taken nothing for FEED_STALL_MS is as gone as one that overflows. */
	if (c->blocked_since != 0 && mono_ms() - c->blocked_since > FEED_STALL_MS) {
		snprintf(why, sizeof why, "too slow: nothing read for %d s, dropped",
		    FEED_STALL_MS / 1000);
		conn_end(c, why);
		return false;
	}
	conn_push(c, m);
	return conn_flush(c);
}

static void
conn_want(struct feed_conn *c, int err)
{
	loop_io_set_events(c->io, err == SSL_ERROR_WANT_WRITE ? POLLIN | POLLOUT :
	    POLLIN);
}

/* Writes what the socket takes; false when the watcher is gone. */
static bool
conn_flush(struct feed_conn *c)
{
	struct feed_msg *m;
	int n, err;

	while (c->qn > 0) {
		m = c->q[c->qhead];
		ERR_clear_error();
		n = SSL_write(c->ssl, m->data + c->qoff, (int)(m->len - c->qoff));
		if (n <= 0) {
			err = SSL_get_error(c->ssl, n);
			if (err == SSL_ERROR_WANT_WRITE || err == SSL_ERROR_WANT_READ) {
				if (c->blocked_since == 0)
					c->blocked_since = mono_ms();
				conn_want(c, err);
				return true;
			}
			conn_end(c, err == SSL_ERROR_SYSCALL || err ==
			    SSL_ERROR_ZERO_RETURN ? "disconnected" : ssl_reason());
			return false;
		}
		c->qoff += (size_t)n;
		c->queued -= (size_t)n;
		c->blocked_since = 0;
		if (c->qoff == m->len) {
			msg_unref(m);
			c->qhead = (c->qhead + 1) % c->qcap;
			c->qn--;
			c->qoff = 0;
		}
	}
	loop_io_set_events(c->io, POLLIN);
	return true;
}

static void
hello(struct feed_conn *c)
{
	struct feed_server *f = c->srv;
	struct feed_msg *m;
	char buf[256];
	size_t i;

	snprintf(buf, sizeof buf, "{\"type\":\"hello\",\"version\":1,"
	    "\"driver_pid\":%ld}\n", (long)getpid());
	m = msg_new("", buf, strlen(buf), "");
	if (!conn_send(c, m)) {
		msg_unref(m);
		return;
	}
	msg_unref(m);
	for (i = 0; i < f->tail_n; i++)
		if (!conn_send(c, f->tail[(f->tail_start + i) % FEED_TAIL]))
			return;
	if (f->snapshot != NULL)
		conn_send(c, f->snapshot);
}

static void
auth_line(struct feed_conn *c)
{
	struct feed_server *f = c->srv;
	const char *tok;
	unsigned char d[32];
	size_t plen = strlen(FEED_PROTOCOL);
	static const char refused[] =
	    "{\"type\":\"refused\",\"reason\":\"wrong token\"}\n";

	if (c->linelen < plen + 1 || memcmp(c->line, FEED_PROTOCOL, plen) != 0 ||
	    c->line[plen] != ' ') {
		conn_end(c, "not the watch protocol");
		return;
	}
	tok = c->line + plen + 1;
	token_digest(tok, c->linelen - plen - 1, d);
	secure_zero(c->line, sizeof c->line);
	if (CRYPTO_memcmp(d, f->token, sizeof d) != 0) {
		/* Say why, best effort, then close. */
		ERR_clear_error();
		SSL_write(c->ssl, refused, (int)strlen(refused));
		conn_end(c, "wrong token");
		return;
	}
	if (c->auth_timer != NULL) {
		loop_timer_cancel(c->auth_timer);
		c->auth_timer = NULL;
	}
	c->st = CONN_LIVE;
	c->joined_at = now_ms();
	f->nlive++;
	srv_log(f, "watch.joined", c->peer, NULL, "watcher %s joined (%d "
	    "watching)", c->peer, f->nlive);
	if (f->changed != NULL)
		f->changed(f->arg);
	hello(c);
}

static void
conn_read(struct feed_conn *c)
{
	char buf[512];
	int n, err;

	for (;;) {
		if (c->st == CONN_AUTH) {
			ERR_clear_error();
			n = SSL_read(c->ssl, c->line + c->linelen,
			    (int)(sizeof c->line - 1 - c->linelen));
		} else {
			ERR_clear_error();
			n = SSL_read(c->ssl, buf, sizeof buf);
		}
		if (n <= 0) {
			err = SSL_get_error(c->ssl, n);
			if (err == SSL_ERROR_WANT_READ || err == SSL_ERROR_WANT_WRITE) {
				if (c->st == CONN_LIVE && c->qn > 0)
					loop_io_set_events(c->io, POLLIN | POLLOUT);
				else
					conn_want(c, err);
				return;
			}
			conn_end(c, err == SSL_ERROR_ZERO_RETURN ||
			    err == SSL_ERROR_SYSCALL ? "disconnected" : ssl_reason());
			return;
		}
		if (c->st == CONN_LIVE) {
			/* Watchers have nothing to say. */
			conn_end(c, "sent data after the token: dropped");
			return;
		}
		{
			char *nl = memchr(c->line + c->linelen, '\n', (size_t)n);

			c->linelen += (size_t)n;
			if (nl != NULL) {
				c->linelen = (size_t)(nl - c->line);
				if (c->linelen > 0 && c->line[c->linelen - 1] == '\r')
					c->linelen--;
				c->line[c->linelen] = '\0';
				auth_line(c);
				return;
			}
			if (c->linelen >= sizeof c->line - 1) {
				conn_end(c, "authentication line too long");
				return;
			}
		}
	}
}

static void
conn_handshake(struct feed_conn *c)
{
	int rc, err;
	char why[300];

	ERR_clear_error();
	rc = SSL_do_handshake(c->ssl);
	if (rc == 1) {
		c->st = CONN_AUTH;
		conn_read(c);
		return;
	}
	err = SSL_get_error(c->ssl, rc);
	if (err == SSL_ERROR_WANT_READ || err == SSL_ERROR_WANT_WRITE) {
		conn_want(c, err);
		return;
	}
	snprintf(why, sizeof why, "TLS handshake failed (not a TLS client?): %s",
	    ssl_reason());
	conn_end(c, why);
}

static void
on_conn(struct loop_io *io, int fd, int revents, void *arg)
{
	struct feed_conn *c = arg;

	(void)io;
	(void)fd;
	(void)revents;
	switch (c->st) {
	case CONN_HANDSHAKE:
		conn_handshake(c);
		break;
	case CONN_AUTH:
		conn_read(c);
		break;
	case CONN_LIVE:
		if ((revents & POLLOUT) && !conn_flush(c))
			return;
		if (revents & (POLLIN | POLLHUP | POLLERR))
			conn_read(c);
		break;
	}
}

static void
on_auth_timeout(struct loop_timer *t, void *arg)
{
	struct feed_conn *c = arg;

	(void)t;
	c->auth_timer = NULL;
	conn_end(c, "no token within 10 s");
}

static void
on_accept(struct loop_io *io, int lfd, int revents, void *arg)
{
	struct feed_server *f = arg;
	struct sockaddr_storage ss;
	socklen_t sl = sizeof ss;
	char host[64], port[16], peer[80];
	struct feed_conn *c;
	int fd, one = 1, n = 0, sndbuf = 64 << 10;

	(void)io;
	(void)revents;
	while (n++ < 16 && (fd = accept(lfd, (struct sockaddr *)&ss, &sl)) >= 0) {
		if (getnameinfo((struct sockaddr *)&ss, sl, host, sizeof host, port,
		    sizeof port, NI_NUMERICHOST | NI_NUMERICSERV) != 0)
			snprintf(peer, sizeof peer, "?");
		else
			snprintf(peer, sizeof peer, ss.ss_family == AF_INET6 ?
			    "[%s]:%s" : "%s:%s", host, port);
		sl = sizeof ss;
		if (f->nconns >= MAX_CONNS) {
			close(fd);
			log_refusal(f, peer, "too many connections");
			continue;
		}
		fd_nonblock_cloexec(fd);
		setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
		/* The kernel's share of a slow watcher's backlog is bounded too. */
		setsockopt(fd, SOL_SOCKET, SO_SNDBUF, &sndbuf, sizeof sndbuf);
		c = xcalloc(1, sizeof *c);
		c->srv = f;
		c->fd = fd;
		snprintf(c->peer, sizeof c->peer, "%s", peer);
		c->ssl = SSL_new(f->ctx);
		SSL_set_fd(c->ssl, fd);
		SSL_set_accept_state(c->ssl);
		SSL_set_mode(c->ssl, SSL_MODE_ENABLE_PARTIAL_WRITE |
		    SSL_MODE_ACCEPT_MOVING_WRITE_BUFFER);
		c->st = CONN_HANDSHAKE;
		c->io = loop_io_add(f->loop, fd, POLLIN, on_conn, c);
		c->auth_timer = loop_timer_add(f->loop, AUTH_TIMEOUT_MS,
		    on_auth_timeout, c);
		c->next = f->conns;
		f->conns = c;
		f->nconns++;
	}
}

static void
broadcast(struct feed_server *f, struct feed_msg *m)
{
	struct feed_conn *c, *next;

	for (c = f->conns; c != NULL; c = next) {
		next = c->next;
		if (c->st == CONN_LIVE)
			conn_send(c, m);
	}
}

static void
on_tick(struct loop_timer *t, void *arg)
{
	struct feed_server *f = arg;
	struct feed_msg *m;
	char buf[80];

	(void)t;
	f->tick = loop_timer_add(f->loop, TICK_MS, on_tick, f);
	if (f->nlive == 0)
		return;
	snprintf(buf, sizeof buf, "{\"type\":\"tick\",\"ms\":%lld}\n",
	    (long long)now_ms());
	m = msg_new("", buf, strlen(buf), "");
	broadcast(f, m);
	msg_unref(m);
}

struct feed_server *
feed_server_new(struct loop *loop, const struct config *cfg,
    struct eventlog *log, void (*changed)(void *arg), void *arg,
    struct err *e)
{
	struct feed_server *f;
	char token[600];

	if (feed_read_token(cfg->watch_token_file, token, sizeof token, e) != 0)
		return NULL;
	f = xcalloc(1, sizeof *f);
	f->loop = loop;
	f->log = log;
	f->lfd = -1;
	f->changed = changed;
	f->arg = arg;
	/* CUTOVER_FEED_QUEUE (bytes) lowers the bound, for tests. */
	f->min_queue = QUEUE_MIN;
	if (getenv("CUTOVER_FEED_QUEUE") != NULL &&
	    atol(getenv("CUTOVER_FEED_QUEUE")) >= 4096)
		f->min_queue = (size_t)atol(getenv("CUTOVER_FEED_QUEUE"));
	f->max_queue = f->min_queue;
	token_digest(token, strlen(token), f->token);
	secure_zero(token, sizeof token);
	f->ctx = SSL_CTX_new(TLS_server_method());
	SSL_CTX_set_min_proto_version(f->ctx, TLS1_2_VERSION);
	if (SSL_CTX_use_certificate_chain_file(f->ctx, cfg->watch_cert_file) != 1) {
		err_set(e, EXIT_USAGE, "[watch] cert_file %s: %s",
		    cfg->watch_cert_file, ssl_reason());
		goto fail;
	}
	if (SSL_CTX_use_PrivateKey_file(f->ctx, cfg->watch_key_file,
	    SSL_FILETYPE_PEM) != 1 || SSL_CTX_check_private_key(f->ctx) != 1) {
		err_set(e, EXIT_USAGE, "[watch] key_file %s: %s",
		    cfg->watch_key_file, ssl_reason());
		goto fail;
	}
	if ((f->lfd = tcp_listen("[watch] listen", cfg->watch_listen, NULL, 64,
	    e)) < 0)
		goto fail;
	snprintf(f->address, sizeof f->address, "%s", cfg->watch_listen);
	f->lio = loop_io_add(loop, f->lfd, POLLIN, on_accept, f);
	f->tick = loop_timer_add(loop, TICK_MS, on_tick, f);
	return f;
fail:
	feed_server_free(f);
	return NULL;
}

void
feed_server_free(struct feed_server *f)
{
	size_t i;

	if (f == NULL)
		return;
	while (f->conns != NULL) {
		f->log = NULL;     /* shutting down: no log lines per watcher */
		conn_free(f->conns);
	}
	if (f->lio != NULL)
		loop_io_remove(f->lio);
	if (f->tick != NULL)
		loop_timer_cancel(f->tick);
	if (f->lfd >= 0)
		close(f->lfd);
	msg_unref(f->snapshot);
	for (i = 0; i < f->tail_n; i++)
		msg_unref(f->tail[(f->tail_start + i) % FEED_TAIL]);
	SSL_CTX_free(f->ctx);
	secure_zero(f->token, sizeof f->token);
	free(f);
}

const char *
feed_server_address(const struct feed_server *f)
{
	return f->address;
}

void
feed_server_snapshot(struct feed_server *f, const char *json, size_t len,
    bool full)
{
	struct feed_msg *m = msg_new("{\"type\":\"snapshot\",\"snapshot\":", json,
	    len, "}\n");

	if (full) {
		msg_unref(f->snapshot);
		f->snapshot = m;
		m->refs++;
		/* room for a few snapshots and the log's tail */
		f->max_queue = 3 * m->len > f->min_queue ? 3 * m->len :
		    f->min_queue;
	}
	broadcast(f, m);
	msg_unref(m);
}

void
feed_server_event(struct feed_server *f, const char *line, size_t len)
{
	struct feed_msg *m;
	struct strbuf sb;
	size_t i;

	/* The line is JSON already; carry it as a string, byte for byte, so
	 * the watcher can check its hash. */
	sb_init(&sb);
	sb_puts(&sb, "{\"type\":\"event\",\"line\":\"");
	for (i = 0; i < len; i++) {
		if (line[i] == '"' || line[i] == '\\')
			sb_putc(&sb, '\\');
		sb_putc(&sb, line[i]);
	}
	sb_puts(&sb, "\"}\n");
	m = msg_new("", sb.buf, sb.len, "");
	sb_free(&sb);
	if (f->tail_n == FEED_TAIL) {
		msg_unref(f->tail[f->tail_start]);
		f->tail_start = (f->tail_start + 1) % FEED_TAIL;
		f->tail_n--;
	}
	f->tail[(f->tail_start + f->tail_n++) % FEED_TAIL] = m;
	broadcast(f, m);
}

int
feed_server_watchers(const struct feed_server *f)
{
	return f->nlive;
}

/* ---------------------------------------------------------------- client */

enum client_state { CL_IDLE, CL_CONNECTING, CL_HANDSHAKE, CL_AUTH, CL_LIVE };

struct feed_client {
	struct loop *loop;
	char *hostport, *host, *port, *token_file;
	SSL_CTX *ctx;
	int fd;
	SSL *ssl;
	struct loop_io *io;
	struct loop_timer *retry, *idle;
	enum client_state st;
	struct strbuf out;        /* the auth line */
	size_t outoff;
	struct strbuf in;         /* a partial line */
	int backoff_ms;
	int64_t last_rx;
	feed_msg_fn msg;
	feed_status_fn status;
	void *arg;
	bool refused;
};

static void client_connect(struct feed_client *c);

static void
client_status(struct feed_client *c, bool ok, const char *fmt, ...)
    PRINTF_LIKE(3, 4);

static void
client_status(struct feed_client *c, bool ok, const char *fmt, ...)
{
	char buf[512];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(buf, sizeof buf, fmt, ap);
	va_end(ap);
	if (c->status != NULL)
		c->status(ok, buf, c->arg);
}

static void
client_close(struct feed_client *c)
{
	if (c->io != NULL) {
		loop_io_remove(c->io);
		c->io = NULL;
	}
	if (c->ssl != NULL) {
		SSL_free(c->ssl);
		c->ssl = NULL;
	}
	if (c->fd >= 0) {
		close(c->fd);
		c->fd = -1;
	}
	if (c->idle != NULL) {
		loop_timer_cancel(c->idle);
		c->idle = NULL;
	}
	secure_zero(c->out.buf, c->out.len);
	sb_reset(&c->out);
	sb_reset(&c->in);
	c->st = CL_IDLE;
}

static void
on_retry(struct loop_timer *t, void *arg)
{
	struct feed_client *c = arg;

	(void)t;
	c->retry = NULL;
	client_connect(c);
}

static void
client_lost(struct feed_client *c, const char *why)
{
	int s;

	client_close(c);
	s = (c->backoff_ms + 999) / 1000;
	client_status(c, false, "%s: %s; again in %d s", c->hostport, why, s);
	c->retry = loop_timer_add(c->loop, c->backoff_ms, on_retry, c);
	c->backoff_ms = c->backoff_ms * 2 > 30000 ? 30000 : c->backoff_ms * 2;
}

static void
client_line(struct feed_client *c, const char *line, size_t len)
{
	const cJSON *type, *reason;
	cJSON *o = cJSON_ParseWithLength(line, len);

	if (o == NULL)
		return;
	type = cJSON_GetObjectItemCaseSensitive(o, "type");
	if (cJSON_IsString(type)) {
		if (strcmp(type->valuestring, "hello") == 0) {
			c->backoff_ms = 1000;
			client_status(c, true, "%s", c->hostport);
		}
		if (strcmp(type->valuestring, "refused") == 0) {
			reason = cJSON_GetObjectItemCaseSensitive(o, "reason");
			c->refused = true;
			client_status(c, false, "%s refused: %s", c->hostport,
			    cJSON_IsString(reason) ? reason->valuestring : "?");
		}
		if (c->msg != NULL)
			c->msg(type->valuestring, o, c->arg);
	}
	cJSON_Delete(o);
}

static void
client_read(struct feed_client *c)
{
	char buf[65536], *nl;
	size_t start;
	int n, err;

	for (;;) {
		ERR_clear_error();
		n = SSL_read(c->ssl, buf, sizeof buf);
		if (n <= 0) {
			err = SSL_get_error(c->ssl, n);
			if (err == SSL_ERROR_WANT_READ || err == SSL_ERROR_WANT_WRITE) {
				loop_io_set_events(c->io, err == SSL_ERROR_WANT_WRITE ?
				    POLLOUT : POLLIN);
				return;
			}
			client_lost(c, c->refused ? "refused" : err ==
			    SSL_ERROR_ZERO_RETURN || err == SSL_ERROR_SYSCALL ?
			    "connection closed" : ssl_reason());
			return;
		}
		c->last_rx = mono_ms();
		sb_add(&c->in, buf, (size_t)n);
		start = 0;
		while ((nl = memchr(c->in.buf + start, '\n', c->in.len - start)) !=
		    NULL) {
			size_t end = (size_t)(nl - c->in.buf);

			client_line(c, c->in.buf + start, end - start);
			if (c->st != CL_LIVE)
				return;     /* closed under us */
			start = end + 1;
		}
		if (start > 0) {
			memmove(c->in.buf, c->in.buf + start, c->in.len - start);
			c->in.len -= start;
		}
		if (c->in.len > SNAPSHOT_MAX) {
			client_lost(c, "a message over the size limit");
			return;
		}
	}
}

static void
client_write(struct feed_client *c)
{
	int n, err;

	while (c->outoff < c->out.len) {
		ERR_clear_error();
		n = SSL_write(c->ssl, c->out.buf + c->outoff,
		    (int)(c->out.len - c->outoff));
		if (n <= 0) {
			err = SSL_get_error(c->ssl, n);
			if (err == SSL_ERROR_WANT_READ || err == SSL_ERROR_WANT_WRITE) {
				loop_io_set_events(c->io, err == SSL_ERROR_WANT_WRITE ?
				    POLLOUT : POLLIN);
				return;
			}
			client_lost(c, ssl_reason());
			return;
		}
		c->outoff += (size_t)n;
	}
	secure_zero(c->out.buf, c->out.len);
	sb_reset(&c->out);
	c->st = CL_LIVE;
	loop_io_set_events(c->io, POLLIN);
	client_read(c);
}

static void
client_handshake(struct feed_client *c)
{
	int rc, err;
	long vr;
	char why[300];

	ERR_clear_error();
	rc = SSL_do_handshake(c->ssl);
	if (rc == 1) {
		c->st = CL_AUTH;
		client_write(c);
		return;
	}
	err = SSL_get_error(c->ssl, rc);
	if (err == SSL_ERROR_WANT_READ || err == SSL_ERROR_WANT_WRITE) {
		loop_io_set_events(c->io, err == SSL_ERROR_WANT_WRITE ? POLLOUT :
		    POLLIN);
		return;
	}
	vr = SSL_get_verify_result(c->ssl);
	if (vr != X509_V_OK)
		snprintf(why, sizeof why, "certificate not trusted: %s",
		    X509_verify_cert_error_string(vr));
	else
		snprintf(why, sizeof why, "TLS: %s", ssl_reason());
	client_lost(c, why);
}

static void
on_client(struct loop_io *io, int fd, int revents, void *arg)
{
	struct feed_client *c = arg;
	socklen_t sl = sizeof(int);
	int soerr = 0;

	(void)io;
	switch (c->st) {
	case CL_CONNECTING:
		if (getsockopt(fd, SOL_SOCKET, SO_ERROR, &soerr, &sl) != 0 ||
		    soerr != 0) {
			client_lost(c, strerror(soerr != 0 ? soerr : errno));
			return;
		}
		c->st = CL_HANDSHAKE;
		client_handshake(c);
		return;
	case CL_HANDSHAKE:
		client_handshake(c);
		return;
	case CL_AUTH:
		client_write(c);
		return;
	case CL_LIVE:
		(void)revents;
		client_read(c);
		return;
	case CL_IDLE:
		return;
	}
}

static void
on_idle(struct loop_timer *t, void *arg)
{
	struct feed_client *c = arg;

	(void)t;
	c->idle = loop_timer_add(c->loop, 5000, on_idle, c);
	if (c->st == CL_LIVE && mono_ms() - c->last_rx > 20000)
		client_lost(c, "nothing received for 20 s");
}

static void
client_connect(struct feed_client *c)
{
	struct addrinfo hints, *res = NULL, *ai;
	char token[600];
	struct err e = { 0, "" };
	int rc, one = 1;
	X509_VERIFY_PARAM *param;

	c->refused = false;
	if (feed_read_token(c->token_file, token, sizeof token, &e) != 0) {
		client_lost(c, e.msg);
		return;
	}
	memset(&hints, 0, sizeof hints);
	hints.ai_family = AF_UNSPEC;
	hints.ai_socktype = SOCK_STREAM;
	if ((rc = getaddrinfo(c->host, c->port, &hints, &res)) != 0) {
		secure_zero(token, sizeof token);
		client_lost(c, gai_strerror(rc));
		return;
	}
	c->fd = -1;
	for (ai = res; ai != NULL; ai = ai->ai_next) {
		c->fd = socket(ai->ai_family, ai->ai_socktype, ai->ai_protocol);
		if (c->fd < 0)
			continue;
		fd_nonblock_cloexec(c->fd);
		if (connect(c->fd, ai->ai_addr, ai->ai_addrlen) == 0 ||
		    errno == EINPROGRESS)
			break;
		close(c->fd);
		c->fd = -1;
	}
	freeaddrinfo(res);
	if (c->fd < 0) {
		secure_zero(token, sizeof token);
		client_lost(c, strerror(errno));
		return;
	}
	setsockopt(c->fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
	c->ssl = SSL_new(c->ctx);
	SSL_set_fd(c->ssl, c->fd);
	SSL_set_connect_state(c->ssl);
	SSL_set_tlsext_host_name(c->ssl, c->host);
	param = SSL_get0_param(c->ssl);
	if (X509_VERIFY_PARAM_set1_ip_asc(param, c->host) != 1)
		SSL_set1_host(c->ssl, c->host);
	sb_reset(&c->out);
	sb_printf(&c->out, "%s %s\n", FEED_PROTOCOL, token);
	secure_zero(token, sizeof token);
	c->outoff = 0;
	c->st = CL_CONNECTING;
	c->last_rx = mono_ms();
	c->io = loop_io_add(c->loop, c->fd, POLLOUT, on_client, c);
	if (c->idle == NULL)
		c->idle = loop_timer_add(c->loop, 5000, on_idle, c);
	client_status(c, false, "%s: connecting", c->hostport);
}

struct feed_client *
feed_client_new(struct loop *loop, const char *hostport,
    const char *token_file, const char *ca_file, feed_msg_fn msg,
    feed_status_fn status, void *arg, struct err *e)
{
	struct feed_client *c = xcalloc(1, sizeof *c);
	char token[600];

	c->loop = loop;
	c->fd = -1;
	c->msg = msg;
	c->status = status;
	c->arg = arg;
	c->backoff_ms = 1000;
	sb_init(&c->out);
	sb_init(&c->in);
	c->hostport = xstrdup(hostport);
	c->token_file = xstrdup(token_file);
	if (hostport_split(hostport, NULL, &c->host, &c->port) != 0) {
		err_set(e, EXIT_USAGE, "usage: watch: --connect %s: expected "
		    "HOST:PORT", hostport);
		goto fail;
	}
	/* Fail early on a token that cannot be read. */
	if (feed_read_token(token_file, token, sizeof token, e) != 0)
		goto fail;
	secure_zero(token, sizeof token);
	c->ctx = SSL_CTX_new(TLS_client_method());
	SSL_CTX_set_min_proto_version(c->ctx, TLS1_2_VERSION);
	SSL_CTX_set_verify(c->ctx, SSL_VERIFY_PEER, NULL);
	if (ca_file != NULL) {
		if (SSL_CTX_load_verify_locations(c->ctx, ca_file, NULL) != 1) {
			err_set(e, EXIT_USAGE, "usage: watch: --ca-file %s: %s",
			    ca_file, ssl_reason());
			goto fail;
		}
	} else {
		SSL_CTX_set_default_verify_paths(c->ctx);
	}
	client_connect(c);
	return c;
fail:
	feed_client_free(c);
	return NULL;
}

void
feed_client_free(struct feed_client *c)
{
	if (c == NULL)
		return;
	client_close(c);
	if (c->retry != NULL)
		loop_timer_cancel(c->retry);
	if (c->ctx != NULL)
		SSL_CTX_free(c->ctx);
	sb_free(&c->out);
	sb_free(&c->in);
	free(c->hostport);
	free(c->host);
	free(c->port);
	free(c->token_file);
	free(c);
}
