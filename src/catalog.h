/* catalog.h - what is replicated: tables (with their keys and columns)
 * and sequences, read from the source's catalog in one round trip. */
#ifndef CUTOVER_CATALOG_H
#define CUTOVER_CATALOG_H

#include <stdbool.h>
#include <stdint.h>

#include "conf.h"
#include "pg.h"

struct table_info {
	char *schema;
	char *name;
	int64_t est_rows;          /* n_live_tup, else reltuples; -1 unknown */
	char replident;            /* relreplident: d, n, f or i */
	char **pk_cols;            /* primary key columns in key order */
	char **pk_types;           /* their format_type() */
	int npk;                   /* 0: no primary key */
	char **cols;               /* every column, in attnum order */
	int ncols;
	bool int_key;              /* a single integer key column */
};

struct sequence_info {
	char *schema;
	char *name;
	int64_t last_value;        /* the next nextval() returns more (or less) */
	bool used;                 /* last_value is not NULL */
	int64_t increment;
	int64_t start_value;
};

struct catalog {
	struct table_info *tables;
	size_t ntables;
	struct sequence_info *seqs;
	size_t nseqs;
};

/* A table's row estimate the way the planner makes it: reltuples per
 * page (from the last ANALYZE or VACUUM) times the pages it has now, so it
 * follows growth; the statistics' live count before the first ANALYZE.
 * Expects pg_class c and pg_stat_user_tables s. */
#define CATALOG_ESTIMATE_SQL \
    "(CASE WHEN c.reltuples >= 0 AND c.relpages > 0 THEN" \
    " c.reltuples / c.relpages * (pg_relation_size(c.oid) /" \
    " current_setting('block_size')::int) WHEN c.reltuples >= 0 AND" \
    " s.n_live_tup IS NULL THEN c.reltuples ELSE coalesce(s.n_live_tup, 0)" \
    " END)::bigint"

/* The SQL that lists user tables (never the cutover schema, pg_catalog,
 * information_schema or partitions: a partitioned table is read through
 * its root). Columns: schema, name, est_rows, replident, pk_cols (json),
 * pk_types (json), cols (json). */
extern const char CATALOG_TABLES_SQL[];
/* Columns: schema, name, last_value, increment_by, start_value. */
extern const char CATALOG_SEQUENCES_SQL[];
/* Tables of a publication: $1 = publication. Columns: schema, name. */
extern const char CATALOG_PUBLICATION_SQL[];

/* Fills cat from the results of the two queries. */
int catalog_load_tables(struct catalog *cat, const PGresult *res,
    struct err *e);
int catalog_load_sequences(struct catalog *cat, const PGresult *res,
    struct err *e);
/* Keeps only the tables for which keep is true (keep has ntables flags). */
void catalog_filter(struct catalog *cat, const bool *keep);
/* Drops tables matching [validation] exclude_tables and, when only is
 * non-empty, every table not named in it ("schema.table"). */
void catalog_select(struct catalog *cat, const struct config *cfg,
    char *const *only, size_t nonly);
void catalog_free(struct catalog *cat);

struct table_info *catalog_find(const struct catalog *cat,
    const char *schema, const char *name);
struct sequence_info *catalog_find_sequence(const struct catalog *cat,
    const char *schema, const char *name);

/* "schema.name" for messages (not quoted; not for SQL). */
char *table_display(const char *schema, const char *name);

#endif
