/* checksum.c - whole-table hashes, then bisection by key range; see
 * checksum.h. */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "checksum.h"

#define MAX_TRIES 3
/* Rows that differ while replication runs are looked at again after
 * these delays: a change in flight settles, a real difference stays. */
static const int settle_delays_ms[] = { 100, 300, 700, 1500, 3000 };
#define SAMPLE_RANGES 200

/* What a table needs to build its queries, prepared once. */
struct ctab {
	struct cksum_result r;
	char *from;                /* "schema"."name" */
	char *rowhash;             /* hashtextextended(ROW(...)::text, 0) */
	char *keys;                /* "k1", "k2" */
	char *keyord;              /* the same, text ones COLLATE "C" */
	char *keytext;             /* "k1"::text, "k2"::text */
	char *sample;              /* "" or " AND <hash sample>" */
	int npk;
	double sample_percent;
	int pending;               /* tasks queued or running */
	int64_t started_ms;
	bool errored;
};

enum stage { ST_AGG, ST_MEDIAN, ST_LEAF, ST_BOUNDS, ST_RECHECK };

/* A row that differed: its key (npk values, NULL for SQL NULL). */
struct suspect {
	char **key;
	const char *diff;
};

struct task {
	struct task *next;
	struct ctab *tab;
	char **lo, **hi;           /* key bounds, NULL = open */
	enum stage stage;
	int depth;
	int tries;
	int64_t count_src, count_dst;
	bool top;                  /* the whole table (or a sampled range) */
	struct suspect *sus;       /* ST_RECHECK: rows that differed */
	size_t nsus;
	int round;
	int64_t delay_ms;          /* wait this long before the next stage */
};

struct worker {
	struct cksum *c;
	int i;
	struct task *task;
	int outstanding;
	PGresult *res[2];          /* source, target */
	char *error;
	struct loop_timer *retry;
};

struct cksum {
	struct loop *loop;
	struct pg **src, **dst;
	int njobs;
	struct ctab *tabs;
	size_t ntabs, ndone;
	struct task *head, *tail;
	struct worker *workers;
	cksum_table_fn table_fn;
	cksum_done_fn done_fn;
	void *arg;
	bool finished;
	bool settle;               /* re-check differing rows before reporting */
	struct loop_timer *kick;
};

static void dispatch(struct cksum *c);
static void plan_sample_ranges(struct cksum *c, struct ctab *t,
    const PGresult *bounds);

static char **
dup_keys(char *const *k, int n)
{
	char **v;
	int i;

	if (k == NULL)
		return NULL;
	v = xcalloc((size_t)n, sizeof *v);
	for (i = 0; i < n; i++)
		v[i] = xstrdup(k[i]);
	return v;
}

static void
free_keys(char **k, int n)
{
	int i;

	if (k == NULL)
		return;
	for (i = 0; i < n; i++)
		free(k[i]);
	free(k);
}

static struct task *
task_new(struct ctab *t, char *const *lo, char *const *hi, int depth)
{
	struct task *k = xcalloc(1, sizeof *k);

	k->tab = t;
	k->lo = dup_keys(lo, t->npk);
	k->hi = dup_keys(hi, t->npk);
	k->depth = depth;
	t->pending++;
	return k;
}

static void
free_suspects(struct task *k)
{
	size_t i;

	for (i = 0; i < k->nsus; i++)
		free_keys(k->sus[i].key, k->tab->npk);
	free(k->sus);
	k->sus = NULL;
	k->nsus = 0;
}

static void
task_free(struct task *k)
{
	free_keys(k->lo, k->tab->npk);
	free_keys(k->hi, k->tab->npk);
	free_suspects(k);
	free(k);
}

static void
push_back(struct cksum *c, struct task *k)
{
	k->next = NULL;
	if (c->tail != NULL)
		c->tail->next = k;
	else
		c->head = k;
	c->tail = k;
}

/* Bisection goes depth first, so the first keys are found early and the
 * queue stays short. */
static void
push_front(struct cksum *c, struct task *k)
{
	k->next = c->head;
	c->head = k;
	if (c->tail == NULL)
		c->tail = k;
}

static struct task *
pop(struct cksum *c)
{
	struct task *k = c->head;

	if (k != NULL) {
		c->head = k->next;
		if (c->head == NULL)
			c->tail = NULL;
	}
	return k;
}

/* The WHERE clause of a key range: row comparisons keep to the primary
 * key's index; parameters are cast to the key's types. */
static char *
range_sql(const struct ctab *t, const struct table_info *ti, const struct task *k,
    const char **params, int *nparams)
{
	struct strbuf sb;
	int side, i, n = 0;

	sb_init(&sb);
	sb_puts(&sb, "true");
	for (side = 0; side < 2; side++) {
		char **b = side == 0 ? k->lo : k->hi;

		if (b == NULL)
			continue;
		sb_printf(&sb, " AND (%s) %s (", t->keyord, side == 0 ? ">=" : "<");
		for (i = 0; i < t->npk; i++) {
			params[n] = b[i];
			sb_printf(&sb, "%s$%d::%s", i ? ", " : "", ++n,
			    ti->pk_types[i]);
		}
		sb_putc(&sb, ')');
	}
	sb_puts(&sb, t->sample);
	*nparams = n;
	return sb_detach(&sb);
}

static void on_result(struct pg *conn, PGresult *res, const char *error,
    void *arg);

/* WHERE (k1, k2) IN (($1::t1, $2::t2), ...) over the suspects' keys. */
static char *
recheck_where(const struct ctab *t, const struct table_info *ti,
    const struct task *k, const char ***params, int *nparams)
{
	struct strbuf sb;
	size_t i;
	int j, n = 0;

	*params = xcalloc(k->nsus * (size_t)t->npk + 1, sizeof **params);
	sb_init(&sb);
	sb_printf(&sb, "(%s) IN (", t->keys);
	for (i = 0; i < k->nsus; i++) {
		sb_puts(&sb, i ? ", (" : "(");
		for (j = 0; j < t->npk; j++) {
			(*params)[n] = k->sus[i].key[j];
			sb_printf(&sb, "%s$%d::%s", j ? ", " : "", ++n, ti->pk_types[j]);
		}
		sb_putc(&sb, ')');
	}
	sb_putc(&sb, ')');
	*nparams = n;
	return sb_detach(&sb);
}

static void
send_stage(struct worker *w)
{
	struct task *k = w->task;
	struct ctab *t = k->tab;
	const struct table_info *ti = t->r.table;
	const char *params[2 * 32 + 1], **rparams = NULL;
	char *where, *sql = NULL, off[32];
	int n;

	where = range_sql(t, ti, k, params, &n);
	switch (k->stage) {
	case ST_AGG:
		sql = xasprintf("SELECT count(*), coalesce(sum(%s), 0)::text"
		    " FROM %s AS t WHERE %s", t->rowhash, t->from, where);
		break;
	case ST_LEAF:
		sql = xasprintf("SELECT %s, (%s)::text FROM %s AS t WHERE %s",
		    t->keytext, t->rowhash, t->from, where);
		break;
	case ST_BOUNDS:
		sql = xasprintf("SELECT min(%s)::text, max(%s)::text FROM %s AS t",
		    t->keys, t->keys, t->from);
		break;
	case ST_RECHECK:
		free(where);
		where = recheck_where(t, ti, k, &rparams, &n);
		sql = xasprintf("SELECT %s, (%s)::text FROM %s AS t WHERE %s",
		    t->keytext, t->rowhash, t->from, where);
		break;
	case ST_MEDIAN:
		snprintf(off, sizeof off, "%lld", (long long)((k->count_src >
		    k->count_dst ? k->count_src : k->count_dst) / 2));
		params[n] = off;
		sql = xasprintf("SELECT %s FROM %s AS t WHERE %s ORDER BY %s"
		    " OFFSET $%d LIMIT 1", t->keytext, t->from, where, t->keyord,
		    n + 1);
		n++;
		break;
	}
	free(w->error);
	w->error = NULL;
	w->res[0] = w->res[1] = NULL;
	if (k->stage == ST_MEDIAN || k->stage == ST_BOUNDS) {
		/* The side with more rows holds the median of both. */
		w->outstanding = 1;
		pg_query(k->count_src >= k->count_dst ? w->c->src[w->i] :
		    w->c->dst[w->i], sql, n, params, on_result, w);
	} else {
		const char *const *p = rparams != NULL ? rparams : params;

		w->outstanding = 2;
		pg_query(w->c->src[w->i], sql, n, p, on_result, w);
		pg_query(w->c->dst[w->i], sql, n, p, on_result, w);
	}
	free(rparams);
	free(sql);
	free(where);
}

static void ctab_sql(struct ctab *t);

static void
ctab_sql_free(struct ctab *t)
{
	free(t->from);
	free(t->rowhash);
	free(t->keys);
	free(t->keyord);
	free(t->keytext);
	free(t->sample);
	t->from = t->rowhash = t->keys = t->keyord = t->keytext = t->sample =
	    NULL;
}

static void
table_finish(struct cksum *c, struct ctab *t)
{
	struct cksum_result *r = &t->r;

	ctab_sql_free(t);

	r->seconds = (double)(mono_ms() - t->started_ms) / 1000.0;
	/* Bisection follows every range that differs down to its rows, so a
	 * table differs exactly when some rows did (and, settling, still do). */
	if (t->errored)
		r->status = CHECK_ERROR;
	else if (r->mismatched_chunks > 0)
		r->status = CHECK_FAIL;
	else
		r->status = CHECK_PASS;
	if (r->status == CHECK_PASS && r->rows_src != r->rows_dst)
		r->detail = xasprintf("the counts moved during the scan (%lld on "
		    "the source, %lld on the target: changes in flight); every row "
		    "matches", (long long)r->rows_src, (long long)r->rows_dst);
	if (r->detail == NULL && r->status == CHECK_FAIL) {
		r->detail = r->table->npk == 0 ?
		    xstrdup("the table differs; without a primary key the rows "
		    "cannot be named") : xasprintf("%zu rows differ%s",
		    (size_t)cJSON_GetArraySize(r->mismatched_keys),
		    r->truncated ? " (only the first are listed)" : "");
	} else if (r->detail == NULL && r->table->npk == 0) {
		r->detail = xstrdup("no primary key: compared as a whole");
	}
	c->ndone++;
	if (c->table_fn != NULL)
		c->table_fn(r, c->arg);
}

static void
task_done(struct cksum *c, struct task *k)
{
	struct ctab *t = k->tab;

	task_free(k);
	if (--t->pending == 0)
		table_finish(c, t);
}

/* Row i of a leaf result as "k1\x1fk2..." for comparing keys. */
struct leaf_row {
	char *key;
	const char *hash;
	int row;
};

static int
leaf_cmp(const void *a, const void *b)
{
	return strcmp(((const struct leaf_row *)a)->key,
	    ((const struct leaf_row *)b)->key);
}

static struct leaf_row *
leaf_rows(const PGresult *res, int npk)
{
	int n = PQntuples(res), i, j;
	struct leaf_row *v = xcalloc((size_t)n + 1, sizeof *v);
	struct strbuf sb;

	for (i = 0; i < n; i++) {
		sb_init(&sb);
		for (j = 0; j < npk; j++) {
			const char *s = pgr_value(res, i, j);

			if (j > 0)
				sb_putc(&sb, '\x1f');
			sb_puts(&sb, s != NULL ? s : "\x1e");
		}
		v[i].key = sb_detach(&sb);
		v[i].hash = pgr_value(res, i, npk);
		v[i].row = i;
	}
	qsort(v, (size_t)n, sizeof *v, leaf_cmp);
	return v;
}

/* The rows of two answers (keys and hashes) that differ, as suspects. */
static size_t
leaf_diffs(struct ctab *t, const PGresult *src, const PGresult *dst,
    struct suspect **out)
{
	int ns = PQntuples(src), nd = PQntuples(dst), i = 0, j = 0, c, col;
	struct leaf_row *a = leaf_rows(src, t->npk), *b = leaf_rows(dst, t->npk);
	struct suspect *v = NULL;
	const PGresult *from;
	size_t n = 0;
	int row;

	while (i < ns || j < nd) {
		const char *diff;

		c = i >= ns ? 1 : j >= nd ? -1 : strcmp(a[i].key, b[j].key);
		if (c < 0) {
			diff = "missing_on_target";
			from = src;
			row = a[i++].row;
		} else if (c > 0) {
			diff = "extra_on_target";
			from = dst;
			row = b[j++].row;
		} else {
			bool same = strcmp(a[i].hash != NULL ? a[i].hash : "",
			    b[j].hash != NULL ? b[j].hash : "") == 0;

			row = a[i].row;
			i++;
			j++;
			if (same)
				continue;
			diff = "changed";
			from = src;
		}
		v = xreallocarray(v, n + 1, sizeof *v);
		v[n].diff = diff;
		v[n].key = xcalloc((size_t)t->npk, sizeof *v[n].key);
		for (col = 0; col < t->npk; col++)
			v[n].key[col] = pgr_value(from, row, col) != NULL ?
			    xstrdup(pgr_value(from, row, col)) : NULL;
		n++;
	}
	for (i = 0; i < ns; i++)
		free(a[i].key);
	for (i = 0; i < nd; i++)
		free(b[i].key);
	free(a);
	free(b);
	*out = v;
	return n;
}

static void
report_suspects(struct ctab *t, struct task *k)
{
	size_t i;
	int j;

	if (k->nsus > 0)
		t->r.mismatched_chunks++;
	for (i = 0; i < k->nsus; i++) {
		cJSON *e, *key;

		if (cJSON_GetArraySize(t->r.mismatched_keys) >= CKSUM_MAX_KEYS) {
			t->r.truncated = true;
			break;
		}
		e = cJSON_CreateObject();
		key = cJSON_AddObjectToObject(e, "key");
		for (j = 0; j < t->npk; j++) {
			if (k->sus[i].key[j] != NULL)
				cJSON_AddStringToObject(key, t->r.table->pk_cols[j],
				    k->sus[i].key[j]);
			else
				cJSON_AddNullToObject(key, t->r.table->pk_cols[j]);
		}
		cJSON_AddStringToObject(e, "diff", k->sus[i].diff);
		cJSON_AddItemToArray(t->r.mismatched_keys, e);
	}
	free_suspects(k);
}

/* A leaf's (or a re-check's) answers: rows that differ are looked at
 * again after a delay while the settling rounds last, then reported. */
static bool
compare_rows(struct cksum *c, struct task *k, const PGresult *src,
    const PGresult *dst)
{
	struct suspect *sus;
	size_t n = leaf_diffs(k->tab, src, dst, &sus);

	free_suspects(k);
	k->sus = sus;
	k->nsus = n;
	if (n == 0)
		return true;
	if (c->settle && k->round < (int)ARRAY_SIZE(settle_delays_ms)) {
		k->delay_ms = settle_delays_ms[k->round++];
		k->stage = ST_RECHECK;
		return false;
	}
	report_suspects(k->tab, k);
	return true;
}

/* Both answers are in: decide what the task does next. Returns true when
 * the task is finished. */
static bool
advance(struct cksum *c, struct task *k, PGresult *src, PGresult *dst)
{
	struct ctab *t = k->tab;
	struct task *lo, *hi;
	char **mid;

	switch (k->stage) {
	case ST_AGG:
		t->r.chunks++;
		k->count_src = pgr_int64(src, 0, 0, 0);
		k->count_dst = pgr_int64(dst, 0, 0, 0);
		if (k->top) {
			t->r.rows_src += k->count_src;
			t->r.rows_dst += k->count_dst;
		}
		if (k->count_src == k->count_dst &&
		    strcmp(pgr_value(src, 0, 1), pgr_value(dst, 0, 1)) == 0)
			return true;
		if (t->npk == 0) {
			t->r.mismatched_chunks++;
			return true;
		}
		if (t->r.truncated)
			return true;
		k->stage = (k->count_src > k->count_dst ? k->count_src :
		    k->count_dst) <= CKSUM_LEAF_ROWS || k->depth >= 60 ?
		    ST_LEAF : ST_MEDIAN;
		return false;
	case ST_LEAF:
	case ST_RECHECK:
		return compare_rows(c, k, src, dst);
	case ST_BOUNDS:
		plan_sample_ranges(c, t, src);
		return true;
	case ST_MEDIAN:
		if (PQntuples(src) != 1) {
			k->stage = ST_LEAF;	/* rows moved under us: look at them all */
			return false;
		}
		mid = xcalloc((size_t)t->npk, sizeof *mid);
		for (int i = 0; i < t->npk; i++)
			mid[i] = xstrdup(pgr_value(src, 0, i) != NULL ?
			    pgr_value(src, 0, i) : "");
		lo = task_new(t, k->lo, mid, k->depth + 1);
		hi = task_new(t, mid, k->hi, k->depth + 1);
		push_front(c, hi);
		push_front(c, lo);
		free_keys(mid, t->npk);
		return true;
	}
	return true;
}

static void
on_retry(struct loop_timer *tm, void *arg)
{
	struct worker *w = arg;

	(void)tm;
	w->retry = NULL;
	send_stage(w);
}

static void
worker_step(struct worker *w)
{
	struct cksum *c = w->c;
	struct task *k = w->task;
	PGresult *src = w->res[0], *dst = w->res[1];

	if (w->error != NULL) {
		if (++k->tries < MAX_TRIES) {
			/* A lost connection reconnects by itself: try again. */
			w->retry = loop_timer_add(c->loop, 1000 * k->tries, on_retry, w);
			if (src != NULL)
				PQclear(src);
			if (dst != NULL)
				PQclear(dst);
			return;
		}
		k->tab->errored = true;
		if (k->tab->r.detail == NULL)
			k->tab->r.detail = xstrdup(w->error);
		w->task = NULL;
		task_done(c, k);
	} else {
		if ((k->stage == ST_MEDIAN || k->stage == ST_BOUNDS) && src == NULL)
			src = dst, dst = NULL;	/* the answer came from the target */
		k->tries = 0;
		if (advance(c, k, src, dst)) {
			w->task = NULL;
			task_done(c, k);
		} else if (k->delay_ms > 0) {
			w->retry = loop_timer_add(c->loop, k->delay_ms, on_retry, w);
			k->delay_ms = 0;
		} else {
			send_stage(w);
		}
	}
	if (src != NULL)
		PQclear(src);
	if (dst != NULL)
		PQclear(dst);
	if (w->task == NULL)
		dispatch(c);
}

static void
on_result(struct pg *conn, PGresult *res, const char *error, void *arg)
{
	struct worker *w = arg;
	int side = conn == w->c->src[w->i] ? 0 : 1;

	if (res != NULL)
		w->res[side] = pg_take_result(conn);
	else if (w->error == NULL)
		w->error = xstrdup(error);
	if (--w->outstanding == 0)
		worker_step(w);
}

static void
check_finished(struct cksum *c)
{
	if (!c->finished && c->ndone == c->ntabs) {
		c->finished = true;
		if (c->done_fn != NULL)
			c->done_fn(c->arg);
	}
}

static void
dispatch(struct cksum *c)
{
	struct task *k;
	int i;

	for (i = 0; i < c->njobs; i++) {
		struct worker *w = &c->workers[i];

		if (w->task != NULL || w->retry != NULL)
			continue;
		while ((k = pop(c)) != NULL) {
			if (!k->tab->r.truncated || k->stage != ST_AGG || k->top)
				break;
			task_done(c, k);	/* enough keys named for this table */
		}
		if (k == NULL)
			break;
		if (k->tab->started_ms == 0) {
			k->tab->started_ms = mono_ms();
			ctab_sql(k->tab);
		}
		w->task = k;
		send_stage(w);
	}
	check_finished(c);
}

static void
on_kick(struct loop_timer *tm, void *arg)
{
	struct cksum *c = arg;

	(void)tm;
	c->kick = NULL;
	dispatch(c);
}

static void
ctab_init(struct ctab *t, const struct table_info *ti, double sample)
{
	memset(t, 0, sizeof *t);
	t->r.table = ti;
	t->r.display = table_display(ti->schema, ti->name);
	t->r.mismatched_keys = cJSON_CreateArray();
	t->npk = ti->npk;
	t->sample_percent = sample;
}

/* The pieces of the table's queries, made when its first task starts and
 * freed when it finishes: with 10,000 tables, only those in flight hold
 * them (megabytes otherwise). */
static void
ctab_sql(struct ctab *t)
{
	const struct table_info *ti = t->r.table;
	double sample = t->sample_percent;
	struct strbuf rows, keys, ord, text;
	int i;

	t->from = pg_quote_qualified(NULL, ti->schema, ti->name);
	sb_init(&rows);
	sb_init(&keys);
	sb_init(&ord);
	sb_init(&text);
	for (i = 0; i < ti->ncols; i++) {
		char *q = pg_quote_ident(NULL, ti->cols[i]);

		sb_printf(&rows, "%st.%s", i ? ", " : "", q);
		free(q);
	}
	for (i = 0; i < ti->npk; i++) {
		char *q = pg_quote_ident(NULL, ti->pk_cols[i]);

		sb_printf(&keys, "%st.%s", i ? ", " : "", q);
		/* Both sides split ranges at the same keys only if they order
		 * them the same: byte order, whatever each column's collation
		 * (or glibc version) is. */
		sb_printf(&ord, "%st.%s%s", i ? ", " : "", q,
		    ti->pk_collatable != NULL && ti->pk_collatable[i] ?
		    " COLLATE \"C\"" : "");
		sb_printf(&text, "%st.%s::text", i ? ", " : "", q);
		free(q);
	}
	t->rowhash = xasprintf("hashtextextended(ROW(%s)::text, 0)",
	    rows.buf != NULL ? rows.buf : "");
	t->keys = sb_detach(&keys);
	t->keyord = sb_detach(&ord);
	t->keytext = sb_detach(&text);
	sb_free(&rows);
	if (sample < 100 && !ti->int_key)
		t->sample = xasprintf(" AND abs(hashtextextended(ROW(%s)::text, 42)"
		    " %% 10000) < %d", ti->npk > 0 ? t->keys : rows.buf != NULL ?
		    rows.buf : "0", (int)(sample * 100));
	else
		t->sample = xstrdup("");
}

/* Sampling an integer key: SAMPLE_RANGES equal key ranges between the
 * source's min and max (from the bounds stage), of which a random share
 * is compared. */
static void
plan_sample_ranges(struct cksum *c, struct ctab *t, const PGresult *bounds)
{
	char lo[32], hi[32];
	char *los[1] = { lo }, *his[1] = { hi };
	struct task *k;
	int64_t min, max, step, i;
	int want, taken = 0;

	if (pgr_value(bounds, 0, 0) == NULL) {
		k = task_new(t, NULL, NULL, 0);	/* empty: compare it whole */
		k->top = true;
		push_front(c, k);
		return;
	}
	min = pgr_int64(bounds, 0, 0, 0);
	max = pgr_int64(bounds, 0, 1, 0);
	step = (max - min) / SAMPLE_RANGES + 1;
	want = (int)(SAMPLE_RANGES * t->sample_percent / 100.0 + 0.999);
	for (i = 0; i < SAMPLE_RANGES && taken < want; i++) {
		/* Take each range with the probability still needed. */
		if ((random() % (SAMPLE_RANGES - i)) >= want - taken)
			continue;
		snprintf(lo, sizeof lo, "%lld", (long long)(min + i * step));
		snprintf(hi, sizeof hi, "%lld", (long long)(min + (i + 1) * step));
		k = task_new(t, i == 0 ? NULL : los, i == SAMPLE_RANGES - 1 ? NULL :
		    his, 0);
		k->top = true;
		push_back(c, k);
		taken++;
	}
}

static int
by_size(const void *a, const void *b)
{
	const struct table_info *x = *(const struct table_info *const *)a;
	const struct table_info *y = *(const struct table_info *const *)b;

	return x->est_rows < y->est_rows ? 1 : x->est_rows > y->est_rows ? -1 : 0;
}

struct cksum *
cksum_start(struct loop *loop, struct pg **src, struct pg **dst, int njobs,
    const struct table_info *tables, size_t ntables, double sample_percent,
    bool settle, cksum_table_fn table_fn, cksum_done_fn done_fn, void *arg)
{
	struct cksum *c = xcalloc(1, sizeof *c);
	const struct table_info **order;
	struct task *k;
	size_t i;
	int w;

	c->loop = loop;
	c->src = src;
	c->dst = dst;
	c->njobs = njobs;
	c->settle = settle;
	c->table_fn = table_fn;
	c->done_fn = done_fn;
	c->arg = arg;
	c->ntabs = ntables;
	c->tabs = xcalloc(ntables + 1, sizeof *c->tabs);
	c->workers = xcalloc((size_t)njobs, sizeof *c->workers);
	for (w = 0; w < njobs; w++) {
		c->workers[w].c = c;
		c->workers[w].i = w;
	}
	for (i = 0; i < ntables; i++)
		ctab_init(&c->tabs[i], &tables[i], sample_percent);
	/* Largest tables first: the longest scans start at once. */
	order = xcalloc(ntables + 1, sizeof *order);
	for (i = 0; i < ntables; i++)
		order[i] = &tables[i];
	qsort(order, ntables, sizeof *order, by_size);
	for (i = 0; i < ntables; i++) {
		struct ctab *t = &c->tabs[order[i] - tables];

		k = task_new(t, NULL, NULL, 0);
		if (sample_percent < 100 && order[i]->int_key)
			k->stage = ST_BOUNDS;	/* ranges are planned from its answer */
		else
			k->top = true;
		push_back(c, k);
	}
	free(order);
	c->kick = loop_timer_add(loop, 0, on_kick, c);
	return c;
}

size_t
cksum_count(const struct cksum *c)
{
	return c->ntabs;
}

const struct cksum_result *
cksum_result_at(const struct cksum *c, size_t i)
{
	return i < c->ntabs ? &c->tabs[i].r : NULL;
}

void
cksum_free(struct cksum *c)
{
	struct task *k;
	size_t i;
	int w;

	if (c == NULL)
		return;
	if (c->kick != NULL)
		loop_timer_cancel(c->kick);
	for (w = 0; w < c->njobs; w++) {
		struct worker *wk = &c->workers[w];

		pg_forget(c->src[w], wk);
		pg_forget(c->dst[w], wk);
		if (wk->retry != NULL)
			loop_timer_cancel(wk->retry);
		if (wk->task != NULL)
			task_free(wk->task);
		free(wk->error);
	}
	while ((k = pop(c)) != NULL)
		task_free(k);
	for (i = 0; i < c->ntabs; i++) {
		struct ctab *t = &c->tabs[i];

		free(t->r.display);
		free(t->r.detail);
		cJSON_Delete(t->r.mismatched_keys);
		ctab_sql_free(t);
	}
	free(c->tabs);
	free(c->workers);
	free(c);
}
