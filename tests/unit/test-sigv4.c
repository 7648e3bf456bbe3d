/* test-sigv4 - Signature V4 against the official AWS test suites in
 * tests/data/sigv4: aws-c-auth's (header and presigned-query signing,
 * each case's context.json) and botocore's (header signing). Every case is
 * one test; none is skipped. */
#include "unit.h"

#include <dirent.h>
#include <stdio.h>
#include <sys/stat.h>

#include <cjson/cJSON.h>

#include "aws/sigv4.h"
#include "fileio.h"
#include "util.h"

/* Parsed NAME.req / request.txt. */
struct raw_request {
	char *method;
	char *path;
	char *query;
	char *hn[32], *hv[32];
	struct sigv4_header h[32];
	size_t nh;
	char *body;
	size_t body_len;
};

struct vcase {
	char *dir;               /* the case's directory */
	char *name;              /* its name, for the test name */
	char *prefix;            /* botocore: dir/NAME. ; aws-c-auth: dir/ */
	bool botocore;
	bool query;              /* aws-c-auth presigned variant */
	char *testname;
};

static char *
slurp(const char *path)
{
	char *buf;
	size_t len;

	if (file_read_all(path, 1 << 20, &buf, &len) != 0)
		fail_msg("cannot read %s", path);
	return buf;
}

static char *
slurp2(const char *a, const char *b)
{
	char *p = xasprintf("%s%s", a, b);
	char *s = slurp(p);

	free(p);
	return s;
}

/* The request line is METHOD SP TARGET SP VERSION, where TARGET may hold
 * spaces (get-space): split at the first and the last space. Header
 * lines that start with whitespace continue the previous one. */
static void
parse_request(const char *text, struct raw_request *r)
{
	const char *eol, *p, *sp1, *sp2, *q;
	char *target;

	memset(r, 0, sizeof *r);
	eol = strchr(text, '\n');
	if (eol == NULL)
		eol = text + strlen(text);
	sp1 = memchr(text, ' ', (size_t)(eol - text));
	assert_non_null(sp1);
	for (sp2 = eol - 1; sp2 > sp1 && *sp2 != ' '; sp2--)
		;
	assert_true(sp2 > sp1);
	r->method = xstrndup(text, (size_t)(sp1 - text));
	target = xstrndup(sp1 + 1, (size_t)(sp2 - sp1 - 1));
	q = strchr(target, '?');
	if (q != NULL) {
		r->path = xstrndup(target, (size_t)(q - target));
		r->query = xstrdup(q + 1);
	} else
		r->path = xstrdup(target);
	free(target);
	p = *eol ? eol + 1 : eol;
	while (*p != '\0') {
		const char *colon;

		eol = strchr(p, '\n');
		if (eol == NULL)
			eol = p + strlen(p);
		if (eol == p) {                   /* blank line: the body */
			p = eol + 1;
			r->body = xstrdup(p);
			r->body_len = strlen(p);
			return;
		}
		if ((*p == ' ' || *p == '\t') && r->nh > 0) {
			char *v = xasprintf("%s\n%.*s", r->hv[r->nh - 1],
			    (int)(eol - p), p);

			free(r->hv[r->nh - 1]);
			r->hv[r->nh - 1] = v;
		} else {
			colon = memchr(p, ':', (size_t)(eol - p));
			assert_non_null(colon);
			assert_true(r->nh < ARRAY_SIZE(r->h));
			r->hn[r->nh] = xstrndup(p, (size_t)(colon - p));
			r->hv[r->nh] = xstrndup(colon + 1,
			    (size_t)(eol - colon - 1));
			r->nh++;
		}
		p = *eol ? eol + 1 : eol;
	}
}

static void
raw_request_free(struct raw_request *r)
{
	size_t i;

	free(r->method);
	free(r->path);
	free(r->query);
	free(r->body);
	for (i = 0; i < r->nh; i++) {
		free(r->hn[i]);
		free(r->hv[i]);
	}
}

static void
to_sigv4(struct raw_request *r, struct sigv4_request *req)
{
	size_t i;

	for (i = 0; i < r->nh; i++) {
		r->h[i].name = r->hn[i];
		r->h[i].value = r->hv[i];
	}
	memset(req, 0, sizeof *req);
	req->method = r->method;
	req->path = r->path;
	req->query = r->query;
	req->headers = r->h;
	req->nheaders = r->nh;
	req->body = r->body;
	req->body_len = r->body_len;
}

/* Strips one trailing newline (a few files end with one). */
static char *
chomp(char *s)
{
	size_t n = strlen(s);

	while (n > 0 && (s[n - 1] == '\n' || s[n - 1] == '\r'))
		s[--n] = '\0';
	return s;
}

static const char *
json_str(const cJSON *o, const char *k)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, k);

	return cJSON_IsString(v) ? v->valuestring : NULL;
}

static bool
json_bool(const cJSON *o, const char *k, bool def)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, k);

	return cJSON_IsBool(v) ? cJSON_IsTrue(v) : def;
}

static void
run_aws_c_auth(const struct vcase *c)
{
	struct raw_request r;
	struct sigv4_request req;
	struct sigv4_key key;
	struct sigv4_opts o;
	struct sigv4_signed s;
	struct err e;
	cJSON *ctx, *cred;
	char *text, *want, *line, *got;
	const char *pfx = c->query ? "query-" : "header-";

	text = slurp2(c->prefix, "context.json");
	ctx = cJSON_Parse(text);
	free(text);
	assert_non_null(ctx);
	cred = cJSON_GetObjectItemCaseSensitive(ctx, "credentials");
	key.access_key_id = json_str(cred, "access_key_id");
	key.secret_access_key = json_str(cred, "secret_access_key");
	key.session_token = json_str(cred, "token");
	memset(&o, 0, sizeof o);
	o.region = json_str(ctx, "region");
	o.service = json_str(ctx, "service");
	o.time = time_parse_rfc3339(json_str(ctx, "timestamp")) / 1000;
	o.normalize_path = json_bool(ctx, "normalize", true);
	o.sign_body = json_bool(ctx, "sign_body", false);
	o.omit_session_token = json_bool(ctx, "omit_session_token", false);
	o.expires = (int64_t)cJSON_GetNumberValue(
	    cJSON_GetObjectItemCaseSensitive(ctx, "expiration_in_seconds"));
	assert_true(o.time > 0);

	text = slurp2(c->prefix, "request.txt");
	parse_request(text, &r);
	free(text);
	to_sigv4(&r, &req);
	if (c->query)
		assert_int_equal(sigv4_presign(&req, &key, &o, &s, &e), 0);
	else
		assert_int_equal(sigv4_sign(&req, &key, &o, &s, &e), 0);

	line = xasprintf("%scanonical-request.txt", pfx);
	want = slurp2(c->prefix, line);
	assert_string_equal(s.canonical_request, chomp(want));
	free(want);
	free(line);
	line = xasprintf("%sstring-to-sign.txt", pfx);
	want = slurp2(c->prefix, line);
	assert_string_equal(s.string_to_sign, chomp(want));
	free(want);
	free(line);
	line = xasprintf("%ssignature.txt", pfx);
	want = slurp2(c->prefix, line);
	assert_string_equal(s.signature, chomp(want));
	free(want);
	free(line);

	/* The signed request: the Authorization header, or the whole
	 * presigned request line. */
	line = xasprintf("%ssigned-request.txt", pfx);
	want = slurp2(c->prefix, line);
	free(line);
	if (c->query) {
		got = xasprintf("%s %s?%s HTTP/1.1\n", r.method, r.path,
		    s.query);
		assert_true(strncmp(want, got, strlen(got)) == 0);
		free(got);
	} else {
		got = xasprintf("\nAuthorization:%s\n", s.authorization);
		if (strstr(want, got) == NULL)
			fail_msg("no %s in the signed request", got);
		free(got);
	}
	free(want);
	sigv4_signed_free(&s);
	raw_request_free(&r);
	cJSON_Delete(ctx);
}

/* botocore's fixed inputs; its harness takes the session token from the
 * canonical request's x-amz-security-token line, and so do we. */
static void
run_botocore(const struct vcase *c)
{
	struct raw_request r;
	struct sigv4_request req;
	struct sigv4_key key;
	struct sigv4_opts o;
	struct sigv4_signed s;
	struct err e;
	char *creq, *sts, *authz, *text, *tok, *token = NULL;

	creq = chomp(slurp2(c->prefix, "creq"));
	sts = chomp(slurp2(c->prefix, "sts"));
	authz = chomp(slurp2(c->prefix, "authz"));
	if ((tok = strstr(creq, "\nx-amz-security-token:")) != NULL) {
		tok += strlen("\nx-amz-security-token:");
		token = xstrndup(tok, strcspn(tok, "\n"));
	}
	key.access_key_id = "AKIDEXAMPLE";
	key.secret_access_key = "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY";
	key.session_token = token;
	memset(&o, 0, sizeof o);
	o.region = "us-east-1";
	o.service = "service";
	o.time = time_parse_rfc3339("2015-08-30T12:36:00Z") / 1000;
	o.normalize_path = true;

	text = slurp2(c->prefix, "req");
	parse_request(text, &r);
	free(text);
	to_sigv4(&r, &req);
	assert_int_equal(sigv4_sign(&req, &key, &o, &s, &e), 0);
	assert_string_equal(s.canonical_request, creq);
	assert_string_equal(s.string_to_sign, sts);
	assert_string_equal(s.authorization, authz);
	sigv4_signed_free(&s);
	raw_request_free(&r);
	free(creq);
	free(sts);
	free(authz);
	free(token);
}

static void
run_case(void **state)
{
	const struct vcase *c = *state;

	if (c->botocore)
		run_botocore(c);
	else
		run_aws_c_auth(c);
}

static struct vcase *cases;
static size_t ncases, capcases;
static size_t n_aws_c_auth, n_botocore;

static void
add_case(const char *dir, const char *name, const char *prefix,
    bool botocore, bool query)
{
	struct vcase *c;

	if (ncases == capcases) {
		capcases = capcases ? 2 * capcases : 64;
		cases = xreallocarray(cases, capcases, sizeof *cases);
	}
	c = &cases[ncases++];
	c->dir = xstrdup(dir);
	c->name = xstrdup(name);
	c->prefix = xstrdup(prefix);
	c->botocore = botocore;
	c->query = query;
	c->testname = xasprintf("%s %s%s", botocore ? "botocore" : "aws-c-auth",
	    name, botocore ? "" : query ? " (query)" : " (header)");
}

static int
name_cmp(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Sorted subdirectory names of dir. */
static char **
subdirs(const char *dir, size_t *n)
{
	DIR *d = opendir(dir);
	struct dirent *de;
	struct stat st;
	char **v = NULL, *p;

	*n = 0;
	if (d == NULL)
		return NULL;
	while ((de = readdir(d)) != NULL) {
		if (de->d_name[0] == '.')
			continue;
		p = xasprintf("%s/%s", dir, de->d_name);
		if (stat(p, &st) == 0 && S_ISDIR(st.st_mode)) {
			v = xreallocarray(v, *n + 1, sizeof *v);
			v[(*n)++] = xstrdup(de->d_name);
		}
		free(p);
	}
	closedir(d);
	if (*n > 0)
		qsort(v, *n, sizeof *v, name_cmp);
	return v;
}

/* botocore's cases are directories holding NAME.req, nested in groups
 * (normalize-path/, post-sts-token/). */
static void
find_botocore(const char *dir, const char *rel)
{
	char **v, *p, *req, *r2, *pfx;
	size_t n, i;
	struct stat st;

	v = subdirs(dir, &n);
	for (i = 0; i < n; i++) {
		p = xasprintf("%s/%s", dir, v[i]);
		req = xasprintf("%s/%s.req", p, v[i]);
		r2 = xasprintf("%s%s%s", rel, *rel ? "/" : "", v[i]);
		if (stat(req, &st) == 0) {
			pfx = xasprintf("%s/%s.", p, v[i]);
			add_case(p, r2, pfx, true, false);
			free(pfx);
			n_botocore++;
		} else
			find_botocore(p, r2);
		free(r2);
		free(req);
		free(p);
		free(v[i]);
	}
	free(v);
}

static void
test_suites_found(void **state)
{
	(void)state;
	/* NOTICE.md: 38 aws-c-auth cases and 34 botocore cases. */
	assert_int_equal(n_aws_c_auth, 38);
	assert_int_equal(n_botocore, 34);
}

/* Our own checks beyond the suites. */
static void
test_encoding(void **state)
{
	struct strbuf sb;
	char *s;

	(void)state;
	sb_init(&sb);
	sigv4_uri_encode(&sb, "a b/c~+*%", 9, false);
	assert_string_equal(sb.buf, "a%20b%2Fc~%2B%2A%25");
	sb_free(&sb);
	s = sigv4_canonical_path("/a/./b/../c//", true);
	assert_string_equal(s, "/a/c/");
	free(s);
	s = sigv4_canonical_path("/../..", true);
	assert_string_equal(s, "/");
	free(s);
	s = sigv4_canonical_path("/a%20b", false);
	assert_string_equal(s, "/a%2520b");     /* double encoding */
	free(s);
	s = sigv4_canonical_query("b=2&a=&a=1&c&%41=x+y");
	assert_string_equal(s, "A=x%2By&a=&a=1&b=2&c=");
	free(s);
}

static void
test_refuses_bad_input(void **state)
{
	struct sigv4_header h = { "X-Other", "1" };
	struct sigv4_request req = { "GET", "/", NULL, &h, 1, NULL, 0 };
	struct sigv4_key key = { "AKID", "SECRET", NULL };
	struct sigv4_opts o = { "us-east-1", "dms", 1, true, false, false, 0 };
	struct sigv4_signed s;
	struct err e;

	(void)state;
	assert_int_equal(sigv4_sign(&req, &key, &o, &s, &e), -1);
	assert_non_null(strstr(e.msg, "Host"));
	assert_null(strstr(e.msg, "SECRET"));
}

int
main(void)
{
	const char *top = getenv("TOP_SRCDIR");
	char *base, *d, **v, *p;
	size_t n, i;
	struct CMUnitTest *tests;
	int rc;

	if (top == NULL)
		top = ".";
	base = xasprintf("%s/tests/data/sigv4", top);
	d = xasprintf("%s/aws-c-auth/v4", base);
	v = subdirs(d, &n);
	for (i = 0; i < n; i++) {
		p = xasprintf("%s/%s/", d, v[i]);
		add_case(p, v[i], p, false, false);
		add_case(p, v[i], p, false, true);
		n_aws_c_auth++;
		free(p);
		free(v[i]);
	}
	free(v);
	free(d);
	d = xasprintf("%s/botocore/aws4_testsuite", base);
	find_botocore(d, "");
	free(d);
	free(base);

	tests = xcalloc(ncases + 3, sizeof *tests);
	tests[0] = (struct CMUnitTest)cmocka_unit_test(test_suites_found);
	tests[1] = (struct CMUnitTest)cmocka_unit_test(test_encoding);
	tests[2] = (struct CMUnitTest)cmocka_unit_test(test_refuses_bad_input);
	for (i = 0; i < ncases; i++) {
		tests[i + 3].name = cases[i].testname;
		tests[i + 3].test_func = run_case;
		tests[i + 3].initial_state = &cases[i];
	}
	rc = _cmocka_run_group_tests("sigv4", tests, ncases + 3, NULL, NULL);
	for (i = 0; i < ncases; i++) {
		free(cases[i].dir);
		free(cases[i].name);
		free(cases[i].prefix);
		free(cases[i].testname);
	}
	free(cases);
	free(tests);
	return rc;
}
