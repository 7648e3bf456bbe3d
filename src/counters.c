/* counters.c - process-wide labelled counters; see counters.h. */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "counters.h"
#include "util.h"

static struct counter counters[COUNTERS_MAX];
static size_t ncounters;

void
counter_inc(const char *family, const char *a, const char *b)
{
	size_t i;

	for (i = 0; i < ncounters; i++)
		if (strcmp(counters[i].family, family) == 0 &&
		    strcmp(counters[i].a, a) == 0 && strcmp(counters[i].b, b) == 0) {
			counters[i].n++;
			return;
		}
	if (ncounters == COUNTERS_MAX)
		return;
	counters[ncounters].family = family;
	counters[ncounters].a = xstrdup(a);
	counters[ncounters].b = xstrdup(b);
	counters[ncounters].n = 1;
	ncounters++;
}

size_t
counters_count(void)
{
	return ncounters;
}

const struct counter *
counter_at(size_t i)
{
	return i < ncounters ? &counters[i] : NULL;
}

void
counters_reset(void)
{
	size_t i;

	for (i = 0; i < ncounters; i++) {
		free(counters[i].a);
		free(counters[i].b);
	}
	ncounters = 0;
}
