/* catalog.c - replicated tables and sequences from the source's catalog. */
#include "config.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "catalog.h"

const char CATALOG_TABLES_SQL[] =
    "SELECT n.nspname, c.relname, " CATALOG_ESTIMATE_SQL ","
    "  c.relreplident::text,"
    "  (SELECT json_agg(json_build_array(a.attname,"
    "      format_type(a.atttypid, a.atttypmod), a.attcollation <> 0)"
    "      ORDER BY k.ord)"
    "     FROM unnest(i.indkey::int2[]) WITH ORDINALITY AS k(attnum, ord)"
    "     JOIN pg_attribute a ON a.attrelid = c.oid AND a.attnum = k.attnum),"
    "  (SELECT json_agg(a.attname ORDER BY a.attnum) FROM pg_attribute a"
    "     WHERE a.attrelid = c.oid AND a.attnum > 0 AND NOT a.attisdropped),"
    "  c.relkind::text, c.relpersistence::text,"
    "  CASE WHEN c.relispartition THEN (SELECT rn.nspname FROM pg_class rc"
    "    JOIN pg_namespace rn ON rn.oid = rc.relnamespace"
    "    WHERE rc.oid = pg_partition_root(c.oid)) END,"
    "  CASE WHEN c.relispartition THEN (SELECT rc.relname FROM pg_class rc"
    "    WHERE rc.oid = pg_partition_root(c.oid)) END"
    " FROM pg_class c"
    " JOIN pg_namespace n ON n.oid = c.relnamespace"
    " LEFT JOIN pg_index i ON i.indrelid = c.oid AND i.indisprimary"
    " LEFT JOIN pg_stat_user_tables s ON s.relid = c.oid"
    " WHERE c.relkind IN ('r', 'p') AND c.relpersistence <> 't'"
    "   AND n.nspname NOT IN ('pg_catalog', 'information_schema', 'cutover')"
    "   AND n.nspname !~ '^pg_(toast|temp_)'"
    " ORDER BY 1, 2";

/* pg_sequences hides why last_value is NULL (never used, or not ours to
 * read): ask both. */
const char CATALOG_SEQUENCES_SQL[] =
    "SELECT n.nspname, c.relname,"
    "  CASE WHEN has_sequence_privilege(c.oid, 'SELECT,USAGE')"
    "    THEN pg_sequence_last_value(c.oid) END,"
    "  s.seqincrement, s.seqstart,"
    "  has_sequence_privilege(c.oid, 'SELECT,USAGE')"
    " FROM pg_sequence s"
    " JOIN pg_class c ON c.oid = s.seqrelid"
    " JOIN pg_namespace n ON n.oid = c.relnamespace"
    " WHERE n.nspname NOT IN ('pg_catalog', 'information_schema', 'cutover')"
    "   AND n.nspname !~ '^pg_(toast|temp_)'"
    " ORDER BY 1, 2";

/* No row: the publication does not exist; one row of NULLs: it is empty. */
const char CATALOG_PUBLICATION_SQL[] =
    "SELECT t.schemaname, t.tablename FROM pg_publication p"
    " LEFT JOIN pg_publication_tables t ON t.pubname = p.pubname"
    " WHERE p.pubname = $1 ORDER BY 1, 2";

static int
json_strings(const char *text, char ***out, int *n)
{
	const cJSON *it;
	cJSON *arr;
	int i = 0;

	*out = NULL;
	*n = 0;
	if (text == NULL)
		return 0;
	arr = cJSON_Parse(text);
	if (arr == NULL || !cJSON_IsArray(arr)) {
		cJSON_Delete(arr);
		return -1;
	}
	*out = xcalloc((size_t)cJSON_GetArraySize(arr) + 1, sizeof **out);
	cJSON_ArrayForEach(it, arr) {
		if (!cJSON_IsString(it)) {
			cJSON_Delete(arr);
			return -1;
		}
		(*out)[i++] = xstrdup(it->valuestring);
	}
	*n = i;
	cJSON_Delete(arr);
	return 0;
}

/* The key's [[name, type, collatable], ...]. */
static int
json_key(const char *text, struct table_info *t)
{
	const cJSON *it;
	cJSON *arr;
	size_t n;
	int i = 0;

	if (text == NULL)
		return 0;
	arr = cJSON_Parse(text);
	if (arr == NULL || !cJSON_IsArray(arr)) {
		cJSON_Delete(arr);
		return -1;
	}
	n = (size_t)cJSON_GetArraySize(arr);
	t->pk_cols = xcalloc(n + 1, sizeof *t->pk_cols);
	t->pk_types = xcalloc(n + 1, sizeof *t->pk_types);
	t->pk_collatable = xcalloc(n + 1, sizeof *t->pk_collatable);
	cJSON_ArrayForEach(it, arr) {
		const cJSON *name = cJSON_GetArrayItem(it, 0);
		const cJSON *type = cJSON_GetArrayItem(it, 1);
		const cJSON *coll = cJSON_GetArrayItem(it, 2);

		if (!cJSON_IsString(name) || !cJSON_IsString(type) ||
		    !cJSON_IsBool(coll)) {
			cJSON_Delete(arr);
			return -1;
		}
		t->pk_cols[i] = xstrdup(name->valuestring);
		t->pk_types[i] = xstrdup(type->valuestring);
		t->pk_collatable[i] = cJSON_IsTrue(coll);
		t->npk = ++i;
	}
	cJSON_Delete(arr);
	return 0;
}

static bool
is_integer_type(const char *t)
{
	return strcmp(t, "bigint") == 0 || strcmp(t, "integer") == 0 ||
	    strcmp(t, "smallint") == 0;
}

/* Tables and sequences are kept sorted by (schema, name), byte-wise, so
 * lookups are binary searches: catalogs of 10,000 tables are compared
 * side against side. */
static int
cmp_names(const char *as, const char *an, const char *bs, const char *bn)
{
	int c = strcmp(as, bs);

	return c != 0 ? c : strcmp(an, bn);
}

static int
cmp_tables(const void *a, const void *b)
{
	const struct table_info *x = a, *y = b;

	return cmp_names(x->schema, x->name, y->schema, y->name);
}

static int
cmp_seqs(const void *a, const void *b)
{
	const struct sequence_info *x = a, *y = b;

	return cmp_names(x->schema, x->name, y->schema, y->name);
}

static int
cmp_parts(const void *a, const void *b)
{
	const struct part_info *x = a, *y = b;

	return cmp_names(x->schema, x->name, y->schema, y->name);
}

static int
load_table(struct table_info *t, const PGresult *res, int i, struct err *e)
{
	const char *ri = pgr_value(res, i, 3);
	const char *kind = pgr_value(res, i, 6);
	const char *pers = pgr_value(res, i, 7);

	t->schema = xstrdup(pgr_value(res, i, 0));
	t->name = xstrdup(pgr_value(res, i, 1));
	t->est_rows = pgr_int64(res, i, 2, -1);
	t->replident = ri != NULL ? ri[0] : 'd';
	t->relkind = kind != NULL ? kind[0] : 'r';
	t->unlogged = pers != NULL && pers[0] == 'u';
	if (json_key(pgr_value(res, i, 4), t) != 0 ||
	    json_strings(pgr_value(res, i, 5), &t->cols, &t->ncols) != 0)
		return err_set(e, EXIT_RUNTIME,
		    "catalog: unexpected key or column list for %s.%s",
		    t->schema, t->name);
	t->int_key = t->npk == 1 && is_integer_type(t->pk_types[0]);
	return 0;
}

int
catalog_load_tables(struct catalog *cat, const PGresult *res, struct err *e)
{
	int i, rows = PQntuples(res);
	size_t k;

	cat->tables = xcalloc((size_t)rows + 1, sizeof *cat->tables);
	cat->parts = xcalloc((size_t)rows + 1, sizeof *cat->parts);
	for (i = 0; i < rows; i++) {
		const char *pers = pgr_value(res, i, 7);
		const char *kind = pgr_value(res, i, 6);

		if (pgr_value(res, i, 8) != NULL) {
			struct part_info *p = &cat->parts[cat->nparts++];

			p->schema = xstrdup(pgr_value(res, i, 0));
			p->name = xstrdup(pgr_value(res, i, 1));
			p->root_schema = xstrdup(pgr_value(res, i, 8));
			p->root_name = xstrdup(pgr_value(res, i, 9));
			p->leaf = kind != NULL && kind[0] == 'r';
			p->unlogged = pers != NULL && pers[0] == 'u';
			p->est_rows = pgr_int64(res, i, 2, -1);
			continue;
		}
		if (load_table(&cat->tables[cat->ntables++], res, i, e) != 0)
			return -1;
	}
	qsort(cat->tables, cat->ntables, sizeof *cat->tables, cmp_tables);
	qsort(cat->parts, cat->nparts, sizeof *cat->parts, cmp_parts);
	/* A partitioned table holds no rows itself: its estimate is the sum
	 * of its leaves' (unknown only when every leaf's is). */
	for (k = 0; k < cat->ntables; k++)
		if (cat->tables[k].relkind == 'p')
			cat->tables[k].est_rows = -1;
	for (k = 0; k < cat->nparts; k++) {
		const struct part_info *p = &cat->parts[k];
		struct table_info *root = catalog_find(cat, p->root_schema,
		    p->root_name);

		if (root == NULL || !p->leaf)
			continue;
		root->nleaves++;
		if (p->est_rows >= 0)
			root->est_rows = (root->est_rows > 0 ? root->est_rows : 0) +
			    p->est_rows;
	}
	for (k = 0; k < cat->ntables; k++)
		if (cat->tables[k].relkind == 'p' && cat->tables[k].nleaves == 0)
			cat->tables[k].est_rows = 0;	/* no partition: no row */
	return 0;
}

int
catalog_load_sequences(struct catalog *cat, const PGresult *res,
    struct err *e)
{
	int i, rows = PQntuples(res);

	(void)e;
	cat->seqs = xcalloc((size_t)rows + 1, sizeof *cat->seqs);
	for (i = 0; i < rows; i++) {
		struct sequence_info *s = &cat->seqs[cat->nseqs++];

		s->schema = xstrdup(pgr_value(res, i, 0));
		s->name = xstrdup(pgr_value(res, i, 1));
		s->readable = PQnfields(res) < 6 || pgr_bool(res, i, 5);
		s->used = pgr_value(res, i, 2) != NULL;
		s->last_value = pgr_int64(res, i, 2, 0);
		s->increment = pgr_int64(res, i, 3, 1);
		s->start_value = pgr_int64(res, i, 4, 1);
	}
	qsort(cat->seqs, cat->nseqs, sizeof *cat->seqs, cmp_seqs);
	return 0;
}

static void
free_strings(char **v, int n)
{
	int i;

	for (i = 0; i < n; i++)
		free(v[i]);
	free(v);
}

static void
table_info_free(struct table_info *t)
{
	free(t->schema);
	free(t->name);
	free_strings(t->pk_cols, t->npk);
	free_strings(t->pk_types, t->npk);
	free(t->pk_collatable);
	free_strings(t->cols, t->ncols);
	memset(t, 0, sizeof *t);
}

void
catalog_free(struct catalog *cat)
{
	size_t i;

	for (i = 0; i < cat->ntables; i++)
		table_info_free(&cat->tables[i]);
	for (i = 0; i < cat->nseqs; i++) {
		free(cat->seqs[i].schema);
		free(cat->seqs[i].name);
	}
	for (i = 0; i < cat->nparts; i++) {
		free(cat->parts[i].schema);
		free(cat->parts[i].name);
		free(cat->parts[i].root_schema);
		free(cat->parts[i].root_name);
	}
	free(cat->parts);
	free(cat->tables);
	free(cat->seqs);
	memset(cat, 0, sizeof *cat);
}

struct table_info *
catalog_find(const struct catalog *cat, const char *schema, const char *name)
{
	struct table_info key;

	memset(&key, 0, sizeof key);
	key.schema = (char *)(uintptr_t)schema;
	key.name = (char *)(uintptr_t)name;
	return bsearch(&key, cat->tables, cat->ntables, sizeof *cat->tables,
	    cmp_tables);
}

struct part_info *
catalog_find_part(const struct catalog *cat, const char *schema,
    const char *name)
{
	struct part_info key;

	memset(&key, 0, sizeof key);
	key.schema = (char *)(uintptr_t)schema;
	key.name = (char *)(uintptr_t)name;
	return bsearch(&key, cat->parts, cat->nparts, sizeof *cat->parts,
	    cmp_parts);
}

struct table_info *
catalog_owner(const struct catalog *cat, const char *schema, const char *name)
{
	struct table_info *t = catalog_find(cat, schema, name);
	const struct part_info *p;

	if (t != NULL)
		return t;
	p = catalog_find_part(cat, schema, name);
	return p != NULL ? catalog_find(cat, p->root_schema, p->root_name) :
	    NULL;
}

struct sequence_info *
catalog_find_sequence(const struct catalog *cat, const char *schema,
    const char *name)
{
	struct sequence_info key;

	memset(&key, 0, sizeof key);
	key.schema = (char *)(uintptr_t)schema;
	key.name = (char *)(uintptr_t)name;
	return bsearch(&key, cat->seqs, cat->nseqs, sizeof *cat->seqs, cmp_seqs);
}

char *
table_display(const char *schema, const char *name)
{
	return xasprintf("%s.%s", schema, name);
}
