/* report.h - the run's report: phase timings, lag, the write pause
 * window, validation results, rollbacks and who confirmed what, as
 * Markdown with an SVG timeline of the phases over the lag curve. Built
 * from the event log, state.json and the lag samples the driver keeps. */
#ifndef CUTOVER_REPORT_H
#define CUTOVER_REPORT_H

#include "conf.h"
#include "util.h"

#define LAG_SAMPLES_FILE "lag.jsonl"

/* Writes the Markdown to md_path and the SVG to svg_path. */
int report_write(const char *state_dir, const struct config *cfg,
    const char *md_path, const char *svg_path, struct err *e);

/* The driver appends one lag sample a second while it runs. */
int lag_sample_append(const char *state_dir, int64_t t_ms, double e2e,
    double provider, struct err *e);

#endif
