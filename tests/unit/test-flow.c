/* test-flow.c - flow_run, the way a command's top level runs a flow to its
 * end: the steps run in order on the loop, a step may go back after a
 * delay or wait for an external callback, and the flow's error (a step's,
 * or an external one) comes back to the caller. */
#include "unit.h"

#include "flow.h"
#include "loop.h"

struct trace {
	char seen[64];             /* one letter a step run */
	int polls;                 /* times the polling step ran */
	struct flow *waiting;      /* the flow an external callback resumes */
	int external_rc;
};

static void
saw(struct flow *f, char c)
{
	struct trace *t = f->ctx;
	size_t n = strlen(t->seen);

	if (n + 1 < sizeof t->seen)
		t->seen[n] = c;
}

static int
first(struct flow *f, PGresult *prev)
{
	assert_null(prev);
	saw(f, 'a');
	return FLOW_NEXT;
}

/* Polls: runs three times, 5 ms apart, before it moves on. */
static int
poll_step(struct flow *f, PGresult *prev)
{
	struct trace *t = f->ctx;

	(void)prev;
	saw(f, 'p');
	if (++t->polls < 3)
		return flow_back(f, 0, 5);
	return FLOW_NEXT;
}

static void
on_external(struct loop_timer *timer, void *arg)
{
	struct trace *t = arg;
	struct err e = { EXIT_RUNTIME, "the provider said no" };

	(void)timer;
	flow_continue(t->waiting, t->external_rc, &e);
}

static int
external(struct flow *f, PGresult *prev)
{
	struct trace *t = f->ctx;

	(void)prev;
	saw(f, 'x');
	t->waiting = f;
	loop_timer_add(f->loop, 5, on_external, t);
	return flow_wait_external(f);
}

static int
last(struct flow *f, PGresult *prev)
{
	(void)prev;
	saw(f, 'z');
	return FLOW_DONE;
}

static int
never(struct flow *f, PGresult *prev)
{
	(void)prev;
	saw(f, '!');
	return FLOW_NEXT;
}

static int
refuse(struct flow *f, PGresult *prev)
{
	(void)prev;
	saw(f, 'r');
	return flow_fail(f, EXIT_CHECK, "publication %s does not exist", "pub");
}

static void
test_run_to_end(void **state)
{
	static const flow_step steps[] = {
		first, poll_step, external, last, never, NULL
	};
	struct loop *loop = loop_new();
	struct trace t;
	struct err e = { 0, "" };

	(void)state;
	memset(&t, 0, sizeof t);
	assert_int_equal(flow_run(loop, steps, &t, &e), 0);
	assert_string_equal(t.seen, "apppxz");
	assert_int_equal(e.code, 0);
	/* Again on the same loop: a run that ended leaves nothing behind. */
	memset(&t, 0, sizeof t);
	assert_int_equal(flow_run(loop, steps, &t, &e), 0);
	assert_string_equal(t.seen, "apppxz");
	loop_free(loop);
}

static void
test_step_fails(void **state)
{
	static const flow_step steps[] = { first, refuse, never, NULL };
	struct loop *loop = loop_new();
	struct trace t;
	struct err e = { 0, "" };

	(void)state;
	memset(&t, 0, sizeof t);
	assert_int_equal(flow_run(loop, steps, &t, &e), -1);
	assert_string_equal(t.seen, "ar");
	assert_int_equal(e.code, EXIT_CHECK);
	assert_string_equal(e.msg, "publication pub does not exist");
	loop_free(loop);
}

static void
test_external_fails(void **state)
{
	static const flow_step steps[] = { external, never, NULL };
	struct loop *loop = loop_new();
	struct trace t;
	struct err e = { 0, "" };

	(void)state;
	memset(&t, 0, sizeof t);
	t.external_rc = -1;
	assert_int_equal(flow_run(loop, steps, &t, &e), -1);
	assert_string_equal(t.seen, "x");
	assert_int_equal(e.code, EXIT_RUNTIME);
	assert_string_equal(e.msg, "the provider said no");
	loop_free(loop);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_run_to_end),
		cmocka_unit_test(test_step_fails),
		cmocka_unit_test(test_external_fails),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
