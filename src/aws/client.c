/* client.c - signed AWS JSON calls with retries; see client.h. */
#include "config.h"

#include <ctype.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "aws/client.h"
#include "aws/sigv4.h"
#include "counters.h"
#include "util.h"

struct aws_call {
	struct aws_client *c;
	const struct aws_service *s;
	char *op;
	char *body;
	bool idempotent;
	int attempt;
	aws_call_fn fn;
	void *arg;
	char *url;
	char *hostport;
	char *path;
	bool refreshed;               /* credentials refreshed once already */
	struct aws_creds_req *creds_req;
	struct http_xfer *xfer;
	struct loop_timer *timer;
	struct aws_call *next;
};

struct aws_client *
aws_client_new(struct loop *loop, const char *configured_region,
    struct err *e)
{
	struct aws_client *c;
	char *region;
	const char *from = NULL;

	if ((region = aws_region(configured_region, &from, e)) == NULL)
		return NULL;
	c = xcalloc(1, sizeof *c);
	c->loop = loop;
	c->region = region;
	c->region_from = from;
	if ((c->http = http_new(loop, e)) == NULL) {
		free(c->region);
		free(c);
		return NULL;
	}
	c->creds = aws_creds_provider_new(loop, c->http);
	c->opts.max_attempts = 4;
	c->opts.backoff_base_ms = 250;
	c->opts.backoff_cap_ms = 20000;
	c->opts.connect_timeout_ms = HTTP_DEFAULT_CONNECT_TIMEOUT_MS;
	c->opts.timeout_ms = HTTP_DEFAULT_TIMEOUT_MS;
	c->opts.max_body = HTTP_DEFAULT_MAX_BODY;
	return c;
}

static void
call_unlink(struct aws_call *call)
{
	struct aws_call **pp;

	for (pp = &call->c->calls; *pp != NULL; pp = &(*pp)->next)
		if (*pp == call) {
			*pp = call->next;
			return;
		}
}

static void
call_free(struct aws_call *call)
{
	if (call->creds_req != NULL)
		aws_creds_cancel(call->creds_req);
	if (call->xfer != NULL)
		http_cancel(call->xfer);
	if (call->timer != NULL)
		loop_timer_cancel(call->timer);
	free(call->op);
	free(call->body);
	free(call->url);
	free(call->hostport);
	free(call->path);
	free(call);
}

void
aws_call_cancel(struct aws_call *call)
{
	if (call == NULL)
		return;
	call_unlink(call);
	call_free(call);
}

void
aws_client_free(struct aws_client *c)
{
	size_t i;

	if (c == NULL)
		return;
	while (c->calls != NULL)
		aws_call_cancel(c->calls);
	aws_creds_provider_free(c->creds);
	http_free(c->http);
	for (i = 0; i < ARRAY_SIZE(c->endpoints); i++)
		free(c->endpoints[i].url);
	free(c->region);
	free(c);
}

bool
aws_error_is_throttling(const char *code)
{
	static const char *codes[] = {
		"Throttling", "ThrottlingException", "ThrottledException",
		"RequestThrottledException", "TooManyRequestsException",
		"RequestLimitExceeded", "RequestThrottled", "SlowDown",
		"BandwidthLimitExceeded", "PriorRequestNotComplete",
		"ProvisionedThroughputExceededException",
	};
	size_t i;

	for (i = 0; i < ARRAY_SIZE(codes); i++)
		if (strcmp(code, codes[i]) == 0)
			return true;
	return false;
}

bool
aws_error_is_expired_credentials(const char *code)
{
	return strcmp(code, "ExpiredToken") == 0 ||
	    strcmp(code, "ExpiredTokenException") == 0 ||
	    strcmp(code, "RequestExpired") == 0;
}

/* "aws.protocols#ThrottlingException:http://..." -> ThrottlingException */
static void
clean_code(char *dst, size_t n, const char *src)
{
	const char *h = strrchr(src, '#');
	size_t len;

	if (h != NULL)
		src = h + 1;
	len = strcspn(src, ":");
	if (len >= n)
		len = n - 1;
	memcpy(dst, src, len);
	dst[len] = '\0';
}

/* Readable text: valid UTF-8, no control characters, bounded. */
static void
clean_text(char *dst, size_t n, const char *src, size_t len)
{
	struct strbuf sb;

	sb_init(&sb);
	utf8_sanitize(&sb, src, len);
	snprintf(dst, n, "%s", sb.buf != NULL ? str_trim(sb.buf) : "");
	sb_free(&sb);
}

/* The text between <tag> and </tag> in an XML error body. */
static bool
xml_text(const char *body, size_t len, const char *tag, char *dst, size_t n)
{
	char open[40], close[40];
	const char *a, *b;
	char *copy = xstrndup(body, len);
	bool ok = false;

	snprintf(open, sizeof open, "<%s>", tag);
	snprintf(close, sizeof close, "</%s>", tag);
	if ((a = strstr(copy, open)) != NULL &&
	    (b = strstr(a + strlen(open), close)) != NULL) {
		a += strlen(open);
		clean_text(dst, n, a, (size_t)(b - a));
		ok = true;
	}
	free(copy);
	return ok;
}

int
aws_error_parse(const char *error_type_header, const char *body, size_t len,
    struct aws_error *out)
{
	cJSON *j = NULL;
	const cJSON *v;
	const char *keys[] = { "__type", "code", "Code" };
	const char *mkeys[] = { "message", "Message", "errorMessage" };
	size_t i;

	memset(out, 0, sizeof *out);
	if (body != NULL && len > 0)
		j = cJSON_ParseWithLength(body, len);
	if (cJSON_IsObject(j)) {
		for (i = 0; i < ARRAY_SIZE(keys) && !out->code[0]; i++) {
			v = cJSON_GetObjectItemCaseSensitive(j, keys[i]);
			if (cJSON_IsString(v) && v->valuestring != NULL) {
				char tmp[sizeof out->code];

				clean_text(tmp, sizeof tmp, v->valuestring,
				    strlen(v->valuestring));
				clean_code(out->code, sizeof out->code, tmp);
			}
		}
		for (i = 0; i < ARRAY_SIZE(mkeys) && !out->message[0]; i++) {
			v = cJSON_GetObjectItemCaseSensitive(j, mkeys[i]);
			if (cJSON_IsString(v) && v->valuestring != NULL)
				clean_text(out->message, sizeof out->message,
				    v->valuestring, strlen(v->valuestring));
		}
	} else if (body != NULL && len > 0 && memchr(body, '<', len) != NULL) {
		char tmp[sizeof out->code];

		if (xml_text(body, len, "Code", tmp, sizeof tmp))
			clean_code(out->code, sizeof out->code, tmp);
		xml_text(body, len, "Message", out->message,
		    sizeof out->message);
	}
	cJSON_Delete(j);
	/* The header wins: it is what the SDKs read first. */
	if (error_type_header != NULL && *error_type_header != '\0') {
		char tmp[sizeof out->code];

		clean_text(tmp, sizeof tmp, error_type_header,
		    strlen(error_type_header));
		clean_code(out->code, sizeof out->code, tmp);
	}
	return out->code[0] || out->message[0] ? 0 : -1;
}

static uint32_t
random_u32(void)
{
	char hex[9];

	if (random_hex(hex, 4) != 0)
		return (uint32_t)mono_ms();
	return (uint32_t)strtoul(hex, NULL, 16);
}

int64_t
aws_backoff_ms(const struct aws_client_opts *o, int attempt)
{
	int64_t ceiling = o->backoff_base_ms;
	int i;

	for (i = 1; i < attempt && ceiling < o->backoff_cap_ms; i++)
		ceiling *= 2;
	if (ceiling > o->backoff_cap_ms)
		ceiling = o->backoff_cap_ms;
	if (ceiling <= 0)
		return 0;
	return (int64_t)(random_u32() % (uint64_t)(ceiling + 1));
}

static void attempt_start(struct aws_call *call);

static void
call_finish(struct aws_call *call, cJSON *resp, const struct err *e)
{
	aws_call_fn fn = call->fn;
	void *arg = call->arg;

	/* For /metrics: the calls made, by API and outcome. */
	counter_inc("aws_calls", call->op, e == NULL ? "ok" : "error");
	call_unlink(call);
	call_free(call);
	fn(resp, e, arg);
}

static void
on_backoff(struct loop_timer *t, void *arg)
{
	struct aws_call *call = arg;

	(void)t;
	call->timer = NULL;
	attempt_start(call);
}

/* Retries when attempts remain; else finishes with e. */
static void
retry_or_fail(struct aws_call *call, bool retry, struct err *e)
{
	if (retry && call->attempt < call->c->opts.max_attempts) {
		call->timer = loop_timer_add(call->c->loop,
		    aws_backoff_ms(&call->c->opts, call->attempt), on_backoff,
		    call);
		return;
	}
	if (retry && call->attempt > 1)
		snprintf(e->msg + strlen(e->msg), sizeof e->msg - strlen(e->msg),
		    " (after %d attempts)", call->attempt);
	call_finish(call, NULL, e);
}

static void
on_response(struct http_response *r, void *arg)
{
	struct aws_call *call = arg;
	struct aws_error ae;
	struct err e;
	cJSON *j;
	bool retry;

	call->xfer = NULL;
	e.code = EXIT_RUNTIME;
	if (r->failure != HTTP_OK) {
		/* Unsure whether it was carried out: retry only what may be
		 * repeated. */
		retry = r->failure == HTTP_CONNECT ||
		    (r->failure != HTTP_TOO_LARGE && call->idempotent);
		err_set(&e, EXIT_RUNTIME, "%s: %s: %s", call->op, call->url,
		    r->error);
		if (r->sent && !call->idempotent && r->failure != HTTP_TOO_LARGE)
			snprintf(e.msg + strlen(e.msg),
			    sizeof e.msg - strlen(e.msg), "; the request may "
			    "have reached %s, so it was not repeated: check "
			    "the result before trying again", call->s->name);
		retry_or_fail(call, retry, &e);
		return;
	}
	if (r->status >= 200 && r->status < 300) {
		/* Not every server labels JSON as such (moto says text/html):
		 * the body decides, the type only explains a refusal. */
		j = r->body.len == 0 ? cJSON_CreateObject() :
		    cJSON_ParseWithLength(r->body.buf, r->body.len);
		if (!cJSON_IsObject(j)) {
			cJSON_Delete(j);
			err_set(&e, EXIT_RUNTIME, "%s: the answer is not a JSON "
			    "object (HTTP %ld, Content-Type %.60s, %zu bytes): "
			    "not an AWS answer", call->op, r->status,
			    r->content_type ? r->content_type : "(none)",
			    r->body.len);
			call_finish(call, NULL, &e);
			return;
		}
		call_finish(call, j, NULL);
		cJSON_Delete(j);
		return;
	}
	if (aws_error_parse(r->error_type, r->body.buf, r->body.len, &ae) != 0)
		err_set(&e, EXIT_RUNTIME, "%s: HTTP %ld with no AWS error in the "
		    "answer (Content-Type %.60s, %zu bytes)", call->op, r->status,
		    r->content_type ? r->content_type : "(none)", r->body.len);
	else if (ae.message[0])
		err_set(&e, EXIT_RUNTIME, "%s: %s: %s (HTTP %ld)", call->op,
		    ae.code, ae.message, r->status);
	else
		err_set(&e, EXIT_RUNTIME, "%s: %s (HTTP %ld)", call->op,
		    ae.code[0] ? ae.code : "error", r->status);
	if (aws_error_is_expired_credentials(ae.code)) {
		aws_creds_invalidate(call->c->creds);
		/* Refused before it was carried out; fresh credentials are
		 * worth one more try for what may be repeated. */
		if (!call->refreshed && call->idempotent) {
			call->refreshed = true;
			call->attempt--;
			retry_or_fail(call, true, &e);
			return;
		}
	}
	retry = call->idempotent && (r->status >= 500 ||
	    aws_error_is_throttling(ae.code));
	retry_or_fail(call, retry, &e);
}

static void
on_creds(const struct aws_creds *cr, const struct err *ce, void *arg)
{
	struct aws_call *call = arg;
	struct sigv4_header sh[3];
	struct sigv4_request req;
	struct sigv4_key key;
	struct sigv4_opts o;
	struct sigv4_signed sig;
	struct http_request hr;
	const char *hdrs[8];
	char *h[8];
	size_t nh = 0, i;
	char target[128];
	struct err e;

	call->creds_req = NULL;
	if (cr == NULL) {
		e = *ce;
		err_prefix(&e, "%s: ", call->op);
		call_finish(call, NULL, &e);
		return;
	}
	snprintf(target, sizeof target, "%s.%s", call->s->target_prefix,
	    call->op);
	sh[0].name = "Host";
	sh[0].value = call->hostport;
	sh[1].name = "Content-Type";
	sh[1].value = call->s->content_type;
	sh[2].name = "X-Amz-Target";
	sh[2].value = target;
	memset(&req, 0, sizeof req);
	req.method = "POST";
	req.path = call->path;
	req.headers = sh;
	req.nheaders = 3;
	req.body = call->body;
	req.body_len = strlen(call->body);
	key.access_key_id = cr->access_key_id;
	key.secret_access_key = cr->secret_access_key;
	key.session_token = cr->session_token;
	memset(&o, 0, sizeof o);
	o.region = call->c->region;
	o.service = call->s->signing_name;
	o.time = now_ms() / 1000;
	o.normalize_path = true;
	if (sigv4_sign(&req, &key, &o, &sig, &e) != 0) {
		err_prefix(&e, "%s: ", call->op);
		call_finish(call, NULL, &e);
		return;
	}
	for (i = 0; i < 3; i++)
		h[nh++] = xasprintf("%s: %s", sh[i].name, sh[i].value);
	for (i = 0; i < sig.nadd; i++)
		h[nh++] = xasprintf("%s: %s", sig.add[i].name, sig.add[i].value);
	h[nh++] = xasprintf("Authorization: %s", sig.authorization);
	for (i = 0; i < nh; i++)
		hdrs[i] = h[i];
	memset(&hr, 0, sizeof hr);
	hr.method = "POST";
	hr.url = call->url;
	hr.headers = hdrs;
	hr.nheaders = nh;
	hr.body = call->body;
	hr.body_len = strlen(call->body);
	hr.connect_timeout_ms = call->c->opts.connect_timeout_ms;
	hr.timeout_ms = call->c->opts.timeout_ms;
	hr.max_body = call->c->opts.max_body;
	hr.fresh_connection = !call->idempotent;
	call->c->attempts++;
	call->xfer = http_start(call->c->http, &hr, on_response, call, &e);
	for (i = 0; i < nh; i++) {
		secure_zero(h[i], strlen(h[i]));
		free(h[i]);
	}
	sigv4_signed_free(&sig);
	if (call->xfer == NULL) {
		err_prefix(&e, "%s: ", call->op);
		call_finish(call, NULL, &e);
	}
}

static void
attempt_start(struct aws_call *call)
{
	call->attempt++;
	call->creds_req = aws_creds_get(call->c->creds, on_creds, call);
}

/* The service's endpoint, resolved once per client: the environment and
 * the profile are read the first time only. */
static char *
client_endpoint(struct aws_client *c, const struct aws_service *s)
{
	size_t i;

	for (i = 0; i < ARRAY_SIZE(c->endpoints); i++) {
		if (c->endpoints[i].s == s)
			return xstrdup(c->endpoints[i].url);
		if (c->endpoints[i].s == NULL) {
			c->endpoints[i].s = s;
			c->endpoints[i].url = aws_endpoint(s, c->region);
			return xstrdup(c->endpoints[i].url);
		}
	}
	return aws_endpoint(s, c->region);
}

struct aws_call *
aws_call(struct aws_client *c, const struct aws_service *s, const char *op,
    cJSON *body, bool idempotent, aws_call_fn fn, void *arg, struct err *e)
{
	struct aws_call *call;
	char *scheme, *url;

	url = client_endpoint(c, s);
	call = xcalloc(1, sizeof *call);
	if (aws_url_split(url, &scheme, &call->hostport, &call->path) != 0) {
		err_set(e, EXIT_USAGE, "%s: the %s endpoint \"%.200s\" is not "
		    "an http:// or https:// URL", op, s->name, url);
		free(url);
		free(call);
		cJSON_Delete(body);
		return NULL;
	}
	free(scheme);
	call->c = c;
	call->s = s;
	call->op = xstrdup(op);
	call->url = url;
	call->idempotent = idempotent;
	call->fn = fn;
	call->arg = arg;
	call->body = body != NULL ? cJSON_PrintUnformatted(body) : xstrdup("{}");
	cJSON_Delete(body);
	call->next = c->calls;
	c->calls = call;
	attempt_start(call);
	return call;
}

int
aws_next_page(const char *operation, char **cursor, char *next, int *pages,
    int max_pages, struct err *e)
{
	(*pages)++;
	if (next != NULL && *cursor != NULL && strcmp(next, *cursor) == 0) {
		free(next);
		err_set(e, EXIT_RUNTIME, "%s: the same page token came back "
		    "twice", operation);
		return -1;
	}
	free(*cursor);
	*cursor = next;
	if (next == NULL)
		return 0;
	if (*pages >= max_pages) {
		err_set(e, EXIT_RUNTIME, "%s: more than %d pages", operation,
		    max_pages);
		return -1;
	}
	return 1;
}
