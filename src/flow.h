/* flow.h - a sequence of asynchronous steps on the loop, written as a
 * list of small functions instead of nested callbacks. Each step either
 * issues one query (its result is handed to the next step), moves on,
 * goes back a number of steps after a delay (polling), or ends the flow.
 *
 *   static int check(struct flow *f, PGresult *prev)
 *   { return flow_query(f, c, "SELECT subenabled ...", 1, params); }
 *   static int disable(struct flow *f, PGresult *prev)
 *   { if (!pgr_bool(prev, 0, 0)) return FLOW_NEXT; return flow_query(...); }
 *   static const flow_step steps[] = { check, disable, NULL };
 */
#ifndef CUTOVER_FLOW_H
#define CUTOVER_FLOW_H

#include <stdint.h>

#include "loop.h"
#include "pg.h"
#include "util.h"

enum {
	FLOW_NEXT = 1,     /* go on to the next step now (prev = NULL) */
	FLOW_QUERY,        /* a query was issued; the next step gets its result */
	FLOW_WAIT,         /* the step went back or will resume itself later */
	FLOW_DONE,         /* the flow succeeded */
	FLOW_FAIL,         /* the flow failed; f->e says why */
};

struct flow;
typedef int (*flow_step)(struct flow *f, PGresult *prev);
typedef void (*flow_done_fn)(struct flow *f, int rc, const struct err *e,
    void *arg);

struct flow {
	struct loop *loop;
	const flow_step *steps;
	int pc;
	void *ctx;                 /* the caller's state, for the steps */
	flow_done_fn done;
	void *done_arg;
	struct err e;
	int64_t started_ms;        /* monotonic */
	int64_t poll_since;        /* when the current polling began, or 0 */
	struct loop_timer *timer;
	struct pg *querying;       /* the connection of the query in flight */
	struct pg *answered;       /* the connection whose result is prev */
	int tries;                 /* a counter the steps may use */
	/* Runs after every successful query or external wait, before the
	 * next step (the orchestrator logs the outcome of an action there). */
	void (*on_answer)(struct flow *f);
};

/* Starts steps (NULL-terminated) from the loop. done runs once, from the
 * loop; the flow is freed after it returns. */
struct flow *flow_start(struct loop *loop, const flow_step *steps,
    void *ctx, flow_done_fn done, void *arg);
/* Abandons a running flow: done is not called. */
void flow_cancel(struct flow *f);

/* For steps. */
int flow_query(struct flow *f, struct pg *c, const char *sql, int nparams,
    const char *const *params);
int flow_query_simple(struct flow *f, struct pg *c, const char *sql);
/* The step started something that is not a query (a provider call, a
 * child process): return this, and call flow_continue() when it ends. */
int flow_wait_external(struct flow *f);
/* Ends an external wait: rc 0 moves to the next step, else the flow fails
 * with e. */
void flow_continue(struct flow *f, int rc, const struct err *e);
/* Keeps prev (the result handed to this step) beyond the step: the
 * caller PQclear()s it. */
PGresult *flow_keep(struct flow *f);
/* Goes back n steps after delay_ms: 1 runs the previous step again (the
 * query a polling step looks at), 0 this one. */
int flow_back(struct flow *f, int n, int64_t delay_ms);
int flow_fail(struct flow *f, int code, const char *fmt, ...)
    PRINTF_LIKE(3, 4);
/* Milliseconds since the first flow_back() of the current polling; a
 * step returning FLOW_NEXT ends the polling. */
int64_t flow_waited(const struct flow *f);

/* Runs steps to their end for a command's top level: starts the flow and
 * runs the loop until its done callback fires. 0, or -1 with e set (the
 * flow's error). Only for code that no loop callback is below on the
 * stack (a command's main and the synchronous code it calls, such as the
 * lab's); never from a flow step or any callback, where it would run the
 * loop re-entrantly (it aborts when nested in itself). */
int flow_run(struct loop *loop, const flow_step *steps, void *ctx,
    struct err *e);

#endif
