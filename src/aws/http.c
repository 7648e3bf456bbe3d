/* http.c - libcurl's multi interface on the loop; see http.h.
 *
 * curl tells us which sockets to watch (CURLMOPT_SOCKETFUNCTION) and when
 * to call it back (CURLMOPT_TIMERFUNCTION); the loop reports readiness
 * with curl_multi_socket_action(). Finished transfers are collected after
 * every action and handed to their callbacks outside of curl's. */
#include "config.h"

#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <curl/curl.h>

#include "aws/http.h"
#include "util.h"

struct http_xfer {
	struct http *h;
	CURL *easy;
	struct curl_slist *hdrs;
	char *body;                 /* our copy of the request body */
	size_t body_len;
	size_t max_body;
	struct http_response resp;
	char curl_error[CURL_ERROR_SIZE];
	bool too_large;
	int64_t started;
	http_done_fn done;
	void *arg;
	struct http_xfer *next;
};

struct http {
	struct loop *loop;
	CURLM *multi;
	struct loop_timer *timer;
	struct http_xfer *xfers;
	size_t running;
	bool in_check;
};

static void check_done(struct http *h);

static void
on_io(struct loop_io *io, int fd, int revents, void *arg)
{
	struct http *h = arg;
	int flags = 0, running;

	(void)io;
	if (revents & POLLIN)
		flags |= CURL_CSELECT_IN;
	if (revents & POLLOUT)
		flags |= CURL_CSELECT_OUT;
	if (revents & (POLLERR | POLLHUP | POLLNVAL))
		flags |= CURL_CSELECT_ERR;
	curl_multi_socket_action(h->multi, fd, flags, &running);
	check_done(h);
}

static int
on_socket(CURL *easy, curl_socket_t s, int what, void *userp, void *socketp)
{
	struct http *h = userp;
	struct loop_io *io = socketp;
	int events = 0;

	(void)easy;
	if (what == CURL_POLL_REMOVE) {
		if (io != NULL)
			loop_io_remove(io);
		curl_multi_assign(h->multi, s, NULL);
		return 0;
	}
	if (what == CURL_POLL_IN || what == CURL_POLL_INOUT)
		events |= POLLIN;
	if (what == CURL_POLL_OUT || what == CURL_POLL_INOUT)
		events |= POLLOUT;
	if (io == NULL) {
		io = loop_io_add(h->loop, s, events, on_io, h);
		curl_multi_assign(h->multi, s, io);
	} else
		loop_io_set_events(io, events);
	return 0;
}

static void
on_timer(struct loop_timer *t, void *arg)
{
	struct http *h = arg;
	int running;

	(void)t;
	h->timer = NULL;		/* it ran: never cancel it now */
	curl_multi_socket_action(h->multi, CURL_SOCKET_TIMEOUT, 0, &running);
	check_done(h);
}

static int
on_curl_timer(CURLM *multi, long timeout_ms, void *userp)
{
	struct http *h = userp;

	(void)multi;
	if (h->timer != NULL) {
		loop_timer_cancel(h->timer);
		h->timer = NULL;
	}
	if (timeout_ms >= 0)
		h->timer = loop_timer_add(h->loop, timeout_ms, on_timer, h);
	return 0;
}

struct http *
http_new(struct loop *loop, struct err *e)
{
	static bool global;
	struct http *h;

	if (!global) {
		if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK) {
			err_set(e, EXIT_RUNTIME, "libcurl failed to initialise");
			return NULL;
		}
		global = true;
	}
	h = xcalloc(1, sizeof *h);
	h->loop = loop;
	h->multi = curl_multi_init();
	if (h->multi == NULL) {
		free(h);
		err_set(e, EXIT_RUNTIME, "libcurl: cannot create a multi handle");
		return NULL;
	}
	curl_multi_setopt(h->multi, CURLMOPT_SOCKETFUNCTION, on_socket);
	curl_multi_setopt(h->multi, CURLMOPT_SOCKETDATA, h);
	curl_multi_setopt(h->multi, CURLMOPT_TIMERFUNCTION, on_curl_timer);
	curl_multi_setopt(h->multi, CURLMOPT_TIMERDATA, h);
	return h;
}

static void
response_free(struct http_response *r)
{
	if (r->body.buf != NULL)
		secure_zero(r->body.buf, r->body.cap);
	sb_free(&r->body);
	free(r->content_type);
	free(r->error_type);
	free(r->request_id);
	memset(r, 0, sizeof *r);
}

static void
xfer_unlink(struct http_xfer *x)
{
	struct http_xfer **pp;

	for (pp = &x->h->xfers; *pp != NULL; pp = &(*pp)->next)
		if (*pp == x) {
			*pp = x->next;
			break;
		}
}

/* Headers may carry secrets (a session token, a container token). */
static void
slist_wipe_free(struct curl_slist *l)
{
	struct curl_slist *p;

	for (p = l; p != NULL; p = p->next)
		if (p->data != NULL)
			secure_zero(p->data, strlen(p->data));
	curl_slist_free_all(l);
}

static void
xfer_free(struct http_xfer *x)
{
	if (x->easy != NULL) {
		curl_multi_remove_handle(x->h->multi, x->easy);
		curl_easy_cleanup(x->easy);
	}
	slist_wipe_free(x->hdrs);
	if (x->body != NULL) {
		secure_zero(x->body, x->body_len);
		free(x->body);
	}
	response_free(&x->resp);
	free(x);
}

void
http_free(struct http *h)
{
	struct http_xfer *x, *next;

	if (h == NULL)
		return;
	for (x = h->xfers; x != NULL; x = next) {
		next = x->next;
		xfer_free(x);
	}
	if (h->timer != NULL)
		loop_timer_cancel(h->timer);
	curl_multi_cleanup(h->multi);
	free(h);
}

static size_t
on_write(char *data, size_t size, size_t nmemb, void *arg)
{
	struct http_xfer *x = arg;
	size_t n = size * nmemb;

	if (x->resp.body.len + n > x->max_body) {
		x->too_large = true;
		return 0;		/* curl stops with CURLE_WRITE_ERROR */
	}
	sb_add(&x->resp.body, data, n);
	return n;
}

/* The value of "Name: value\r\n" when the line is that header. */
static char *
header_value(const char *line, size_t n, const char *name)
{
	size_t k = strlen(name);
	const char *v, *end;

	if (n <= k || strncasecmp(line, name, k) != 0 || line[k] != ':')
		return NULL;
	v = line + k + 1;
	end = line + n;
	while (v < end && (*v == ' ' || *v == '\t'))
		v++;
	while (end > v && (end[-1] == '\r' || end[-1] == '\n' ||
	    end[-1] == ' '))
		end--;
	return xstrndup(v, (size_t)(end - v));
}

static void
keep_header(char **slot, char *v)
{
	if (v == NULL)
		return;
	free(*slot);
	*slot = v;
}

static size_t
on_header(char *data, size_t size, size_t nmemb, void *arg)
{
	struct http_xfer *x = arg;
	size_t n = size * nmemb;

	/* A new status line (after a redirect or 100-continue) starts a new
	 * set of headers. */
	if (n >= 5 && strncmp(data, "HTTP/", 5) == 0) {
		free(x->resp.content_type);
		free(x->resp.error_type);
		x->resp.content_type = x->resp.error_type = NULL;
	}
	keep_header(&x->resp.content_type,
	    header_value(data, n, "Content-Type"));
	keep_header(&x->resp.error_type,
	    header_value(data, n, "X-Amzn-ErrorType"));
	keep_header(&x->resp.request_id,
	    header_value(data, n, "X-Amzn-RequestId"));
	return n;
}

struct http_xfer *
http_start(struct http *h, const struct http_request *req, http_done_fn done,
    void *arg, struct err *e)
{
	struct http_xfer *x = xcalloc(1, sizeof *x);
	const char *ca;
	size_t i;
	CURLMcode mc;

	x->h = h;
	x->done = done;
	x->arg = arg;
	x->max_body = req->max_body ? req->max_body : HTTP_DEFAULT_MAX_BODY;
	x->started = mono_ms();
	sb_init(&x->resp.body);
	x->easy = curl_easy_init();
	if (x->easy == NULL) {
		free(x);
		err_set(e, EXIT_RUNTIME, "libcurl: cannot create a handle");
		return NULL;
	}
	curl_easy_setopt(x->easy, CURLOPT_URL, req->url);
	curl_easy_setopt(x->easy, CURLOPT_PRIVATE, x);
	curl_easy_setopt(x->easy, CURLOPT_NOSIGNAL, 1L);
#if LIBCURL_VERSION_NUM >= 0x075500
	curl_easy_setopt(x->easy, CURLOPT_PROTOCOLS_STR, "http,https");
#else
	curl_easy_setopt(x->easy, CURLOPT_PROTOCOLS,
	    (long)(CURLPROTO_HTTP | CURLPROTO_HTTPS));
#endif
	curl_easy_setopt(x->easy, CURLOPT_FOLLOWLOCATION, 0L);
	if (req->fresh_connection) {
		curl_easy_setopt(x->easy, CURLOPT_FRESH_CONNECT, 1L);
		curl_easy_setopt(x->easy, CURLOPT_FORBID_REUSE, 1L);
	}
	curl_easy_setopt(x->easy, CURLOPT_SSL_VERIFYPEER, 1L);
	curl_easy_setopt(x->easy, CURLOPT_SSL_VERIFYHOST, 2L);
	/* The AWS CLI's own variable for a private CA bundle. */
	if ((ca = getenv("AWS_CA_BUNDLE")) != NULL && *ca != '\0')
		curl_easy_setopt(x->easy, CURLOPT_CAINFO, ca);
	curl_easy_setopt(x->easy, CURLOPT_CONNECTTIMEOUT_MS,
	    (long)(req->connect_timeout_ms > 0 ? req->connect_timeout_ms :
	    HTTP_DEFAULT_CONNECT_TIMEOUT_MS));
	curl_easy_setopt(x->easy, CURLOPT_TIMEOUT_MS,
	    (long)(req->timeout_ms > 0 ? req->timeout_ms :
	    HTTP_DEFAULT_TIMEOUT_MS));
	curl_easy_setopt(x->easy, CURLOPT_ERRORBUFFER, x->curl_error);
	curl_easy_setopt(x->easy, CURLOPT_WRITEFUNCTION, on_write);
	curl_easy_setopt(x->easy, CURLOPT_WRITEDATA, x);
	curl_easy_setopt(x->easy, CURLOPT_HEADERFUNCTION, on_header);
	curl_easy_setopt(x->easy, CURLOPT_HEADERDATA, x);
	curl_easy_setopt(x->easy, CURLOPT_USERAGENT, PACKAGE_NAME "/"
	    PACKAGE_VERSION);
	/* No "Expect: 100-continue" round trip, no Accept header we did not
	 * ask for. */
	x->hdrs = curl_slist_append(x->hdrs, "Expect:");
	for (i = 0; i < req->nheaders; i++)
		x->hdrs = curl_slist_append(x->hdrs, req->headers[i]);
	curl_easy_setopt(x->easy, CURLOPT_HTTPHEADER, x->hdrs);
	if (strcmp(req->method, "GET") != 0) {
		curl_easy_setopt(x->easy, CURLOPT_CUSTOMREQUEST, req->method);
		x->body_len = req->body != NULL ? req->body_len : 0;
		x->body = xmalloc(x->body_len + 1);
		if (x->body_len > 0)
			memcpy(x->body, req->body, x->body_len);
		x->body[x->body_len] = '\0';
		curl_easy_setopt(x->easy, CURLOPT_POST, 1L);
		curl_easy_setopt(x->easy, CURLOPT_POSTFIELDS, x->body);
		curl_easy_setopt(x->easy, CURLOPT_POSTFIELDSIZE_LARGE,
		    (curl_off_t)x->body_len);
	}
	x->next = h->xfers;
	h->xfers = x;
	mc = curl_multi_add_handle(h->multi, x->easy);
	if (mc != CURLM_OK) {
		xfer_unlink(x);
		curl_easy_cleanup(x->easy);
		x->easy = NULL;
		xfer_free(x);
		err_set(e, EXIT_RUNTIME, "libcurl: %s", curl_multi_strerror(mc));
		return NULL;
	}
	h->running++;
	return x;
}

void
http_cancel(struct http_xfer *x)
{
	if (x == NULL)
		return;
	xfer_unlink(x);
	x->h->running--;
	xfer_free(x);
}

/* Was the request possibly sent? Only a failure to connect proves it was
 * not. */
static void
classify(struct http_xfer *x, CURLcode rc)
{
	struct http_response *r = &x->resp;
	curl_off_t connected = 0;
	long request_size = 0;

	curl_easy_getinfo(x->easy, CURLINFO_RESPONSE_CODE, &r->status);
	if (rc == CURLE_OK) {
		r->failure = HTTP_OK;
		r->sent = true;
		return;
	}
	snprintf(r->error, sizeof r->error, "%s",
	    x->curl_error[0] != '\0' ? x->curl_error : curl_easy_strerror(rc));
	/* A reused connection has no connect time: what was written says
	 * more. */
	curl_easy_getinfo(x->easy, CURLINFO_CONNECT_TIME_T, &connected);
	curl_easy_getinfo(x->easy, CURLINFO_REQUEST_SIZE, &request_size);
	if (x->too_large) {
		r->failure = HTTP_TOO_LARGE;
		r->sent = true;
		snprintf(r->error, sizeof r->error,
		    "the response is larger than %zu bytes", x->max_body);
	} else if (rc == CURLE_COULDNT_CONNECT ||
	    rc == CURLE_COULDNT_RESOLVE_HOST ||
	    rc == CURLE_COULDNT_RESOLVE_PROXY) {
		r->failure = HTTP_CONNECT;
		r->sent = false;
	} else if (rc == CURLE_OPERATION_TIMEDOUT) {
		r->failure = HTTP_TIMEOUT;
		r->sent = connected > 0 || request_size > 0;
	} else {
		r->failure = HTTP_NETWORK;
		r->sent = true;
	}
}

static void
check_done(struct http *h)
{
	struct http_xfer *x;
	CURLMsg *m;
	void *priv;
	int left;

	if (h->in_check)
		return;
	h->in_check = true;
	while ((m = curl_multi_info_read(h->multi, &left)) != NULL) {
		if (m->msg != CURLMSG_DONE)
			continue;
		priv = NULL;
		curl_easy_getinfo(m->easy_handle, CURLINFO_PRIVATE, &priv);
		if ((x = priv) == NULL)
			continue;
		classify(x, m->data.result);
		x->resp.elapsed_ms = mono_ms() - x->started;
		if (x->resp.body.buf == NULL)
			sb_puts(&x->resp.body, "");
		xfer_unlink(x);
		h->running--;
		/* The callback may start or cancel other transfers. */
		x->done(&x->resp, x->arg);
		xfer_free(x);
	}
	h->in_check = false;
}
