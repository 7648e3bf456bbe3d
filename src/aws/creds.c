/* creds.c - the credential chain; see creds.h. */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cjson/cJSON.h>

#include "aws/creds.h"
#include "aws/json.h"
#include "aws/profile.h"
#include "fileio.h"
#include "util.h"

#define DEFAULT_MARGIN_MS (5 * 60 * 1000)
#define PROCESS_TIMEOUT_MS (60 * 1000)
#define PROCESS_MAX_OUTPUT (64 * 1024)
#define IMDS_DEFAULT "http://169.254.169.254"
#define CONTAINER_HOST "http://169.254.170.2"

enum fetch_step {
	STEP_NONE,
	STEP_PROCESS,
	STEP_CONTAINER,
	STEP_IMDS_TOKEN,
	STEP_IMDS_ROLE,
	STEP_IMDS_CREDS,
};

struct aws_creds_req {
	struct aws_creds_provider *p;
	aws_creds_fn fn;
	void *arg;
	struct aws_creds_req *next;
};

struct aws_creds_provider {
	struct loop *loop;
	struct http *http;
	struct aws_creds cached;
	bool have;
	int64_t margin;
	unsigned fetches;

	struct aws_creds_req *waiters;
	struct loop_timer *deliver;
	bool fetching;
	bool failed;             /* the last fetch failed: err holds why */
	struct err err;

	enum fetch_step step;
	struct http_xfer *xfer;
	char *imds_base;
	char *imds_token;
	char *imds_role;
	char *container_url;

	pid_t pid;
	int pfd[2];              /* the process's stdout and stderr */
	struct loop_io *pio[2];
	struct strbuf pout[2];
	struct loop_timer *ptimer;
	int64_t pdeadline;
	char *pwhat;
};

void
aws_creds_clear(struct aws_creds *c)
{
	if (c->secret_access_key != NULL)
		secure_zero(c->secret_access_key, strlen(c->secret_access_key));
	if (c->session_token != NULL)
		secure_zero(c->session_token, strlen(c->session_token));
	free(c->access_key_id);
	free(c->secret_access_key);
	free(c->session_token);
	memset(c, 0, sizeof *c);
}

void
aws_creds_copy(struct aws_creds *dst, const struct aws_creds *src)
{
	memset(dst, 0, sizeof *dst);
	dst->access_key_id = src->access_key_id ?
	    xstrdup(src->access_key_id) : NULL;
	dst->secret_access_key = src->secret_access_key ?
	    xstrdup(src->secret_access_key) : NULL;
	dst->session_token = src->session_token ?
	    xstrdup(src->session_token) : NULL;
	dst->expires_ms = src->expires_ms;
	memcpy(dst->source, src->source, sizeof dst->source);
}

static void
wipe_str(char **s)
{
	if (*s != NULL) {
		secure_zero(*s, strlen(*s));
		free(*s);
		*s = NULL;
	}
}

int
aws_creds_parse(const char *buf, size_t len, const char *what,
    struct aws_creds *out, struct err *e)
{
	cJSON *j;
	const char *code, *exp, *tok;
	const cJSON *ver;

	memset(out, 0, sizeof *out);
	j = cJSON_ParseWithLength(buf, len);
	if (!cJSON_IsObject(j)) {
		cJSON_Delete(j);
		return err_set(e, EXIT_RUNTIME,
		    "%s: the answer is not a JSON object", what);
	}
	ver = cJSON_GetObjectItemCaseSensitive(j, "Version");
	if (ver != NULL && aj_int(j, "Version", -1) != 1) {
		cJSON_Delete(j);
		return err_set(e, EXIT_RUNTIME,
		    "%s: unsupported Version (only 1 is known)", what);
	}
	code = aj_str(j, "Code");
	if (code != NULL && strcmp(code, "Success") != 0) {
		err_set(e, EXIT_RUNTIME, "%s: Code %.64s%s%.300s", what, code,
		    aj_str(j, "Message") ? ": " : "",
		    aj_str(j, "Message") ? aj_str(j, "Message") : "");
		cJSON_Delete(j);
		return -1;
	}
	if (aj_str(j, "AccessKeyId") == NULL ||
	    aj_str(j, "SecretAccessKey") == NULL ||
	    *aj_str(j, "AccessKeyId") == '\0' ||
	    *aj_str(j, "SecretAccessKey") == '\0') {
		cJSON_Delete(j);
		return err_set(e, EXIT_RUNTIME,
		    "%s: the answer has no AccessKeyId or SecretAccessKey", what);
	}
	exp = aj_str(j, "Expiration");
	if (exp != NULL && aws_parse_iso8601(exp) < 0) {
		cJSON_Delete(j);
		return err_set(e, EXIT_RUNTIME,
		    "%s: Expiration is not an ISO 8601 time", what);
	}
	out->access_key_id = xstrdup(aj_str(j, "AccessKeyId"));
	out->secret_access_key = xstrdup(aj_str(j, "SecretAccessKey"));
	tok = aj_str(j, "SessionToken");
	if (tok == NULL)
		tok = aj_str(j, "Token");
	if (tok != NULL && *tok != '\0')
		out->session_token = xstrdup(tok);
	out->expires_ms = exp != NULL ? aws_parse_iso8601(exp) : 0;
	/* The parsed tree holds the secret too. */
	{
		cJSON *s = cJSON_GetObjectItemCaseSensitive(j,
		    "SecretAccessKey");
		const char *keys[] = { "SessionToken", "Token" };
		size_t i;

		if (cJSON_IsString(s))
			secure_zero(s->valuestring, strlen(s->valuestring));
		for (i = 0; i < ARRAY_SIZE(keys); i++) {
			s = cJSON_GetObjectItemCaseSensitive(j, keys[i]);
			if (cJSON_IsString(s))
				secure_zero(s->valuestring,
				    strlen(s->valuestring));
		}
	}
	cJSON_Delete(j);
	return 0;
}

struct aws_creds_provider *
aws_creds_provider_new(struct loop *loop, struct http *http)
{
	struct aws_creds_provider *p = xcalloc(1, sizeof *p);

	p->loop = loop;
	p->http = http;
	p->margin = DEFAULT_MARGIN_MS;
	p->pid = -1;
	p->pfd[0] = p->pfd[1] = -1;
	return p;
}

unsigned
aws_creds_fetches(const struct aws_creds_provider *p)
{
	return p->fetches;
}

static void
process_cleanup(struct aws_creds_provider *p)
{
	int i, status;

	for (i = 0; i < 2; i++) {
		if (p->pio[i] != NULL)
			loop_io_remove(p->pio[i]);
		p->pio[i] = NULL;
		if (p->pfd[i] >= 0)
			close(p->pfd[i]);
		p->pfd[i] = -1;
		if (p->pout[i].buf != NULL)
			secure_zero(p->pout[i].buf, p->pout[i].cap);
		sb_free(&p->pout[i]);
	}
	if (p->pid > 0) {
		kill(p->pid, SIGKILL);
		while (waitpid(p->pid, &status, 0) < 0 && errno == EINTR)
			;
		p->pid = -1;
	}
	if (p->ptimer != NULL)
		loop_timer_cancel(p->ptimer);
	p->ptimer = NULL;
	free(p->pwhat);
	p->pwhat = NULL;
}

static void
fetch_cleanup(struct aws_creds_provider *p)
{
	if (p->xfer != NULL)
		http_cancel(p->xfer);
	p->xfer = NULL;
	process_cleanup(p);
	free(p->imds_base);
	wipe_str(&p->imds_token);
	free(p->imds_role);
	free(p->container_url);
	p->imds_base = p->imds_role = p->container_url = NULL;
	p->step = STEP_NONE;
}

void
aws_creds_provider_free(struct aws_creds_provider *p)
{
	struct aws_creds_req *r, *next;

	if (p == NULL)
		return;
	fetch_cleanup(p);
	for (r = p->waiters; r != NULL; r = next) {
		next = r->next;
		free(r);
	}
	if (p->deliver != NULL)
		loop_timer_cancel(p->deliver);
	aws_creds_clear(&p->cached);
	free(p);
}

static bool
cached_fresh(const struct aws_creds_provider *p)
{
	return p->have && (p->cached.expires_ms == 0 ||
	    now_ms() + p->margin < p->cached.expires_ms);
}

/* Still usable, if no longer fresh: a failed early refresh keeps them. */
static bool
cached_valid(const struct aws_creds_provider *p)
{
	return p->have && (p->cached.expires_ms == 0 ||
	    now_ms() + 10 * 1000 < p->cached.expires_ms);
}

static void
on_deliver(struct loop_timer *t, void *arg)
{
	struct aws_creds_provider *p = arg;
	struct aws_creds_req *list, *r, *next;
	struct aws_creds copy;
	struct err e;
	bool ok;

	(void)t;
	p->deliver = NULL;
	if (p->fetching)
		return;		/* delivered when the fetch ends */
	list = p->waiters;
	p->waiters = NULL;
	ok = !p->failed && cached_valid(p);
	e = p->err;
	if (!ok && !p->failed)
		err_set(&e, EXIT_RUNTIME, "the AWS credentials (%s) have expired",
		    p->cached.source);
	/* Each callback gets its own copy: one may invalidate the cache. */
	for (r = list; r != NULL; r = next) {
		next = r->next;
		if (ok) {
			aws_creds_copy(&copy, &p->cached);
			r->fn(&copy, NULL, r->arg);
			aws_creds_clear(&copy);
		} else
			r->fn(NULL, &e, r->arg);
		free(r);
	}
}

static void
schedule_deliver(struct aws_creds_provider *p)
{
	if (p->deliver == NULL)
		p->deliver = loop_timer_add(p->loop, 0, on_deliver, p);
}

static void
fetch_done(struct aws_creds_provider *p, struct aws_creds *c,
    const struct err *e)
{
	fetch_cleanup(p);
	p->fetching = false;
	if (c != NULL) {
		aws_creds_clear(&p->cached);
		p->cached = *c;
		memset(c, 0, sizeof *c);
		p->have = true;
		p->failed = false;
	} else {
		p->err = *e;
		/* Credentials that have not expired yet still serve. */
		p->failed = !cached_valid(p);
	}
	schedule_deliver(p);
}

static void
fetch_fail(struct aws_creds_provider *p, struct err *e)
{
	fetch_done(p, NULL, e);
}

/* ---- credential_process ------------------------------------------- */

static void process_check(struct aws_creds_provider *p);

static void
on_process_io(struct loop_io *io, int fd, int revents, void *arg)
{
	struct aws_creds_provider *p = arg;
	int i = io == p->pio[0] ? 0 : 1;
	char buf[4096];
	ssize_t n;

	(void)revents;
	n = read(fd, buf, sizeof buf);
	if (n < 0 && (errno == EAGAIN || errno == EINTR))
		return;
	if (n > 0) {
		if (p->pout[i].len + (size_t)n <= PROCESS_MAX_OUTPUT)
			sb_add(&p->pout[i], buf, (size_t)n);
		secure_zero(buf, sizeof buf);
		return;
	}
	loop_io_remove(io);
	p->pio[i] = NULL;
	close(p->pfd[i]);
	p->pfd[i] = -1;
	process_check(p);
}

static void
on_process_timer(struct loop_timer *t, void *arg)
{
	struct aws_creds_provider *p = arg;
	struct err e;

	(void)t;
	p->ptimer = NULL;
	if (mono_ms() >= p->pdeadline) {
		err_set(&e, EXIT_RUNTIME, "%s did not finish within %d s",
		    p->pwhat, PROCESS_TIMEOUT_MS / 1000);
		fetch_fail(p, &e);
		return;
	}
	process_check(p);
}

/* Once both pipes are closed, reaps the process (polling briefly: it may
 * close its output a moment before it exits) and reads its answer. */
static void
process_check(struct aws_creds_provider *p)
{
	struct aws_creds c;
	struct err e;
	int status;
	pid_t r;
	char *msg;

	if (p->pio[0] != NULL || p->pio[1] != NULL) {
		if (p->ptimer == NULL)
			p->ptimer = loop_timer_add(p->loop,
			    p->pdeadline - mono_ms(), on_process_timer, p);
		return;
	}
	r = waitpid(p->pid, &status, WNOHANG);
	if (r == 0) {
		if (p->ptimer != NULL)
			loop_timer_cancel(p->ptimer);
		p->ptimer = loop_timer_add(p->loop, 10, on_process_timer, p);
		return;
	}
	p->pid = -1;
	if (r < 0 || !WIFEXITED(status) || WEXITSTATUS(status) != 0) {
		sb_puts(&p->pout[1], "");
		msg = str_trim(p->pout[1].buf);
		msg[strcspn(msg, "\n")] = '\0';
		err_set(&e, EXIT_RUNTIME, "%s %s %d%s%.200s", p->pwhat,
		    r > 0 && WIFSIGNALED(status) ? "was killed by signal" :
		    "exited with status",
		    r > 0 && WIFSIGNALED(status) ? WTERMSIG(status) :
		    r > 0 ? WEXITSTATUS(status) : -1,
		    *msg ? ": " : "", msg);
		fetch_fail(p, &e);
		return;
	}
	sb_puts(&p->pout[0], "");
	if (aws_creds_parse(p->pout[0].buf, p->pout[0].len, p->pwhat, &c,
	    &e) != 0) {
		fetch_fail(p, &e);
		return;
	}
	snprintf(c.source, sizeof c.source, "%s", p->pwhat);
	fetch_done(p, &c, NULL);
}

static int
process_start(struct aws_creds_provider *p, const char *cmd,
    const char *profile, struct err *e)
{
	int out[2], er[2], devnull, i;
	pid_t pid;

	p->pwhat = xasprintf("credential_process of profile %s", profile);
	if (pipe2(out, O_CLOEXEC) != 0)
		return err_set(e, EXIT_RUNTIME, "%s: pipe: %s", p->pwhat,
		    strerror(errno));
	if (pipe2(er, O_CLOEXEC) != 0) {
		close(out[0]);
		close(out[1]);
		return err_set(e, EXIT_RUNTIME, "%s: pipe: %s", p->pwhat,
		    strerror(errno));
	}
	pid = fork();
	if (pid < 0) {
		for (i = 0; i < 2; i++) {
			close(out[i]);
			close(er[i]);
		}
		return err_set(e, EXIT_RUNTIME, "%s: fork: %s", p->pwhat,
		    strerror(errno));
	}
	if (pid == 0) {
		devnull = open("/dev/null", O_RDONLY);
		if (devnull >= 0)
			dup2(devnull, 0);
		dup2(out[1], 1);
		dup2(er[1], 2);
		execl("/bin/sh", "sh", "-c", cmd, (char *)NULL);
		_exit(127);
	}
	close(out[1]);
	close(er[1]);
	p->pid = pid;
	p->pfd[0] = out[0];
	p->pfd[1] = er[0];
	p->pdeadline = mono_ms() + PROCESS_TIMEOUT_MS;
	for (i = 0; i < 2; i++) {
		fcntl(p->pfd[i], F_SETFL, fcntl(p->pfd[i], F_GETFL) | O_NONBLOCK);
		sb_init(&p->pout[i]);
		p->pio[i] = loop_io_add(p->loop, p->pfd[i], POLLIN,
		    on_process_io, p);
	}
	p->step = STEP_PROCESS;
	p->ptimer = loop_timer_add(p->loop, PROCESS_TIMEOUT_MS,
	    on_process_timer, p);
	return 0;
}

/* ---- container and instance metadata ------------------------------ */

static void http_step(struct http_response *r, void *arg);

static int
http_get(struct aws_creds_provider *p, const char *method, const char *url,
    const char *header, int64_t timeout_ms, struct err *e)
{
	struct http_request req;
	const char *hdrs[1];

	memset(&req, 0, sizeof req);
	req.method = method;
	req.url = url;
	if (header != NULL) {
		hdrs[0] = header;
		req.headers = hdrs;
		req.nheaders = 1;
	}
	req.connect_timeout_ms = timeout_ms;
	req.timeout_ms = 2 * timeout_ms;
	req.max_body = 64 * 1024;
	p->xfer = http_start(p->http, &req, http_step, p, e);
	return p->xfer != NULL ? 0 : -1;
}

/* 127.a.b.c with decimal octets 0-255: a loopback literal, nothing else
 * (not 127.x.example, not 127.1). */
static bool
loopback_v4(const char *h, size_t n)
{
	size_t i = 0;
	int part, digits, val;

	for (part = 0; part < 4; part++) {
		if (part > 0) {
			if (i >= n || h[i] != '.')
				return false;
			i++;
		}
		for (digits = 0, val = 0; i < n && h[i] >= '0' && h[i] <= '9' &&
		    digits < 3; i++, digits++)
			val = val * 10 + (h[i] - '0');
		if (digits == 0 || val > 255 || (part == 0 && val != 127))
			return false;
	}
	return i == n;
}

/* http:// may point only at a loopback literal or the addresses ECS and
 * EKS document, with no user information and at most a numeric port;
 * https:// anywhere, without user information. */
bool
aws_container_url_allowed(const char *url)
{
	static const char *const fixed[] = { "localhost", "[::1]",
	    "169.254.170.2", "169.254.170.23", "[fd00:ec2::23]" };
	const char *h, *end;
	size_t n, hl, i;
	bool https;

	if (url == NULL)
		return false;
	https = strncasecmp(url, "https://", 8) == 0;
	if (!https && strncasecmp(url, "http://", 7) != 0)
		return false;
	h = url + (https ? 8 : 7);
	n = strcspn(h, "/?#");
	if (n == 0 || memchr(h, '@', n) != NULL || memchr(h, '\\', n) != NULL)
		return false;
	if (https)
		return true;
	if (h[0] == '[') {
		if ((end = memchr(h, ']', n)) == NULL)
			return false;
		hl = (size_t)(end - h) + 1;
	} else {
		end = memchr(h, ':', n);
		hl = end != NULL ? (size_t)(end - h) : n;
	}
	if (hl < n) {
		if (h[hl] != ':' || n - hl < 2 || n - hl > 6)
			return false;
		for (i = hl + 1; i < n; i++)
			if (h[i] < '0' || h[i] > '9')
				return false;
	}
	for (i = 0; i < ARRAY_SIZE(fixed); i++)
		if (strlen(fixed[i]) == hl && strncasecmp(h, fixed[i], hl) == 0)
			return true;
	return loopback_v4(h, hl);
}

static bool
has_crlf(const char *s)
{
	return strpbrk(s, "\r\n") != NULL;
}

static int
container_start(struct aws_creds_provider *p, struct err *e)
{
	const char *rel = getenv("AWS_CONTAINER_CREDENTIALS_RELATIVE_URI");
	const char *full = getenv("AWS_CONTAINER_CREDENTIALS_FULL_URI");
	const char *tokfile = getenv("AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE");
	const char *tok = getenv("AWS_CONTAINER_AUTHORIZATION_TOKEN");
	char *token = NULL, *hdr = NULL;
	size_t len;
	int rc;

	if (rel != NULL && *rel != '\0')
		p->container_url = xasprintf("%s%s%s", CONTAINER_HOST,
		    *rel == '/' ? "" : "/", rel);
	else {
		if (!aws_container_url_allowed(full))
			return err_set(e, EXIT_USAGE,
			    "AWS_CONTAINER_CREDENTIALS_FULL_URI must be https://, "
			    "or http:// to a loopback or the container "
			    "credentials address");
		p->container_url = xstrdup(full);
	}
	if (tokfile != NULL && *tokfile != '\0') {
		char *raw;

		if (file_read_all(tokfile, 16 * 1024, &raw, &len) != 0)
			return err_set(e, EXIT_RUNTIME,
			    "AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE %s: %s",
			    tokfile, strerror(errno));
		token = xstrdup(str_trim(raw));
		secure_zero(raw, len);
		free(raw);
	} else if (tok != NULL && *tok != '\0')
		token = xstrdup(tok);
	if (token != NULL) {
		if (has_crlf(token)) {
			wipe_str(&token);
			return err_set(e, EXIT_USAGE,
			    "the container authorization token holds a line "
			    "break");
		}
		hdr = xasprintf("Authorization: %s", token);
		wipe_str(&token);
	}
	p->step = STEP_CONTAINER;
	rc = http_get(p, "GET", p->container_url, hdr, 2000, e);
	wipe_str(&hdr);
	return rc;
}

static int
imds_start(struct aws_creds_provider *p, struct err *e)
{
	const char *ep = getenv("AWS_EC2_METADATA_SERVICE_ENDPOINT");
	char *url;
	int rc;

	p->imds_base = xstrdup(ep != NULL && *ep != '\0' ? ep : IMDS_DEFAULT);
	while (str_endswith(p->imds_base, "/"))
		p->imds_base[strlen(p->imds_base) - 1] = '\0';
	p->step = STEP_IMDS_TOKEN;
	url = xasprintf("%s/latest/api/token", p->imds_base);
	rc = http_get(p, "PUT", url,
	    "X-aws-ec2-metadata-token-ttl-seconds: 21600", 1000, e);
	free(url);
	return rc;
}

static void
http_step(struct http_response *r, void *arg)
{
	struct aws_creds_provider *p = arg;
	struct aws_creds c;
	struct err e;
	char *url, *hdr, *what, *body;
	int rc = 0;

	p->xfer = NULL;
	what = p->step == STEP_CONTAINER ?
	    xasprintf("container credentials (%s)", p->container_url) :
	    xasprintf("instance metadata (%s)", p->imds_base);
	if (r->failure != HTTP_OK) {
		err_set(&e, EXIT_RUNTIME, "%s: %s", what, r->error);
		goto fail;
	}
	if (r->status != 200) {
		err_set(&e, EXIT_RUNTIME, "%s: HTTP %ld%s", what, r->status,
		    p->step == STEP_IMDS_ROLE && r->status == 404 ?
		    " (no IAM role is attached to this instance)" : "");
		goto fail;
	}
	switch (p->step) {
	case STEP_IMDS_TOKEN:
		body = str_trim(r->body.buf);
		if (*body == '\0' || has_crlf(body)) {
			err_set(&e, EXIT_RUNTIME, "%s: an empty or bad token",
			    what);
			goto fail;
		}
		p->imds_token = xstrdup(body);
		p->step = STEP_IMDS_ROLE;
		url = xasprintf("%s/latest/meta-data/iam/security-credentials/",
		    p->imds_base);
		hdr = xasprintf("X-aws-ec2-metadata-token: %s", p->imds_token);
		rc = http_get(p, "GET", url, hdr, 1000, &e);
		wipe_str(&hdr);
		free(url);
		break;
	case STEP_IMDS_ROLE:
		body = str_trim(r->body.buf);
		body[strcspn(body, "\r\n")] = '\0';
		if (*body == '\0' || strpbrk(body, "/?#% ") != NULL) {
			err_set(&e, EXIT_RUNTIME, "%s: no IAM role name", what);
			goto fail;
		}
		p->imds_role = xstrdup(body);
		p->step = STEP_IMDS_CREDS;
		url = xasprintf("%s/latest/meta-data/iam/security-credentials/%s",
		    p->imds_base, p->imds_role);
		hdr = xasprintf("X-aws-ec2-metadata-token: %s", p->imds_token);
		rc = http_get(p, "GET", url, hdr, 1000, &e);
		wipe_str(&hdr);
		free(url);
		break;
	case STEP_CONTAINER:
	case STEP_IMDS_CREDS:
		if (aws_creds_parse(r->body.buf, r->body.len, what, &c, &e) != 0)
			goto fail;
		if (p->step == STEP_IMDS_CREDS)
			snprintf(c.source, sizeof c.source,
			    "instance metadata (role %.64s)", p->imds_role);
		else
			snprintf(c.source, sizeof c.source, "%.159s", what);
		free(what);
		fetch_done(p, &c, NULL);
		return;
	default:
		break;
	}
	free(what);
	if (rc != 0)
		fetch_fail(p, &e);
	return;
fail:
	free(what);
	/* The metadata service is the chain's last resort: say so. */
	if (p->step >= STEP_IMDS_TOKEN)
		err_prefix(&e, "no AWS credentials (none in the environment, "
		    "the profile or the container) and ");
	fetch_fail(p, &e);
}

/* ---- the chain ----------------------------------------------------- */

static int
static_keys(const struct aws_profile *prof, const char *name,
    const char *path, struct aws_creds *c)
{
	const char *ak = aws_profile_get(prof, "aws_access_key_id");
	const char *sk = aws_profile_get(prof, "aws_secret_access_key");
	const char *tok = aws_profile_get(prof, "aws_session_token");

	if (ak == NULL || sk == NULL || *ak == '\0' || *sk == '\0')
		return 0;
	memset(c, 0, sizeof *c);
	c->access_key_id = xstrdup(ak);
	c->secret_access_key = xstrdup(sk);
	c->session_token = tok != NULL && *tok != '\0' ? xstrdup(tok) : NULL;
	snprintf(c->source, sizeof c->source, "profile %.40s in %.100s", name,
	    path);
	return 1;
}

/* Resolves the chain. Returns 1 with *c filled, 0 when an asynchronous
 * source was started, -1 with e set. */
static int
chain(struct aws_creds_provider *p, struct aws_creds *c, struct err *e)
{
	const char *ak = getenv("AWS_ACCESS_KEY_ID");
	const char *sk = getenv("AWS_SECRET_ACCESS_KEY");
	const char *tok = getenv("AWS_SESSION_TOKEN");
	const char *name, *cmd, *v;
	const struct aws_profile *cp, *fp;
	struct aws_profiles cfg, cred;
	char *cfgpath, *credpath;
	bool explicit_profile;
	int rc = -1;

	if ((ak != NULL && *ak != '\0') || (sk != NULL && *sk != '\0')) {
		if (ak == NULL || *ak == '\0' || sk == NULL || *sk == '\0')
			return err_set(e, EXIT_USAGE,
			    "partial credentials in the environment: %s is "
			    "not set", ak == NULL || *ak == '\0' ?
			    "AWS_ACCESS_KEY_ID" : "AWS_SECRET_ACCESS_KEY");
		memset(c, 0, sizeof *c);
		c->access_key_id = xstrdup(ak);
		c->secret_access_key = xstrdup(sk);
		if (tok != NULL && *tok != '\0')
			c->session_token = xstrdup(tok);
		snprintf(c->source, sizeof c->source, "environment");
		return 1;
	}

	name = aws_profile_name(&explicit_profile);
	cfgpath = aws_config_file_path();
	credpath = aws_credentials_file_path();
	if (aws_profiles_load(&cred, credpath, false, e) != 0) {
		free(cfgpath);
		free(credpath);
		return -1;
	}
	if (aws_profiles_load(&cfg, cfgpath, true, e) != 0) {
		aws_profiles_free(&cred);
		free(cfgpath);
		free(credpath);
		return -1;
	}
	fp = aws_profiles_find(&cred, name);
	cp = aws_profiles_find(&cfg, name);
	if (static_keys(fp, name, credpath ? credpath : "?", c) ||
	    static_keys(cp, name, cfgpath ? cfgpath : "?", c)) {
		rc = 1;
		goto out;
	}
	cmd = aws_profile_get(fp, "credential_process");
	if (cmd == NULL)
		cmd = aws_profile_get(cp, "credential_process");
	if (cmd != NULL && *cmd != '\0') {
		rc = process_start(p, cmd, name, e) == 0 ? 0 : -1;
		goto out;
	}
	if ((v = "role_arn", aws_profile_get(cp, v) != NULL) ||
	    (v = "sso_session", aws_profile_get(cp, v) != NULL) ||
	    (v = "sso_start_url", aws_profile_get(cp, v) != NULL) ||
	    (v = "web_identity_token_file", aws_profile_get(cp, v) != NULL)) {
		err_set(e, EXIT_USAGE, "profile %s uses %s, which cutover "
		    "cannot resolve itself: give it a credential_process such "
		    "as `aws configure export-credentials --profile %s "
		    "--format process`, or export the credentials", name, v,
		    name);
		goto out;
	}
	if (explicit_profile && fp == NULL && cp == NULL) {
		err_set(e, EXIT_USAGE, "the AWS profile %s is in neither %s "
		    "nor %s", name, credpath ? credpath : "~/.aws/credentials",
		    cfgpath ? cfgpath : "~/.aws/config");
		goto out;
	}
	if (explicit_profile) {
		err_set(e, EXIT_USAGE, "the AWS profile %s has no credentials "
		    "(aws_access_key_id and aws_secret_access_key, or "
		    "credential_process)", name);
		goto out;
	}
	v = getenv("AWS_CONTAINER_CREDENTIALS_RELATIVE_URI");
	if ((v != NULL && *v != '\0') ||
	    ((v = getenv("AWS_CONTAINER_CREDENTIALS_FULL_URI")) != NULL &&
	    *v != '\0')) {
		rc = container_start(p, e) == 0 ? 0 : -1;
		goto out;
	}
	v = getenv("AWS_EC2_METADATA_DISABLED");
	if (v != NULL && strcasecmp(v, "true") == 0) {
		err_set(e, EXIT_USAGE, "no AWS credentials: none in the "
		    "environment, profile %s has none, no container "
		    "credentials, and AWS_EC2_METADATA_DISABLED is set", name);
		goto out;
	}
	rc = imds_start(p, e) == 0 ? 0 : -1;
out:
	aws_profiles_free(&cred);
	aws_profiles_free(&cfg);
	free(cfgpath);
	free(credpath);
	return rc;
}

static void
fetch_start(struct aws_creds_provider *p)
{
	struct aws_creds c;
	struct err e;
	int rc;

	p->fetching = true;
	p->fetches++;
	rc = chain(p, &c, &e);
	if (rc == 1)
		fetch_done(p, &c, NULL);
	else if (rc < 0)
		fetch_fail(p, &e);
	/* else: an asynchronous source ends in fetch_done() */
}

struct aws_creds_req *
aws_creds_get(struct aws_creds_provider *p, aws_creds_fn fn, void *arg)
{
	struct aws_creds_req *r = xcalloc(1, sizeof *r), **pp;

	r->p = p;
	r->fn = fn;
	r->arg = arg;
	for (pp = &p->waiters; *pp != NULL; pp = &(*pp)->next)
		;
	*pp = r;
	if (p->fetching)
		return r;
	if (cached_fresh(p))
		schedule_deliver(p);
	else
		fetch_start(p);
	return r;
}

void
aws_creds_cancel(struct aws_creds_req *r)
{
	struct aws_creds_req **pp;

	if (r == NULL)
		return;
	for (pp = &r->p->waiters; *pp != NULL; pp = &(*pp)->next)
		if (*pp == r) {
			*pp = r->next;
			free(r);
			return;
		}
}

void
aws_creds_invalidate(struct aws_creds_provider *p)
{
	aws_creds_clear(&p->cached);
	p->have = false;
}
