/* tablepat.h - SCHEMA.TABLE patterns, as `--table` and [validation]
 * exclude_tables take them. The syntax is psql's:
 *
 *   public.accounts        unquoted names are folded to lower case
 *   public.audit_*         * matches any run of characters, ? one
 *   "Sales"."Orders 2024"  double quotes keep case, spaces, dots and
 *                          * and ? as they are; "" inside is one "
 *   *.events               every schema
 *
 * The first unquoted dot separates the schema from the table; a pattern
 * without one is an error. */
#ifndef CUTOVER_TABLEPAT_H
#define CUTOVER_TABLEPAT_H

#include <stdbool.h>
#include <stddef.h>

/* One side of the dot: bytes, each literal or a wildcard. */
struct pat_part {
	char *text;                /* the bytes to match */
	unsigned char *wild;       /* per byte: 0 literal, '*' or '?' */
	size_t len;
};

struct table_pattern {
	char *source;              /* as written, for messages */
	struct pat_part schema, table;
};

/* Parses text. Returns 0, or -1 with why filled ("unterminated quote",
 * "expected SCHEMA.TABLE", ...). */
int table_pattern_parse(struct table_pattern *p, const char *text, char *why,
    size_t whylen);
bool table_pattern_match(const struct table_pattern *p, const char *schema,
    const char *name);
void table_pattern_free(struct table_pattern *p);

/* Splits a comma-separated list whose items may hold quoted commas.
 * Items are trimmed; empty ones dropped. Returns the count; *out (the
 * caller's, NULL-terminated) holds the items. -1 with why filled on an
 * unterminated quote. */
int table_pattern_split(const char *list, char ***out, char *why,
    size_t whylen);

/* A set of patterns compiled once (exclude_tables over 10,000 tables). */
struct table_patterns {
	struct table_pattern *v;
	size_t n;
};
/* Compiles items (already validated by the config parser; one that does
 * not parse is skipped). */
void table_patterns_compile(struct table_patterns *ps, char *const *items,
    size_t n);
/* The first pattern matching schema.name, or NULL. */
const struct table_pattern *table_patterns_match(const struct table_patterns *ps,
    const char *schema, const char *name);
void table_patterns_free(struct table_patterns *ps);

/* "schema.name" with each part quoted the way a pattern (or SQL) needs it:
 * public.accounts, "Sales"."Orders". The caller's. */
char *table_pattern_quote(const char *schema, const char *name);

#endif
