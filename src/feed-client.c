/* feed-client.c - `cutover watch --connect`'s side of the watch feed:
 * connects, authenticates, reads messages and reconnects with backoff;
 * see feed.h.
 *
 * Nothing here waits for a resolver inside the loop: the driver's name
 * is resolved once at startup (an unknown name is a startup error), and
 * reconnections go through the addresses kept, one after another, each
 * with a non-blocking connect and a deadline. When a whole round of them
 * fails and HOST is a name, `getent ahosts HOST` runs in a child
 * (proc.c, killed after RESOLVE_TIMEOUT_MS) during the backoff and what
 * it prints replaces the list: a driver whose name moves to another
 * address is found again within a round and a backoff. */
#include "config.h"

#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <openssl/ssl.h>
#include <openssl/x509v3.h>

#include "feed.h"
#include "net.h"
#include "proc.h"
#include "snapshot.h"
#include "tls.h"

#define CONNECT_TIMEOUT_MS 10000   /* connect, handshake and token */
#define RESOLVE_TIMEOUT_MS 5000

enum client_state { CL_IDLE, CL_CONNECTING, CL_HANDSHAKE, CL_AUTH, CL_LIVE };

struct feed_client {
	struct loop *loop;
	char *hostport, *host, *port, *token_file;
	SSL_CTX *ctx;
	struct addr_list addrs;    /* what host stood for */
	size_t failed;             /* addresses failed in this round */
	char addr[80];             /* the one being tried */
	char *getent;              /* NULL: a name is not resolved again */
	struct proc *resolver;
	int fd;
	SSL *ssl;
	struct loop_io *io;
	struct loop_timer *retry, *idle, *deadline;
	enum client_state st;
	bool hello;                /* the driver said hello on this one */
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
	if (c->deadline != NULL) {
		loop_timer_cancel(c->deadline);
		c->deadline = NULL;
	}
	if (c->out.buf != NULL)     /* none before the first connection */
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
on_resolved(const struct proc_result *r, void *arg)
{
	struct feed_client *c = arg;

	c->resolver = NULL;
	if (r->exit_code == 0 && addr_list_parse_getent(&c->addrs, r->output,
	    r->output_len, addr_list_port(&c->addrs)) > 0) {
		c->failed = 0;
		return;
	}
	if (c->st == CL_IDLE)
		client_status(c, false, "%s: %s did not resolve again (%s); "
		    "retrying the addresses it had", c->hostport, c->host,
		    r->timed_out ? "no answer" : "no address");
}

/* Asks the resolver again, in a child, while the backoff runs. */
static void
client_resolve(struct feed_client *c)
{
	static char ahosts[] = "ahosts";
	char *argv[4];
	struct proc_opts o;
	struct err e = { 0, "" };

	if (c->getent == NULL || c->resolver != NULL ||
	    host_is_numeric(c->host))
		return;
	argv[0] = c->getent;
	argv[1] = ahosts;
	argv[2] = c->host;
	argv[3] = NULL;
	memset(&o, 0, sizeof o);
	o.argv = argv;
	o.timeout_ms = RESOLVE_TIMEOUT_MS;
	o.output_max = 16384;
	c->resolver = proc_start(c->loop, &o, on_resolved, c, &e);
}

/* The connection is gone: the next address of the round now, or, when
 * every address has failed (or a live feed was lost), again after the
 * backoff. */
static void
client_lost(struct feed_client *c, const char *why)
{
	int s;

	if (c->hello) {
		c->failed = 0;
		addr_list_again(&c->addrs);  /* it worked: start with it */
	} else
		c->failed++;
	client_close(c);
	if (!c->hello && c->failed < c->addrs.n) {
		client_status(c, false, "%s: %s: %s; trying the next address",
		    c->hostport, c->addr, why);
		c->retry = loop_timer_add(c->loop, 0, on_retry, c);
		return;
	}
	if (c->failed >= c->addrs.n) {
		c->failed = 0;
		client_resolve(c);
	}
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
			c->hello = true;
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
	char buf[65536];
	const char *line;
	size_t start, n, len;
	enum tls_io r;

	for (;;) {
		if ((r = tls_read(c->ssl, c->io, buf, sizeof buf, &n)) ==
		    TLS_IO_AGAIN)
			return;
		if (r != TLS_IO_DONE) {
			client_lost(c, c->refused ? "refused" :
			    tls_why(r, "connection closed"));
			return;
		}
		c->last_rx = mono_ms();
		sb_add(&c->in, buf, n);
		start = 0;
		while ((line = feed_line_next(c->in.buf, c->in.len, &start,
		    &len)) != NULL) {
			client_line(c, line, len);
			if (c->st != CL_LIVE)
				return;     /* closed under us */
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
	enum tls_io r;
	size_t n;

	while (c->outoff < c->out.len) {
		if ((r = tls_write(c->ssl, c->io, c->out.buf + c->outoff,
		    c->out.len - c->outoff, &n)) == TLS_IO_AGAIN)
			return;
		if (r != TLS_IO_DONE) {
			client_lost(c, tls_why(r, "connection closed"));
			return;
		}
		c->outoff += n;
	}
	secure_zero(c->out.buf, c->out.len);
	sb_reset(&c->out);
	c->st = CL_LIVE;
	if (c->deadline != NULL) {
		loop_timer_cancel(c->deadline);
		c->deadline = NULL;
	}
	loop_io_set_events(c->io, POLLIN);
	client_read(c);
}

static void
client_handshake(struct feed_client *c)
{
	char why[300];
	enum tls_io r;

	if ((r = tls_handshake(c->ssl, c->io, "TLS: ", why, sizeof why)) ==
	    TLS_IO_DONE) {
		c->st = CL_AUTH;
		client_write(c);
	} else if (r != TLS_IO_AGAIN)
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
on_deadline(struct loop_timer *t, void *arg)
{
	struct feed_client *c = arg;

	(void)t;
	c->deadline = NULL;
	client_lost(c, "no answer within 10 s");
}

static void
client_connect(struct feed_client *c)
{
	const struct sockaddr *sa;
	socklen_t salen = 0;
	char token[600];
	struct err e = { 0, "" };
	int one = 1;
	X509_VERIFY_PARAM *param;

	c->refused = false;
	c->hello = false;
	if (feed_read_token(c->token_file, token, sizeof token, &e) != 0) {
		c->failed = c->addrs.n;   /* no address is to blame */
		client_lost(c, e.msg);
		return;
	}
	sa = addr_list_take(&c->addrs, &salen);
	addr_format(sa, salen, c->addr, sizeof c->addr);
	if ((c->fd = tcp_connect_start(sa, salen)) < 0) {
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
	c->deadline = loop_timer_add(c->loop, CONNECT_TIMEOUT_MS, on_deadline, c);
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
	struct err re = { 0, "" };
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
	/* Before the loop runs, where waiting is allowed: a name that does
	 * not resolve is a startup error. */
	if (addr_list_resolve(&c->addrs, c->host, c->port, &re) != 0) {
		err_set(e, re.code, "watch: --connect %s: %s", hostport, re.msg);
		goto fail;
	}
	if (access("/usr/bin/getent", X_OK) == 0)
		c->getent = xstrdup("/usr/bin/getent");
	else if (access("/bin/getent", X_OK) == 0)
		c->getent = xstrdup("/bin/getent");
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
			    ca_file, tls_reason());
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
	if (c->resolver != NULL)
		proc_cancel(c->resolver);
	addr_list_free(&c->addrs);
	if (c->ctx != NULL)
		SSL_CTX_free(c->ctx);
	sb_free(&c->out);
	sb_free(&c->in);
	free(c->hostport);
	free(c->host);
	free(c->port);
	free(c->token_file);
	free(c->getent);
	free(c);
}
