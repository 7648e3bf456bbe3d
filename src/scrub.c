/* scrub.c - secrets out of free text; see scrub.h. One pass over the
 * text after the registered literals are replaced: words are read one at
 * a time and each rule looks at the word and what follows it. */
#include "config.h"

#include <ctype.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "scrub.h"

#define LONG_TOKEN 32

static char **literals;
static size_t nliterals;

/* Environment variables whose values are secrets. */
static const char *const secret_env[] = {
	"PGPASSWORD", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN",
	"AWS_SECURITY_TOKEN", "AWS_CONTAINER_AUTHORIZATION_TOKEN",
	"AWS_WEB_IDENTITY_TOKEN", "SLACK_WEBHOOK_URL", "SLACK_TOKEN",
};

/* Parts of a key that make its value a secret (compared lower-case). */
static const char *const secret_keys[] = {
	"password", "passwd", "pwd", "secret", "token", "api_key", "apikey",
	"credential", "private_key", "authorization", "signature",
};

void
scrub_register(const char *secret)
{
	size_t i;

	if (secret == NULL || strlen(secret) < 4)
		return;
	for (i = 0; i < nliterals; i++)
		if (strcmp(literals[i], secret) == 0)
			return;
	literals = xreallocarray(literals, nliterals + 1, sizeof *literals);
	literals[nliterals++] = xstrdup(secret);
}

void
scrub_register_environment(void)
{
	size_t i;

	for (i = 0; i < ARRAY_SIZE(secret_env); i++)
		scrub_register(getenv(secret_env[i]));
}

void
scrub_forget(void)
{
	size_t i;

	for (i = 0; i < nliterals; i++) {
		secure_zero(literals[i], strlen(literals[i]));
		free(literals[i]);
	}
	free(literals);
	literals = NULL;
	nliterals = 0;
}

static bool
word_char(char c)
{
	return isalnum((unsigned char)c) || c == '_' || c == '-' || c == '.';
}

static bool
token_char(char c)
{
	return isalnum((unsigned char)c) || c == '+' || c == '/' || c == '=' ||
	    c == '_' || c == '-';
}

static bool
ci_contains(const char *w, size_t n, const char *part)
{
	size_t m = strlen(part), i, j;

	for (i = 0; i + m <= n; i++) {
		for (j = 0; j < m; j++)
			if (tolower((unsigned char)w[i + j]) != part[j])
				break;
		if (j == m)
			return true;
	}
	return false;
}

static bool
ci_equal(const char *w, size_t n, const char *s)
{
	return strlen(s) == n && strncasecmp(w, s, n) == 0;
}

static bool
secret_key(const char *w, size_t n)
{
	size_t i;

	if (n >= 4 && strncasecmp(w + n - 4, "_key", 4) == 0)
		return true;
	for (i = 0; i < ARRAY_SIZE(secret_keys); i++)
		if (ci_contains(w, n, secret_keys[i]))
			return true;
	return false;
}

/* AKIA/ASIA/AIDA/AROA followed by 16 upper-case letters or digits. */
static bool
aws_key_id(const char *w, size_t n)
{
	size_t i;

	if (n != 20 || (strncmp(w, "AKIA", 4) != 0 && strncmp(w, "ASIA", 4) != 0 &&
	    strncmp(w, "AIDA", 4) != 0 && strncmp(w, "AROA", 4) != 0))
		return false;
	for (i = 4; i < n; i++)
		if (!isupper((unsigned char)w[i]) && !isdigit((unsigned char)w[i]))
			return false;
	return true;
}

static bool
long_token(const char *w, size_t n)
{
	bool up = false, low = false, digit = false;
	size_t i;

	if (n < LONG_TOKEN)
		return false;
	for (i = 0; i < n; i++) {
		up |= isupper((unsigned char)w[i]) != 0;
		low |= islower((unsigned char)w[i]) != 0;
		digit |= isdigit((unsigned char)w[i]) != 0;
	}
	return up && low && digit;
}

/* The end of a value starting at p: a quoted one up to its closing quote
 * a bare one up to white space or punctuation (or the end of the line). */
static size_t
value_len(const char *p, size_t n, char quote, bool to_eol)
{
	size_t i;

	for (i = 0; i < n; i++) {
		if (to_eol && quote == '\0') {
			if (p[i] == '\n' || p[i] == '\r')
				break;
		} else if (quote != '\0') {
			if (p[i] == '\\' && i + 1 < n) {
				i++;
				continue;
			}
			if (p[i] == quote)
				break;
		} else if (isspace((unsigned char)p[i]) || strchr("&,;}\"')", p[i]))
			break;
	}
	return i;
}

/* key[quote] (= or :) [quote]value at in[i..]: masks the value. Returns
 * the bytes consumed after the key, 0 when it is not such a pair. */
static size_t
masked_pair(struct strbuf *out, const char *p, size_t n, bool to_eol)
{
	size_t i = 0, start, v;
	char quote = '\0';

	if (i < n && (p[i] == '"' || p[i] == '\''))
		i++;
	while (i < n && (p[i] == ' ' || p[i] == '\t'))
		i++;
	if (i >= n || (p[i] != '=' && p[i] != ':'))
		return 0;
	i++;
	while (i < n && (p[i] == ' ' || p[i] == '\t'))
		i++;
	if (i < n && (p[i] == '"' || p[i] == '\''))
		quote = p[i++];
	start = i;
	v = value_len(p + start, n - start, quote, to_eol);
	if (v == 0)
		return 0;
	sb_add(out, p, start);
	sb_puts(out, SCRUB_MASK);
	return start + v;
}

/* "://user:password@" at p (just after "://"): masks the password. */
static size_t
masked_userinfo(struct strbuf *out, const char *p, size_t n)
{
	size_t i, colon = 0;

	for (i = 0; i < n; i++) {
		if (p[i] == '@')
			break;
		if (p[i] == '/' || p[i] == '?' || p[i] == '#' ||
		    isspace((unsigned char)p[i]))
			return 0;
		if (p[i] == ':' && colon == 0)
			colon = i + 1;
	}
	if (i >= n || colon == 0 || colon == i)
		return 0;
	sb_add(out, p, colon);
	sb_puts(out, SCRUB_MASK);
	return i;
}

static void
scrub_pass(struct strbuf *out, const char *in, size_t n)
{
	static const char slack[] = "hooks.slack.com/services/";
	size_t i = 0, w, used, t;

	while (i < n) {
		if (n - i > 3 && memcmp(in + i, "://", 3) == 0) {
			sb_add(out, in + i, 3);
			i += 3;
			i += masked_userinfo(out, in + i, n - i);
			continue;
		}
		if (n - i >= sizeof slack - 1 &&
		    memcmp(in + i, slack, sizeof slack - 1) == 0) {
			sb_add(out, in + i, sizeof slack - 1);
			i += sizeof slack - 1;
			t = value_len(in + i, n - i, '\0', false);
			if (t > 0)
				sb_puts(out, SCRUB_MASK);
			i += t;
			continue;
		}
		if (!token_char(in[i])) {
			sb_putc(out, in[i++]);
			continue;
		}
		/* A long token is judged whole, before it is cut into words. */
		for (t = i; t < n && token_char(in[t]); t++)
			if (t > i && in[t] == '=' && t + 1 < n && in[t + 1] != '=' &&
			    token_char(in[t + 1]))
				break;	/* KEY=VALUE: the key is a word below */
		if (long_token(in + i, t - i)) {
			sb_puts(out, SCRUB_MASK);
			i = t;
			continue;
		}
		for (w = i; w < n && word_char(in[w]); w++)
			;
		if (w == i) {
			sb_putc(out, in[i++]);
			continue;
		}
		if (aws_key_id(in + i, w - i)) {
			sb_puts(out, SCRUB_MASK);
			i = w;
			continue;
		}
		sb_add(out, in + i, w - i);
		/* An Authorization header's value is the rest of its line. */
		if (secret_key(in + i, w - i) &&
		    (used = masked_pair(out, in + w, n - w,
		    ci_contains(in + i, w - i, "authorization"))) > 0) {
			i = w + used;
			continue;
		}
		if ((ci_equal(in + i, w - i, "bearer") ||
		    ci_equal(in + i, w - i, "basic")) && w < n && in[w] == ' ') {
			for (t = w; t < n && in[t] == ' '; t++)
				;
			used = value_len(in + t, n - t, '\0', false);
			if (used > 0) {
				sb_add(out, in + w, t - w);
				sb_puts(out, SCRUB_MASK);
				i = t + used;
				continue;
			}
		}
		i = w;
	}
}

void
scrub_text(struct strbuf *out, const char *in, size_t n)
{
	struct strbuf lit;
	const char *hit, *p, *end;
	size_t k, best_len;

	if (nliterals == 0) {
		scrub_pass(out, in, n);
		return;
	}
	/* The registered literals first: they may look like anything. */
	sb_init(&lit);
	p = in;
	end = in + n;
	while (p < end) {
		hit = NULL;
		best_len = 0;
		for (k = 0; k < nliterals; k++) {
			const char *h = memmem(p, (size_t)(end - p), literals[k],
			    strlen(literals[k]));

			if (h != NULL && (hit == NULL || h < hit ||
			    (h == hit && strlen(literals[k]) > best_len))) {
				hit = h;
				best_len = strlen(literals[k]);
			}
		}
		if (hit == NULL) {
			sb_add(&lit, p, (size_t)(end - p));
			break;
		}
		sb_add(&lit, p, (size_t)(hit - p));
		sb_puts(&lit, SCRUB_MASK);
		p = hit + best_len;
	}
	if (lit.len > 0)
		scrub_pass(out, lit.buf, lit.len);
	if (lit.buf != NULL)
		secure_zero(lit.buf, lit.len);
	sb_free(&lit);
}

char *
scrub_dup(const char *s)
{
	struct strbuf sb;

	sb_init(&sb);
	scrub_text(&sb, s, strlen(s));
	if (sb.buf == NULL)
		return xstrdup("");
	return sb_detach(&sb);
}
