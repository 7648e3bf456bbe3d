/* httpserv.h - a small HTTP/1.1 server on the loop, for GET requests of
 * generated pages (/metrics): no thread, bounded everything. A request is
 * at most HTTPSERV_REQUEST_MAX bytes of head and must arrive within
 * HTTPSERV_TIMEOUT_MS; at most HTTPSERV_CLIENTS are served at once (more
 * are closed on accept); every answer closes the connection. It reads no
 * body, runs nothing, and answers only GET and HEAD. */
#ifndef CUTOVER_HTTPSERV_H
#define CUTOVER_HTTPSERV_H

#include "loop.h"
#include "util.h"

#define HTTPSERV_REQUEST_MAX 8192
#define HTTPSERV_TIMEOUT_MS 10000
#define HTTPSERV_CLIENTS 16

struct httpserv;

/* Fills body for path (the query string cut off) and returns the status:
 * 200, or 404 for an unknown path. content_type is set with a 200. */
typedef int (*httpserv_page_fn)(const char *path, struct strbuf *body,
    const char **content_type, void *arg);

/* listen: "HOST:PORT", "[V6]:PORT" or ":PORT" (= 127.0.0.1:PORT). */
struct httpserv *httpserv_new(struct loop *loop, const char *listen,
    httpserv_page_fn page, void *arg, struct err *e);
void httpserv_free(struct httpserv *s);
/* The address it listens on, "127.0.0.1:9187". */
const char *httpserv_address(const struct httpserv *s);

#endif
