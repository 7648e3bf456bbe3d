/* model.c - the model's small containers. */
#include "config.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "model.h"
#include "ring.h"
#include "util.h"

void
table_stat_clear(struct table_stat *t)
{
	size_t i;

	free(t->schema);
	free(t->name);
	free(t->state);
	free(t->validation_state);
	for (i = 0; i < t->nparts; i++)
		table_stat_clear(&t->parts[i]);
	free(t->parts);
	memset(t, 0, sizeof *t);
}

void
table_list_clear(struct table_list *l)
{
	size_t i;

	for (i = 0; i < l->n; i++)
		table_stat_clear(&l->v[i]);
	free(l->v);
	free(l->index);
	memset(l, 0, sizeof *l);
}

/* FNV-1a over "schema\0name": thousands of tables are merged every
 * refresh, so lookups must not be linear. */
static size_t
name_hash(const char *schema, const char *name)
{
	uint64_t h = 1469598103934665603ULL;
	const char *p;

	for (p = schema; *p != '\0'; p++)
		h = (h ^ (unsigned char)*p) * 1099511628211ULL;
	h = (h ^ 0) * 1099511628211ULL;
	for (p = name; *p != '\0'; p++)
		h = (h ^ (unsigned char)*p) * 1099511628211ULL;
	return (size_t)h;
}

static void
index_insert(struct table_list *l, size_t entry)
{
	size_t i = name_hash(l->v[entry].schema, l->v[entry].name) &
	    (l->index_cap - 1);

	while (l->index[i] != 0)
		i = (i + 1) & (l->index_cap - 1);
	l->index[i] = entry + 1;
}

static void
index_grow(struct table_list *l)
{
	size_t i;

	free(l->index);
	l->index_cap = l->index_cap ? 2 * l->index_cap : 128;
	l->index = xcalloc(l->index_cap, sizeof *l->index);
	for (i = 0; i < l->n; i++)
		index_insert(l, i);
}

struct table_stat *
table_list_find(const struct table_list *l, const char *schema,
    const char *name)
{
	size_t i, e;

	if (l->index_cap == 0)
		return NULL;
	i = name_hash(schema, name) & (l->index_cap - 1);
	while ((e = l->index[i]) != 0) {
		if (strcmp(l->v[e - 1].schema, schema) == 0 &&
		    strcmp(l->v[e - 1].name, name) == 0)
			return &l->v[e - 1];
		i = (i + 1) & (l->index_cap - 1);
	}
	return NULL;
}

struct table_stat *
table_list_get(struct table_list *l, const char *schema, const char *name)
{
	struct table_stat *t = table_list_find(l, schema, name);

	if (t != NULL)
		return t;
	if (l->n == l->cap) {
		l->cap = l->cap ? 2 * l->cap : 64;
		l->v = xreallocarray(l->v, l->cap, sizeof *l->v);
	}
	if (2 * (l->n + 1) > l->index_cap) {
		index_grow(l);	/* before the new entry exists */
	}
	t = &l->v[l->n++];
	memset(t, 0, sizeof *t);
	t->schema = xstrdup(schema);
	t->name = xstrdup(name);
	t->source_rows = t->target_rows = -1;
	t->inserts = t->updates = t->deletes = t->ddls = -1;
	t->full_load_rows = -1;
	t->validation_failed_records = -1;
	t->check = -1;
	index_insert(l, l->n - 1);
	return t;
}

void
series_init(struct series *s, const char *name, const char *unit)
{
	memset(s, 0, sizeof *s);
	s->name = xstrdup(name);
	s->unit = xstrdup(unit);
}

void
series_clear(struct series *s)
{
	free(s->name);
	free(s->unit);
	memset(s, 0, sizeof *s);
}

void
series_push(struct series *s, int64_t t, double v)
{
	size_t i = ring_push(&s->start, &s->n, SERIES_MAX, NULL);

	s->t[i] = t;
	s->v[i] = v;
	s->updated_at = t;
}

double
series_at(const struct series *s, size_t i, int64_t *t)
{
	size_t k = ring_at(s->start, i, SERIES_MAX);

	if (t != NULL)
		*t = s->t[k];
	return s->v[k];
}

double
series_last(const struct series *s)
{
	return s->n > 0 ? series_at(s, s->n - 1, NULL) : NAN;
}

void
repl_status_init(struct repl_status *r)
{
	memset(r, 0, sizeof *r);
	r->full_load_percent = NAN;
	r->tables_loaded = r->tables_loading = -1;
	r->tables_queued = r->tables_errored = -1;
	r->lag_source = r->lag_target = NAN;
	r->wal_retained_bytes = -1;
}

void
repl_status_clear(struct repl_status *r)
{
	free(r->provider);
	free(r->status);
	free(r->stop_reason);
	free(r->last_failure);
	free(r->slot_name);
	free(r->confirmed_flush_lsn);
	free(r->error);
	repl_status_init(r);
}
