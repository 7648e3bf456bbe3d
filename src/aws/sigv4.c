/* sigv4.c - AWS Signature Version 4; see sigv4.h.
 *
 * The canonical request is
 *   METHOD \n URI \n QUERY \n HEADERS \n\n SIGNED-HEADERS \n PAYLOAD-HASH
 * and the signature is an HMAC chain over the date, region, service and
 * "aws4_request", then over the string to sign. */
#include "config.h"

#include <ctype.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include <openssl/evp.h>
#include <openssl/hmac.h>

#include "aws/sigv4.h"
#include "util.h"

#define ALGORITHM "AWS4-HMAC-SHA256"

static const char hexdigits[] = "0123456789abcdef";

static void
to_hex(const unsigned char *p, size_t n, char *out)
{
	size_t i;

	for (i = 0; i < n; i++) {
		out[2 * i] = hexdigits[p[i] >> 4];
		out[2 * i + 1] = hexdigits[p[i] & 15];
	}
	out[2 * n] = '\0';
}

void
sigv4_sha256_hex(const void *data, size_t len, char out[65])
{
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned int n = 0;

	EVP_Digest(data, len, md, &n, EVP_sha256(), NULL);
	to_hex(md, n, out);
}

void
sigv4_hmac(const void *key, size_t keylen, const void *data, size_t len,
    unsigned char out[32])
{
	unsigned int n = 32;

	HMAC(EVP_sha256(), key, (int)keylen, data, len, out, &n);
}

static bool
unreserved(unsigned char c)
{
	return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
	    (c >= '0' && c <= '9') || c == '-' || c == '_' || c == '.' ||
	    c == '~';
}

void
sigv4_uri_encode(struct strbuf *out, const char *s, size_t n, bool keep_slash)
{
	static const char up[] = "0123456789ABCDEF";
	size_t i;

	for (i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];

		if (unreserved(c) || (keep_slash && c == '/'))
			sb_putc(out, (char)c);
		else {
			sb_putc(out, '%');
			sb_putc(out, up[c >> 4]);
			sb_putc(out, up[c & 15]);
		}
	}
}

static int
hexval(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/* Percent-decodes s[0..n) ('+' stays '+': AWS does not read it as a
 * space). A '%' without two hex digits is kept as it is. */
static void
uri_decode(struct strbuf *out, const char *s, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++) {
		if (s[i] == '%' && i + 2 < n &&
		    hexval(s[i + 1]) >= 0 && hexval(s[i + 2]) >= 0) {
			sb_putc(out, (char)(hexval(s[i + 1]) * 16 +
			    hexval(s[i + 2])));
			i += 2;
		} else
			sb_putc(out, s[i]);
	}
}

char *
sigv4_canonical_path(const char *path, bool normalize)
{
	struct strbuf sb, norm;
	const char **seg = NULL;
	size_t *segl = NULL, nseg = 0, i, len;
	const char *p, *q;
	bool trailing;

	sb_init(&sb);
	if (path == NULL || *path == '\0')
		path = "/";
	if (!normalize) {
		sigv4_uri_encode(&sb, path, strlen(path), true);
		return sb_detach(&sb);
	}
	/* Drop empty and "." segments, let ".." remove its parent. */
	len = strlen(path);
	seg = xreallocarray(NULL, len + 1, sizeof *seg);
	segl = xreallocarray(NULL, len + 1, sizeof *segl);
	for (p = path; *p != '\0'; p = *q ? q + 1 : q) {
		q = strchr(p, '/');
		if (q == NULL)
			q = p + strlen(p);
		if (q - p == 0 || (q - p == 1 && p[0] == '.'))
			continue;
		if (q - p == 2 && p[0] == '.' && p[1] == '.') {
			if (nseg > 0)
				nseg--;
			continue;
		}
		seg[nseg] = p;
		segl[nseg++] = (size_t)(q - p);
	}
	trailing = len > 0 && path[len - 1] == '/';
	sb_init(&norm);
	for (i = 0; i < nseg; i++) {
		sb_putc(&norm, '/');
		sb_add(&norm, seg[i], segl[i]);
	}
	if (nseg == 0 || trailing)
		sb_putc(&norm, '/');
	free(seg);
	free(segl);
	sigv4_uri_encode(&sb, norm.buf, norm.len, true);
	sb_free(&norm);
	return sb_detach(&sb);
}

struct qparam {
	char *key;
	char *value;
};

static int
qparam_cmp(const void *a, const void *b)
{
	const struct qparam *x = a, *y = b;
	int c = strcmp(x->key, y->key);

	return c != 0 ? c : strcmp(x->value, y->value);
}

/* Splits, decodes and re-encodes a query string's parameters. */
static struct qparam *
query_params(const char *query, size_t *np)
{
	struct qparam *v = NULL;
	struct strbuf dec, enc;
	size_t n = 0, cap = 0;
	const char *p, *amp, *eq;

	*np = 0;
	if (query == NULL)
		return NULL;
	sb_init(&dec);
	sb_init(&enc);
	for (p = query; *p != '\0'; p = *amp ? amp + 1 : amp) {
		amp = strchr(p, '&');
		if (amp == NULL)
			amp = p + strlen(p);
		if (amp == p)
			continue;
		eq = memchr(p, '=', (size_t)(amp - p));
		if (n == cap) {
			cap = cap ? 2 * cap : 8;
			v = xreallocarray(v, cap, sizeof *v);
		}
		sb_reset(&dec);
		sb_reset(&enc);
		uri_decode(&dec, p, (size_t)((eq ? eq : amp) - p));
		sigv4_uri_encode(&enc, dec.buf ? dec.buf : "", dec.len, false);
		v[n].key = xstrndup(enc.buf ? enc.buf : "", enc.len);
		sb_reset(&dec);
		sb_reset(&enc);
		if (eq != NULL)
			uri_decode(&dec, eq + 1, (size_t)(amp - eq - 1));
		sigv4_uri_encode(&enc, dec.buf ? dec.buf : "", dec.len, false);
		v[n].value = xstrndup(enc.buf ? enc.buf : "", enc.len);
		n++;
	}
	sb_free(&dec);
	sb_free(&enc);
	*np = n;
	return v;
}

static void
qparams_free(struct qparam *v, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++) {
		secure_zero(v[i].value, strlen(v[i].value));
		free(v[i].key);
		free(v[i].value);
	}
	free(v);
}

static char *
query_join(struct qparam *v, size_t n)
{
	struct strbuf sb;
	size_t i;

	if (n > 1)
		qsort(v, n, sizeof *v, qparam_cmp);
	sb_init(&sb);
	sb_puts(&sb, "");
	for (i = 0; i < n; i++) {
		if (i > 0)
			sb_putc(&sb, '&');
		sb_puts(&sb, v[i].key);
		sb_putc(&sb, '=');
		sb_puts(&sb, v[i].value);
	}
	return sb_detach(&sb);
}

char *
sigv4_canonical_query(const char *query)
{
	struct qparam *v;
	size_t n;
	char *s;

	v = query_params(query, &n);
	s = query_join(v, n);
	qparams_free(v, n);
	return s;
}

/* One canonical header: a lower-case name and its values joined. */
struct chdr {
	char *name;
	struct strbuf value;
};

struct chdrs {
	struct chdr *v;
	size_t n, cap;
};

/* Trims and folds every run of whitespace (obs-fold line breaks too) into
 * one space. */
static void
canonical_value(struct strbuf *out, const char *s)
{
	bool space = false, any = false;

	for (; *s != '\0'; s++) {
		if (*s == ' ' || *s == '\t' || *s == '\r' || *s == '\n') {
			space = true;
			continue;
		}
		if (space && any)
			sb_putc(out, ' ');
		sb_putc(out, *s);
		space = false;
		any = true;
	}
}

static void
chdrs_add(struct chdrs *h, const char *name, const char *value)
{
	size_t i;
	char *lname = xstrdup(name);
	char *p;

	for (p = lname; *p != '\0'; p++)
		*p = (char)tolower((unsigned char)*p);
	for (i = 0; i < h->n; i++)
		if (strcmp(h->v[i].name, lname) == 0) {
			free(lname);
			sb_putc(&h->v[i].value, ',');
			canonical_value(&h->v[i].value, value);
			return;
		}
	if (h->n == h->cap) {
		h->cap = h->cap ? 2 * h->cap : 8;
		h->v = xreallocarray(h->v, h->cap, sizeof *h->v);
	}
	h->v[h->n].name = lname;
	sb_init(&h->v[h->n].value);
	sb_puts(&h->v[h->n].value, "");
	canonical_value(&h->v[h->n].value, value);
	h->n++;
}

static int
chdr_cmp(const void *a, const void *b)
{
	return strcmp(((const struct chdr *)a)->name,
	    ((const struct chdr *)b)->name);
}

static void
chdrs_free(struct chdrs *h)
{
	size_t i;

	for (i = 0; i < h->n; i++) {
		free(h->v[i].name);
		if (h->v[i].value.buf != NULL)
			secure_zero(h->v[i].value.buf, h->v[i].value.len);
		sb_free(&h->v[i].value);
	}
	free(h->v);
}

static void
amz_date(int64_t t, char out[17], char day[9])
{
	time_t tt = (time_t)t;
	struct tm tm;

	gmtime_r(&tt, &tm);
	strftime(out, 17, "%Y%m%dT%H%M%SZ", &tm);
	memcpy(day, out, 8);
	day[8] = '\0';
}

static bool
has_host(const struct sigv4_request *req)
{
	size_t i;

	for (i = 0; i < req->nheaders; i++)
		if (strcasecmp(req->headers[i].name, "host") == 0)
			return true;
	return false;
}

static void
signing_key(const struct sigv4_key *key, const char *day, const char *region,
    const char *service, unsigned char out[32])
{
	struct strbuf k;
	unsigned char a[32], b[32];

	sb_init(&k);
	sb_puts(&k, "AWS4");
	sb_puts(&k, key->secret_access_key);
	sigv4_hmac(k.buf, k.len, day, strlen(day), a);
	sigv4_hmac(a, 32, region, strlen(region), b);
	sigv4_hmac(b, 32, service, strlen(service), a);
	sigv4_hmac(a, 32, "aws4_request", 12, out);
	secure_zero(k.buf, k.len);
	secure_zero(a, sizeof a);
	secure_zero(b, sizeof b);
	sb_free(&k);
}

static void
add_header(struct sigv4_signed *out, const char *name, const char *value)
{
	out->add[out->nadd].name = name;
	out->add[out->nadd].value = xstrdup(value);
	out->nadd++;
}

/* The common part: canonical request, string to sign, signature. */
static int
sign(const struct sigv4_request *req, const struct sigv4_key *key,
    const struct sigv4_opts *o, bool presign, struct sigv4_signed *out,
    struct err *e)
{
	struct chdrs h = { NULL, 0, 0 };
	struct strbuf sb, sh, cred, q;
	struct qparam *qp = NULL;
	size_t nqp = 0, i;
	char day[9], hash[65], *path, *cquery;
	unsigned char kx[32], sig[32];
	bool token = key->session_token != NULL && *key->session_token != '\0';

	memset(out, 0, sizeof *out);
	if (req->method == NULL || !has_host(req))
		return err_set(e, EXIT_RUNTIME,
		    "signing: the request has no method or no Host header");
	if (key->access_key_id == NULL || key->secret_access_key == NULL)
		return err_set(e, EXIT_RUNTIME, "signing: no credentials");
	amz_date(o->time, out->amz_date, day);
	sigv4_sha256_hex(req->body != NULL ? req->body : "", req->body_len,
	    out->payload_hash);

	for (i = 0; i < req->nheaders; i++) {
		const char *n = req->headers[i].name;

		/* Ours replace any the request already carries. */
		if (!presign && strcasecmp(n, "x-amz-date") == 0)
			continue;
		if (!presign && token && !o->omit_session_token &&
		    strcasecmp(n, "x-amz-security-token") == 0)
			continue;
		if (!presign && o->sign_body &&
		    strcasecmp(n, "x-amz-content-sha256") == 0)
			continue;
		chdrs_add(&h, n, req->headers[i].value);
	}
	if (!presign) {
		chdrs_add(&h, "X-Amz-Date", out->amz_date);
		add_header(out, "X-Amz-Date", out->amz_date);
		if (token) {
			if (!o->omit_session_token)
				chdrs_add(&h, "X-Amz-Security-Token",
				    key->session_token);
			add_header(out, "X-Amz-Security-Token",
			    key->session_token);
		}
		if (o->sign_body) {
			chdrs_add(&h, "x-amz-content-sha256", out->payload_hash);
			add_header(out, "x-amz-content-sha256", out->payload_hash);
		}
	}
	if (h.n > 1)
		qsort(h.v, h.n, sizeof *h.v, chdr_cmp);
	sb_init(&sh);
	sb_puts(&sh, "");
	for (i = 0; i < h.n; i++) {
		if (i > 0)
			sb_putc(&sh, ';');
		sb_puts(&sh, h.v[i].name);
	}
	out->signed_headers = xstrdup(sh.buf);

	sb_init(&cred);
	sb_printf(&cred, "%s/%s/%s/%s/aws4_request", key->access_key_id, day,
	    o->region, o->service);

	/* The query: the request's own parameters, plus ours when
	 * presigning. */
	qp = query_params(req->query, &nqp);
	sb_init(&q);
	if (presign) {
		struct strbuf v;
		char num[32];
		const char *add[6][2];
		size_t nadd = 0, j;

		snprintf(num, sizeof num, "%lld", (long long)o->expires);
		add[nadd][0] = "X-Amz-Algorithm";
		add[nadd++][1] = ALGORITHM;
		add[nadd][0] = "X-Amz-Credential";
		add[nadd++][1] = cred.buf;
		add[nadd][0] = "X-Amz-Date";
		add[nadd++][1] = out->amz_date;
		add[nadd][0] = "X-Amz-SignedHeaders";
		add[nadd++][1] = sh.buf;
		add[nadd][0] = "X-Amz-Expires";
		add[nadd++][1] = num;
		if (token) {
			add[nadd][0] = "X-Amz-Security-Token";
			add[nadd++][1] = key->session_token;
		}
		qp = xreallocarray(qp, nqp + nadd, sizeof *qp);
		sb_init(&v);
		if (req->query != NULL && *req->query != '\0')
			sb_puts(&q, req->query);
		for (j = 0; j < nadd; j++) {
			bool signed_here = !(token && o->omit_session_token &&
			    strcmp(add[j][0], "X-Amz-Security-Token") == 0);

			sb_reset(&v);
			sigv4_uri_encode(&v, add[j][1], strlen(add[j][1]), false);
			if (q.len > 0)
				sb_putc(&q, '&');
			sb_printf(&q, "%s=%s", add[j][0], v.buf);
			if (signed_here) {
				qp[nqp].key = xstrdup(add[j][0]);
				qp[nqp].value = xstrdup(v.buf);
				nqp++;
			}
		}
		if (v.buf != NULL)
			secure_zero(v.buf, v.len);
		sb_free(&v);
	}
	cquery = query_join(qp, nqp);
	qparams_free(qp, nqp);

	path = sigv4_canonical_path(req->path, o->normalize_path);
	sb_init(&sb);
	sb_printf(&sb, "%s\n%s\n%s\n", req->method, path, cquery);
	for (i = 0; i < h.n; i++)
		sb_printf(&sb, "%s:%s\n", h.v[i].name, h.v[i].value.buf);
	sb_printf(&sb, "\n%s\n%s", sh.buf, out->payload_hash);
	free(path);
	free(cquery);
	out->canonical_request = sb_detach(&sb);

	sigv4_sha256_hex(out->canonical_request, strlen(out->canonical_request),
	    hash);
	sb_init(&sb);
	sb_printf(&sb, "%s\n%s\n%s/%s/%s/aws4_request\n%s", ALGORITHM,
	    out->amz_date, day, o->region, o->service, hash);
	out->string_to_sign = sb_detach(&sb);

	signing_key(key, day, o->region, o->service, kx);
	sigv4_hmac(kx, 32, out->string_to_sign, strlen(out->string_to_sign),
	    sig);
	secure_zero(kx, sizeof kx);
	to_hex(sig, 32, out->signature);

	if (presign) {
		/* The token rides after the signed parameters when it is
		 * not signed: already in q, in the test suite's order. */
		sb_printf(&q, "&X-Amz-Signature=%s", out->signature);
		out->query = sb_detach(&q);
	} else {
		sb_init(&sb);
		sb_printf(&sb, "%s Credential=%s, SignedHeaders=%s, "
		    "Signature=%s", ALGORITHM, cred.buf, sh.buf, out->signature);
		out->authorization = sb_detach(&sb);
		sb_free(&q);
	}
	sb_free(&sh);
	sb_free(&cred);
	chdrs_free(&h);
	return 0;
}

int
sigv4_sign(const struct sigv4_request *req, const struct sigv4_key *key,
    const struct sigv4_opts *o, struct sigv4_signed *out, struct err *e)
{
	return sign(req, key, o, false, out, e);
}

int
sigv4_presign(const struct sigv4_request *req, const struct sigv4_key *key,
    const struct sigv4_opts *o, struct sigv4_signed *out, struct err *e)
{
	return sign(req, key, o, true, out, e);
}

static void
wipe_free(char *s)
{
	if (s != NULL) {
		secure_zero(s, strlen(s));
		free(s);
	}
}

void
sigv4_signed_free(struct sigv4_signed *s)
{
	size_t i;

	wipe_free(s->canonical_request);
	wipe_free(s->string_to_sign);
	wipe_free(s->authorization);
	wipe_free(s->query);
	free(s->signed_headers);
	for (i = 0; i < s->nadd; i++)
		wipe_free(s->add[i].value);
	memset(s, 0, sizeof *s);
}
