/* report-int.h - what the report's own files share and nobody else needs. */
#ifndef CUTOVER_REPORT_INT_H
#define CUTOVER_REPORT_INT_H

#include "report.h"

/* report-lab.c: in a lab (lab.json beside the state directory), the loads
 * that ran during the run and what their clients saw of each pause. */
void report_lab_loads(struct report *r, const char *state_dir);

/* report.c */
void report_run_summary_free(struct report_run_summary *s);
/* Adds s to the trend unless its run is there already (s is consumed). */
void report_add_run(struct report *r, struct report_run_summary *s);

#endif
