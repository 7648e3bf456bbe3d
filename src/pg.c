/* pg.c - managed asynchronous PostgreSQL connections; see pg.h. */
#include "config.h"

#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "pg.h"

struct pg_query {
	struct pg_query *next;
	char *sql;
	int nparams;
	char **params;
	bool simple;
	pg_result_fn fn;
	void *arg;
	PGresult *last;            /* the last result seen while running */
	char *error;
};

struct pg {
	struct loop *loop;
	char *conninfo;
	char *label;
	int statement_timeout_ms;
	int query_deadline_ms;
	int connect_timeout_ms;
	bool admin_console;
	bool no_reconnect;
	bool catalog_names;

	PGconn *conn;
	enum pg_state state;
	struct loop_io *io;
	struct loop_timer *deadline;   /* connect or query deadline */
	struct loop_timer *retry;
	struct loop_timer *kick;       /* starts queued work from the loop */
	int backoff_ms;
	char *last_error;

	struct pg_query *head, *tail;  /* head is running when state is BUSY */
	PGresult *delivering;          /* the result a callback may take */
	int depth;                     /* callbacks running on the stack */
	bool doomed;                   /* pg_free() was called from one */
};

static void start_connect(struct pg *c);
static void start_next(struct pg *c);
static void on_io(struct loop_io *io, int fd, int revents, void *arg);

static void
set_error(struct pg *c, const char *msg)
{
	struct strbuf sb;

	free(c->last_error);
	sb_init(&sb);
	utf8_sanitize_lines(&sb, msg, strlen(msg));
	c->last_error = sb_detach(&sb);
	/* libpq messages end with a newline; the inner ones (DETAIL, HINT,
	 * the second line of a connection failure) are printed indented. */
	str_trim(c->last_error);
}

static void
set_state(struct pg *c, enum pg_state s)
{
	c->state = s;
}

static void
query_free(struct pg_query *q)
{
	int i;

	for (i = 0; i < q->nparams; i++)
		free(q->params[i]);
	free(q->params);
	free(q->sql);
	free(q->error);
	if (q->last != NULL)
		PQclear(q->last);
	free(q);
}

static void
cancel_timer(struct loop_timer **t)
{
	if (*t != NULL) {
		loop_timer_cancel(*t);
		*t = NULL;
	}
}

static void
drop_io(struct pg *c)
{
	if (c->io != NULL) {
		loop_io_remove(c->io);
		c->io = NULL;
	}
}

static void really_free(struct pg *c);

/* Delivers the head query's outcome and removes it. A callback may free
 * the connection: then false is returned and c must not be touched. */
static bool
finish_head(struct pg *c, PGresult *res, const char *error)
{
	struct pg_query *q = c->head;

	c->head = q->next;
	if (c->head == NULL)
		c->tail = NULL;
	if (res == q->last)
		q->last = NULL;
	c->delivering = res;
	c->depth++;
	if (q->fn != NULL)
		q->fn(c, res, error, q->arg);
	c->depth--;
	if (c->delivering != NULL)
		PQclear(c->delivering);
	c->delivering = NULL;
	query_free(q);
	if (c->doomed) {
		if (c->depth == 0)
			really_free(c);
		return false;
	}
	return true;
}

/* Fails every queued query (after a lost connection or a failed connect).
 * False when a callback freed the connection. */
static bool
fail_all(struct pg *c, const char *why)
{
	char *msg = xasprintf("%s: %s", c->label, why);

	while (c->head != NULL) {
		if (!finish_head(c, NULL, msg)) {
			free(msg);
			return false;
		}
	}
	free(msg);
	return true;
}

static void
close_conn(struct pg *c)
{
	drop_io(c);
	cancel_timer(&c->deadline);
	if (c->conn != NULL) {
		PQfinish(c->conn);
		c->conn = NULL;
	}
}

static void
on_retry(struct loop_timer *t, void *arg)
{
	struct pg *c = arg;

	(void)t;
	c->retry = NULL;
	if (c->head != NULL)
		start_connect(c);
	else
		set_state(c, PG_IDLE_DISCONNECTED);
}

/* The connection failed or was lost: fail what was queued, back off. */
static void
lost(struct pg *c, const char *why)
{
	set_error(c, why);
	close_conn(c);
	if (!fail_all(c, c->last_error))
		return;
	if (c->no_reconnect) {
		set_state(c, PG_IDLE_DISCONNECTED);
		return;
	}
	c->backoff_ms = c->backoff_ms == 0 ? 1000 :
	    c->backoff_ms * 2 > 30000 ? 30000 : c->backoff_ms * 2;
	set_state(c, PG_WAIT_RETRY);
	cancel_timer(&c->retry);
	c->retry = loop_timer_add(c->loop, c->backoff_ms, on_retry, c);
}

static void
on_deadline(struct loop_timer *t, void *arg)
{
	struct pg *c = arg;
	char why[128];

	(void)t;
	c->deadline = NULL;
	if (c->state == PG_CONNECTING)
		snprintf(why, sizeof why, "no connection within %d s",
		    c->connect_timeout_ms / 1000);
	else
		snprintf(why, sizeof why, "no answer within %d s; connection dropped",
		    c->query_deadline_ms / 1000);
	lost(c, why);
}

static void
watch(struct pg *c, int events)
{
	int fd = PQsocket(c->conn);

	if (c->io != NULL && loop_io_fd(c->io) != fd)
		drop_io(c);
	if (c->io == NULL)
		c->io = loop_io_add(c->loop, fd, events, on_io, c);
	else
		loop_io_set_events(c->io, events);
}

static void
notice_ignore(void *arg, const char *message)
{
	(void)arg;
	(void)message;
}

/* Session settings that make the text form of values identical on both
 * sides, sent in the startup packet so no round trip is spent on them. */
static char *
session_options(const struct pg *c, const char *user_options)
{
	struct strbuf sb;

	sb_init(&sb);
	if (user_options != NULL && *user_options != '\0')
		sb_printf(&sb, "%s ", user_options);
	sb_puts(&sb, "-c TimeZone=UTC -c DateStyle=ISO -c IntervalStyle=postgres "
	    "-c extra_float_digits=3 -c bytea_output=hex");
	/* A readonly fence must not stop cutover's own writes (sentinel). */
	sb_puts(&sb, " -c default_transaction_read_only=off");
	sb_printf(&sb, " -c statement_timeout=%d", c->statement_timeout_ms);
	if (c->catalog_names)
		sb_puts(&sb, " -c search_path=pg_catalog");
	return sb_detach(&sb);
}

static void
start_connect(struct pg *c)
{
	const char *keys[8], *vals[8];
	PQconninfoOption *opts, *o;
	char *options = NULL, *msg = NULL;
	int n = 0;

	close_conn(c);
	keys[n] = "dbname";
	vals[n++] = c->conninfo;
	keys[n] = "application_name";
	vals[n++] = "cutover";
	keys[n] = "keepalives_idle";
	vals[n++] = "10";
	keys[n] = "keepalives_interval";
	vals[n++] = "5";
	keys[n] = "keepalives_count";
	vals[n++] = "3";
	if (!c->admin_console) {
		opts = PQconninfoParse(c->conninfo, &msg);
		for (o = opts; o != NULL && o->keyword != NULL; o++)
			if (strcmp(o->keyword, "options") == 0)
				options = session_options(c, o->val);
		if (options == NULL)
			options = session_options(c, NULL);
		if (opts != NULL)
			PQconninfoFree(opts);
		PQfreemem(msg);
		keys[n] = "options";
		vals[n++] = options;
	}
	keys[n] = NULL;
	vals[n] = NULL;
	c->conn = PQconnectStartParams(keys, vals, 1);
	free(options);
	if (c->conn == NULL) {
		lost(c, "out of memory");
		return;
	}
	if (PQstatus(c->conn) == CONNECTION_BAD) {
		lost(c, PQerrorMessage(c->conn));
		return;
	}
	PQsetNoticeProcessor(c->conn, notice_ignore, NULL);
	set_state(c, PG_CONNECTING);
	c->deadline = loop_timer_add(c->loop, c->connect_timeout_ms, on_deadline, c);
	watch(c, POLLOUT);
}

static void
connect_poll(struct pg *c)
{
	switch (PQconnectPoll(c->conn)) {
	case PGRES_POLLING_READING:
		watch(c, POLLIN);
		return;
	case PGRES_POLLING_WRITING:
		watch(c, POLLOUT);
		return;
	case PGRES_POLLING_FAILED:
		lost(c, PQerrorMessage(c->conn));
		return;
	case PGRES_POLLING_OK:
		break;
	default:
		return;
	}
	cancel_timer(&c->deadline);
	PQsetnonblocking(c->conn, 1);
	c->backoff_ms = 0;
	set_state(c, PG_READY);
	watch(c, POLLIN);
	start_next(c);
}

static void
start_next(struct pg *c)
{
	struct pg_query *q = c->head;
	int ok;

	if (q == NULL || c->state != PG_READY)
		return;
	if (q->simple)
		ok = PQsendQuery(c->conn, q->sql);
	else
		ok = PQsendQueryParams(c->conn, q->sql, q->nparams, NULL,
		    (const char *const *)q->params, NULL, NULL, 0);
	if (!ok) {
		if (PQstatus(c->conn) == CONNECTION_BAD) {
			lost(c, PQerrorMessage(c->conn));
			return;
		}
		/* The query itself was refused (e.g. too many parameters). */
		{
			char *msg = xasprintf("%s: %s", c->label,
			    PQerrorMessage(c->conn));

			str_trim(msg);
			if (!finish_head(c, NULL, msg)) {
				free(msg);
				return;
			}
			free(msg);
		}
		start_next(c);
		return;
	}
	set_state(c, PG_BUSY);
	c->deadline = loop_timer_add(c->loop, c->query_deadline_ms, on_deadline, c);
	watch(c, PQflush(c->conn) == 1 ? POLLIN | POLLOUT : POLLIN);
}

/* Reads what the server sent; delivers the head query when complete. */
static void
consume(struct pg *c)
{
	struct pg_query *q = c->head;
	PGresult *res;
	ExecStatusType st;

	if (!PQconsumeInput(c->conn)) {
		lost(c, PQerrorMessage(c->conn));
		return;
	}
	while (!PQisBusy(c->conn)) {
		res = PQgetResult(c->conn);
		if (res == NULL) {
			/* The query is complete. */
			cancel_timer(&c->deadline);
			set_state(c, PG_READY);
			if (q != NULL) {
				bool alive;

				if (q->error != NULL) {
					char *msg = xasprintf("%s: %s", c->label, q->error);

					alive = finish_head(c, NULL, msg);
					free(msg);
				} else {
					alive = finish_head(c, q->last, NULL);
				}
				if (!alive)
					return;
			}
			start_next(c);
			return;
		}
		st = PQresultStatus(res);
		if (q == NULL) {
			PQclear(res);
			continue;
		}
		if (st != PGRES_TUPLES_OK && st != PGRES_COMMAND_OK &&
		    st != PGRES_EMPTY_QUERY && q->error == NULL) {
			struct strbuf sb;
			const char *m = PQresultErrorMessage(res);

			sb_init(&sb);
			utf8_sanitize_lines(&sb, m, strlen(m));
			q->error = sb_detach(&sb);
			str_trim(q->error);
		}
		if (q->last != NULL)
			PQclear(q->last);
		q->last = res;
	}
	if (PQstatus(c->conn) == CONNECTION_BAD)
		lost(c, PQerrorMessage(c->conn));
}

static void
on_io(struct loop_io *io, int fd, int revents, void *arg)
{
	struct pg *c = arg;

	(void)io;
	(void)fd;
	if (c->state == PG_CONNECTING) {
		connect_poll(c);
		return;
	}
	if (c->conn == NULL)
		return;
	if (revents & POLLOUT) {
		int r = PQflush(c->conn);

		if (r < 0) {
			lost(c, PQerrorMessage(c->conn));
			return;
		}
		watch(c, r == 1 ? POLLIN | POLLOUT : POLLIN);
	}
	if (revents & (POLLIN | POLLERR | POLLHUP)) {
		if (c->state == PG_BUSY) {
			consume(c);
		} else if (!PQconsumeInput(c->conn) ||
		    PQstatus(c->conn) == CONNECTION_BAD) {
			/* Idle and the server went away: reconnect on demand. */
			set_error(c, PQerrorMessage(c->conn));
			close_conn(c);
			set_state(c, PG_IDLE_DISCONNECTED);
		}
	}
}

struct pg *
pg_new(struct loop *loop, const struct pg_opts *opts)
{
	struct pg *c = xcalloc(1, sizeof *c);

	c->loop = loop;
	c->conninfo = xstrdup(opts->conninfo != NULL ? opts->conninfo : "");
	c->label = xstrdup(opts->label != NULL ? opts->label : "database");
	c->statement_timeout_ms = opts->statement_timeout_ms;
	c->query_deadline_ms = opts->query_deadline_ms > 0 ?
	    opts->query_deadline_ms : opts->statement_timeout_ms > 0 ?
	    opts->statement_timeout_ms + 5000 : 60000;
	c->connect_timeout_ms = opts->connect_timeout_ms > 0 ?
	    opts->connect_timeout_ms : 10000;
	c->admin_console = opts->admin_console;
	c->no_reconnect = opts->no_reconnect;
	set_state(c, PG_IDLE_DISCONNECTED);
	return c;
}

void
pg_close_failing(struct pg *c, const char *why)
{
	if (c == NULL || c->doomed)
		return;
	close_conn(c);
	c->depth++;	/* a callback freeing c now only dooms it */
	fail_all(c, why);
	c->depth--;
	pg_free(c);
}

/* Frees c, or, when called from inside one of its callbacks, closes it
 * and leaves the freeing to the outermost delivery. */
void
pg_free(struct pg *c)
{
	struct pg_query *q, *next;

	if (c == NULL)
		return;
	close_conn(c);
	cancel_timer(&c->retry);
	cancel_timer(&c->kick);
	for (q = c->head; q != NULL; q = next) {
		next = q->next;
		query_free(q);
	}
	c->head = c->tail = NULL;
	if (c->depth > 0) {
		c->doomed = true;
		return;
	}
	really_free(c);
}

static void
really_free(struct pg *c)
{
	secure_zero(c->conninfo, strlen(c->conninfo));
	free(c->conninfo);
	free(c->label);
	free(c->last_error);
	free(c);
}

static void
on_kick(struct loop_timer *t, void *arg)
{
	struct pg *c = arg;

	(void)t;
	c->kick = NULL;
	switch (c->state) {
	case PG_IDLE_DISCONNECTED:
		if (c->head != NULL)
			start_connect(c);
		break;
	case PG_READY:
		start_next(c);
		break;
	default:
		break;		/* runs when connected / the current one ends */
	}
}

/* Queued work starts from the loop, never inside pg_query(): a callback
 * never runs before the call that queued it has returned. */
static void
enqueue(struct pg *c, struct pg_query *q)
{
	if (c->doomed) {
		query_free(q);	/* freed from a callback: nothing runs again */
		return;
	}
	if (c->tail != NULL)
		c->tail->next = q;
	else
		c->head = q;
	c->tail = q;
	if (c->kick == NULL && (c->state == PG_IDLE_DISCONNECTED ||
	    c->state == PG_READY))
		c->kick = loop_timer_add(c->loop, 0, on_kick, c);
}

void
pg_query(struct pg *c, const char *sql, int nparams,
    const char *const *params, pg_result_fn fn, void *arg)
{
	struct pg_query *q = xcalloc(1, sizeof *q);
	int i;

	q->sql = xstrdup(sql);
	q->nparams = nparams;
	if (nparams > 0) {
		q->params = xcalloc((size_t)nparams, sizeof *q->params);
		for (i = 0; i < nparams; i++)
			q->params[i] = params[i] != NULL ? xstrdup(params[i]) : NULL;
	}
	q->fn = fn;
	q->arg = arg;
	enqueue(c, q);
}

void
pg_query_simple(struct pg *c, const char *sql, pg_result_fn fn, void *arg)
{
	struct pg_query *q = xcalloc(1, sizeof *q);

	q->sql = xstrdup(sql);
	q->simple = true;
	q->fn = fn;
	q->arg = arg;
	enqueue(c, q);
}

void
pg_forget(struct pg *c, void *arg)
{
	struct pg_query *q;

	for (q = c->head; q != NULL; q = q->next)
		if (q->arg == arg)
			q->fn = NULL;
}

void
pg_catalog_names(struct pg *c)
{
	c->catalog_names = true;
}

const char *
pg_label(const struct pg *c)
{
	return c->label;
}

PGresult *
pg_take_result(struct pg *c)
{
	PGresult *res = c->delivering;

	c->delivering = NULL;
	return res;
}

static char *
quote(const char *s, char q)
{
	struct strbuf sb;

	sb_init(&sb);
	sb_putc(&sb, q);
	for (; *s != '\0'; s++) {
		if (*s == q)
			sb_putc(&sb, q);
		sb_putc(&sb, *s);
	}
	sb_putc(&sb, q);
	return sb_detach(&sb);
}

char *
pg_quote_ident(struct pg *c, const char *name)
{
	char *p, *r;

	if (c != NULL && c->conn != NULL && PQstatus(c->conn) == CONNECTION_OK &&
	    (p = PQescapeIdentifier(c->conn, name, strlen(name))) != NULL) {
		r = xstrdup(p);
		PQfreemem(p);
		return r;
	}
	return quote(name, '"');
}

char *
pg_quote_qualified(struct pg *c, const char *schema, const char *name)
{
	char *s = pg_quote_ident(c, schema), *n = pg_quote_ident(c, name);
	char *r = xasprintf("%s.%s", s, n);

	free(s);
	free(n);
	return r;
}

char *
pg_quote_literal(struct pg *c, const char *s)
{
	char *p, *r;

	if (c != NULL && c->conn != NULL && PQstatus(c->conn) == CONNECTION_OK &&
	    (p = PQescapeLiteral(c->conn, s, strlen(s))) != NULL) {
		r = xstrdup(p);
		PQfreemem(p);
		return r;
	}
	/* standard_conforming_strings: only quotes need doubling. */
	return quote(s, '\'');
}

const char *
pgr_value(const PGresult *res, int row, int col)
{
	if (res == NULL || row >= PQntuples(res) || col >= PQnfields(res) ||
	    PQgetisnull(res, row, col))
		return NULL;
	return PQgetvalue(res, row, col);
}

int64_t
pgr_int64(const PGresult *res, int row, int col, int64_t if_null)
{
	const char *v = pgr_value(res, row, col);
	int64_t n;

	if (v == NULL || parse_int64(v, &n) != 0)
		return if_null;
	return n;
}

double
pgr_double(const PGresult *res, int row, int col, double if_null)
{
	const char *v = pgr_value(res, row, col);
	double d;

	if (v == NULL || parse_double(v, &d) != 0)
		return if_null;
	return d;
}

bool
pgr_bool(const PGresult *res, int row, int col)
{
	const char *v = pgr_value(res, row, col);

	return v != NULL && (strcmp(v, "t") == 0 || strcmp(v, "true") == 0);
}

struct pg_batch_item {
	struct pg_batch *batch;
	struct pg *conn;
	PGresult *res;
	char *error;
	bool done;
};

struct pg_batch {
	pg_batch_fn done;
	void *arg;
	struct pg_batch_item **items;
	size_t n;
	size_t finished;
	bool sealed;
	bool fired;
};

struct pg_batch *
pg_batch_new(pg_batch_fn done, void *arg)
{
	struct pg_batch *b = xcalloc(1, sizeof *b);

	b->done = done;
	b->arg = arg;
	return b;
}

static void
batch_maybe_fire(struct pg_batch *b)
{
	if (b->sealed && !b->fired && b->finished == b->n) {
		b->fired = true;
		b->done(b, b->arg);
	}
}

static void
batch_item_done(struct pg *c, PGresult *res, const char *error, void *arg)
{
	struct pg_batch_item *it = arg;

	it->done = true;
	if (res != NULL)
		it->res = pg_take_result(c);
	else
		it->error = xstrdup(error != NULL ? error : "unknown error");
	it->batch->finished++;
	batch_maybe_fire(it->batch);
}

static struct pg_batch_item *
batch_item_new(struct pg_batch *b, struct pg *c)
{
	struct pg_batch_item *it = xcalloc(1, sizeof *it);

	it->batch = b;
	it->conn = c;
	b->items = xreallocarray(b->items, b->n + 1, sizeof *b->items);
	b->items[b->n++] = it;
	return it;
}

int
pg_batch_add(struct pg_batch *b, struct pg *c, const char *sql, int nparams,
    const char *const *params)
{
	struct pg_batch_item *it = batch_item_new(b, c);

	pg_query(c, sql, nparams, params, batch_item_done, it);
	return (int)b->n - 1;
}

int
pg_batch_add_simple(struct pg_batch *b, struct pg *c, const char *sql)
{
	struct pg_batch_item *it = batch_item_new(b, c);

	pg_query_simple(c, sql, batch_item_done, it);
	return (int)b->n - 1;
}

void
pg_batch_seal(struct pg_batch *b)
{
	b->sealed = true;
	batch_maybe_fire(b);
}

PGresult *
pg_batch_result(const struct pg_batch *b, int i)
{
	return i >= 0 && (size_t)i < b->n ? b->items[i]->res : NULL;
}

PGresult *
pg_batch_take(struct pg_batch *b, int i)
{
	PGresult *res;

	if (i < 0 || (size_t)i >= b->n)
		return NULL;
	res = b->items[i]->res;
	b->items[i]->res = NULL;
	return res;
}

const char *
pg_batch_error_of(const struct pg_batch *b, int i)
{
	return i >= 0 && (size_t)i < b->n ? b->items[i]->error : NULL;
}

const char *
pg_batch_error(const struct pg_batch *b)
{
	size_t i;

	for (i = 0; i < b->n; i++)
		if (b->items[i]->error != NULL)
			return b->items[i]->error;
	return NULL;
}

void
pg_batch_free(struct pg_batch *b)
{
	size_t i;

	if (b == NULL)
		return;
	for (i = 0; i < b->n; i++) {
		struct pg_batch_item *it = b->items[i];

		if (!it->done)
			pg_forget(it->conn, it);
		if (it->res != NULL)
			PQclear(it->res);
		free(it->error);
		free(it);
	}
	free(b->items);
	free(b);
}

char *
pg_array_literal(char *const *items, size_t n)
{
	struct strbuf sb;
	const char *p;
	size_t i;

	sb_init(&sb);
	sb_putc(&sb, '{');
	for (i = 0; i < n; i++) {
		sb_puts(&sb, i ? ",\"" : "\"");
		for (p = items[i]; *p != '\0'; p++) {
			if (*p == '"' || *p == '\\')
				sb_putc(&sb, '\\');
			sb_putc(&sb, *p);
		}
		sb_putc(&sb, '"');
	}
	sb_putc(&sb, '}');
	return sb_detach(&sb);
}
