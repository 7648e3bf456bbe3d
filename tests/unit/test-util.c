/* test-util.c - what the switch command prints is scrubbed of anything
 * that looks like a secret before it reaches the event log and the
 * watchers; the ring keeps the latest entries in order. */
#include "unit.h"

#include "ring.h"
#include "util.h"

static char *
scrub(const char *in)
{
	struct strbuf sb;
	char *s;

	sb_init(&sb);
	secrets_scrub(&sb, in, strlen(in));
	s = sb_detach(&sb);
	return s != NULL ? s : xstrdup("");
}

static void
expect(const char *in, const char *want)
{
	char *got = scrub(in);

	if (strcmp(got, want) != 0)
		fail_msg("scrub(\"%s\") = \"%s\", wanted \"%s\"", in, got, want);
	free(got);
}

static void
test_secrets_scrubbed(void **state)
{
	(void)state;
	expect("PGPASSWORD=hunter2 psql", "PGPASSWORD=[redacted] psql");
	expect("export AWS_SECRET_ACCESS_KEY='wJalrXUtnFEMI/K7MDENG'",
	    "export AWS_SECRET_ACCESS_KEY='[redacted]'");
	expect("{\"SecretAccessKey\": \"abc/def+ghi\", \"Expiration\": \"x\"}",
	    "{\"SecretAccessKey\": \"[redacted]\", \"Expiration\": \"x\"}");
	expect("AWS_SESSION_TOKEN=IQoJb3JpZ2luX2VjE; next",
	    "AWS_SESSION_TOKEN=[redacted]; next");
	expect("key AKIAIOSFODNN7EXAMPLE used", "key [redacted] used");
	expect("postgresql://app:s3cret@db.example:5432/app",
	    "postgresql://app:[redacted]@db.example:5432/app");
	expect("host=db password=p4ss dbname=app",
	    "host=db password=[redacted] dbname=app");
	expect("a\n-----BEGIN RSA PRIVATE KEY-----\nMIIE\n-----END RSA PRIVATE "
	    "KEY-----\nb", "a\n[redacted private key]\nb");
	/* What is not a secret stays as it is. */
	expect("switched app to host=aurora port=5432 dbname=app (12 ms)",
	    "switched app to host=aurora port=5432 dbname=app (12 ms)");
	expect("https://example.com/path?x=1", "https://example.com/path?x=1");
	expect("token", "token");
	expect("", "");
}

/* Five pushes into a ring of three: the last three, oldest first, and
 * each push past the third says it dropped the oldest. */
static void
test_ring(void **state)
{
	int slot[3] = { 0 };
	size_t start = 0, n = 0, i;
	bool evicted;
	int v;

	(void)state;
	for (v = 1; v <= 5; v++) {
		i = ring_push(&start, &n, 3, &evicted);
		assert_int_equal(evicted, v > 3);
		if (evicted)
			assert_int_equal(slot[i], v - 3);	/* the oldest */
		slot[i] = v;
	}
	assert_int_equal(n, 3);
	assert_int_equal(slot[ring_at(start, 0, 3)], 3);
	assert_int_equal(slot[ring_at(start, 1, 3)], 4);
	assert_int_equal(slot[ring_at(start, 2, 3)], 5);
}

/* Counts for people: thousands separated, unknown as "-", the same in
 * the console and in `status`. */
static void
test_fmt_count(void **state)
{
	char b[32];

	(void)state;
	fmt_count(b, sizeof b, 0);
	assert_string_equal(b, "0");
	fmt_count(b, sizeof b, 999);
	assert_string_equal(b, "999");
	fmt_count(b, sizeof b, 1234567);
	assert_string_equal(b, "1,234,567");
	fmt_count(b, sizeof b, -1);
	assert_string_equal(b, "-");
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_secrets_scrubbed),
		cmocka_unit_test(test_ring),
		cmocka_unit_test(test_fmt_count),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
