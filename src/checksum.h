/* checksum.h - in-database checksums of tables on both sides at once.
 *
 * Each table is first compared whole: count(*) and the sum of a 64-bit
 * hash of every row's text, computed inside the database, on both sides
 * concurrently. A table that matches costs one scan per side. A table that
 * differs is bisected by primary-key ranges (the median key found with an
 * index scan) down to small chunks whose rows' keys and hashes are
 * fetched and compared, naming the keys that differ. */
#ifndef CUTOVER_CHECKSUM_H
#define CUTOVER_CHECKSUM_H

#include <stdbool.h>
#include <stdint.h>

#include <cjson/cJSON.h>

#include "catalog.h"
#include "loop.h"
#include "pg.h"
#include "validate.h"

#define CKSUM_MAX_KEYS 100      /* keys reported per table */
#define CKSUM_LEAF_ROWS 512     /* a chunk this small is compared row by row */

struct cksum_result {
	const struct table_info *table;
	char *display;             /* schema.name */
	int64_t rows_src, rows_dst;
	int chunks;                /* ranges compared */
	int mismatched_chunks;     /* smallest ranges that differed */
	cJSON *mismatched_keys;    /* [{"key": {...}, "diff": "..."}] */
	bool truncated;            /* more than CKSUM_MAX_KEYS differed */
	enum check_status status;
	char *detail;
	double seconds;
};

struct cksum;
typedef void (*cksum_table_fn)(const struct cksum_result *r, void *arg);
typedef void (*cksum_done_fn)(void *arg);

/* Compares tables (the source catalog's entries; their columns must exist
 * on the target) using njobs connection pairs src[i]/dst[i]. With
 * sample_percent < 100 only that share of each table is compared: key
 * ranges of integer keys, a hash sample of other keys. With settle, rows
 * that differ are compared again after short delays (replication in
 * flight) and only those that still differ are reported. table_fn runs as
 * each table finishes, done_fn once all have. */
struct cksum *cksum_start(struct loop *loop, struct pg **src, struct pg **dst,
    int njobs, const struct table_info *tables, size_t ntables,
    double sample_percent, bool settle, cksum_table_fn table_fn,
    cksum_done_fn done_fn, void *arg);
/* Results, in the order of tables (complete after done_fn). */
size_t cksum_count(const struct cksum *c);
const struct cksum_result *cksum_result_at(const struct cksum *c, size_t i);
/* Abandons a run or frees a finished one. */
void cksum_free(struct cksum *c);

#endif
