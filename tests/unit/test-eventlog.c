/* test-eventlog.c - the hash chain: its exact shape, verification of every
 * kind of tampering, torn-tail repair, and concurrent appenders. */
#include "unit.h"

#include <stdio.h>
#include <sys/wait.h>
#include <unistd.h>

#include <openssl/evp.h>

#include "eventlog.h"
#include "fileio.h"
#include "util.h"

struct lines {
	char *text;
	char *v[64];
	size_t n;
};

static char *
log_path(const char *dir)
{
	return xasprintf("%s/events.jsonl", dir);
}

static void
append_n(const char *dir, int n)
{
	struct eventlog *log;
	struct err e = { 0, "" };
	int i;

	assert_int_equal(eventlog_open(&log, dir, "staging", &e), 0);
	for (i = 0; i < n; i++) {
		cJSON *data = cJSON_CreateObject();

		cJSON_AddNumberToObject(data, "i", i);
		if (eventlog_append(log, "action", i % 2 ? "drain" : NULL, data, &e,
		    "event %d", i) < 0)
			fail_msg("append: %s", e.msg);
	}
	eventlog_close(log);
}

static void
read_lines(const char *dir, struct lines *l)
{
	char *path = log_path(dir), *p, *nl;
	size_t len;

	memset(l, 0, sizeof *l);
	assert_int_equal(file_read_all(path, 1 << 24, &l->text, &len), 0);
	for (p = l->text; (nl = strchr(p, '\n')) != NULL && l->n < 64; p = nl + 1) {
		*nl = '\0';
		l->v[l->n++] = p;
	}
	free(path);
}

static void
write_lines(const char *dir, struct lines *l, const size_t *order, size_t n)
{
	char *path = log_path(dir);
	FILE *f = fopen(path, "w");
	size_t i;

	assert_non_null(f);
	for (i = 0; i < n; i++)
		fprintf(f, "%s\n", l->v[order[i]]);
	fclose(f);
	free(path);
}

static struct verify_result
verify(const char *dir, int want_rc)
{
	struct verify_result r;
	struct err e = { 0, "" };
	char *path = log_path(dir);
	int rc = eventlog_verify(path, &r, &e);

	free(path);
	if (rc != want_rc)
		fail_msg("verify returned %d (%s / %s), wanted %d", rc, r.why, e.msg,
		    want_rc);
	return r;
}

static void
test_line_shape(void **state)
{
	char *dir = test_tmpdir(), hex[65], prev[65];
	struct lines l;
	size_t i;

	(void)state;
	append_n(dir, 3);
	read_lines(dir, &l);
	assert_int_equal(l.n, 3);
	memset(prev, '0', 64);
	prev[64] = '\0';
	for (i = 0; i < l.n; i++) {
		const char *line = l.v[i], *h = strstr(line, ",\"hash\":\"");
		char *body, want[32];

		snprintf(want, sizeof want, "{\"seq\":%zu,\"ts\":\"", i + 1);
		assert_true(str_startswith(line, want));
		assert_non_null(strstr(line, "\"kind\":\"action\""));
		assert_non_null(strstr(line, i % 2 ? "\"phase\":\"drain\"" :
		    "\"phase\":null"));
		assert_non_null(strstr(line, "\"environment\":\"staging\""));
		assert_non_null(strstr(line, "\"data\":{\"i\":"));
		/* prev is the previous line's hash (64 zeros first). */
		{
			char *p = xasprintf(",\"prev\":\"%s\",\"hash\":\"", prev);

			assert_non_null(strstr(line, p));
			free(p);
		}
		/* hash = SHA-256 of the line without its final member. */
		assert_non_null(h);
		assert_int_equal(strlen(h), strlen(",\"hash\":\"") + 64 + 2);
		body = xasprintf("%.*s}", (int)(h - line), line);
		sha256_hex(body, strlen(body), hex);
		assert_memory_equal(h + 9, hex, 64);
		memcpy(prev, hex, 65);
		free(body);
	}
	free(l.text);
	verify(dir, 0);
	test_tmpdir_remove(dir);
}

static void
test_modified_middle_line(void **state)
{
	char *dir = test_tmpdir(), *p;
	struct verify_result r;
	struct lines l;
	size_t order[] = { 0, 1, 2, 3, 4 };

	(void)state;
	append_n(dir, 5);
	read_lines(dir, &l);
	p = strstr(l.v[2], "event 2");
	assert_non_null(p);
	p[6] = '9';		/* "event 9" */
	write_lines(dir, &l, order, 5);
	free(l.text);
	r = verify(dir, 1);
	assert_int_equal(r.bad_seq, 3);
	assert_int_equal(r.bad_line, 3);
	assert_non_null(strstr(r.why, "modified"));
	test_tmpdir_remove(dir);
}

static void
test_deleted_line(void **state)
{
	char *dir = test_tmpdir();
	struct verify_result r;
	struct lines l;
	size_t order[] = { 0, 1, 3, 4 };

	(void)state;
	append_n(dir, 5);
	read_lines(dir, &l);
	write_lines(dir, &l, order, 4);
	free(l.text);
	r = verify(dir, 1);
	assert_int_equal(r.bad_seq, 3);
	assert_non_null(strstr(r.why, "found seq 4"));
	test_tmpdir_remove(dir);
}

static void
test_reordered_lines(void **state)
{
	char *dir = test_tmpdir();
	struct verify_result r;
	struct lines l;
	size_t order[] = { 0, 2, 1, 3, 4 };

	(void)state;
	append_n(dir, 5);
	read_lines(dir, &l);
	write_lines(dir, &l, order, 5);
	free(l.text);
	r = verify(dir, 1);
	assert_int_equal(r.bad_seq, 2);
	test_tmpdir_remove(dir);
}

static void
test_deleted_first_and_last(void **state)
{
	char *dir = test_tmpdir();
	struct verify_result r;
	struct lines l;
	size_t first[] = { 1, 2, 3, 4 };

	(void)state;
	append_n(dir, 5);
	read_lines(dir, &l);
	write_lines(dir, &l, first, 4);
	r = verify(dir, 1);
	assert_int_equal(r.bad_seq, 1);
	free(l.text);
	test_tmpdir_remove(dir);
}

/* Lines deleted from the end leave a valid chain; the anchor state.json
 * keeps (the last seq and hash when it was saved) finds them, and finds a
 * log rewritten from the start too. */
static void
test_anchor_finds_cut_log(void **state)
{
	char *dir = test_tmpdir(), *path = log_path(dir), hash[65];
	struct verify_result r;
	struct eventlog *log;
	struct err e = { 0, "" };
	struct lines l;
	size_t first3[] = { 0, 1, 2 };
	int64_t seq;

	(void)state;
	append_n(dir, 5);
	assert_int_equal(eventlog_open(&log, dir, "staging", &e), 0);
	assert_true(eventlog_append(log, "check", NULL, NULL, &e, "six") == 6);
	eventlog_last(log, &seq, hash);
	eventlog_close(log);
	assert_int_equal(seq, 6);
	assert_int_equal(eventlog_verify_anchored(path, seq, hash, &r, &e), 0);
	read_lines(dir, &l);
	write_lines(dir, &l, first3, 3);
	free(l.text);
	assert_int_equal(eventlog_verify(path, &r, &e), 0);	/* a valid chain */
	assert_int_equal(eventlog_verify_anchored(path, seq, hash, &r, &e), 1);
	assert_int_equal(r.bad_seq, 4);
	assert_non_null(strstr(r.why, "seqs 4 to 6 are missing"));
	/* Rewritten from scratch to the same length: another hash at seq 6. */
	test_tmpdir_remove(dir);
	dir = test_tmpdir();
	free(path);
	path = log_path(dir);
	append_n(dir, 6);
	assert_int_equal(eventlog_verify_anchored(path, seq, hash, &r, &e), 1);
	assert_int_equal(r.bad_seq, 6);
	assert_non_null(strstr(r.why, "rewritten"));
	free(path);
	test_tmpdir_remove(dir);
}

static void
test_torn_tail_repaired(void **state)
{
	char *dir = test_tmpdir(), *path = log_path(dir), *evidence = NULL;
	struct verify_result r;
	struct lines l;
	FILE *f;
	size_t i;

	(void)state;
	append_n(dir, 3);
	f = fopen(path, "a");
	fputs("{\"seq\":4,\"ts\":\"2026-11-2", f);	/* a crash mid-line */
	fclose(f);
	r = verify(dir, 1);
	assert_int_equal(r.bad_seq, 4);
	assert_non_null(strstr(r.why, "torn"));

	append_n(dir, 1);	/* the next writer repairs, then appends */
	verify(dir, 0);
	read_lines(dir, &l);
	assert_int_equal(l.n, 5);
	assert_non_null(strstr(l.v[3], "\"kind\":\"log.repaired\""));
	assert_non_null(strstr(l.v[3], "\"torn_bytes\":24"));
	assert_non_null(strstr(l.v[4], "\"seq\":5"));
	/* The torn bytes are kept as evidence. */
	{
		const char *ev = strstr(l.v[3], "\"evidence\":\"");
		char name[256], *full, *got;
		size_t len;

		assert_non_null(ev);
		ev += strlen("\"evidence\":\"");
		for (i = 0; ev[i] != '"' && i < sizeof name - 1; i++)
			name[i] = ev[i];
		name[i] = '\0';
		full = xasprintf("%s/%s", dir, name);
		assert_int_equal(file_read_all(full, 1024, &got, &len), 0);
		assert_string_equal(got, "{\"seq\":4,\"ts\":\"2026-11-2");
		free(got);
		evidence = full;
	}
	free(evidence);
	free(l.text);
	free(path);
	test_tmpdir_remove(dir);
}

static void
test_tampered_last_line_refuses_append(void **state)
{
	char *dir = test_tmpdir(), *before, *after, *path = log_path(dir);
	struct eventlog *log;
	struct err e = { 0, "" };
	struct lines l;
	size_t order[] = { 0, 1 }, n1, n2;

	(void)state;
	append_n(dir, 2);
	read_lines(dir, &l);
	l.v[1][10] = '7';
	write_lines(dir, &l, order, 2);
	free(l.text);
	assert_int_equal(file_read_all(path, 1 << 20, &before, &n1), 0);
	assert_int_equal(eventlog_open(&log, dir, "staging", &e), 0);
	assert_true(eventlog_append(log, "action", NULL, NULL, &e, "x") < 0);
	assert_non_null(strstr(e.msg, "not a valid event"));
	eventlog_close(log);
	assert_int_equal(file_read_all(path, 1 << 20, &after, &n2), 0);
	assert_string_equal(before, after);
	free(before);
	free(after);
	free(path);
	test_tmpdir_remove(dir);
}

static void
test_hostile_message(void **state)
{
	char *dir = test_tmpdir();
	struct eventlog *log;
	struct err e = { 0, "" };
	struct lines l;
	cJSON *o;

	(void)state;
	assert_int_equal(eventlog_open(&log, dir, "staging", &e), 0);
	assert_true(eventlog_append(log, "action", NULL, NULL, &e,
	    "quote \" backslash \\ newline \n bad \xff utf8 é \x1b[31m") > 0);
	eventlog_close(log);
	read_lines(dir, &l);
	assert_int_equal(l.n, 1);
	o = cJSON_Parse(l.v[0]);
	assert_non_null(o);
	assert_true(utf8_valid(l.v[0], strlen(l.v[0])));
	cJSON_Delete(o);
	free(l.text);
	verify(dir, 0);
	test_tmpdir_remove(dir);
}

static void
test_concurrent_appenders(void **state)
{
	char *dir = test_tmpdir();
	struct verify_result r;
	int i, status;
	pid_t pids[4];

	(void)state;
	for (i = 0; i < 4; i++) {
		pids[i] = fork();
		assert_true(pids[i] >= 0);
		if (pids[i] == 0) {
			struct eventlog *log;
			struct err e = { 0, "" };
			int j;

			if (eventlog_open(&log, dir, "staging", &e) != 0)
				_exit(1);
			for (j = 0; j < 100; j++)
				if (eventlog_append(log, "action", NULL, NULL, &e,
				    "writer %d event %d", i, j) < 0)
					_exit(2);
			eventlog_close(log);
			_exit(0);
		}
	}
	for (i = 0; i < 4; i++) {
		assert_int_equal(waitpid(pids[i], &status, 0), pids[i]);
		assert_true(WIFEXITED(status) && WEXITSTATUS(status) == 0);
	}
	r = verify(dir, 0);
	assert_int_equal(r.lines, 400);
	test_tmpdir_remove(dir);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_line_shape),
		cmocka_unit_test(test_modified_middle_line),
		cmocka_unit_test(test_deleted_line),
		cmocka_unit_test(test_reordered_lines),
		cmocka_unit_test(test_deleted_first_and_last),
		cmocka_unit_test(test_anchor_finds_cut_log),
		cmocka_unit_test(test_torn_tail_repaired),
		cmocka_unit_test(test_tampered_last_line_refuses_append),
		cmocka_unit_test(test_hostile_message),
		cmocka_unit_test(test_concurrent_appenders),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
