/* lab-sql.c - the lab's scripts of statements, run as a flow (flow.h);
 * see lab.h. */
#include "config.h"

#include "flow.h"
#include "lab.h"
#include "pg.h"

struct script {
	struct pg *c;
	const struct lab_sql *sql;
	size_t n, i;
};

static int
script_issue(struct flow *f, PGresult *prev)
{
	struct script *s = f->ctx;

	(void)prev;
	if (s->i == s->n)
		return FLOW_DONE;
	return flow_query_simple(f, s->c, s->sql[s->i].text);
}

static int
script_next(struct flow *f, PGresult *prev)
{
	struct script *s = f->ctx;

	(void)prev;
	s->i++;
	return flow_back(f, 1, 0);
}

static const flow_step script_steps[] = { script_issue, script_next, NULL };

int
lab_sql_run(struct loop *loop, struct pg *c, const struct lab_sql *sql,
    size_t n, struct err *e)
{
	struct script s = { c, sql, n, 0 };

	if (flow_run(loop, script_steps, &s, e) != 0)
		return err_prefix(e, "%s", sql[s.i].what);
	return 0;
}
