/* util.c - memory, strings, time and identity helpers. */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <math.h>
#include <pwd.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <time.h>
#include <unistd.h>

#include "util.h"

int
err_set(struct err *e, int code, const char *fmt, ...)
{
	va_list ap;

	if (e == NULL)
		return -1;
	e->code = code;
	va_start(ap, fmt);
	vsnprintf(e->msg, sizeof e->msg, fmt, ap);
	va_end(ap);
	return -1;
}

/* Prepends context ("reading state.json: ") to an error already set. */
int
err_prefix(struct err *e, const char *fmt, ...)
{
	char old[sizeof e->msg];
	size_t n;
	va_list ap;
	int w;

	if (e == NULL)
		return -1;
	memcpy(old, e->msg, sizeof old);
	va_start(ap, fmt);
	w = vsnprintf(e->msg, sizeof e->msg, fmt, ap);
	va_end(ap);
	n = w < 0 ? 0 : (size_t)w < sizeof e->msg ? (size_t)w : sizeof e->msg - 1;
	memcpy(e->msg + n, old, sizeof e->msg - n - 1);
	e->msg[sizeof e->msg - 1] = '\0';
	return -1;
}

static void
oom(void)
{
	static const char m[] = "cutover: out of memory\n";

	if (write(STDERR_FILENO, m, sizeof m - 1) < 0) {
		/* nothing left to do */
	}
	abort();
}

void *
xmalloc(size_t n)
{
	void *p = malloc(n ? n : 1);

	if (p == NULL)
		oom();
	return p;
}

void *
xcalloc(size_t nmemb, size_t size)
{
	void *p = calloc(nmemb ? nmemb : 1, size ? size : 1);

	if (p == NULL)
		oom();
	return p;
}

void *
xrealloc(void *p, size_t n)
{
	void *q = realloc(p, n ? n : 1);

	if (q == NULL)
		oom();
	return q;
}

void *
xreallocarray(void *p, size_t nmemb, size_t size)
{
	if (size != 0 && nmemb > SIZE_MAX / size)
		oom();
	return xrealloc(p, nmemb * size);
}

char *
xstrdup(const char *s)
{
	return xstrndup(s, strlen(s));
}

char *
xstrndup(const char *s, size_t n)
{
	char *p = xmalloc(n + 1);

	memcpy(p, s, n);
	p[n] = '\0';
	return p;
}

char *
xvasprintf(const char *fmt, va_list ap)
{
	struct strbuf sb;

	sb_init(&sb);
	sb_vprintf(&sb, fmt, ap);
	return sb_detach(&sb);
}

char *
xasprintf(const char *fmt, ...)
{
	va_list ap;
	char *s;

	va_start(ap, fmt);
	s = xvasprintf(fmt, ap);
	va_end(ap);
	return s;
}

void
sb_init(struct strbuf *sb)
{
	sb->buf = NULL;
	sb->len = sb->cap = 0;
}

void
sb_free(struct strbuf *sb)
{
	free(sb->buf);
	sb_init(sb);
}

void
sb_reset(struct strbuf *sb)
{
	sb->len = 0;
	if (sb->buf != NULL)
		sb->buf[0] = '\0';
}

static void
sb_grow(struct strbuf *sb, size_t more)
{
	size_t need = sb->len + more + 1;

	if (need <= sb->cap)
		return;
	if (sb->cap == 0)
		sb->cap = 64;
	while (sb->cap < need)
		sb->cap *= 2;
	sb->buf = xrealloc(sb->buf, sb->cap);
}

void
sb_add(struct strbuf *sb, const char *s, size_t n)
{
	sb_grow(sb, n);
	memcpy(sb->buf + sb->len, s, n);
	sb->len += n;
	sb->buf[sb->len] = '\0';
}

void
sb_puts(struct strbuf *sb, const char *s)
{
	sb_add(sb, s, strlen(s));
}

void
sb_putc(struct strbuf *sb, char c)
{
	sb_add(sb, &c, 1);
}

void
sb_vprintf(struct strbuf *sb, const char *fmt, va_list ap)
{
	va_list ap2;
	int n;

	va_copy(ap2, ap);
	n = vsnprintf(NULL, 0, fmt, ap2);
	va_end(ap2);
	if (n < 0)
		return;
	sb_grow(sb, (size_t)n);
	vsnprintf(sb->buf + sb->len, (size_t)n + 1, fmt, ap);
	sb->len += (size_t)n;
}

void
sb_printf(struct strbuf *sb, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	sb_vprintf(sb, fmt, ap);
	va_end(ap);
}

/* Returns the buffer (never NULL) and leaves sb empty. */
char *
sb_detach(struct strbuf *sb)
{
	char *p;

	if (sb->buf == NULL)
		return xstrdup("");
	p = sb->buf;
	sb_init(sb);
	return p;
}

void
fmt_count(char *buf, size_t len, int64_t v)
{
	char tmp[32];
	size_t n, i, o = 0;

	if (v < 0) {
		snprintf(buf, len, "-");
		return;
	}
	n = (size_t)snprintf(tmp, sizeof tmp, "%lld", (long long)v);
	for (i = 0; i < n && o + 1 < len; i++) {
		if (i > 0 && (n - i) % 3 == 0 && o + 2 < len)
			buf[o++] = ',';
		buf[o++] = tmp[i];
	}
	buf[o] = '\0';
}

char *
str_trim(char *s)
{
	char *end;

	while (*s == ' ' || *s == '\t' || *s == '\r' || *s == '\n')
		s++;
	end = s + strlen(s);
	while (end > s && (end[-1] == ' ' || end[-1] == '\t' ||
	    end[-1] == '\r' || end[-1] == '\n'))
		*--end = '\0';
	return s;
}

int
str_startswith(const char *s, const char *prefix)
{
	return strncmp(s, prefix, strlen(prefix)) == 0;
}

int
str_endswith(const char *s, const char *suffix)
{
	size_t a = strlen(s), b = strlen(suffix);

	return a >= b && memcmp(s + a - b, suffix, b) == 0;
}

int
streq(const char *a, const char *b)
{
	if (a == NULL || b == NULL)
		return a == b;
	return strcmp(a, b) == 0;
}

/* Length of the valid UTF-8 sequence at s (n bytes available), or 0. */
static size_t
utf8_seq(const unsigned char *s, size_t n)
{
	unsigned c = s[0];
	size_t len, i;
	uint32_t cp;

	if (c < 0x80)
		return 1;
	if (c >= 0xc2 && c <= 0xdf) {
		len = 2;
		cp = c & 0x1f;
	} else if (c >= 0xe0 && c <= 0xef) {
		len = 3;
		cp = c & 0x0f;
	} else if (c >= 0xf0 && c <= 0xf4) {
		len = 4;
		cp = c & 0x07;
	} else
		return 0;
	if (n < len)
		return 0;
	for (i = 1; i < len; i++) {
		if ((s[i] & 0xc0) != 0x80)
			return 0;
		cp = (cp << 6) | (s[i] & 0x3f);
	}
	if ((len == 3 && cp < 0x800) || (len == 4 && (cp < 0x10000 ||
	    cp > 0x10ffff)) || (cp >= 0xd800 && cp <= 0xdfff))
		return 0;
	return len;
}

int
utf8_valid(const char *s, size_t n)
{
	const unsigned char *p = (const unsigned char *)s;
	size_t i = 0, k;

	while (i < n) {
		if ((k = utf8_seq(p + i, n - i)) == 0)
			return 0;
		i += k;
	}
	return 1;
}

static void
sanitize(struct strbuf *dst, const char *src, size_t n, bool lines)
{
	const unsigned char *p = (const unsigned char *)src;
	size_t i = 0, k;

	while (i < n) {
		k = utf8_seq(p + i, n - i);
		if (k == 0) {
			sb_puts(dst, "\xef\xbf\xbd");
			i++;
		} else if (k == 1 && (p[i] < 0x20 || p[i] == 0x7f) &&
		    p[i] != '\t' && !(lines && p[i] == '\n')) {
			sb_putc(dst, '?');
			i++;
		} else {
			sb_add(dst, src + i, k);
			i += k;
		}
	}
}

void
utf8_sanitize(struct strbuf *dst, const char *src, size_t n)
{
	sanitize(dst, src, n, false);
}

void
utf8_sanitize_lines(struct strbuf *dst, const char *src, size_t n)
{
	sanitize(dst, src, n, true);
}

void
print_lines(FILE *f, const char *text, const char *indent)
{
	const char *nl;

	if (text == NULL)
		return;
	while ((nl = strchr(text, '\n')) != NULL) {
		fwrite(text, 1, (size_t)(nl - text), f);
		fputc('\n', f);
		fputs(indent, f);
		text = nl + 1;
		if (*text == '\t')
			text++;	/* the indent replaces libpq's (spaces align a caret) */
	}
	fputs(text, f);
}

void
secure_zero(void *p, size_t n)
{
#ifdef HAVE_EXPLICIT_BZERO
	explicit_bzero(p, n);
#else
	volatile unsigned char *v = p;

	while (n--)
		*v++ = 0;
#endif
}

int64_t
now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

int64_t
mono_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

void
time_rfc3339(int64_t ms, char *buf, size_t len)
{
	time_t t = (time_t)(ms / 1000);
	struct tm tm;
	char base[32];

	gmtime_r(&t, &tm);
	strftime(base, sizeof base, "%Y-%m-%dT%H:%M:%S", &tm);
	snprintf(buf, len, "%s.%03dZ", base, (int)(ms % 1000));
}

int64_t
time_parse_rfc3339(const char *s)
{
	struct tm tm;
	const char *p;
	int64_t ms = 0;
	int digits = 0;

	memset(&tm, 0, sizeof tm);
	p = strptime(s, "%Y-%m-%dT%H:%M:%S", &tm);
	if (p == NULL)
		return -1;
	if (*p == '.') {
		p++;
		while (*p >= '0' && *p <= '9') {
			if (digits < 3) {
				ms = ms * 10 + (*p - '0');
				digits++;
			}
			p++;
		}
		while (digits++ < 3)
			ms *= 10;
	}
	if (strcmp(p, "Z") != 0 && strcmp(p, "+00:00") != 0)
		return -1;
	return (int64_t)timegm(&tm) * 1000 + ms;
}

void
time_local(int64_t ms, char *buf, size_t len)
{
	time_t t = (time_t)(ms / 1000);
	struct tm tm;

	localtime_r(&t, &tm);
	strftime(buf, len, "%Y-%m-%d %H:%M:%S", &tm);
}

const char *
actor_user(void)
{
	static char user[256];
	struct passwd *pw;
	const char *s;

	if (user[0] != '\0')
		return user;
	if ((pw = getpwuid(geteuid())) != NULL)
		s = pw->pw_name;
	else if ((s = getenv("USER")) == NULL)
		s = "unknown";
	snprintf(user, sizeof user, "%s", s);
	return user;
}

const char *
actor_host(void)
{
	static char host[256];

	if (host[0] != '\0')
		return host;
	if (gethostname(host, sizeof host - 1) != 0 || host[0] == '\0')
		snprintf(host, sizeof host, "localhost");
	return host;
}

const char *
actor(void)
{
	static char buf[520];

	if (buf[0] == '\0')
		snprintf(buf, sizeof buf, "%s@%s", actor_user(), actor_host());
	return buf;
}

int
random_hex(char *out, size_t nbytes)
{
	unsigned char raw[64];
	size_t i;
	ssize_t got;

	if (nbytes > sizeof raw)
		return -1;
	got = getrandom(raw, nbytes, 0);
	if (got < 0 || (size_t)got != nbytes)
		return -1;
	for (i = 0; i < nbytes; i++)
		snprintf(out + 2 * i, 3, "%02x", raw[i]);
	return 0;
}

int
parse_int64(const char *s, int64_t *out)
{
	char *end;
	long long v;

	if (s == NULL || *s == '\0')
		return -1;
	errno = 0;
	v = strtoll(s, &end, 10);
	if (errno != 0 || *end != '\0')
		return -1;
	*out = v;
	return 0;
}

int
parse_double(const char *s, double *out)
{
	char *end;
	double v;

	if (s == NULL || *s == '\0')
		return -1;
	errno = 0;
	v = strtod(s, &end);
	if (errno != 0 || *end != '\0' || !isfinite(v))
		return -1;
	*out = v;
	return 0;
}

/* ------------------------------------------------------------- secrets */

static bool
key_char(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
	    (c >= '0' && c <= '9') || c == '_' || c == '-' || c == '.';
}

/* A key that names a secret: PGPASSWORD, password, AWS_SECRET_ACCESS_KEY,
 * SecretAccessKey, AWS_SESSION_TOKEN, api_key, ... */
static bool
secret_key(const char *k, size_t n)
{
	static const char *const words[] = { "password", "passwd", "secret",
	    "token", "credential", "apikey", "api_key", "api-key",
	    "private_key", "privatekey", "sessionkey", "pgpass" };
	char low[128];
	size_t i;

	if (n == 0 || n >= sizeof low)
		return false;
	for (i = 0; i < n; i++)
		low[i] = (char)(k[i] >= 'A' && k[i] <= 'Z' ? k[i] - 'A' + 'a' : k[i]);
	low[n] = '\0';
	for (i = 0; i < ARRAY_SIZE(words); i++)
		if (strstr(low, words[i]) != NULL)
			return true;
	return false;
}

static size_t
value_end(const char *s, size_t i, size_t n, char quote)
{
	while (i < n && (quote != '\0' ? s[i] != quote :
	    !(s[i] == ' ' || s[i] == '\t' || s[i] == '\n' || s[i] == '\r' ||
	    s[i] == '&' || s[i] == ';' || s[i] == ',' || s[i] == '"' ||
	    s[i] == '\'' || s[i] == '}')))
		i++;
	return i;
}

static bool
upper_alnum(const char *s, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (!((s[i] >= 'A' && s[i] <= 'Z') || (s[i] >= '0' && s[i] <= '9')))
			return false;
	return true;
}

void
secrets_scrub(struct strbuf *dst, const char *s, size_t n)
{
	size_t i = 0, k, j, v;
	char quote;

	while (i < n) {
		/* A private key block. */
		if (s[i] == '-' && n - i > 11 && strncmp(s + i, "-----BEGIN ", 11) == 0) {
			const char *end = NULL;

			for (j = i + 11; j + 11 <= n; j++)
				if (strncmp(s + j, "PRIVATE KEY", 11) == 0 ||
				    s[j] == '\n')
					break;
			if (j + 11 <= n && strncmp(s + j, "PRIVATE KEY", 11) == 0) {
				for (k = j; k + 8 <= n; k++)
					if (strncmp(s + k, "-----END", 8) == 0) {
						end = s + k;
						break;
					}
				sb_puts(dst, "[redacted private key]");
				if (end == NULL)
					return;
				i = (size_t)(end - s) + 8;
				while (i < n && s[i] != '\n')
					i++;
				continue;
			}
		}
		/* AWS access key ids. */
		if ((i == 0 || !key_char(s[i - 1])) && n - i >= 20 &&
		    (strncmp(s + i, "AKIA", 4) == 0 || strncmp(s + i, "ASIA", 4) == 0) &&
		    upper_alnum(s + i + 4, 16) && (n - i == 20 || !key_char(s[i + 20]))) {
			sb_puts(dst, "[redacted]");
			i += 20;
			continue;
		}
		/* scheme://user:password@ */
		if (s[i] == ':' && n - i > 3 && s[i + 1] == '/' && s[i + 2] == '/') {
			j = i + 3;
			while (j < n && s[j] != '@' && s[j] != '/' && s[j] != ' ' &&
			    s[j] != '\n')
				j++;
			if (j < n && s[j] == '@') {
				const char *colon = memchr(s + i + 3, ':', j - i - 3);

				if (colon != NULL) {
					sb_add(dst, s + i, (size_t)(colon - s) + 1 - i);
					sb_puts(dst, "[redacted]");
					i = j;
					continue;
				}
			}
		}
		/* key = value, key: value, "key": "value" */
		if (key_char(s[i]) && (i == 0 || !key_char(s[i - 1]))) {
			for (k = i; k < n && key_char(s[k]); k++)
				;
			if (secret_key(s + i, k - i)) {
				j = k;
				if (j < n && (s[j] == '"' || s[j] == '\''))
					j++;
				while (j < n && (s[j] == ' ' || s[j] == '\t'))
					j++;
				if (j < n && (s[j] == '=' || s[j] == ':')) {
					j++;
					while (j < n && (s[j] == ' ' || s[j] == '\t'))
						j++;
					quote = j < n && (s[j] == '"' || s[j] == '\'') ?
					    s[j] : '\0';
					if (quote != '\0')
						j++;
					v = value_end(s, j, n, quote);
					if (v > j) {
						sb_add(dst, s + i, j - i);
						sb_puts(dst, "[redacted]");
						i = v;
						continue;
					}
				}
			}
			sb_add(dst, s + i, k - i);
			i = k;
			continue;
		}
		sb_putc(dst, s[i]);
		i++;
	}
}
