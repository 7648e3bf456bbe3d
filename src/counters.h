/* counters.h - process-wide counters with two labels, for /metrics: the
 * AWS calls made, by API and outcome. Sources count; the metrics page
 * reads. Few distinct label pairs are expected (linear search). */
#ifndef CUTOVER_COUNTERS_H
#define CUTOVER_COUNTERS_H

#include <stddef.h>
#include <stdint.h>

#define COUNTERS_MAX 256           /* distinct (family, a, b); more are dropped */

struct counter {
	const char *family;        /* a string literal: "aws_calls" */
	char *a, *b;               /* the labels' values */
	uint64_t n;
};

void counter_inc(const char *family, const char *a, const char *b);
size_t counters_count(void);
const struct counter *counter_at(size_t i);
void counters_reset(void);

#endif
