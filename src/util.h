/* util.h - small helpers every module uses: memory, strings, time, errors. */
#ifndef CUTOVER_UTIL_H
#define CUTOVER_UTIL_H

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

/* Exit codes of INTERFACE.md. */
enum {
	EXIT_OK = 0,
	EXIT_CHECK = 1,   /* a check failed, a precondition unmet, log break */
	EXIT_USAGE = 2,   /* usage or configuration error */
	EXIT_RUNTIME = 3, /* database or AWS call failed after retries */
	EXIT_LOCKED = 4,  /* the driver lock is held by another driver */
	EXIT_ABORTED = 5, /* the operator aborted, or the run rolled back */
};

/* An error carries the exit code it should end the program with and a
 * message that names what was wrong. */
struct err {
	int code;
	char msg[1024];
};

#define PRINTF_LIKE(f, a) __attribute__((format(printf, f, a)))
#define UNUSED __attribute__((unused))
#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))

/* Both return -1 so that `return err_set(...)` ends a failing function. */
int err_set(struct err *e, int code, const char *fmt, ...) PRINTF_LIKE(3, 4);
int err_prefix(struct err *e, const char *fmt, ...) PRINTF_LIKE(2, 3);

void *xmalloc(size_t n);
void *xcalloc(size_t nmemb, size_t size);
void *xrealloc(void *p, size_t n);
void *xreallocarray(void *p, size_t nmemb, size_t size);
char *xstrdup(const char *s);
char *xstrndup(const char *s, size_t n);
char *xasprintf(const char *fmt, ...) PRINTF_LIKE(1, 2);
char *xvasprintf(const char *fmt, va_list ap) PRINTF_LIKE(1, 0);

/* Growable string. */
struct strbuf {
	char *buf;
	size_t len, cap;
};
void sb_init(struct strbuf *sb);
void sb_free(struct strbuf *sb);
void sb_reset(struct strbuf *sb);
void sb_add(struct strbuf *sb, const char *s, size_t n);
void sb_puts(struct strbuf *sb, const char *s);
void sb_putc(struct strbuf *sb, char c);
void sb_printf(struct strbuf *sb, const char *fmt, ...) PRINTF_LIKE(2, 3);
void sb_vprintf(struct strbuf *sb, const char *fmt, va_list ap) PRINTF_LIKE(2, 0);
char *sb_detach(struct strbuf *sb);

/* Strings. */
char *str_trim(char *s);
/* A count for people: 1,234,567; a negative (unknown) one is "-". */
void fmt_count(char *buf, size_t len, int64_t v);
int str_startswith(const char *s, const char *prefix);
int str_endswith(const char *s, const char *suffix);
int streq(const char *a, const char *b);
/* Copies src into dst as valid UTF-8, replacing invalid bytes with U+FFFD
 * and control characters other than tab with '?'. */
void utf8_sanitize(struct strbuf *dst, const char *src, size_t n);
/* The same, but newlines are kept (libpq's multi-line messages). */
void utf8_sanitize_lines(struct strbuf *dst, const char *src, size_t n);
/* Prints text, each line after the first indented by indent: a
 * multi-line message (libpq's DETAIL, HINT, LINE) stays readable. */
void print_lines(FILE *f, const char *text, const char *indent);
int utf8_valid(const char *s, size_t n);
void secure_zero(void *p, size_t n);
/* Copies src into dst with what looks like a secret replaced by
 * "[redacted]": the values of keys naming a password, secret, token or
 * credential (key=value, key: value, "key": "value"), the password of a
 * scheme://user:password@ URL, AWS access key ids, private key blocks. */
void secrets_scrub(struct strbuf *dst, const char *src, size_t n);

/* Time. */
int64_t now_ms(void);       /* wall clock, ms since the epoch */
int64_t mono_ms(void);      /* monotonic clock, ms */
/* RFC 3339 UTC with milliseconds: 2026-11-24T16:00:00.000Z (buf >= 25). */
void time_rfc3339(int64_t ms, char *buf, size_t len);
/* Parses the form above (and without fraction); returns -1 on error. */
int64_t time_parse_rfc3339(const char *s);
/* Local time for people: 2026-11-24 17:00:00. */
void time_local(int64_t ms, char *buf, size_t len);

/* Who is acting: user@host. */
const char *actor_user(void);
const char *actor_host(void);
const char *actor(void);

/* Random bytes from the kernel, as lower-case hex (2*n chars + NUL). */
int random_hex(char *out, size_t nbytes);

/* Parses a whole decimal number; returns 0 on success. */
int parse_int64(const char *s, int64_t *out);
int parse_double(const char *s, double *out);

#endif
