/* pane-tables.c - every replicated table: rows on both sides, the
 * difference, the provider's state, inserts/updates/deletes and our
 * validation's result. Sortable by any column, filtered with /,
 * mismatches highlighted. A partitioned table is one row, marked [+N];
 * p unfolds its partitions under it. Smooth with 10,000 tables: the
 * sorted index is rebuilt only when the figures or the order change, and
 * only the visible rows are drawn. */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <wchar.h>

#include "ui-int.h"

enum col { C_NAME, C_STATE, C_SOURCE, C_TARGET, C_DIFF, C_INS, C_UPD, C_DEL,
	C_CHECK, C_COUNT };

static const struct {
	const char *title;
	int width;            /* 0: takes what is left */
	bool right;
	int drop;             /* dropped first when narrow: higher first */
} cols[C_COUNT] = {
	[C_NAME] =   { "TABLE", 0, false, 0 },
	[C_STATE] =  { "STATE", 12, false, 4 },
	[C_SOURCE] = { "SOURCE", 12, true, 0 },
	[C_TARGET] = { "TARGET", 12, true, 0 },
	[C_DIFF] =   { "DIFF", 8, true, 0 },
	[C_INS] =    { "INS", 9, true, 3 },
	[C_UPD] =    { "UPD", 9, true, 2 },
	[C_DEL] =    { "DEL", 9, true, 1 },
	[C_CHECK] =  { "CHECK", 6, false, 0 },
};

/* A line of the pane: a table, or one partition of an unfolded one. */
struct line {
	size_t t;             /* index into the model's tables */
	long part;            /* -1: the table itself */
};

struct tables {
	size_t *rows;         /* indexes into the model's tables */
	size_t nrows, cap;
	struct line *lines;   /* rows, with the unfolded partitions */
	size_t nlines, lcap;
	char **open;          /* schema.name of the unfolded tables */
	size_t nopen;
	size_t top, cursor;
	int sort;
	bool reverse;
	bool mismatches;
	char filter[128];
	bool editing;
	char *selected;       /* schema.name under the cursor */
	bool show[C_COUNT];
	int name_w;
	size_t total;
	size_t bad;           /* failed their check, filter or not */
	size_t differ;        /* only their row estimates differ */
};

static const struct model *sort_view;  /* qsort has no context argument */
static int sort_col;
static bool sort_rev;

static int64_t
diff_of(const struct table_stat *t)
{
	if (t->source_rows < 0 || t->target_rows < 0)
		return INT64_MIN;
	return t->target_rows - t->source_rows;
}

/* A table whose last check failed: proven different (red). */
static bool
failed(const struct model *v, const struct table_stat *t)
{
	int c = model_table_check(v, t);

	return c == CHECK_FAIL || c == CHECK_ERROR;
}

/* Row estimates that differ: under load and with bloat they often do, so
 * this only points at a table (yellow); a validation counts. */
static bool
est_differs(const struct table_stat *t)
{
	int64_t d = diff_of(t);

	return d != INT64_MIN && d != 0;
}

static bool
mismatch(const struct model *v, const struct table_stat *t)
{
	return failed(v, t) || est_differs(t);
}

static int
cmp_i64(int64_t a, int64_t b)
{
	return a < b ? -1 : a > b;
}

static int
cmp_name(const struct table_stat *a, const struct table_stat *b)
{
	int c = strcmp(a->schema, b->schema);

	return c != 0 ? c : strcmp(a->name, b->name);
}

static int
compare(const void *pa, const void *pb)
{
	const struct table_stat *v = sort_view->mon.tables.v;   /* sorted only with figures */
	const struct table_stat *a = &v[*(const size_t *)pa];
	const struct table_stat *b = &v[*(const size_t *)pb];
	int64_t da, db;
	int c = 0;

	switch (sort_col) {
	case C_STATE:
		c = strcmp(a->state != NULL ? a->state : "",
		    b->state != NULL ? b->state : "");
		break;
	case C_SOURCE:
		c = cmp_i64(a->source_rows, b->source_rows);
		break;
	case C_TARGET:
		c = cmp_i64(a->target_rows, b->target_rows);
		break;
	case C_DIFF:
		/* by size of the difference, unknowns last */
		da = diff_of(a);
		db = diff_of(b);
		c = cmp_i64(da == INT64_MIN ? -1 : llabs(da),
		    db == INT64_MIN ? -1 : llabs(db));
		break;
	case C_INS:
		c = cmp_i64(a->inserts, b->inserts);
		break;
	case C_UPD:
		c = cmp_i64(a->updates, b->updates);
		break;
	case C_DEL:
		c = cmp_i64(a->deletes, b->deletes);
		break;
	case C_CHECK:
		c = cmp_i64(model_table_check(sort_view, a),
		    model_table_check(sort_view, b));
		break;
	}
	if (sort_rev)
		c = -c;
	return c != 0 ? c : cmp_name(a, b);
}

static bool
matches(const struct tables *t, const struct table_stat *s)
{
	char buf[512];

	if (t->filter[0] == '\0')
		return true;
	snprintf(buf, sizeof buf, "%s.%s", s->schema, s->name);
	return strcasestr(buf, t->filter) != NULL;
}

static const struct table_stat *
line_stat(const struct table_list *l, const struct line *ln)
{
	const struct table_stat *s = &l->v[ln->t];

	return ln->part < 0 ? s : &s->parts[ln->part];
}

static void
line_name(const struct table_list *l, const struct line *ln, char *buf,
    size_t len)
{
	const struct table_stat *s = line_stat(l, ln);

	snprintf(buf, len, "%s.%s", s->schema, s->name);
}

static bool
is_open(const struct tables *t, const struct table_stat *s)
{
	char buf[512];
	size_t i;

	if (s->nparts == 0)
		return false;
	snprintf(buf, sizeof buf, "%s.%s", s->schema, s->name);
	for (i = 0; i < t->nopen; i++)
		if (strcmp(t->open[i], buf) == 0)
			return true;
	return false;
}

/* The lines: each table, and under an unfolded one its partitions. */
static void
make_lines(struct tables *t, const struct table_list *l)
{
	size_t i, k, need = t->nrows;

	for (i = 0; i < t->nrows; i++)
		if (is_open(t, &l->v[t->rows[i]]))
			need += l->v[t->rows[i]].nparts;
	if (t->lcap < need + 1) {
		t->lcap = need + 1;
		t->lines = xreallocarray(t->lines, t->lcap, sizeof *t->lines);
	}
	t->nlines = 0;
	for (i = 0; i < t->nrows; i++) {
		const struct table_stat *s = &l->v[t->rows[i]];

		t->lines[t->nlines].t = t->rows[i];
		t->lines[t->nlines++].part = -1;
		if (!is_open(t, s))
			continue;
		for (k = 0; k < s->nparts; k++) {
			t->lines[t->nlines].t = t->rows[i];
			t->lines[t->nlines++].part = (long)k;
		}
	}
}

/* p: unfold or fold the partitioned table under the cursor (or the one
 * whose partition is under it). */
static void
toggle_open(struct tables *t, const struct model *v)
{
	const struct table_stat *s;
	char buf[512];
	size_t i;

	if (model_mon(v) == NULL || t->cursor >= t->nlines)
		return;
	s = &model_mon(v)->tables.v[t->lines[t->cursor].t];
	if (s->nparts == 0)
		return;
	snprintf(buf, sizeof buf, "%s.%s", s->schema, s->name);
	for (i = 0; i < t->nopen; i++)
		if (strcmp(t->open[i], buf) == 0) {
			free(t->open[i]);
			t->open[i] = t->open[--t->nopen];
			free(t->selected);
			t->selected = xstrdup(buf);
			return;
		}
	t->open = xreallocarray(t->open, t->nopen + 1, sizeof *t->open);
	t->open[t->nopen++] = xstrdup(buf);
	free(t->selected);
	t->selected = xstrdup(buf);
}

static void
rebuild(struct pane *p, const struct model *v)
{
	struct tables *t = p->data;
	const struct monitor_model *mon = model_mon(v);
	const struct table_list *l = mon != NULL ? &mon->tables : NULL;
	char buf[512];
	size_t i;

	t->nrows = 0;
	t->nlines = 0;
	t->bad = 0;
	t->differ = 0;
	t->total = l != NULL ? l->n : 0;
	if (l == NULL)
		return;
	if (t->cap < l->n) {
		t->cap = l->n;
		t->rows = xreallocarray(t->rows, t->cap, sizeof *t->rows);
	}
	for (i = 0; i < l->n; i++) {
		bool bad = mismatch(v, &l->v[i]);

		if (failed(v, &l->v[i]))
			t->bad++;
		else if (bad)
			t->differ++;
		if (!matches(t, &l->v[i]))
			continue;
		if (t->mismatches && !bad)
			continue;
		t->rows[t->nrows++] = i;
	}
	sort_view = v;
	sort_col = t->sort;
	sort_rev = t->reverse;
	qsort(t->rows, t->nrows, sizeof *t->rows, compare);
	make_lines(t, l);
	/* Keep the cursor on the table it was on. */
	if (t->selected != NULL) {
		for (i = 0; i < t->nlines; i++) {
			line_name(l, &t->lines[i], buf, sizeof buf);
			if (strcmp(buf, t->selected) == 0) {
				t->cursor = i;
				break;
			}
		}
	}
	if (t->cursor >= t->nlines)
		t->cursor = t->nlines > 0 ? t->nlines - 1 : 0;
}

static void
remember(struct tables *t, const struct model *v)
{
	const struct table_stat *s;

	free(t->selected);
	t->selected = NULL;
	if (model_mon(v) == NULL || t->cursor >= t->nlines)
		return;
	s = line_stat(&model_mon(v)->tables, &t->lines[t->cursor]);
	t->selected = xasprintf("%s.%s", s->schema, s->name);
}

static void
init(struct pane *p)
{
	struct tables *t = xcalloc(1, sizeof *t);

	t->sort = C_NAME;
	p->data = t;
}

static void
pane_free(struct pane *p)
{
	struct tables *t = p->data;

	size_t i;

	for (i = 0; i < t->nopen; i++)
		free(t->open[i]);
	free(t->open);
	free(t->rows);
	free(t->lines);
	free(t->selected);
	free(t);
	p->data = NULL;
}

static void
layout_cols(struct pane *p)
{
	struct tables *t = p->data;
	int i, used, drop;

	for (i = 0; i < C_COUNT; i++)
		t->show[i] = true;
	for (drop = 1; drop <= 4; drop++) {
		used = 0;
		for (i = 1; i < C_COUNT; i++)
			if (t->show[i])
				used += cols[i].width + 1;
		t->name_w = p->w - 2 - used;
		if (t->name_w >= 24)
			break;
		for (i = 1; i < C_COUNT; i++)
			if (cols[i].drop == drop)
				t->show[i] = false;
	}
	used = 0;
	for (i = 1; i < C_COUNT; i++)
		if (t->show[i])
			used += cols[i].width + 1;
	t->name_w = p->w - 2 - used;
	if (t->name_w < 8)
		t->name_w = 8;
}

static void
resize(struct pane *p)
{
	layout_cols(p);
}

static void
update(struct pane *p, const struct model *v, unsigned what)
{
	if (what & (MODEL_CH_MONITOR | MODEL_CH_VALIDATION))
		rebuild(p, v);
}

static int
visible_rows(const struct pane *p)
{
	struct tables *t = p->data;

	return p->h - 2 - (t->editing || t->filter[0] != '\0' ? 1 : 0);
}

static void
cell(WINDOW *win, int y, int *x, int col, attr_t a, const char *s)
{
	if (cols[col].right)
		put_right(win, y, *x, cols[col].width, a, s);
	else
		put(win, y, *x, cols[col].width, a, s);
	*x += cols[col].width + 1;
}

static void
draw_row(struct pane *p, const struct model *v, int y,
    const struct table_stat *s, bool cursor, bool part)
{
	struct tables *t = p->data;
	char name[512], buf[32];
	int x = 1, c = part ? -1 : model_table_check(v, s), nw;
	int64_t d = diff_of(s);
	bool bad = !part && failed(v, s);
	attr_t base = cursor && p->focused ? theme(TH_SELECT) : A_NORMAL;

	if (cursor && p->focused)
		fill(p->win, y, 1, p->w - 2, base, " ");
	if (part)
		snprintf(name, sizeof name, "  %s.%s", s->schema, s->name);
	else if (s->nparts > 0)
		snprintf(name, sizeof name, "%s.%s [%c%zu]", s->schema, s->name,
		    is_open(t, s) ? '-' : '+', s->nparts);
	else
		snprintf(name, sizeof name, "%s.%s", s->schema, s->name);
	nw = text_width(name);
	if (nw > t->name_w) {
		/* keep the end: the table name matters more than the schema */
		const char *q = name;

		while (*q != '\0' && text_width(q) > t->name_w - 1)
			q++;
		while ((*q & 0xc0) == 0x80)
			q++;
		put(p->win, y, x, 1, base, G.ellipsis);
		put(p->win, y, x + 1, t->name_w - 1, base | (bad ?
		    theme(TH_MISMATCH) : 0), q);
	} else {
		put(p->win, y, x, t->name_w, base | (bad ? theme(TH_MISMATCH) : 0),
		    name);
	}
	x += t->name_w + 1;
	if (t->show[C_STATE])
		cell(p->win, y, &x, C_STATE, base, s->state != NULL ? s->state : "-");
	fmt_count(buf, sizeof buf, s->source_rows);
	cell(p->win, y, &x, C_SOURCE, base, buf);
	fmt_count(buf, sizeof buf, s->target_rows);
	cell(p->win, y, &x, C_TARGET, base, buf);
	if (d == INT64_MIN)
		snprintf(buf, sizeof buf, "-");
	else
		snprintf(buf, sizeof buf, "%+lld", (long long)d);
	if (d == 0)
		snprintf(buf, sizeof buf, "0");
	cell(p->win, y, &x, C_DIFF, !est_differs(s) ? base : base |
	    theme(bad ? TH_MISMATCH : TH_WARN), buf);
	if (t->show[C_INS]) {
		fmt_count(buf, sizeof buf, s->inserts);
		cell(p->win, y, &x, C_INS, base, buf);
	}
	if (t->show[C_UPD]) {
		fmt_count(buf, sizeof buf, s->updates);
		cell(p->win, y, &x, C_UPD, base, buf);
	}
	if (t->show[C_DEL]) {
		fmt_count(buf, sizeof buf, s->deletes);
		cell(p->win, y, &x, C_DEL, base, buf);
	}
	cell(p->win, y, &x, C_CHECK, c >= 0 ? theme(check_role(c)) | base |
	    A_BOLD : base | theme(TH_DIM), check_mark(c));
}

static void
draw(struct pane *p, const struct model *v)
{
	struct tables *t = p->data;
	const struct monitor_model *mon = model_mon(v);
	const struct table_list *l = mon != NULL ? &mon->tables : NULL;
	char right[160], cnt[32], tot[32];
	int y, x, i, rows = visible_rows(p);
	size_t bad = t->bad;

	if (t->name_w == 0)
		layout_cols(p);
	fmt_count(cnt, sizeof cnt, (int64_t)t->nrows);
	fmt_count(tot, sizeof tot, (int64_t)t->total);
	if (mon == NULL || mon->tables_refreshed_at == 0)
		/* A watcher gets the tables with the driver's next full
		 * snapshot (every tenth refresh): none yet is not "0 tables". */
		snprintf(right, sizeof right, "waiting for the table figures");
	else if (t->nrows != t->total)
		snprintf(right, sizeof right, "%s of %s", cnt, tot);
	else
		snprintf(right, sizeof right, "%s tables", tot);
	if (bad > 0) {
		size_t n = strlen(right);

		snprintf(right + n, sizeof right - n, ", %zu failed", bad);
	}
	if (t->differ > 0) {
		size_t n = strlen(right);

		snprintf(right + n, sizeof right - n, ", %zu differ%s by estimate",
		    t->differ, t->differ == 1 ? "s" : "");
	}
	if (t->mismatches) {
		size_t n = strlen(right);

		snprintf(right + n, sizeof right - n, " (only mismatched)");
	}
	pane_title(p, v, "Tables", right, mon != NULL ? mon->refreshed_at : 0);
	/* column titles */
	x = 1;
	for (i = 0; i < C_COUNT; i++) {
		char title[32];
		int w = i == C_NAME ? t->name_w : cols[i].width;

		if (!t->show[i])
			continue;
		snprintf(title, sizeof title, "%s%s", cols[i].title,
		    t->sort == i ? (t->reverse ? G.down : G.up) : "");
		if (cols[i].right && i != C_NAME)
			put_right(p->win, 1, x, w, A_BOLD | (t->sort == i ?
			    A_UNDERLINE : 0), title);
		else
			put(p->win, 1, x, w, A_BOLD | (t->sort == i ? A_UNDERLINE : 0),
			    title);
		x += w + 1;
	}
	if (rows < 1)
		return;
	if (t->cursor < t->top)
		t->top = t->cursor;
	if (t->cursor >= t->top + (size_t)rows)
		t->top = t->cursor - (size_t)rows + 1;
	if (t->top + (size_t)rows > t->nlines)
		t->top = t->nlines > (size_t)rows ? t->nlines - (size_t)rows : 0;
	for (y = 0; y < rows && t->top + (size_t)y < t->nlines &&
	    t->lines[t->top + (size_t)y].t < l->n; y++) {
		const struct line *ln = &t->lines[t->top + (size_t)y];

		draw_row(p, v, 2 + y, line_stat(l, ln),
		    t->top + (size_t)y == t->cursor, ln->part >= 0);
	}
	if (t->nrows == 0)
		put(p->win, 2, 1, p->w - 2, theme(TH_DIM), t->total == 0 ?
		    "no replicated tables reported yet" : "no table matches");
	if (t->editing || t->filter[0] != '\0') {
		x = put(p->win, p->h - 1, 1, p->w - 2, theme(TH_KEY), "/");
		x += put(p->win, p->h - 1, 1 + x, p->w - 2 - x, theme(TH_INPUT),
		    t->filter);
		if (t->editing)
			put(p->win, p->h - 1, 1 + x, p->w - 2 - x, theme(TH_DIM),
			    "_  Enter applies, Esc clears");
	}
}

static bool
request(struct pane *p, const struct model *v, enum request r)
{
	struct tables *t = p->data;
	size_t page = (size_t)(visible_rows(p) > 1 ? visible_rows(p) - 1 : 1);

	switch (r) {
	case REQ_UP:
		if (t->cursor > 0)
			t->cursor--;
		break;
	case REQ_DOWN:
		if (t->cursor + 1 < t->nlines)
			t->cursor++;
		break;
	case REQ_PAGE_UP:
		t->cursor = t->cursor > page ? t->cursor - page : 0;
		break;
	case REQ_PAGE_DOWN:
		t->cursor = t->cursor + page < t->nlines ? t->cursor + page :
		    t->nlines > 0 ? t->nlines - 1 : 0;
		break;
	case REQ_HOME:
		t->cursor = 0;
		break;
	case REQ_END:
		t->cursor = t->nlines > 0 ? t->nlines - 1 : 0;
		break;
	case REQ_PARTITIONS:
		toggle_open(t, v);
		rebuild(p, v);
		return true;
	case REQ_SORT_NEXT:
	case REQ_SORT_PREV:
		do {
			t->sort = (t->sort + (r == REQ_SORT_NEXT ? 1 : C_COUNT - 1)) %
			    C_COUNT;
		} while (!t->show[t->sort] && t->sort != C_NAME);
		remember(t, v);
		rebuild(p, v);
		break;
	case REQ_SORT_REVERSE:
		t->reverse = !t->reverse;
		remember(t, v);
		rebuild(p, v);
		break;
	case REQ_FILTER:
		t->editing = true;
		break;
	case REQ_MISMATCHES:
		t->mismatches = !t->mismatches;
		remember(t, v);
		rebuild(p, v);
		break;
	default:
		return false;
	}
	if (r != REQ_SORT_NEXT && r != REQ_SORT_PREV &&
	    r != REQ_SORT_REVERSE && r != REQ_MISMATCHES)
		remember(t, v);
	return true;
}

static bool
capturing(const struct pane *p)
{
	return ((const struct tables *)p->data)->editing;
}

static bool
key(struct pane *p, const struct model *v, int k, bool wide)
{
	struct tables *t = p->data;
	size_t n = strlen(t->filter);
	char mb[8];
	mbstate_t st;
	size_t m;

	if (wide && k == 27) {                      /* Esc: clear */
		t->filter[0] = '\0';
		t->editing = false;
	} else if (wide && (k == '\r' || k == '\n')) {
		t->editing = false;
	} else if ((!wide && k == KEY_BACKSPACE) || (wide && (k == 127 ||
	    k == 8))) {
		while (n > 0 && (t->filter[n - 1] & 0xc0) == 0x80)
			n--;
		if (n > 0)
			n--;
		t->filter[n] = '\0';
	} else if (wide && k >= 32) {
		memset(&st, 0, sizeof st);
		m = wcrtomb(mb, (wchar_t)k, &st);
		if (m == (size_t)-1 || n + m + 1 > sizeof t->filter)
			return false;
		memcpy(t->filter + n, mb, m);
		t->filter[n + m] = '\0';
	} else {
		return false;
	}
	t->cursor = 0;
	free(t->selected);
	t->selected = NULL;
	rebuild(p, v);
	return true;
}

static const enum request requests[] = {
	REQ_UP, REQ_DOWN, REQ_PAGE_UP, REQ_PAGE_DOWN, REQ_HOME, REQ_END,
	REQ_SORT_NEXT, REQ_SORT_PREV, REQ_SORT_REVERSE, REQ_FILTER,
	REQ_MISMATCHES, REQ_PARTITIONS, REQ_NONE
};

const struct pane_ops pane_tables_ops = {
	.name = "Tables",
	.interest = MODEL_CH_MONITOR | MODEL_CH_VALIDATION | MODEL_CH_CLOCK,
	.focusable = true,
	.init = init,
	.free = pane_free,
	.resize = resize,
	.update = update,
	.draw = draw,
	.request = request,
	.key = key,
	.capturing = capturing,
	.requests = requests,
};
