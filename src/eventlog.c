/* eventlog.c - the hash-chained event log. */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/evp.h>

#include "eventlog.h"
#include "fileio.h"

#define ZERO_HASH "0000000000000000000000000000000000000000000000000000000000000000"
#define HASH_SUFFIX_LEN (sizeof(",\"hash\":\"") - 1 + 64 + 2)

struct eventlog {
	int fd;
	char *dir;
	char *path;
	char *environment;
	int64_t last_seq;
	char last_hash[65];
	off_t known_size;     /* file size after our last append, -1 unknown */
	eventlog_observer_fn observer;
	void *observer_arg;
	struct strbuf observed;   /* lines written under the lock, to deliver */
};

static void
to_hex(const unsigned char *md, unsigned n, char *out)
{
	static const char hex[] = "0123456789abcdef";
	unsigned i;

	for (i = 0; i < n; i++) {
		out[2 * i] = hex[md[i] >> 4];
		out[2 * i + 1] = hex[md[i] & 15];
	}
	out[2 * n] = '\0';
}

void
sha256_hex(const void *data, size_t len, char out[65])
{
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned n = 0;

	EVP_Digest(data, len, md, &n, EVP_sha256(), NULL);
	to_hex(md, n, out);
}

int
event_line_hash_ok(const char *line, size_t len, char computed[65])
{
	static const char prefix[] = ",\"hash\":\"";
	unsigned char md[EVP_MAX_MD_SIZE];
	const char *h;
	EVP_MD_CTX *ctx;
	unsigned n = 0;
	size_t body, i;

	computed[0] = '\0';
	if (len < HASH_SUFFIX_LEN + 2 || line[0] != '{')
		return 0;
	body = len - HASH_SUFFIX_LEN;
	if (memcmp(line + body, prefix, sizeof prefix - 1) != 0 ||
	    memcmp(line + len - 2, "\"}", 2) != 0)
		return 0;
	h = line + body + sizeof prefix - 1;
	for (i = 0; i < 64; i++)
		if (!((h[i] >= '0' && h[i] <= '9') || (h[i] >= 'a' && h[i] <= 'f')))
			return 0;
	ctx = EVP_MD_CTX_new();
	if (ctx == NULL)
		return 0;
	EVP_DigestInit_ex(ctx, EVP_sha256(), NULL);
	EVP_DigestUpdate(ctx, line, body);
	EVP_DigestUpdate(ctx, "}", 1);
	EVP_DigestFinal_ex(ctx, md, &n);
	EVP_MD_CTX_free(ctx);
	to_hex(md, n, computed);
	return memcmp(computed, h, 64) == 0;
}

void
event_free(struct event *ev)
{
	free(ev->kind);
	free(ev->phase);
	free(ev->actor);
	free(ev->environment);
	free(ev->msg);
	cJSON_Delete(ev->data);
	memset(ev, 0, sizeof *ev);
}

static char *
dup_member(const cJSON *o, const char *key, int *ok)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, key);

	if (v == NULL || !cJSON_IsString(v)) {
		*ok = 0;
		return NULL;
	}
	return xstrdup(v->valuestring);
}

int
event_parse(const char *line, size_t len, struct event *ev, const char **why)
{
	const cJSON *v;
	cJSON *o;
	int ok = 1;

	memset(ev, 0, sizeof *ev);
	o = cJSON_ParseWithLength(line, len);
	if (o == NULL || !cJSON_IsObject(o)) {
		cJSON_Delete(o);
		*why = "not a JSON object";
		return -1;
	}
	v = cJSON_GetObjectItemCaseSensitive(o, "seq");
	if (v == NULL || !cJSON_IsNumber(v) || !(v->valuedouble >= 1 &&
	    v->valuedouble <= 1e15)) {
		cJSON_Delete(o);
		*why = "no valid \"seq\"";
		return -1;
	}
	ev->seq = (int64_t)v->valuedouble;
	v = cJSON_GetObjectItemCaseSensitive(o, "ts");
	if (v != NULL && cJSON_IsString(v))
		snprintf(ev->ts, sizeof ev->ts, "%s", v->valuestring);
	else
		ok = 0;
	ev->kind = dup_member(o, "kind", &ok);
	v = cJSON_GetObjectItemCaseSensitive(o, "phase");
	if (v != NULL && cJSON_IsString(v))
		ev->phase = xstrdup(v->valuestring);
	else if (v == NULL || !cJSON_IsNull(v))
		ok = 0;
	ev->actor = dup_member(o, "actor", &ok);
	ev->environment = dup_member(o, "environment", &ok);
	ev->msg = dup_member(o, "msg", &ok);
	v = cJSON_GetObjectItemCaseSensitive(o, "data");
	if (v != NULL && cJSON_IsObject(v))
		ev->data = cJSON_Duplicate(v, 1);
	else
		ok = 0;
	v = cJSON_GetObjectItemCaseSensitive(o, "prev");
	if (v != NULL && cJSON_IsString(v) && strlen(v->valuestring) == 64)
		memcpy(ev->prev, v->valuestring, 65);
	else
		ok = 0;
	v = cJSON_GetObjectItemCaseSensitive(o, "hash");
	if (v != NULL && cJSON_IsString(v) && strlen(v->valuestring) == 64)
		memcpy(ev->hash, v->valuestring, 65);
	else
		ok = 0;
	cJSON_Delete(o);
	if (!ok) {
		event_free(ev);
		*why = "a member is missing or of the wrong type";
		return -1;
	}
	return 0;
}

/* Reads the bytes [from, to) of fd. */
static char *
read_range(int fd, off_t from, off_t to)
{
	size_t n = (size_t)(to - from), got = 0;
	char *buf = xmalloc(n + 1);
	ssize_t r;

	while (got < n) {
		r = pread(fd, buf + got, n - got, from + (off_t)got);
		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0) {
			free(buf);
			return NULL;
		}
		got += (size_t)r;
	}
	buf[n] = '\0';
	return buf;
}

/* Finds the offset just after the last '\n' before end (0 if none). */
static off_t
last_newline_end(int fd, off_t end)
{
	char buf[65536];
	off_t pos = end, start;
	ssize_t n, i;

	while (pos > 0) {
		start = pos > (off_t)sizeof buf ? pos - (off_t)sizeof buf : 0;
		n = pread(fd, buf, (size_t)(pos - start), start);
		if (n <= 0)
			return -1;
		for (i = n - 1; i >= 0; i--)
			if (buf[i] == '\n')
				return start + i + 1;
		pos = start;
	}
	return 0;
}

/* Keeps a torn tail as evidence and cuts it off. Returns its length. */
static int
repair_torn_tail(struct eventlog *log, off_t good, off_t size,
    char **evidence, struct err *e)
{
	char *bytes, *path;

	bytes = read_range(log->fd, good, size);
	if (bytes == NULL)
		return err_set(e, EXIT_RUNTIME, "%s: cannot read torn tail: %s",
		    log->path, strerror(errno));
	path = xasprintf("%s.torn-%lld-%lld", log->path,
	    (long long)log->last_seq + 1, (long long)now_ms());
	if (file_write_atomic(path, bytes, (size_t)(size - good), 0600, e) != 0) {
		free(bytes);
		free(path);
		return -1;
	}
	free(bytes);
	if (ftruncate(log->fd, good) != 0 || fsync(log->fd) != 0) {
		err_set(e, EXIT_RUNTIME, "%s: cannot cut torn tail: %s", log->path,
		    strerror(errno));
		free(path);
		return -1;
	}
	*evidence = path;
	return 0;
}

/* Under the flock: learns the last seq and hash, repairing a torn tail.
 * *torn receives the evidence file name when a repair happened. */
static int
sync_tail(struct eventlog *log, char **torn, off_t *torn_len, struct err *e)
{
	struct stat st;
	off_t good, start;
	char *line, computed[65];
	const char *why;
	struct event ev;
	size_t len;

	*torn = NULL;
	*torn_len = 0;
	if (fstat(log->fd, &st) != 0)
		return err_set(e, EXIT_RUNTIME, "%s: %s", log->path, strerror(errno));
	if (log->known_size >= 0 && st.st_size == log->known_size)
		return 0;
	good = last_newline_end(log->fd, st.st_size);
	if (good < 0)
		return err_set(e, EXIT_RUNTIME, "%s: cannot read: %s", log->path,
		    strerror(errno));
	log->last_seq = 0;
	memcpy(log->last_hash, ZERO_HASH, 65);
	if (good > 0) {
		start = last_newline_end(log->fd, good - 1);
		if (start < 0 || good - 1 - start > EVENT_MAX_LINE)
			return err_set(e, EXIT_RUNTIME,
			    "%s: last line is unreadable or too long; run `cutover log --verify`",
			    log->path);
		line = read_range(log->fd, start, good - 1);
		if (line == NULL)
			return err_set(e, EXIT_RUNTIME, "%s: cannot read: %s",
			    log->path, strerror(errno));
		len = (size_t)(good - 1 - start);
		if (!event_line_hash_ok(line, len, computed) ||
		    event_parse(line, len, &ev, &why) != 0) {
			free(line);
			return err_set(e, EXIT_RUNTIME,
			    "%s: the last complete line is not a valid event (tampered "
			    "or corrupt); nothing was appended. Run `cutover log --verify`",
			    log->path);
		}
		free(line);
		log->last_seq = ev.seq;
		memcpy(log->last_hash, ev.hash, 65);
		event_free(&ev);
	}
	if (good < st.st_size) {
		if (repair_torn_tail(log, good, st.st_size, torn, e) != 0)
			return -1;
		*torn_len = st.st_size - good;
	}
	log->known_size = good;
	return 0;
}

/* Builds the line for one event (with its newline) and its hash. */
static char *
build_line(struct eventlog *log, const char *kind, const char *phase,
    const char *msg, cJSON *data, char hash[65], size_t *len)
{
	struct strbuf clean;
	char ts[40], *body;
	struct strbuf sb;
	cJSON *o;

	o = cJSON_CreateObject();
	cJSON_AddNumberToObject(o, "seq", (double)(log->last_seq + 1));
	time_rfc3339(now_ms(), ts, sizeof ts);
	cJSON_AddStringToObject(o, "ts", ts);
	sb_init(&clean);
	utf8_sanitize(&clean, kind, strlen(kind));
	cJSON_AddStringToObject(o, "kind", clean.buf);
	if (phase != NULL)
		cJSON_AddStringToObject(o, "phase", phase);
	else
		cJSON_AddNullToObject(o, "phase");
	cJSON_AddStringToObject(o, "actor", actor());
	cJSON_AddStringToObject(o, "environment", log->environment);
	sb_reset(&clean);
	utf8_sanitize(&clean, msg, strlen(msg));
	cJSON_AddStringToObject(o, "msg", clean.buf != NULL ? clean.buf : "");
	sb_free(&clean);
	cJSON_AddItemToObject(o, "data", data != NULL ? data : cJSON_CreateObject());
	cJSON_AddStringToObject(o, "prev", log->last_hash);
	body = cJSON_PrintUnformatted(o);
	cJSON_Delete(o);
	sha256_hex(body, strlen(body), hash);
	sb_init(&sb);
	sb_add(&sb, body, strlen(body) - 1);	/* without the final '}' */
	sb_printf(&sb, ",\"hash\":\"%s\"}\n", hash);
	cJSON_free(body);
	*len = sb.len;
	return sb_detach(&sb);
}

static int64_t
append_locked(struct eventlog *log, const char *kind, const char *phase,
    cJSON *data, const char *msg, struct err *e)
{
	char hash[65], *line;
	size_t len;

	line = build_line(log, kind, phase, msg, data, hash, &len);
	if (len > EVENT_MAX_LINE) {
		free(line);
		return err_set(e, EXIT_RUNTIME, "event %s is too large (%zu bytes)",
		    kind, len);
	}
	if (write_all(log->fd, line, len) != 0 || fsync(log->fd) != 0) {
		int saved = errno;

		/* Never leave a half line behind. */
		if (ftruncate(log->fd, log->known_size) == 0)
			(void)fsync(log->fd);
		free(line);
		err_set(e, EXIT_RUNTIME, "%s: cannot append: %s", log->path,
		    strerror(saved));
		errno = saved;	/* the caller may react to ENOSPC */
		return -1;
	}
	if (log->observer != NULL)
		sb_add(&log->observed, line, len);
	free(line);
	log->last_seq++;
	memcpy(log->last_hash, hash, 65);
	log->known_size += (off_t)len;
	return log->last_seq;
}

/* Hands the lines just written to the observer, outside the lock. */
static void
deliver_observed(struct eventlog *log)
{
	struct strbuf lines = log->observed;
	char *p, *nl, *end;

	if (lines.len == 0)
		return;
	sb_init(&log->observed);
	end = lines.buf + lines.len;
	for (p = lines.buf; p < end && (nl = memchr(p, '\n',
	    (size_t)(end - p))) != NULL; p = nl + 1)
		if (log->observer != NULL)
			log->observer(p, (size_t)(nl - p), log->observer_arg);
	sb_free(&lines);
}

void
eventlog_observe(struct eventlog *log, eventlog_observer_fn fn, void *arg)
{
	log->observer = fn;
	log->observer_arg = arg;
}

static int64_t
append_event(struct eventlog *log, const char *kind, const char *phase,
    cJSON *data, const char *msg, struct err *e)
{
	char *torn = NULL;
	off_t torn_len = 0;
	int64_t seq = -1;
	cJSON *rd;

	if (flock(log->fd, LOCK_EX) != 0) {
		cJSON_Delete(data);
		return err_set(e, EXIT_RUNTIME, "%s: cannot lock: %s", log->path,
		    strerror(errno));
	}
	if (sync_tail(log, &torn, &torn_len, e) != 0) {
		cJSON_Delete(data);
		goto out;
	}
	if (torn != NULL) {
		const char *base = strrchr(torn, '/');

		rd = cJSON_CreateObject();
		cJSON_AddNumberToObject(rd, "torn_bytes", (double)torn_len);
		cJSON_AddStringToObject(rd, "evidence", base != NULL ? base + 1 : torn);
		cJSON_AddNumberToObject(rd, "after_seq", (double)log->last_seq);
		if (append_locked(log, "log.repaired", NULL, rd,
		    "a torn last line left by a crash was cut off and kept as evidence",
		    e) < 0) {
			cJSON_Delete(data);
			goto out;
		}
	}
	seq = append_locked(log, kind, phase, data, msg, e);
out:
	{
		int saved = errno;

		free(torn);
		flock(log->fd, LOCK_UN);
		deliver_observed(log);
		errno = saved;
	}
	return seq;
}

int
eventlog_open(struct eventlog **out, const char *dir, const char *environment,
    struct err *e)
{
	struct eventlog *log = xcalloc(1, sizeof *log);

	log->dir = xstrdup(dir);
	log->path = xasprintf("%s/%s", dir, EVENTLOG_FILE);
	log->environment = xstrdup(environment != NULL ? environment : "");
	log->known_size = -1;
	sb_init(&log->observed);
	log->fd = open(log->path, O_RDWR | O_CREAT | O_APPEND | O_CLOEXEC, 0600);
	if (log->fd < 0) {
		err_set(e, EXIT_RUNTIME, "%s: cannot open: %s", log->path,
		    strerror(errno));
		eventlog_close(log);
		*out = NULL;
		return -1;
	}
	*out = log;
	return 0;
}

void
eventlog_close(struct eventlog *log)
{
	if (log == NULL)
		return;
	if (log->fd >= 0)
		close(log->fd);
	free(log->dir);
	free(log->path);
	free(log->environment);
	sb_free(&log->observed);
	free(log);
}

int64_t
eventlog_append(struct eventlog *log, const char *kind, const char *phase,
    cJSON *data, struct err *e, const char *fmt, ...)
{
	struct strbuf msg;
	int64_t seq;
	va_list ap;

	sb_init(&msg);
	va_start(ap, fmt);
	sb_vprintf(&msg, fmt, ap);
	va_end(ap);
	seq = append_event(log, kind, phase, data, msg.buf != NULL ? msg.buf : "",
	    e);
	sb_free(&msg);
	return seq;
}

static int
verify_line(const char *line, size_t len, int64_t lineno, int64_t *expect,
    char prev_hash[65], struct verify_result *r)
{
	char computed[65];
	const char *why;
	struct event ev;

	if (!event_line_hash_ok(line, len, computed)) {
		r->bad_seq = *expect;
		r->bad_line = lineno;
		if (event_parse(line, len, &ev, &why) == 0) {
			r->bad_seq = ev.seq;
			event_free(&ev);
		}
		snprintf(r->why, sizeof r->why,
		    "seq %lld: the line's hash does not match its content (modified)",
		    (long long)r->bad_seq);
		return 1;
	}
	if (event_parse(line, len, &ev, &why) != 0) {
		r->bad_seq = *expect;
		r->bad_line = lineno;
		snprintf(r->why, sizeof r->why, "seq %lld: %s", (long long)*expect,
		    why);
		return 1;
	}
	if (ev.seq != *expect) {
		r->bad_seq = *expect;
		r->bad_line = lineno;
		snprintf(r->why, sizeof r->why,
		    "seq %lld: found seq %lld in its place (a line was deleted, "
		    "inserted or reordered)", (long long)*expect, (long long)ev.seq);
		event_free(&ev);
		return 1;
	}
	if (strcmp(ev.prev, prev_hash) != 0) {
		r->bad_seq = ev.seq;
		r->bad_line = lineno;
		snprintf(r->why, sizeof r->why,
		    "seq %lld: \"prev\" is not the hash of seq %lld (the chain is broken)",
		    (long long)ev.seq, (long long)ev.seq - 1);
		event_free(&ev);
		return 1;
	}
	memcpy(prev_hash, ev.hash, 65);
	(*expect)++;
	event_free(&ev);
	return 0;
}

void
eventlog_last(const struct eventlog *log, int64_t *seq, char hash[65])
{
	*seq = log->last_seq;
	memcpy(hash, log->last_seq > 0 ? log->last_hash : ZERO_HASH, 65);
}

int
eventlog_verify(const char *path, struct verify_result *r, struct err *e)
{
	return eventlog_verify_anchored(path, 0, NULL, r, e);
}

int
eventlog_verify_anchored(const char *path, int64_t anchor_seq,
    const char *anchor_hash, struct verify_result *r, struct err *e)
{
	char prev[65] = ZERO_HASH, *line = NULL, at_anchor[65] = "";
	size_t cap = 0;
	ssize_t n;
	int64_t expect = 1, lineno = 0;
	FILE *f;
	int rc = 0;

	memset(r, 0, sizeof *r);
	f = fopen(path, "re");
	if (f == NULL)
		return err_set(e, errno == ENOENT ? EXIT_USAGE : EXIT_RUNTIME,
		    "%s: cannot open: %s", path, strerror(errno));
	while ((n = getline(&line, &cap, f)) > 0) {
		lineno++;
		if (line[n - 1] != '\n') {
			r->bad_seq = expect;
			r->bad_line = lineno;
			snprintf(r->why, sizeof r->why,
			    "seq %lld: the last line is incomplete (a torn write; the "
			    "next writer repairs it)", (long long)expect);
			rc = 1;
			break;
		}
		if (verify_line(line, (size_t)n - 1, lineno, &expect, prev, r) != 0) {
			rc = 1;
			break;
		}
		r->lines++;
		if (r->lines == anchor_seq)
			memcpy(at_anchor, prev, 65);
	}
	/* Lines deleted from the end leave a valid chain: state.json's
	 * anchor says how far the log went. */
	if (rc == 0 && anchor_seq > r->lines) {
		r->bad_seq = r->lines + 1;
		r->bad_line = lineno + 1;
		snprintf(r->why, sizeof r->why, "the log ends at seq %lld but "
		    "state.json recorded seq %lld: seqs %lld to %lld are missing "
		    "(the log was cut short)", (long long)r->lines,
		    (long long)anchor_seq, (long long)r->lines + 1,
		    (long long)anchor_seq);
		rc = 1;
	} else if (rc == 0 && anchor_seq > 0 && anchor_hash != NULL &&
	    strcmp(at_anchor, anchor_hash) != 0) {
		r->bad_seq = anchor_seq;
		r->bad_line = anchor_seq;
		snprintf(r->why, sizeof r->why, "seq %lld is not the event "
		    "state.json recorded (hash %.12s..., state.json has %.12s...): "
		    "the log was rewritten", (long long)anchor_seq, at_anchor,
		    anchor_hash);
		rc = 1;
	}
	if (ferror(f)) {
		rc = err_set(e, EXIT_RUNTIME, "%s: read error: %s", path,
		    strerror(errno));
	}
	free(line);
	fclose(f);
	return rc;
}

int
eventlog_reader_open(struct eventlog_reader *r, const char *path)
{
	memset(r, 0, sizeof *r);
	r->path = xstrdup(path);
	r->fd = open(path, O_RDONLY | O_CLOEXEC);
	return r->fd < 0 ? -1 : 0;
}

int
eventlog_reader_poll(struct eventlog_reader *r,
    void (*fn)(const char *line, size_t len, void *arg), void *arg)
{
	char buf[65536], *nl, *start;
	struct stat st;
	ssize_t n;
	int count = 0;

	if (r->fd < 0) {
		r->fd = open(r->path, O_RDONLY | O_CLOEXEC);
		if (r->fd < 0)
			return errno == ENOENT ? 0 : -1;
	}
	if (fstat(r->fd, &st) == 0 && st.st_size < r->offset +
	    (off_t)r->pending_len) {
		/* A torn tail was cut off: drop what we had of it. */
		r->pending_len = 0;
		if (st.st_size < r->offset)
			r->offset = st.st_size;
	}
	for (;;) {
		n = pread(r->fd, buf, sizeof buf, r->offset + (off_t)r->pending_len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -1;
		if (n == 0)
			break;
		r->pending = xrealloc(r->pending, r->pending_len + (size_t)n + 1);
		memcpy(r->pending + r->pending_len, buf, (size_t)n);
		r->pending_len += (size_t)n;
		start = r->pending;
		while ((nl = memchr(start, '\n',
		    r->pending_len - (size_t)(start - r->pending))) != NULL) {
			fn(start, (size_t)(nl - start), arg);
			count++;
			r->offset += nl - start + 1;
			start = nl + 1;
		}
		r->pending_len -= (size_t)(start - r->pending);
		memmove(r->pending, start, r->pending_len);
	}
	return count;
}

void
eventlog_reader_close(struct eventlog_reader *r)
{
	if (r->fd >= 0)
		close(r->fd);
	free(r->path);
	free(r->pending);
	memset(r, 0, sizeof *r);
	r->fd = -1;
}
