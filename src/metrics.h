/* metrics.h - /metrics: the console's picture in the OpenMetrics text
 * format, for Prometheus and Grafana.
 *
 * metrics_render() is the one place that turns the model (struct model:
 * the run's state, the figures, the last validation, the tail of the
 * events), which it only reads, into the exposition; the driver (console, run)
 * and watch serve it through httpserv.h. It holds no credentials: names
 * of tables, phases and slots, numbers, and the environment's name.
 * Bounded: at most METRICS_TABLES tables (cutover_tables says how many
 * there are) and METRICS_MAX_BYTES in all. */
#ifndef CUTOVER_METRICS_H
#define CUTOVER_METRICS_H

#include "httpserv.h"
#include "model.h"
#include "util.h"

#define METRICS_TABLES 2000
#define METRICS_MAX_BYTES (4 << 20)
#define METRICS_CONTENT_TYPE \
	"application/openmetrics-text; version=1.0.0; charset=utf-8"

/* Appends the exposition of v (ending in "# EOF\n") to out. */
void metrics_render(const struct model *v, struct strbuf *out);

/* Serves metrics_render(v) at /metrics on listen ([metrics] listen).
 * fill (may be NULL) brings v up to date before each page. */
struct metrics_server;
struct metrics_server *metrics_server_new(struct loop *loop,
    const char *listen, struct model *v, void (*fill)(struct model *v,
    void *arg), void *arg, struct err *e);
void metrics_server_free(struct metrics_server *m);
const char *metrics_server_address(const struct metrics_server *m);

#endif
