/* test-feed.c - the watch feed's plumbing: the addresses a watcher keeps
 * for its driver's name (resolved once, cycled through on reconnection,
 * replaced by what a child's `getent ahosts` printed); a driver's name
 * that does not resolve is an error when the watcher starts; a driver
 * that accepts and never answers is given up on after a deadline; the
 * line framing of what the driver and the watcher read. */
#include "unit.h"

#include <sys/socket.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <unistd.h>

#include "feed.h"
#include "net.h"

/* The address a take gives, as text. */
static const char *
take(struct addr_list *l)
{
	static char buf[80];
	const struct sockaddr *sa;
	socklen_t len = 0;

	if ((sa = addr_list_take(l, &len)) == NULL)
		return "(none)";
	addr_format(sa, len, buf, sizeof buf);
	return buf;
}

/* A numeric host resolves without a resolver, to itself; the list gives
 * it again and again. */
static void
test_resolve_numeric(void **state)
{
	struct addr_list l = { NULL, NULL, 0, 0 };
	struct err e = { 0, "" };

	(void)state;
	assert_string_equal(take(&l), "(none)");
	assert_int_equal(addr_list_resolve(&l, "127.0.0.1", "7433", &e), 0);
	assert_int_equal(l.n, 1);
	assert_int_equal(addr_list_port(&l), 7433);
	assert_string_equal(take(&l), "127.0.0.1:7433");
	assert_string_equal(take(&l), "127.0.0.1:7433");
	assert_int_equal(addr_list_resolve(&l, "::1", "9", &e), 0);
	assert_string_equal(take(&l), "[::1]:9");
	addr_list_free(&l);
}

/* A name that does not resolve is an error naming it, and the list kept
 * is not lost. */
static void
test_resolve_unknown(void **state)
{
	struct addr_list l = { NULL, NULL, 0, 0 };
	struct err e = { 0, "" };

	(void)state;
	assert_int_equal(addr_list_resolve(&l, "10.1.2.3", "80", &e), 0);
	assert_int_not_equal(addr_list_resolve(&l, "no-such-host.invalid",
	    "7433", &e), 0);
	assert_non_null(strstr(e.msg, "no-such-host.invalid"));
	assert_int_equal(e.code, EXIT_USAGE);
	assert_string_equal(take(&l), "10.1.2.3:80");
	addr_list_free(&l);
}

/* What `getent ahosts` prints: a line a socket type; only STREAM lines
 * count, each address once, in the resolver's order, all on the port
 * the watcher was given; the takes go round the list and start again
 * with the one that worked. */
static void
test_getent_cycle(void **state)
{
	static const char out[] =
	    "2001:db8::7     STREAM driver.example\n"
	    "2001:db8::7     DGRAM  \n"
	    "2001:db8::7     RAW    \n"
	    "192.0.2.10      STREAM \n"
	    "192.0.2.10      DGRAM  \n"
	    "192.0.2.11      STREAM \n"
	    "192.0.2.10      STREAM \n"
	    "garbage\n"
	    "not-an-address  STREAM \n"
	    "192.0.2.12      STREAM";     /* no newline at the end */
	struct addr_list l = { NULL, NULL, 0, 0 };
	struct err e = { 0, "" };

	(void)state;
	assert_int_equal(addr_list_resolve(&l, "127.0.0.1", "7433", &e), 0);
	assert_string_equal(take(&l), "127.0.0.1:7433");
	assert_int_equal(addr_list_parse_getent(&l, out, strlen(out),
	    addr_list_port(&l)), 4);
	assert_string_equal(take(&l), "[2001:db8::7]:7433");
	assert_string_equal(take(&l), "192.0.2.10:7433");
	assert_string_equal(take(&l), "192.0.2.11:7433");
	assert_string_equal(take(&l), "192.0.2.12:7433");
	assert_string_equal(take(&l), "[2001:db8::7]:7433");
	assert_string_equal(take(&l), "192.0.2.10:7433");
	addr_list_again(&l);
	assert_string_equal(take(&l), "192.0.2.10:7433");
	assert_string_equal(take(&l), "192.0.2.11:7433");
	addr_list_free(&l);
}

/* Nothing usable printed (a resolver that failed or timed out): the list
 * kept stays as it was. */
static void
test_getent_empty(void **state)
{
	static const char out[] = "192.0.2.10      DGRAM  \nnonsense\n";
	struct addr_list l = { NULL, NULL, 0, 0 };
	struct err e = { 0, "" };

	(void)state;
	assert_int_equal(addr_list_resolve(&l, "198.51.100.1", "443", &e), 0);
	assert_int_equal(addr_list_parse_getent(&l, out, strlen(out), 443), 0);
	assert_int_equal(addr_list_parse_getent(&l, "", 0, 443), 0);
	assert_int_equal(l.n, 1);
	assert_string_equal(take(&l), "198.51.100.1:443");
	addr_list_free(&l);
}

static char *
token_file(char *dir)
{
	char *tok = xasprintf("%s/token", dir);
	FILE *f;

	assert_non_null(f = fopen(tok, "w"));
	fputs("0123456789abcdef\n", f);
	fclose(f);
	return tok;
}

struct seen {
	char last[512];
	bool deadline;
};

static void
on_status(bool connected, const char *text, void *arg)
{
	struct seen *s = arg;

	(void)connected;
	snprintf(s->last, sizeof s->last, "%s", text);
	if (strstr(text, "no answer within 10 s") != NULL)
		s->deadline = true;
}

/* A driver's port that completes TCP connections but never says a word
 * (a hung driver, a black hole behind a proxy): the watcher gives that
 * attempt up after its deadline and schedules the next, its loop turning
 * all along. */
static void
test_client_deadline(void **state)
{
	struct loop *loop = loop_new();
	struct err e = { 0, "" };
	struct sockaddr_in sin;
	socklen_t sl = sizeof sin;
	struct feed_client *c;
	struct seen s;
	char *dir = test_tmpdir(), *tok = token_file(dir), hp[64];
	int64_t end;
	int lfd;

	(void)state;
	memset(&s, 0, sizeof s);
	memset(&sin, 0, sizeof sin);
	sin.sin_family = AF_INET;
	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	assert_true((lfd = socket(AF_INET, SOCK_STREAM, 0)) >= 0);
	assert_int_equal(bind(lfd, (struct sockaddr *)&sin, sizeof sin), 0);
	assert_int_equal(listen(lfd, 4), 0);
	assert_int_equal(getsockname(lfd, (struct sockaddr *)&sin, &sl), 0);
	snprintf(hp, sizeof hp, "127.0.0.1:%d", ntohs(sin.sin_port));
	c = feed_client_new(loop, hp, tok, NULL, NULL, on_status, &s, &e);
	assert_non_null(c);
	/* Generous: the deadline is 10 s; this only bounds a broken test. */
	end = mono_ms() + 40000;
	while (!s.deadline && mono_ms() < end)
		loop_run_once(loop, 200);
	if (!s.deadline)
		fail_msg("no deadline; last status: %s", s.last);
	assert_non_null(strstr(s.last, "again in"));
	feed_client_free(c);
	close(lfd);
	free(tok);
	test_tmpdir_remove(dir);
	loop_free(loop);
}

/* The line framing both sides use: whole lines only, without the
 * newline or a \r before it, an empty line is a line, and what follows
 * the last newline waits for more. */
static void
test_line_framing(void **state)
{
	static const char in[] = "{\"type\":\"hello\"}\n\nCUTOVER-WATCH 1 "
	    "tok\r\n{\"type\":\"ti";
	const char *line;
	size_t off = 0, len = 99;

	(void)state;
	line = feed_line_next(in, strlen(in), &off, &len);
	assert_non_null(line);
	assert_int_equal(len, 16);
	assert_memory_equal(line, "{\"type\":\"hello\"}", 16);
	line = feed_line_next(in, strlen(in), &off, &len);
	assert_non_null(line);
	assert_int_equal(len, 0);
	line = feed_line_next(in, strlen(in), &off, &len);
	assert_non_null(line);
	assert_int_equal(len, 19);
	assert_memory_equal(line, "CUTOVER-WATCH 1 tok", 19);
	assert_null(feed_line_next(in, strlen(in), &off, &len));
	assert_string_equal(in + off, "{\"type\":\"ti");
	off = 0;
	assert_null(feed_line_next("", 0, &off, &len));
	assert_int_equal(off, 0);
}

/* The watcher resolves before its loop runs: an unknown name is an error
 * naming the host, not a retry inside the loop. */
static void
test_client_unknown_host(void **state)
{
	struct loop *loop = loop_new();
	struct err e = { 0, "" };
	char *dir = test_tmpdir(), *tok = token_file(dir);

	(void)state;
	assert_null(feed_client_new(loop, "no-such-driver.invalid:7433", tok,
	    NULL, NULL, NULL, NULL, &e));
	assert_int_equal(e.code, EXIT_USAGE);
	assert_non_null(strstr(e.msg, "--connect no-such-driver.invalid:7433"));
	assert_non_null(strstr(e.msg, "cannot resolve no-such-driver.invalid"));
	free(tok);
	test_tmpdir_remove(dir);
	loop_free(loop);
}

static void
test_host_is_numeric(void **state)
{
	(void)state;
	assert_true(host_is_numeric("127.0.0.1"));
	assert_true(host_is_numeric("::1"));
	assert_false(host_is_numeric("localhost"));
	assert_false(host_is_numeric("driver.example"));
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_resolve_numeric),
		cmocka_unit_test(test_resolve_unknown),
		cmocka_unit_test(test_getent_cycle),
		cmocka_unit_test(test_getent_empty),
		cmocka_unit_test(test_host_is_numeric),
		cmocka_unit_test(test_client_unknown_host),
		cmocka_unit_test(test_line_framing),
		cmocka_unit_test(test_client_deadline),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
