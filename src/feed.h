/* feed.h - the read-only watch feed: the driving console serves its
 * snapshots and events over TLS to `cutover watch --connect`.
 *
 * The protocol, all of it:
 *   watcher -> driver, once, right after the TLS handshake:
 *       CUTOVER-WATCH 1 <token>\n          (at most 1024 bytes)
 *   driver -> watcher, one JSON object a line:
 *       {"type":"hello","version":1,...}   the token was right
 *       {"type":"snapshot","snapshot":{...}}  see snapshot.h
 *       {"type":"event","line":"..."}      one line of events.jsonl, as is
 *       {"type":"tick","ms":...}           every few seconds, for liveness
 *       {"type":"refused","reason":"..."}  then the driver closes
 * The driver reads the authentication line and nothing else: a watcher
 * that sends anything more is dropped. There is no message that asks the
 * driver to do anything. The token is compared in constant time (SHA-256
 * of both, CRYPTO_memcmp). Every watcher has a bounded queue: one that
 * stops reading is dropped, never waited for. Joins, departures and
 * refusals are logged (watch.joined, watch.left, watch.refused). */
#ifndef CUTOVER_FEED_H
#define CUTOVER_FEED_H

#include <stdbool.h>
#include <stddef.h>

#include <cjson/cJSON.h>

#include "conf.h"
#include "eventlog.h"
#include "loop.h"
#include "util.h"

#define FEED_PROTOCOL "CUTOVER-WATCH 1"
#define FEED_AUTH_MAX 1024
#define FEED_TAIL 200                /* events sent to a new watcher */
#define FEED_STALL_MS 10000          /* a watcher reading nothing this long goes */

struct feed_server;

/* Listens on cfg->watch_listen with cfg's certificate, key and token.
 * log (borrowed) receives watch.* events. changed (may be NULL) runs when
 * the number of watchers changes. */
struct feed_server *feed_server_new(struct loop *loop,
    const struct config *cfg, struct eventlog *log,
    void (*changed)(void *arg), void *arg, struct err *e);
void feed_server_free(struct feed_server *f);
/* The address it listens on ("127.0.0.1:7433"). */
const char *feed_server_address(const struct feed_server *f);
/* Sends a snapshot to every watcher; a full one (with tables) is also
 * kept for those who join later. */
void feed_server_snapshot(struct feed_server *f, const char *json,
    size_t len, bool full);
/* Sends one line of the event log to every watcher. */
void feed_server_event(struct feed_server *f, const char *line, size_t len);
int feed_server_watchers(const struct feed_server *f);

/* The watcher's side: connects, authenticates, reads messages, and
 * reconnects by itself (with backoff) when the connection is lost. */
struct feed_client;
typedef void (*feed_msg_fn)(const char *type, const cJSON *msg, void *arg);
typedef void (*feed_status_fn)(bool connected, const char *text, void *arg);

/* hostport "HOST:PORT" ([v6]:port too); token_file is read at every
 * connection; ca_file NULL: the system's trust store. */
struct feed_client *feed_client_new(struct loop *loop, const char *hostport,
    const char *token_file, const char *ca_file, feed_msg_fn msg,
    feed_status_fn status, void *arg, struct err *e);
void feed_client_free(struct feed_client *c);

/* Line framing, both ways: the next whole line of buf[*off, len),
 * without its newline or a \r before that; *off moves past it. NULL
 * when what is left is not a whole line. */
const char *feed_line_next(const char *buf, size_t len, size_t *off,
    size_t *linelen);

/* Reads a token file: trimmed, non-empty, at most 512 bytes. */
int feed_read_token(const char *path, char *out, size_t len, struct err *e);

#endif
