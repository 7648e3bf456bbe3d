/* feed-server.c - the driver's side of the watch feed: TLS on the
 * loop, token check, a bounded queue a watcher; see feed.h. */
#include "config.h"

#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <openssl/crypto.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/ssl.h>

#include "feed.h"
#include "net.h"
#include "ring.h"
#include "tls.h"

#define MAX_CONNS 64
#define AUTH_TIMEOUT_MS 10000
#define TICK_MS 5000
#define QUEUE_MIN (4u << 20)

static void
token_digest(const char *token, size_t len, unsigned char out[32])
{
	unsigned int n = 32;

	EVP_Digest(token, len, out, &n, EVP_sha256(), NULL);
}

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

/* Writes what the socket takes; false when the watcher is gone. */
static bool
conn_flush(struct feed_conn *c)
{
	struct feed_msg *m;
	enum tls_io r;
	size_t n;

	while (c->qn > 0) {
		m = c->q[c->qhead];
		if ((r = tls_write(c->ssl, c->io, m->data + c->qoff,
		    m->len - c->qoff, &n)) == TLS_IO_AGAIN) {
			if (c->blocked_since == 0)
				c->blocked_since = mono_ms();
			return true;
		}
		if (r != TLS_IO_DONE) {
			conn_end(c, tls_why(r, "disconnected"));
			return false;
		}
		c->qoff += n;
		c->queued -= n;
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
		if (!conn_send(c, f->tail[ring_at(f->tail_start, i, FEED_TAIL)]))
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

/* Reads the token line into c->line (fixed: it holds a secret, never
 * copied elsewhere), then nothing: a live watcher that sends is gone. */
static void
conn_read(struct feed_conn *c)
{
	char buf[512];
	size_t n, off = 0, len;
	enum tls_io r;
	bool auth;

	for (;;) {
		auth = c->st == CONN_AUTH;
		if ((r = tls_read(c->ssl, c->io, auth ? c->line + c->linelen : buf,
		    auth ? sizeof c->line - 1 - c->linelen : sizeof buf, &n)) ==
		    TLS_IO_AGAIN) {
			/* Still sending: keep waiting to write too. */
			if (!auth && c->qn > 0)
				loop_io_set_events(c->io, POLLIN | POLLOUT);
			return;
		}
		if (r != TLS_IO_DONE) {
			conn_end(c, tls_why(r, "disconnected"));
			return;
		}
		if (!auth) {
			/* Watchers have nothing to say. */
			conn_end(c, "sent data after the token: dropped");
			return;
		}
		c->linelen += n;
		if (feed_line_next(c->line, c->linelen, &off, &len) != NULL) {
			c->linelen = len;
			c->line[len] = '\0';
			auth_line(c);
			return;
		}
		if (c->linelen >= sizeof c->line - 1) {
			conn_end(c, "authentication line too long");
			return;
		}
	}
}

static void
conn_handshake(struct feed_conn *c)
{
	char why[300];
	enum tls_io r;

	if ((r = tls_handshake(c->ssl, c->io, "TLS handshake failed (not a "
	    "TLS client?): ", why, sizeof why)) == TLS_IO_DONE) {
		c->st = CONN_AUTH;
		conn_read(c);
	} else if (r != TLS_IO_AGAIN)
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
	char peer[80];
	struct feed_conn *c;
	int fd, one = 1, n = 0, sndbuf = 64 << 10;

	(void)io;
	(void)revents;
	while (n++ < 16 && (fd = accept(lfd, (struct sockaddr *)&ss, &sl)) >= 0) {
		addr_format((struct sockaddr *)&ss, sl, peer, sizeof peer);
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
		    cfg->watch_cert_file, tls_reason());
		goto fail;
	}
	if (SSL_CTX_use_PrivateKey_file(f->ctx, cfg->watch_key_file,
	    SSL_FILETYPE_PEM) != 1 || SSL_CTX_check_private_key(f->ctx) != 1) {
		err_set(e, EXIT_USAGE, "[watch] key_file %s: %s",
		    cfg->watch_key_file, tls_reason());
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
		msg_unref(f->tail[ring_at(f->tail_start, i, FEED_TAIL)]);
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
	bool evicted;

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
	i = ring_push(&f->tail_start, &f->tail_n, FEED_TAIL, &evicted);
	if (evicted)
		msg_unref(f->tail[i]);
	f->tail[i] = m;
	broadcast(f, m);
}

int
feed_server_watchers(const struct feed_server *f)
{
	return f->nlive;
}
