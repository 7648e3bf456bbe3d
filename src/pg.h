/* pg.h - PostgreSQL connections on the one loop, through libpq's
 * asynchronous API only (PQconnectStartParams/PQconnectPoll,
 * PQsendQueryParams, PQconsumeInput/PQisBusy), so the console can run many
 * at once and never block. A connection is managed: it connects by itself,
 * queues queries, bounds every query with a deadline, and reconnects with
 * backoff when it is lost, failing (never hanging) what was in flight. */
#ifndef CUTOVER_PG_H
#define CUTOVER_PG_H

#include <stdbool.h>
#include <stdint.h>

#include <libpq-fe.h>

#include "loop.h"
#include "util.h"

struct pg;

struct pg_opts {
	const char *conninfo;
	const char *label;           /* "source", "target", ... for messages */
	int statement_timeout_ms;    /* server side; 0 = none */
	int query_deadline_ms;       /* client side, 0 = statement_timeout + 5 s
	                                (or 60 s); past it the connection is
	                                dropped and the query fails */
	int connect_timeout_ms;      /* 0 = 10 s */
	bool admin_console;          /* pgbouncer's console: simple protocol,
	                                no session settings */
	bool no_reconnect;           /* fail for good on a lost connection */
};

enum pg_state { PG_IDLE_DISCONNECTED, PG_CONNECTING, PG_READY, PG_BUSY,
	PG_WAIT_RETRY };

/* res is the final result of the query (status TUPLES_OK or COMMAND_OK)
 * or NULL on failure, when error says what failed (naming the
 * connection's label). res is freed after the callback returns. */
typedef void (*pg_result_fn)(struct pg *c, PGresult *res, const char *error,
    void *arg);

struct pg *pg_new(struct loop *loop, const struct pg_opts *opts);
/* Before the first query: the session runs with search_path = pg_catalog,
 * so names in catalog text (format_type, pg_get_*def) come out qualified
 * the same way on both sides whatever the roles' own search_path. */
void pg_catalog_names(struct pg *c);
/* Drops what is queued (without calling back) and closes. */
void pg_free(struct pg *c);
/* Fails what is queued (calling back with why) and closes: for owners
 * whose other parts still wait on those queries. */
void pg_close_failing(struct pg *c, const char *why);

/* Queues a query with text parameters (NULL for SQL NULL); params are
 * copied. Connects first when needed. */
void pg_query(struct pg *c, const char *sql, int nparams,
    const char *const *params, pg_result_fn fn, void *arg);
/* Queues a query on the simple protocol (pgbouncer's admin console, or
 * several statements). */
void pg_query_simple(struct pg *c, const char *sql, pg_result_fn fn,
    void *arg);
/* Inside a result callback: takes ownership of res (PQclear it later). */
PGresult *pg_take_result(struct pg *c);
/* Forgets the callbacks of every queued and running query whose arg is
 * arg (the caller is going away); running ones finish unseen. */
void pg_forget(struct pg *c, void *arg);

const char *pg_label(const struct pg *c);

/* Identifier quoting (PQescapeIdentifier when connected, the same rules
 * otherwise). The result is the caller's. */
char *pg_quote_ident(struct pg *c, const char *name);
char *pg_quote_qualified(struct pg *c, const char *schema, const char *name);
/* A string literal, for the few places parameters cannot be used
 * (CREATE SUBSCRIPTION ... CONNECTION '...'). */
char *pg_quote_literal(struct pg *c, const char *s);

/* A batch: several queries (on one or more connections) whose results
 * are wanted together. done runs once every query has finished. */
struct pg_batch;
typedef void (*pg_batch_fn)(struct pg_batch *b, void *arg);
struct pg_batch *pg_batch_new(pg_batch_fn done, void *arg);
/* Adds (and queues) a query; returns its index. */
int pg_batch_add(struct pg_batch *b, struct pg *c, const char *sql,
    int nparams, const char *const *params);
int pg_batch_add_simple(struct pg_batch *b, struct pg *c, const char *sql);
/* No more queries: done runs when the added ones finish (maybe at once,
 * from the loop). */
void pg_batch_seal(struct pg_batch *b);
PGresult *pg_batch_result(const struct pg_batch *b, int i);
/* Takes result i out of the batch: the caller PQclear()s it. */
PGresult *pg_batch_take(struct pg_batch *b, int i);
/* The first error of the batch, or NULL when every query succeeded. */
const char *pg_batch_error(const struct pg_batch *b);
const char *pg_batch_error_of(const struct pg_batch *b, int i);
/* Frees the batch; queries still running are forgotten. */
void pg_batch_free(struct pg_batch *b);

/* Result helpers: NULL for SQL NULL. */
const char *pgr_value(const PGresult *res, int row, int col);
int64_t pgr_int64(const PGresult *res, int row, int col, int64_t if_null);
double pgr_double(const PGresult *res, int row, int col, double if_null);
bool pgr_bool(const PGresult *res, int row, int col);

/* A PostgreSQL array literal of strings, for text[] parameters. */
char *pg_array_literal(char *const *items, size_t n);

#endif
