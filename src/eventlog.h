/* eventlog.h - events.jsonl: the append-only, hash-chained event log.
 *
 * Each line is one JSON object with the members seq, ts, kind, phase,
 * actor, environment, msg, data, prev and, last, hash: the lower-case hex
 * SHA-256 of the line's bytes without the final ,"hash":"..." member. A
 * line is written and fsync'd before the action it announces is taken. */
#ifndef CUTOVER_EVENTLOG_H
#define CUTOVER_EVENTLOG_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include <cjson/cJSON.h>

#include "util.h"

#define EVENTLOG_FILE "events.jsonl"
#define EVENT_MAX_LINE (1 << 20)

struct eventlog;

/* Opens <dir>/events.jsonl for appending (creating it 0600). A torn last
 * line left by a crash is kept as evidence in a side file, cut off, and a
 * log.repaired event is appended. */
int eventlog_open(struct eventlog **out, const char *dir,
    const char *environment, struct err *e);
void eventlog_close(struct eventlog *log);

/* Appends one event and fsyncs it. phase may be NULL; data (may be NULL)
 * is consumed. Returns the new seq, or -1 with e set. Safe against other
 * processes appending to the same file (flock). */
int64_t eventlog_append(struct eventlog *log, const char *kind,
    const char *phase, cJSON *data, struct err *e, const char *fmt, ...)
    PRINTF_LIKE(6, 7);

/* One parsed line. */
struct event {
	int64_t seq;
	char ts[40];
	char *kind;
	char *phase;          /* NULL for null */
	char *actor;
	char *environment;
	char *msg;
	cJSON *data;
	char prev[65];
	char hash[65];
};

/* Observes this process's appends: fn runs once for every line it wrote
 * (without the newline), after the line is on disk and the file's lock
 * released (log.repaired lines too). fn must not append to the log from
 * inside the call: it queues its work for the loop. NULL stops it. */
typedef void (*eventlog_observer_fn)(const char *line, size_t len, void *arg);
void eventlog_observe(struct eventlog *log, eventlog_observer_fn fn,
    void *arg);

/* Parses one line (without its newline). Returns 0, or -1 with why set. */
int event_parse(const char *line, size_t len, struct event *ev,
    const char **why);
void event_free(struct event *ev);

/* Checks a line's own hash: 1 good, 0 bad. */
int event_line_hash_ok(const char *line, size_t len, char computed[65]);

/* The result of checking the whole chain. */
struct verify_result {
	int64_t lines;        /* good lines read */
	int64_t bad_seq;      /* first bad seq (0 if none) */
	int64_t bad_line;     /* its line number */
	char why[256];
};
/* Returns 0 when the chain is intact, 1 when broken (r says where), -1 when
 * the file cannot be read (e set). */
int eventlog_verify(const char *path, struct verify_result *r, struct err *e);
/* The same, and the log must hold seq anchor_seq with hash anchor_hash
 * (what state.json recorded last): a log cut short or rewritten after it
 * is broken too. anchor_seq 0: no anchor. */
int eventlog_verify_anchored(const char *path, int64_t anchor_seq,
    const char *anchor_hash, struct verify_result *r, struct err *e);
/* The seq and hash of the last event this log appended or saw (0 and
 * 64 zeros before any). */
void eventlog_last(const struct eventlog *log, int64_t *seq, char hash[65]);

/* Incremental reader of complete lines, for `log --follow` and watchers. */
struct eventlog_reader {
	int fd;
	off_t offset;         /* bytes consumed: always at a line start */
	char *path;
	char *pending;        /* a partial line not yet terminated */
	size_t pending_len;
};
int eventlog_reader_open(struct eventlog_reader *r, const char *path);
/* Calls fn for every new complete line; returns lines read or -1. */
int eventlog_reader_poll(struct eventlog_reader *r,
    void (*fn)(const char *line, size_t len, void *arg), void *arg);
void eventlog_reader_close(struct eventlog_reader *r);

/* SHA-256 as lower-case hex (out >= 65 bytes). */
void sha256_hex(const void *data, size_t len, char out[65]);

#endif
