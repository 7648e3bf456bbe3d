/* ring.h - the index arithmetic of a fixed-size ring of the latest
 * entries (the lag series, the console's event tail, the feed's tail):
 * the caller owns the array and its start and count. */
#ifndef CUTOVER_RING_H
#define CUTOVER_RING_H

#include <stdbool.h>
#include <stddef.h>

/* The slot for a new entry. When the ring is full it is the oldest
 * entry's, which the caller releases first if *evicted (may be NULL). */
static inline size_t
ring_push(size_t *start, size_t *n, size_t cap, bool *evicted)
{
	size_t i;

	if (*n < cap) {
		i = (*start + (*n)++) % cap;
		if (evicted != NULL)
			*evicted = false;
	} else {
		i = *start;
		*start = (*start + 1) % cap;
		if (evicted != NULL)
			*evicted = true;
	}
	return i;
}

/* The slot of the i-th oldest entry (i < n). */
static inline size_t
ring_at(size_t start, size_t i, size_t cap)
{
	return (start + i) % cap;
}

#endif
