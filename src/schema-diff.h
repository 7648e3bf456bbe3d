/* schema-diff.h - the `schema` check: the catalogs of both sides compared
 * object by object, every difference that would hurt after the switch
 * named with a status by a fixed rule (cutover(1), SCHEMA RULES), and the
 * things replication does not carry (large objects, unlogged tables,
 * materialized view contents) listed with their size.
 *
 * One query per side (SCHEMA_SNAPSHOT_SQL) returns every object as a row;
 * schema_snapshot_load() indexes them; schema_diff() merges the two sides.
 * Plain typed data: the JSON is written by validate.c. */
#ifndef CUTOVER_SCHEMA_DIFF_H
#define CUTOVER_SCHEMA_DIFF_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <libpq-fe.h>

#include "check.h"

enum schema_kind {
	SK_SCHEMA, SK_TABLE, SK_COLUMN, SK_PRIMARY_KEY, SK_UNIQUE, SK_CHECK,
	SK_FOREIGN_KEY, SK_EXCLUSION, SK_INDEX, SK_TRIGGER, SK_ENUM, SK_DOMAIN,
	SK_VIEW, SK_MATVIEW, SK_SEQUENCE, SK_FUNCTION, SK_EXTENSION, SK_ROLE,
	SK_GRANT, SK_LARGE_OBJECTS, SK_DATABASE, SK_COUNT
};

/* The attributes a row carries (a1..a6 of the query) per kind:
 *   table       relkind, persistence, bytes (unlogged only)
 *   column      type, not null, default, generated, collation, identity
 *   constraints definition, validated
 *   index       definition (without its name), valid, name
 *   trigger     definition, enabled (O, D, R, A)
 *   enum        labels (JSON array, in order)
 *   domain      base type, not null, default, constraints (JSON)
 *   view        definition
 *   matview     definition, populated, bytes
 *   sequence    type, increment, owned by
 *   function    kind (f, p, a, w), result, language, md5 of the body,
 *               volatility and security
 *   extension   version
 *   grant       privileges (comma-separated, fixed order)
 *   large_objects  count, bytes
 *   database    encoding, collate, ctype */
#define SCHEMA_NATTR 6

struct schema_obj {
	enum schema_kind kind;
	const char *key;           /* unique within the kind: quoted name */
	const char *match;         /* what pairs it with the other side
	                              (constraints, indexes: the definition) */
	const char *tschema;       /* the table it belongs to, or NULL */
	const char *tname;
	const char *a[SCHEMA_NATTR];
};

struct schema_snapshot {
	struct schema_obj *objs;   /* sorted by kind, then key (bytes) */
	size_t nobjs;
	size_t first[SK_COUNT + 1];/* objs[first[k]..first[k+1]) are kind k */
	PGresult *res;             /* the strings live here */
};

/* $1: the application roles ([drain] roles), comma-separated.
 * Columns: kind, key, match, tschema, tname, a1..a6. Works on
 * PostgreSQL 12 and later (Aurora PostgreSQL included). */
extern const char SCHEMA_SNAPSHOT_SQL[];

/* Takes res (freed by schema_snapshot_free). -1 when a row's kind is
 * unknown (another version of this program's query?). */
int schema_snapshot_load(struct schema_snapshot *s, PGresult *res);
/* Builds a snapshot from objects (tests); they are copied, not their
 * strings, which must outlive it. */
void schema_snapshot_from(struct schema_snapshot *s,
    const struct schema_obj *objs, size_t n);
void schema_snapshot_free(struct schema_snapshot *s);

enum schema_problem {
	SP_MISSING,                /* on the source, not on the target */
	SP_EXTRA,                  /* on the target only */
	SP_DIFFERS,                /* an attribute differs */
	SP_INVALID,                /* index not valid on the target */
	SP_DISABLED,               /* trigger disabled on the target */
	SP_UNPOPULATED,            /* matview without data on the target */
	SP_PRIVILEGES,             /* a role lacks privileges on the target */
};

struct schema_item {
	enum schema_kind kind;
	enum schema_problem problem;
	char *object;              /* "public.accounts.balance" */
	char *table;               /* its table, or NULL */
	const char *attribute;     /* SP_DIFFERS: "type", "default", ... */
	char *source, *target;     /* the values, NULL when absent */
	enum check_status status;
	char *detail;              /* one sentence */
};

/* Something neither logical replication nor DMS copies. */
struct schema_uncarried {
	const char *what;          /* "large_objects", "unlogged_table",
	                              "materialized_view" */
	char *object;
	int64_t count;             /* large objects; -1 otherwise */
	int64_t bytes;             /* -1 unknown */
	enum check_status status;
	char *detail;
};

/* Which objects the diff looks at. */
enum schema_scope { SCOPE_IN, SCOPE_EXCLUDED, SCOPE_OUT };
/* Decides for a table (tschema, tname); global objects (no table) get
 * NULL, NULL. */
typedef enum schema_scope (*schema_scope_fn)(const char *tschema,
    const char *tname, void *arg);

struct schema_result {
	struct schema_item *items;
	size_t nitems;
	struct schema_uncarried *uncarried;
	size_t nuncarried;
	size_t compared;           /* source objects compared */
	size_t excluded;           /* source objects of excluded tables */
	size_t fails, warns;
	enum check_status status;
};

void schema_diff(const struct schema_snapshot *src,
    const struct schema_snapshot *dst, schema_scope_fn scope, void *arg,
    struct schema_result *out);
void schema_result_free(struct schema_result *r);

const char *schema_kind_name(enum schema_kind k);
const char *schema_problem_name(enum schema_problem p);

#endif
