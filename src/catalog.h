/* catalog.h - the user tables (with their keys, columns and partitions)
 * and sequences of one side, read from its catalog in one round trip.
 * A partitioned table is one logical table: it is listed once, at its
 * root, and its partitions (at every level) are listed apart, each
 * pointing at that root. */
#ifndef CUTOVER_CATALOG_H
#define CUTOVER_CATALOG_H

#include <stdbool.h>
#include <stdint.h>

#include "conf.h"
#include "pg.h"

struct table_info {
	char *schema;
	char *name;
	int64_t est_rows;          /* see CATALOG_ESTIMATE_SQL; a partitioned
	                              table's is the sum of its leaves'; -1
	                              unknown */
	char replident;            /* relreplident: d, n, f or i */
	char relkind;              /* 'r' plain, 'p' partitioned */
	bool unlogged;             /* relpersistence 'u': not in the WAL */
	char **pk_cols;            /* primary key columns in key order */
	char **pk_types;           /* their format_type() */
	bool *pk_collatable;       /* text-like: ordered COLLATE "C" */
	int npk;                   /* 0: no primary key */
	char **cols;               /* every column, in attnum order */
	int ncols;
	bool int_key;              /* a single integer key column */
	size_t nleaves;            /* partitioned: its leaf partitions */
};

/* A partition (a leaf, or a partitioned table inside another). */
struct part_info {
	char *schema;
	char *name;
	char *root_schema;         /* the top-level partitioned table */
	char *root_name;
	bool leaf;                 /* holds rows (relkind 'r') */
	bool unlogged;
	int64_t est_rows;
};

struct sequence_info {
	char *schema;
	char *name;
	int64_t last_value;        /* the next nextval() returns more (or less) */
	bool used;                 /* last_value is not NULL (and readable) */
	bool readable;             /* this role may read it (SELECT or USAGE):
	                              when false, last_value is unknown, not
	                              "never used" */
	int64_t increment;
	int64_t start_value;
};

struct catalog {
	struct table_info *tables; /* plain tables and partitioned roots */
	size_t ntables;
	struct part_info *parts;   /* every partition, sorted by name */
	size_t nparts;
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

/* The SQL that lists user tables and their partitions (never the cutover
 * schema, pg_catalog, information_schema or temporary tables). Columns:
 * schema, name, est_rows, replident, pk (json [[col, type, collatable]]),
 * cols (json), relkind, relpersistence, root schema, root name (NULL
 * unless a partition). */
extern const char CATALOG_TABLES_SQL[];
/* Columns: schema, name, last_value (NULL when never used or not
 * readable), increment_by, start_value, readable. */
extern const char CATALOG_SEQUENCES_SQL[];
/* Tables of a publication (leaves, or roots when it publishes via the
 * root): $1 = publication. Columns: schema, name. No row when the
 * publication does not exist, one row of NULLs when it is empty. */
extern const char CATALOG_PUBLICATION_SQL[];

/* Fills cat from the results of the two queries. */
int catalog_load_tables(struct catalog *cat, const PGresult *res,
    struct err *e);
int catalog_load_sequences(struct catalog *cat, const PGresult *res,
    struct err *e);
void catalog_free(struct catalog *cat);

struct table_info *catalog_find(const struct catalog *cat,
    const char *schema, const char *name);
struct part_info *catalog_find_part(const struct catalog *cat,
    const char *schema, const char *name);
/* The table a relation belongs to: itself, or a partition's root. NULL
 * when the catalog does not know it. */
struct table_info *catalog_owner(const struct catalog *cat,
    const char *schema, const char *name);
struct sequence_info *catalog_find_sequence(const struct catalog *cat,
    const char *schema, const char *name);

/* "schema.name" for messages (not quoted; not for SQL). */
char *table_display(const char *schema, const char *name);

#endif
