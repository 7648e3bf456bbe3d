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
    "  (SELECT json_agg(a.attname ORDER BY k.ord)"
    "     FROM unnest(i.indkey::int2[]) WITH ORDINALITY AS k(attnum, ord)"
    "     JOIN pg_attribute a ON a.attrelid = c.oid AND a.attnum = k.attnum),"
    "  (SELECT json_agg(format_type(a.atttypid, a.atttypmod) ORDER BY k.ord)"
    "     FROM unnest(i.indkey::int2[]) WITH ORDINALITY AS k(attnum, ord)"
    "     JOIN pg_attribute a ON a.attrelid = c.oid AND a.attnum = k.attnum),"
    "  (SELECT json_agg(a.attname ORDER BY a.attnum) FROM pg_attribute a"
    "     WHERE a.attrelid = c.oid AND a.attnum > 0 AND NOT a.attisdropped)"
    " FROM pg_class c"
    " JOIN pg_namespace n ON n.oid = c.relnamespace"
    " LEFT JOIN pg_index i ON i.indrelid = c.oid AND i.indisprimary"
    " LEFT JOIN pg_stat_user_tables s ON s.relid = c.oid"
    " WHERE c.relkind IN ('r', 'p') AND NOT c.relispartition"
    "   AND n.nspname NOT IN ('pg_catalog', 'information_schema', 'cutover')"
    "   AND n.nspname !~ '^pg_(toast|temp_)'"
    " ORDER BY 1, 2";

const char CATALOG_SEQUENCES_SQL[] =
    "SELECT schemaname, sequencename, last_value, increment_by, start_value"
    " FROM pg_sequences"
    " WHERE schemaname NOT IN ('pg_catalog', 'information_schema', 'cutover')"
    " ORDER BY 1, 2";

const char CATALOG_PUBLICATION_SQL[] =
    "SELECT schemaname, tablename FROM pg_publication_tables"
    " WHERE pubname = $1 ORDER BY 1, 2";

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

int
catalog_load_tables(struct catalog *cat, const PGresult *res, struct err *e)
{
	int i, rows = PQntuples(res), n;

	cat->tables = xcalloc((size_t)rows + 1, sizeof *cat->tables);
	for (i = 0; i < rows; i++) {
		struct table_info *t = &cat->tables[cat->ntables];
		const char *ri = pgr_value(res, i, 3);

		t->schema = xstrdup(pgr_value(res, i, 0));
		t->name = xstrdup(pgr_value(res, i, 1));
		cat->ntables++;
		t->est_rows = pgr_int64(res, i, 2, -1);
		t->replident = ri != NULL ? ri[0] : 'd';
		if (json_strings(pgr_value(res, i, 4), &t->pk_cols, &t->npk) != 0 ||
		    json_strings(pgr_value(res, i, 5), &t->pk_types, &n) != 0 ||
		    n != t->npk ||
		    json_strings(pgr_value(res, i, 6), &t->cols, &t->ncols) != 0)
			return err_set(e, EXIT_RUNTIME,
			    "catalog: unexpected key or column list for %s.%s",
			    t->schema, t->name);
		t->int_key = t->npk == 1 && is_integer_type(t->pk_types[0]);
	}
	qsort(cat->tables, cat->ntables, sizeof *cat->tables, cmp_tables);
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
	free_strings(t->cols, t->ncols);
	memset(t, 0, sizeof *t);
}

void
catalog_filter(struct catalog *cat, const bool *keep)
{
	size_t i, j = 0;

	for (i = 0; i < cat->ntables; i++) {
		if (keep[i])
			cat->tables[j++] = cat->tables[i];
		else
			table_info_free(&cat->tables[i]);
	}
	cat->ntables = j;
}

void
catalog_select(struct catalog *cat, const struct config *cfg,
    char *const *only, size_t nonly)
{
	bool *keep = xcalloc(cat->ntables + 1, sizeof *keep);
	size_t i, k;
	char *q;

	for (i = 0; i < cat->ntables; i++) {
		q = table_display(cat->tables[i].schema, cat->tables[i].name);
		keep[i] = !config_table_excluded(cfg, q);
		if (keep[i] && nonly > 0) {
			keep[i] = false;
			for (k = 0; k < nonly; k++)
				if (strcmp(only[k], q) == 0)
					keep[i] = true;
		}
		free(q);
	}
	catalog_filter(cat, keep);
	free(keep);
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
