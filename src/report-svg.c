/* report-svg.c - the run's timeline as SVG, 1,200 px wide: a banner that
 * says rehearsal or production, a Gantt chart with one row per phase and
 * per rollback over the run's wall-clock time (idle hours between
 * attempts are cut out of the axis), the write pauses shaded and
 * labelled, the switch timeouts marked, the end-to-end lag from the
 * driver's samples with the gate line, and one zoomed panel per pause.
 *
 * Labels never overlap: the pause and timeout labels go to the first
 * free lane above the chart, the labels inside a row to a free place in
 * that row. Every element a test looks for carries a class and data-*. */
#include "config.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "report.h"

#define W 1200.0
#define X0 190.0              /* the plot starts here; labels to the left */
#define X1 1176.0
#define FONT 13.0
#define SMALL 11.0
#define ROW_H 26.0
#define BAR_H 18.0
#define LANE_H 18.0
#define LAG_H 150.0
#define BREAK_W 36.0
#define MAX_SEGS 16
#define ZROW_H 22.0
#define ZBAR_H 14.0

static const char *const phase_colours[PHASE_COUNT] = {
	"#8ecae6", "#219ebc", "#e76f51", "#f4a261", "#e9c46a", "#2a9d8f",
	"#6a4c93", "#90be6d",
};

#define C_FAIL "#c1121f"
#define C_PAUSE "#e63946"
#define C_ROLLBACK "#495057"
#define C_LAG "#023047"
#define C_DRIVER "#f77f00"
#define C_GRID "#dee2e6"

/* ------------------------------------------------------------ helpers */

static void
xml(struct strbuf *sb, const char *s)
{
	for (; *s != '\0'; s++) {
		switch (*s) {
		case '&':
			sb_puts(sb, "&amp;");
			break;
		case '<':
			sb_puts(sb, "&lt;");
			break;
		case '>':
			sb_puts(sb, "&gt;");
			break;
		case '"':
			sb_puts(sb, "&quot;");
			break;
		default:
			if ((unsigned char)*s >= 0x20 || *s == '\t')
				sb_putc(sb, *s);
		}
	}
}

/* The width of text in the sans-serif font, a little generously. */
static double
text_w(const char *s, double size)
{
	size_t n = 0;

	for (; *s != '\0'; s++)
		if (((unsigned char)*s & 0xc0) != 0x80)
			n++;
	return (double)n * size * 0.6;
}

static void
text(struct strbuf *sb, double x, double y, const char *anchor, double size,
    const char *cls, const char *s)
{
	sb_printf(sb, "<text class=\"%s\" x=\"%.1f\" y=\"%.1f\" font-size=\"%.0f\""
	    " text-anchor=\"%s\">", cls, x, y, size, anchor);
	xml(sb, s);
	sb_puts(sb, "</text>\n");
}

static void
text_attr(struct strbuf *sb, double x, double y, const char *anchor,
    double size, const char *cls, const char *attrs, const char *s)
{
	sb_printf(sb, "<text class=\"%s\" x=\"%.1f\" y=\"%.1f\" font-size=\"%.0f\""
	    " text-anchor=\"%s\" %s>", cls, x, y, size, anchor, attrs);
	xml(sb, s);
	sb_puts(sb, "</text>\n");
}

/* A write pause: always in seconds to the millisecond. */
static void
fmt_pause(double s, char *buf, size_t len)
{
	if (isnan(s))
		snprintf(buf, len, "?");
	else
		snprintf(buf, len, "%.3f s", s);
}

static void
fmt_dur(double s, char *buf, size_t len)
{
	if (isnan(s))
		snprintf(buf, len, "?");
	else if (s < 10)
		snprintf(buf, len, "%.3f s", s);
	else
		report_fmt_duration(s, buf, len);
}

/* --------------------------------------------------------------- axis */

struct seg {
	int64_t t0, t1;
	double x0, x1;
};

struct axis {
	struct seg s[MAX_SEGS];
	int n;
};

static double
ax_x(const struct axis *a, int64_t t)
{
	int i;

	if (t <= a->s[0].t0)
		return a->s[0].x0;
	for (i = 0; i < a->n; i++) {
		const struct seg *g = &a->s[i];

		if (t <= g->t1)
			return t < g->t0 ? (a->s[i - 1].x1 + g->x0) / 2 :
			    g->x0 + (double)(t - g->t0) / (double)(g->t1 - g->t0) *
			    (g->x1 - g->x0);
	}
	return a->s[a->n - 1].x1;
}

/* Whether t falls in a cut-out gap of the axis. */
static bool
ax_gap(const struct axis *a, int64_t t)
{
	int i;

	for (i = 0; i < a->n; i++)
		if (t >= a->s[i].t0 && t <= a->s[i].t1)
			return false;
	return true;
}

/* The run's attempts on one axis; a gap longer than a fifth of the time
 * spent (and than a minute) between attempts is cut out. */
static void
ax_build(struct axis *a, const struct report *r, double x0, double x1)
{
	int64_t busy = 0, iv[MAX_SEGS][2];
	double avail, total = 0, w[MAX_SEGS];
	size_t i;
	int n = 0, k;

	for (i = 0; i < r->nattempts; i++)
		busy += r->attempts[i].end - r->attempts[i].start;
	for (i = 0; i < r->nattempts; i++) {
		int64_t s = r->attempts[i].start, e = r->attempts[i].end;
		int64_t gap = n > 0 ? s - iv[n - 1][1] : 0;

		if (n > 0 && (gap <= 60000 || gap <= busy / 5 || n == MAX_SEGS)) {
			if (e > iv[n - 1][1])
				iv[n - 1][1] = e;
			continue;
		}
		iv[n][0] = s;
		iv[n][1] = e;
		n++;
	}
	if (n == 0) {
		iv[0][0] = r->start;
		iv[0][1] = r->end;
		n = 1;
	}
	for (k = 0; k < n; k++) {
		int64_t span = iv[k][1] - iv[k][0];
		int64_t pad = span / 50 > 50 ? span / 50 : 50;

		a->s[k].t0 = iv[k][0] - pad;
		a->s[k].t1 = iv[k][1] + pad;
		total += (double)(a->s[k].t1 - a->s[k].t0);
	}
	avail = x1 - x0 - (n - 1) * BREAK_W;
	for (k = 0; k < n; k++)
		w[k] = avail * (double)(a->s[k].t1 - a->s[k].t0) / total;
	/* Every segment wide enough to read. */
	if (n > 1) {
		double small = 0, big = 0, minw = 120;

		for (k = 0; k < n; k++) {
			if (w[k] < minw)
				small += minw;
			else
				big += w[k];
		}
		for (k = 0; k < n; k++)
			w[k] = w[k] < minw ? minw : w[k] * (avail - small) / big;
	}
	a->n = n;
	for (k = 0; k < n; k++) {
		a->s[k].x0 = k == 0 ? x0 : a->s[k - 1].x1 + BREAK_W;
		a->s[k].x1 = a->s[k].x0 + w[k];
	}
}

static const double nice_steps[] = { 0.001, 0.002, 0.005, 0.01, 0.02, 0.05,
	0.1, 0.2, 0.5, 1, 2, 5, 10, 15, 30, 60, 120, 300, 600, 900, 1800, 3600,
	7200, 10800, 21600, 43200, 86400 };

static double
nice_step(double span_s, double px, double min_px)
{
	size_t i;

	for (i = 0; i < ARRAY_SIZE(nice_steps); i++)
		if (span_s / nice_steps[i] * min_px <= px)
			return nice_steps[i];
	return nice_steps[ARRAY_SIZE(nice_steps) - 1];
}

static void
clock_label(int64_t ms, double step, char *buf, size_t len)
{
	char full[40];

	time_rfc3339(ms, full, sizeof full);
	if (step >= 60)
		snprintf(buf, len, "%.5s", full + 11);
	else if (step >= 1)
		snprintf(buf, len, "%.8s", full + 11);
	else if (step >= 0.1)
		snprintf(buf, len, "%.10s", full + 11);
	else
		snprintf(buf, len, "%.11s", full + 11);
}

/* Ticks, grid lines from y0 to y1 and labels at ylab. */
static void
ax_ticks(struct strbuf *sb, const struct axis *a, double y0, double y1,
    double ylab)
{
	char lab[32];
	int k;

	for (k = 0; k < a->n; k++) {
		const struct seg *g = &a->s[k];
		double span = (double)(g->t1 - g->t0) / 1000.0;
		double step = nice_step(span, g->x1 - g->x0, 96);
		int64_t st = (int64_t)llround(step * 1000);
		int64_t t = (g->t0 + st - 1) / st * st;

		for (; t <= g->t1; t += st) {
			double x = ax_x(a, t);

			/* Keep labels clear of the segment's edges. */
			if (x - 36 < g->x0 - 4 && k > 0)
				continue;
			if (x + 36 > g->x1 + 4 && k + 1 < a->n)
				continue;
			sb_printf(sb, "<line class=\"grid\" x1=\"%.1f\" y1=\"%.1f\" "
			    "x2=\"%.1f\" y2=\"%.1f\" stroke=\"%s\"/>\n", x, y0, x, y1,
			    C_GRID);
			clock_label(t, step, lab, sizeof lab);
			if (x - text_w(lab, SMALL) / 2 >= X0 - 40 &&
			    x + text_w(lab, SMALL) / 2 <= W - 4)
				text(sb, x, ylab, "middle", SMALL, "tick", lab);
		}
	}
	for (k = 1; k < a->n; k++) {
		double xb = (a->s[k - 1].x1 + a->s[k].x0) / 2;

		sb_printf(sb, "<rect class=\"axis-break\" x=\"%.1f\" y=\"%.1f\" "
		    "width=\"%.1f\" height=\"%.1f\" fill=\"#e9ecef\"/>\n",
		    a->s[k - 1].x1 + 4, y0, BREAK_W - 8, y1 - y0);
		sb_printf(sb, "<path class=\"axis-break-mark\" d=\"M%.1f %.1f l-5 6 "
		    "l10 6 l-10 6 l10 6 l-5 6\" fill=\"none\" stroke=\"#6c757d\"/>\n",
		    xb, y1 - 30);
	}
}

/* -------------------------------------------------------------- lanes */

struct lab {
	double x;             /* where it points: its leader */
	double w;
	double x0, x1;        /* the text's extent */
	int lane;
	bool placed;
	char text[160];
	const char *cls;
	const char *colour;
	char attrs[160];
};

struct lanes {
	struct lab *l;
	size_t n;
	int nlanes;
};

static void
lane_add(struct lanes *ls, double x, const char *cls, const char *colour,
    const char *attrs, const char *txt)
{
	struct lab *b;
	double w = text_w(txt, SMALL);

	ls->l = xreallocarray(ls->l, ls->n + 1, sizeof *ls->l);
	b = &ls->l[ls->n++];
	memset(b, 0, sizeof *b);
	b->x = x;
	b->w = w;
	b->x0 = x - w / 2;
	b->x1 = b->x0 + w;
	b->cls = cls;
	b->colour = colour;
	snprintf(b->attrs, sizeof b->attrs, "%s", attrs);
	snprintf(b->text, sizeof b->text, "%s", txt);
}

static int
by_x(const void *a, const void *b)
{
	const struct lab *x = a, *y = b;

	return x->x < y->x ? -1 : x->x > y->x;
}

/* The text of a label put at x0, kept on the page. */
static void
lab_at(struct lab *b, double x0)
{
	if (x0 < 12)
		x0 = 12;
	if (x0 + b->w > W - 8)
		x0 = W - 8 - b->w;
	b->x0 = x0;
	b->x1 = x0 + b->w;
}

/* Flags: a text starts at its leader, or ends at it where it would run
 * off the page or cover the leader of a text that ends at its own (taken
 * from the right). A text that starts at its leader then covers only
 * leaders of such texts to its right, one that ends at it only leaders
 * to its left: the stacking below has no cycles. */
static void
lab_sides(struct lanes *ls)
{
	size_t i, j;

	for (i = ls->n; i-- > 0;) {
		struct lab *b = &ls->l[i];
		bool flip = b->x + 3 + b->w > W - 8;

		for (j = i + 1; j < ls->n && !flip; j++)
			if (ls->l[j].x1 <= ls->l[j].x && ls->l[j].x > b->x &&
			    ls->l[j].x < b->x + 6 + b->w)
				flip = true;
		lab_at(b, flip ? b->x - 3 - b->w : b->x + 3);
	}
}

static bool
texts_meet(const struct lab *a, const struct lab *b)
{
	return a->x0 < b->x1 + 10 && b->x0 < a->x1 + 10;
}

/* Lanes: a label goes above every label whose leader its text covers (so
 * that no leader runs through a text), and to a lane where its text meets
 * no other. Labels are taken once all they cover are placed (should the
 * page's edge make a cycle, the one with fewest left). */
static void
lanes_assign(struct lanes *ls)
{
	size_t i, j, k;

	if (ls->n > 1)
		qsort(ls->l, ls->n, sizeof *ls->l, by_x);
	lab_sides(ls);
	ls->nlanes = 1;
	for (k = 0; k < ls->n; k++) {
		size_t pick = ls->n;
		int fewest = 0, lane = 0;

		for (i = 0; i < ls->n; i++) {
			int left = 0;

			if (ls->l[i].placed)
				continue;
			for (j = 0; j < ls->n; j++)
				if (j != i && !ls->l[j].placed &&
				    ls->l[j].x > ls->l[i].x0 - 3 &&
				    ls->l[j].x < ls->l[i].x1 + 3)
					left++;
			if (pick == ls->n || left < fewest) {
				pick = i;
				fewest = left;
			}
		}
		for (j = 0; j < ls->n; j++)
			if (ls->l[j].placed && ls->l[j].x > ls->l[pick].x0 - 3 &&
			    ls->l[j].x < ls->l[pick].x1 + 3 &&
			    ls->l[j].lane + 1 > lane)
				lane = ls->l[j].lane + 1;
		for (;;) {
			bool meets = false;

			for (j = 0; j < ls->n; j++)
				if (ls->l[j].placed && ls->l[j].lane == lane &&
				    texts_meet(&ls->l[j], &ls->l[pick]))
					meets = true;
			if (!meets)
				break;
			lane++;
		}
		ls->l[pick].lane = lane;
		ls->l[pick].placed = true;
		if (lane + 1 > ls->nlanes)
			ls->nlanes = lane + 1;
	}
}

/* Lane 0 is nearest to the chart, which starts at y_chart. */
static void
lanes_draw(struct strbuf *sb, const struct lanes *ls, double y_chart)
{
	size_t i;

	for (i = 0; i < ls->n; i++) {
		const struct lab *b = &ls->l[i];
		double y = y_chart - 6 - b->lane * LANE_H;

		sb_printf(sb, "<line class=\"leader\" x1=\"%.1f\" y1=\"%.1f\" "
		    "x2=\"%.1f\" y2=\"%.1f\" stroke=\"%s\" stroke-width=\"1\"/>\n",
		    b->x, y + 2, b->x, y_chart, b->colour);
		sb_printf(sb, "<text class=\"%s\" x=\"%.1f\" y=\"%.1f\" font-size=\""
		    "%.0f\" fill=\"%s\" font-weight=\"bold\" %s>", b->cls, b->x0,
		    y - 2, SMALL, b->colour, b->attrs);
		xml(sb, b->text);
		sb_puts(sb, "</text>\n");
	}
}

/* -------------------------------------------------------- row labels */

/* Places in a row already taken, so that labels inside it never meet. */
struct occ {
	double x0[64], x1[64];
	int n;
};

static bool
occ_free(const struct occ *o, double x0, double x1)
{
	int i;

	if (x0 < X0 - 2 || x1 > W - 4)
		return false;
	for (i = 0; i < o->n; i++)
		if (x0 < o->x1[i] + 4 && o->x0[i] < x1 + 4)
			return false;
	return true;
}

static void
occ_take(struct occ *o, double x0, double x1)
{
	if (o->n < 64) {
		o->x0[o->n] = x0;
		o->x1[o->n] = x1;
		o->n++;
	}
}

/* Whether white text reads better than black on this fill. */
static bool
dark(const char *fill)
{
	unsigned rgb;

	if (fill[0] != '#' || sscanf(fill + 1, "%6x", &rgb) != 1)
		return false;
	return 0.299 * (rgb >> 16) + 0.587 * ((rgb >> 8) & 0xff) +
	    0.114 * (rgb & 0xff) < 140;
}

/* A label for a bar [bx0, bx1] of colour fill: inside when it fits, else
 * right of it, else left of it, else not at all. */
static void
bar_label(struct strbuf *sb, struct occ *o, double bx0, double bx1, double y,
    const char *cls, const char *fill, const char *colour, const char *s)
{
	double w = text_w(s, SMALL);
	char attrs[64];

	if (bx1 - bx0 >= w + 8) {
		text_attr(sb, bx0 + 4, y, "start", SMALL, cls, dark(fill) ?
		    "fill=\"white\"" : "fill=\"#111\"", s);
		return;
	}
	snprintf(attrs, sizeof attrs, "fill=\"%s\"", colour);
	if (occ_free(o, bx1 + 4, bx1 + 4 + w)) {
		text_attr(sb, bx1 + 4, y, "start", SMALL, cls, attrs, s);
		occ_take(o, bx1 + 4, bx1 + 4 + w);
	} else if (occ_free(o, bx0 - 4 - w, bx0 - 4)) {
		text_attr(sb, bx0 - 4, y, "end", SMALL, cls, attrs, s);
		occ_take(o, bx0 - 4 - w, bx0 - 4);
	}
}

/* Shortens s to fit px at SMALL, with an ellipsis. */
static void
fit(char *s, double px)
{
	size_t n = strlen(s);

	if (text_w(s, SMALL) <= px)
		return;
	while (n > 0 && text_w(s, SMALL) + SMALL * 0.6 > px) {
		do
			n--;
		while (n > 0 && ((unsigned char)s[n] & 0xc0) == 0x80);
		s[n] = '\0';
	}
	if (n > 0)
		strcat(s, "…");
}

/* ------------------------------------------------------------- pieces */

static void
banner(struct strbuf *sb, const struct report *r, double h)
{
	const char *env = r->environment != NULL ? r->environment : "?";
	const char *colour, *word;
	char right[200], t[40];

	switch (r->look) {
	case LOOK_REHEARSAL:
		colour = "#1d6f8a";
		word = "REHEARSAL";
		break;
	case LOOK_PRODUCTION:
		colour = "#9b1c1c";
		word = "PRODUCTION";
		break;
	default:
		colour = "#495057";
		word = "NOT MARKED AS A REHEARSAL";
		break;
	}
	/* A frame in the same colour, so that a crop still says it. */
	sb_printf(sb, "<rect class=\"frame\" data-look=\"%s\" x=\"3\" y=\"3\" "
	    "width=\"%.0f\" height=\"%.0f\" fill=\"none\" stroke=\"%s\" "
	    "stroke-width=\"6\"/>\n", report_look_name(r->look), W - 6, h - 6,
	    colour);
	sb_printf(sb, "<rect class=\"banner\" data-look=\"%s\" x=\"0\" y=\"0\" "
	    "width=\"%.0f\" height=\"44\" fill=\"%s\"/>\n",
	    report_look_name(r->look), W, colour);
	if (r->look == LOOK_REHEARSAL)
		sb_printf(sb, "<rect x=\"0\" y=\"0\" width=\"%.0f\" height=\"44\" "
		    "fill=\"url(#stripes)\"/>\n", W);
	{
		char left[120];

		snprintf(left, sizeof left, "%s · %s", word, env);
		text_attr(sb, 16, 29, "start", 20, "banner-title",
		    "fill=\"white\" font-weight=\"bold\"", left);
	}
	time_rfc3339(r->start, t, sizeof t);
	snprintf(right, sizeof right, "run %s · %zu attempt%s · %zu rollback%s · "
	    "%.10s UTC", r->run_id, r->nattempts, r->nattempts == 1 ? "" : "s",
	    r->nrollbacks, r->nrollbacks == 1 ? "" : "s", t);
	text_attr(sb, W - 16, 28, "end", FONT, "banner-run", "fill=\"white\"",
	    right);
}

static void
defs(struct strbuf *sb)
{
	sb_puts(sb, "<defs>\n"
	    "<pattern id=\"stripes\" width=\"16\" height=\"16\" "
	    "patternUnits=\"userSpaceOnUse\" patternTransform=\"rotate(45)\">"
	    "<rect width=\"8\" height=\"16\" fill=\"white\" opacity=\"0.12\"/>"
	    "</pattern>\n"
	    "<pattern id=\"undone\" width=\"6\" height=\"6\" "
	    "patternUnits=\"userSpaceOnUse\" patternTransform=\"rotate(45)\">"
	    "<rect width=\"2\" height=\"6\" fill=\"#212529\" opacity=\"0.35\"/>"
	    "</pattern>\n"
	    "</defs>\n");
}

struct row {
	char label[48];
	int phase;            /* or -1 for a rollback row */
	int rollback;         /* its index */
	double y;             /* the row's top */
};

static void
phase_bar(struct strbuf *sb, const struct axis *a, const struct report *r,
    const struct report_attempt *at, int p, double y, double bar_h,
    struct occ *o, bool zoom)
{
	const struct report_phase *ph = &at->phases[p];
	double x0 = ax_x(a, ph->start), x1 = ax_x(a, ph->end), by;
	const char *fill = phase_colours[p], *stroke = "none";
	char lab[96], d[32];

	(void)r;
	if (x1 - x0 < 3)
		x1 = x0 + 3;
	if (ph->status == RP_FAILED)
		fill = C_FAIL;
	if (ph->status == RP_FAILED || ph->status == RP_INTERRUPTED)
		stroke = C_FAIL;
	by = y + (ROW_H - bar_h) / 2;
	if (zoom)
		by = y + (ZROW_H - bar_h) / 2;
	sb_printf(sb, "<rect class=\"%s\" data-phase=\"%s\" data-attempt=\"%d\" "
	    "data-status=\"%s\" data-undone=\"%s\" x=\"%.1f\" y=\"%.1f\" "
	    "width=\"%.1f\" height=\"%.1f\" fill=\"%s\" stroke=\"%s\" "
	    "stroke-width=\"2\" rx=\"2\"><title>", zoom ? "zoom-bar" : "bar",
	    phase_name(p), at->number, report_phase_status_name(ph->status),
	    ph->undone ? "true" : "false", x0, by, x1 - x0, bar_h, fill, stroke);
	fmt_dur((double)(ph->end - ph->start) / 1000.0, d, sizeof d);
	sb_printf(sb, "%s, attempt %d: %s, %s</title></rect>\n", phase_name(p),
	    at->number, report_phase_status_name(ph->status), d);
	if (ph->undone)
		sb_printf(sb, "<rect class=\"undone\" x=\"%.1f\" y=\"%.1f\" "
		    "width=\"%.1f\" height=\"%.1f\" fill=\"url(#undone)\"/>\n", x0,
		    by, x1 - x0, bar_h);
	occ_take(o, x0, x1);
	if (ph->status == RP_FAILED)
		snprintf(lab, sizeof lab, "a%d FAILED %s", at->number, d);
	else if (ph->status == RP_INTERRUPTED)
		snprintf(lab, sizeof lab, "a%d %s %s", at->number,
		    ph->failure != NULL && strstr(ph->failure, "timeout") ?
		    "TIMED OUT" : "INTERRUPTED", d);
	else
		snprintf(lab, sizeof lab, "a%d %s", at->number, d);
	bar_label(sb, o, x0, x1, by + bar_h - 4, zoom ? "zoom-bar-label" :
	    "bar-label", fill, ph->status == RP_FAILED ||
	    ph->status == RP_INTERRUPTED ? C_FAIL : "#212529", lab);
}

static void
rollback_bar(struct strbuf *sb, const struct axis *a, const struct report *r,
    const struct report_rollback *rb, double y, double row_h, double bar_h,
    struct occ *o, bool zoom)
{
	int64_t end = rb->end != 0 ? rb->end : r->end;
	double x0 = ax_x(a, rb->start), x1 = ax_x(a, end);
	double by = y + (row_h - bar_h) / 2;
	bool bad = strcmp(rb->status, "done") != 0;
	char lab[200], d[32];

	if (x1 - x0 < 3)
		x1 = x0 + 3;
	fmt_dur((double)(end - rb->start) / 1000.0, d, sizeof d);
	sb_printf(sb, "<rect class=\"%s\" data-rollback=\"%d\" data-attempt=\"%d\" "
	    "data-status=\"%s\" data-after-switch=\"%s\" x=\"%.1f\" y=\"%.1f\" "
	    "width=\"%.1f\" height=\"%.1f\" fill=\"%s\" rx=\"2\"><title>rollback "
	    "%d: ", zoom ? "zoom-rollback-bar" : "rollback-bar", rb->number,
	    rb->attempt, rb->status, rb->after_switch ? "true" : "false", x0, by,
	    x1 - x0, bar_h, bad ? C_FAIL : C_ROLLBACK, rb->number);
	xml(sb, rb->reason);
	sb_puts(sb, "</title></rect>\n");
	occ_take(o, x0, x1);
	snprintf(lab, sizeof lab, "a%d %s%s from %s: %s", rb->attempt, d,
	    bad ? (strcmp(rb->status, "failed") == 0 ? " FAILED" : " UNFINISHED") :
	    "", rb->from_phase >= 0 ? phase_name(rb->from_phase) : "?",
	    rb->reason);
	/* The reason runs to the right edge; cut it to the room there. */
	if (x1 - x0 < text_w(lab, SMALL) + 8)
		fit(lab, W - 8 - (x1 + 4));
	bar_label(sb, o, x0, x1, by + bar_h - 4, zoom ? "zoom-bar-label" :
	    "bar-label", bad ? C_FAIL : C_ROLLBACK, bad ? C_FAIL : "#212529", lab);
}

/* A step for at most five intervals up to v. */
static double
lag_step(double v)
{
	static const double m[] = { 1, 2, 2.5, 5, 10 };
	double p = pow(10, floor(log10(v / 5)));
	size_t i;

	for (i = 0; i < ARRAY_SIZE(m); i++)
		if (m[i] * p * 5 >= v)
			return m[i] * p;
	return 10 * p;
}

static void
lag_chart(struct strbuf *sb, const struct report *r, const struct axis *a,
    double y0)
{
	double ymax = 0, step, v;
	size_t i, npts = 0;
	bool open = false;
	int p;
	char lab[64];

	for (i = 0; i < r->nsamples; i++)
		if (!isnan(r->samples[i].e2e) && r->samples[i].e2e > ymax)
			ymax = r->samples[i].e2e;
	for (i = 0; i < r->nattempts; i++)
		for (p = 0; p < PHASE_COUNT; p++)
			if (r->attempts[i].phases[p].lag.source != NULL &&
			    !isnan(r->attempts[i].phases[p].lag.seconds) &&
			    r->attempts[i].phases[p].lag.seconds > ymax)
				ymax = r->attempts[i].phases[p].lag.seconds;
	if (!isnan(r->threshold) && r->threshold * 1.2 > ymax)
		ymax = r->threshold * 1.2;
	if (ymax < 0.5)
		ymax = 0.5;
	step = lag_step(ymax * 1.05);
	ymax = ceil(ymax * 1.05 / step) * step;
#define Y(v) (y0 + LAG_H - (v) / ymax * LAG_H)
	sb_puts(sb, "<g id=\"lag\">\n");
	text_attr(sb, 16, y0 - 8, "start", FONT, "section-title",
	    "font-weight=\"bold\"", "end-to-end lag");
	for (v = 0; v <= ymax + step / 2; v += step) {
		snprintf(lab, sizeof lab, "%g s", round(v * 1000) / 1000);
		text(sb, X0 - 8, Y(v) + 4, "end", SMALL, "lag-tick", lab);
		sb_printf(sb, "<line class=\"lag-grid\" x1=\"%.1f\" y1=\"%.1f\" "
		    "x2=\"%.1f\" y2=\"%.1f\" stroke=\"%s\"/>\n", X0, Y(v), X1, Y(v),
		    C_GRID);
	}
	sb_printf(sb, "<rect class=\"lag-frame\" x=\"%.1f\" y=\"%.1f\" "
	    "width=\"%.1f\" height=\"%.1f\" fill=\"none\" stroke=\"#adb5bd\"/>\n",
	    X0, y0, X1 - X0, LAG_H);
	if (!isnan(r->threshold)) {
		sb_printf(sb, "<line class=\"gate\" data-seconds=\"%g\" x1=\"%.1f\" "
		    "y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\" stroke=\"%s\" "
		    "stroke-width=\"1.5\" stroke-dasharray=\"6 4\"/>\n", r->threshold,
		    X0, Y(r->threshold), X1, Y(r->threshold), C_FAIL);
	}
	/* The samples, broken where one is unknown, where the axis is cut
	 * and where no driver sampled (one a second while one runs). */
	for (i = 0; i < r->nsamples; i++) {
		const struct report_sample *s = &r->samples[i];

		if (open && s->t - r->samples[i - 1].t > 3000) {
			sb_puts(sb, "\"/>\n");
			open = false;
		}
		if (isnan(s->e2e) || ax_gap(a, s->t)) {
			if (open)
				sb_puts(sb, "\"/>\n");
			open = false;
			continue;
		}
		if (!open)
			sb_printf(sb, "<polyline class=\"lag\" fill=\"none\" stroke=\""
			    C_LAG "\" stroke-width=\"1.5\" points=\"");
		sb_printf(sb, "%s%.1f,%.1f", open ? " " : "", ax_x(a, s->t),
		    Y(s->e2e));
		open = true;
		npts++;
	}
	if (open)
		sb_puts(sb, "\"/>\n");
	if (npts <= 300)
		for (i = 0; i < r->nsamples; i++)
			if (!isnan(r->samples[i].e2e) && !ax_gap(a, r->samples[i].t))
				sb_printf(sb, "<circle class=\"lag-sample\" cx=\"%.1f\" "
				    "cy=\"%.1f\" r=\"2.5\" fill=\"" C_LAG "\"/>\n",
				    ax_x(a, r->samples[i].t), Y(r->samples[i].e2e));
	for (i = 0; i < r->nattempts; i++)
		for (p = 0; p < PHASE_COUNT; p++) {
			const struct report_lag *l = &r->attempts[i].phases[p].lag;

			if (l->source == NULL || strcmp(l->source, "driver") != 0 ||
			    isnan(l->seconds))
				continue;
			sb_printf(sb, "<circle class=\"lag-driver\" data-phase=\"%s\" "
			    "data-attempt=\"%d\" data-seconds=\"%.3f\" cx=\"%.1f\" "
			    "cy=\"%.1f\" r=\"4\" fill=\"" C_DRIVER "\" stroke=\"white\"/>\n",
			    phase_name(p), r->attempts[i].number, l->seconds,
			    ax_x(a, l->at), Y(l->seconds));
		}
	if (npts == 0)
		text_attr(sb, (X0 + X1) / 2, y0 + LAG_H / 2, "middle", FONT,
		    "lag-none", "fill=\"#6c757d\"", "no lag samples in this run");
	/* The gate's label last, over the curve, with a halo to read it. */
	if (!isnan(r->threshold)) {
		snprintf(lab, sizeof lab, "gate: max_lag_seconds %g s",
		    r->threshold);
		text_attr(sb, X1 - 6, Y(r->threshold) - 5, "end", SMALL,
		    "gate-label", "fill=\"" C_FAIL "\" stroke=\"white\" "
		    "stroke-width=\"3\" paint-order=\"stroke\"", lab);
	}
	sb_puts(sb, "</g>\n");
#undef Y
}

/* The legend from the left edge, on as many lines as it needs; returns
 * the y below it. */
static double
legend(struct strbuf *sb, const struct report *r, double y)
{
	double x = 16;
	struct {
		const char *what, *colour, *shape;
	} items[] = {
		{ "phase done", phase_colours[PHASE_SYNC_WAIT], "bar" },
		{ "failed", C_FAIL, "bar" },
		{ "undone by a rollback", "url(#undone)", "bar" },
		{ "rollback", C_ROLLBACK, "bar" },
		{ "write pause", C_PAUSE, "pause" },
		{ "lag sample", C_LAG, "dot" },
		{ "the driver's lag at a phase's start", C_DRIVER, "dot" },
	};
	size_t i;

	for (i = 0; i < ARRAY_SIZE(items); i++) {
		if (x + 18 + text_w(items[i].what, SMALL) > W - 8) {
			x = 16;
			y += 18;
		}
		if (strcmp(items[i].shape, "dot") == 0)
			sb_printf(sb, "<circle cx=\"%.1f\" cy=\"%.1f\" r=\"4\" "
			    "fill=\"%s\"/>\n", x + 6, y - 4, items[i].colour);
		else
			sb_printf(sb, "<rect x=\"%.1f\" y=\"%.1f\" width=\"14\" "
			    "height=\"10\" fill=\"%s\" opacity=\"%s\" stroke=\"%s\"/>\n",
			    x, y - 9, items[i].colour,
			    strcmp(items[i].shape, "pause") == 0 ? "0.35" : "1",
			    strcmp(items[i].colour, "url(#undone)") == 0 ? "#adb5bd" :
			    "none");
		text(sb, x + 18, y, "start", SMALL, "legend", items[i].what);
		x += 18 + text_w(items[i].what, SMALL) + 16;
	}
	if (r->samples_whole_seconds) {
		y += 18;
		text_attr(sb, 16, y, "start", SMALL, "lag-note",
		    "fill=\"#495057\"", "The lag samples read whole seconds (a "
		    "one-second heartbeat): 1 s there means caught up within a "
		    "second; the orange points are the driver's sub-second readings.");
	}
	return y + 22;
}

/* ------------------------------------------------------------- zooms */

static void
zoom_range(const struct report *r, const struct report_pause *p,
    int64_t *t0, int64_t *t1)
{
	int64_t s = p->start, e = p->end != 0 ? p->end : r->end, pad;
	size_t i;

	if (p->kind == PAUSE_CUT) {
		for (i = 0; i < r->nattempts; i++) {
			const struct report_attempt *at = &r->attempts[i];

			if (at->number != p->attempt)
				continue;
			if (at->phases[PHASE_DRAIN].status != RP_NOT_RUN &&
			    at->phases[PHASE_DRAIN].start < s)
				s = at->phases[PHASE_DRAIN].start;
			if (p->ended_by != NULL && strcmp(p->ended_by, "switch") == 0 &&
			    at->phases[PHASE_SWITCH].end > e)
				e = at->phases[PHASE_SWITCH].end;
		}
	} else {
		for (i = 0; i < r->nrollbacks; i++)
			if (r->rollbacks[i].number == p->rollback) {
				if (r->rollbacks[i].start < s)
					s = r->rollbacks[i].start;
				if (r->rollbacks[i].end > e)
					e = r->rollbacks[i].end;
			}
	}
	if (p->have_clients && p->clients.max_latency_end > e)
		e = p->clients.max_latency_end;
	if (p->have_clients && p->clients.max_gap_end > e)
		e = p->clients.max_gap_end;
	if (e - s < 200)
		e = s + 200;
	pad = (e - s) / 12 > 20 ? (e - s) / 12 : 20;
	*t0 = s - pad;
	*t1 = e + pad;
}

static void
zoom_ticks(struct strbuf *sb, const struct axis *a, int64_t origin,
    double y0, double y1)
{
	const struct seg *g = &a->s[0];
	double span = (double)(g->t1 - g->t0) / 1000.0;
	double step = nice_step(span, g->x1 - g->x0, 80);
	int64_t stus = (int64_t)llround(step * 1e6), t;
	char lab[32];

	/* In microseconds, relative to the pause's start. */
	for (t = ((g->t0 - origin) * 1000 / stus) * stus;
	    t <= (g->t1 - origin) * 1000; t += stus) {
		int64_t ms = origin + t / 1000;
		double x;

		if (ms < g->t0)
			continue;
		x = ax_x(a, ms);
		sb_printf(sb, "<line class=\"zoom-grid\" x1=\"%.1f\" y1=\"%.1f\" "
		    "x2=\"%.1f\" y2=\"%.1f\" stroke=\"%s\"/>\n", x, y0, x, y1,
		    C_GRID);
		if (step < 1)
			snprintf(lab, sizeof lab, "%+.0f ms", (double)t / 1000.0);
		else
			snprintf(lab, sizeof lab, "%+g s", (double)t / 1e6);
		/* A label that would reach into the row labels is left out. */
		if (x - text_w(lab, SMALL) / 2 >= X0 - 2 &&
		    x + text_w(lab, SMALL) / 2 <= W - 4)
			text(sb, x, y1 + 14, "middle", SMALL, "zoom-tick", lab);
	}
}

static double
zoom(struct strbuf *sb, const struct report *r, const struct report_pause *p,
    int n, double y)
{
	struct strbuf rows, *outer;
	struct axis a;
	struct occ o;
	int64_t t0, t1;
	double ytop, yrow, x0, x1;
	char title[300], d[32], e1[32], e2[32];
	size_t i;
	int ph;

	zoom_range(r, p, &t0, &t1);
	memset(&a, 0, sizeof a);
	a.n = 1;
	a.s[0].t0 = t0;
	a.s[0].t1 = t1;
	a.s[0].x0 = X0;
	a.s[0].x1 = X1;
	if (p->end != 0)
		fmt_pause(p->seconds, d, sizeof d);
	else
		snprintf(d, sizeof d, "still paused");
	if (p->kind == PAUSE_CUT)
		snprintf(title, sizeof title, "Zoom %d: the cut of attempt %d, write "
		    "pause %s (the driver)", n, p->attempt, d);
	else
		snprintf(title, sizeof title, "Zoom %d: rollback %d (attempt %d), "
		    "write pause %s (the driver)", n, p->rollback, p->attempt, d);
	if (p->have_clients) {
		size_t len = strlen(title);

		fmt_dur(p->clients.max_latency_ms / 1000.0, e1, sizeof e1);
		fmt_dur(p->clients.max_gap_ms / 1000.0, e2, sizeof e2);
		snprintf(title + len, sizeof title - len, "; clients: longest "
		    "transaction %s, longest gap between commits %s, %lld failed",
		    e1, e2, (long long)p->clients.failed);
	}
	sb_printf(sb, "<g class=\"zoom\" id=\"zoom-%d\" data-kind=\"%s\" "
	    "data-attempt=\"%d\" data-rollback=\"%d\">\n", n,
	    report_pause_kind_name(p->kind), p->attempt, p->rollback);
	text_attr(sb, 16, y + 14, "start", FONT, "zoom-title",
	    "font-weight=\"bold\"", title);
	ytop = y + 24;
	yrow = ytop;
	/* The rows go to their own buffer: the pause is drawn behind them. */
	outer = sb;
	sb_init(&rows);
	sb = &rows;
	/* Rows: the phases of the attempt in the range, the rollback, and
	 * what the clients saw. */
	for (i = 0; i < r->nattempts; i++) {
		const struct report_attempt *at = &r->attempts[i];

		if (at->number != p->attempt)
			continue;
		for (ph = 0; ph < PHASE_COUNT; ph++) {
			const struct report_phase *x = &at->phases[ph];

			if (x->status == RP_NOT_RUN || x->end < t0 || x->start > t1)
				continue;
			memset(&o, 0, sizeof o);
			text(sb, X0 - 10, yrow + 15, "end", SMALL, "zoom-row-label",
			    phase_name(ph));
			phase_bar(sb, &a, r, at, ph, yrow, ZBAR_H, &o, true);
			yrow += ZROW_H;
		}
	}
	for (i = 0; i < r->nrollbacks; i++) {
		const struct report_rollback *rb = &r->rollbacks[i];
		char lab[32];

		if (rb->attempt != p->attempt || rb->start > t1 ||
		    (rb->end != 0 && rb->end < t0))
			continue;
		memset(&o, 0, sizeof o);
		snprintf(lab, sizeof lab, "rollback %d", rb->number);
		text(sb, X0 - 10, yrow + 15, "end", SMALL, "zoom-row-label",
		    lab);
		rollback_bar(sb, &a, r, rb, yrow, ZROW_H, ZBAR_H, &o, true);
		yrow += ZROW_H;
	}
	/* The driver's actions in the range, as ticks. */
	text(sb, X0 - 10, yrow + 15, "end", SMALL, "zoom-row-label",
	    "actions");
	for (i = 0; i < r->nactions; i++) {
		const struct report_action *x = &r->actions[i];
		double ax;

		if (x->at < t0 || x->at > t1 || x->attempt != p->attempt)
			continue;
		ax = ax_x(&a, x->at);
		sb_printf(sb, "<line class=\"zoom-action\" data-seq=\"%lld\" "
		    "x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\" stroke=\"#343a40\" "
		    "stroke-width=\"1.5\"><title>", (long long)x->seq, ax, yrow + 4,
		    ax, yrow + ZROW_H - 4);
		xml(sb, x->what);
		sb_puts(sb, "</title></line>\n");
	}
	yrow += ZROW_H;
	if (p->have_clients) {
		struct {
			const char *label, *cls;
			double ms;
			int64_t end;
		} c[2] = {
			{ "longest transaction", "zoom-client-txn",
			  p->clients.max_latency_ms, p->clients.max_latency_end },
			{ "longest commit gap", "zoom-client-gap",
			  p->clients.max_gap_ms, p->clients.max_gap_end },
		};
		int k;

		for (k = 0; k < 2; k++) {
			char lab[40];

			text(sb, X0 - 10, yrow + 15, "end", SMALL, "zoom-row-label",
			    c[k].label);
			if (c[k].end > 0 && c[k].ms > 0) {
				x0 = ax_x(&a, c[k].end - (int64_t)llround(c[k].ms));
				x1 = ax_x(&a, c[k].end);
				if (x1 - x0 < 2)
					x1 = x0 + 2;
				sb_printf(sb, "<rect class=\"%s\" data-ms=\"%.1f\" x=\"%.1f\" "
				    "y=\"%.1f\" width=\"%.1f\" height=\"%.1f\" "
				    "fill=\"#adb5bd\" rx=\"2\"/>\n", c[k].cls, c[k].ms, x0,
				    yrow + (ZROW_H - ZBAR_H) / 2, x1 - x0, ZBAR_H);
				memset(&o, 0, sizeof o);
				occ_take(&o, x0, x1);
				fmt_dur(c[k].ms / 1000.0, lab, sizeof lab);
				bar_label(sb, &o, x0, x1, yrow + ZROW_H - 7,
				    "zoom-bar-label", "#adb5bd", "#212529", lab);
			}
			yrow += ZROW_H;
		}
	}
	/* The pause itself, behind every row. */
	sb = outer;
	x0 = ax_x(&a, p->start);
	x1 = ax_x(&a, p->end != 0 ? p->end : t1);
	sb_printf(sb, "<rect class=\"zoom-pause\" data-seconds=\"%.3f\" "
	    "x=\"%.1f\" y=\"%.1f\" width=\"%.1f\" height=\"%.1f\" fill=\"" C_PAUSE
	    "\" fill-opacity=\"0.18\" stroke=\"" C_PAUSE "\"/>\n", p->seconds, x0,
	    ytop, x1 - x0 < 2 ? 2 : x1 - x0, yrow - ytop);
	zoom_ticks(sb, &a, p->start, ytop, yrow);
	text(sb, X0 - 10, yrow + 14, "end", SMALL, "zoom-origin",
	    p->kind == PAUSE_CUT ? "time from the fence" :
	    "from the target's fence");
	sb_add(sb, rows.buf, rows.len);
	sb_free(&rows);
	sb_printf(sb, "<rect class=\"zoom-frame\" x=\"%.1f\" y=\"%.1f\" "
	    "width=\"%.1f\" height=\"%.1f\" fill=\"none\" stroke=\"#adb5bd\"/>\n",
	    X0, ytop, X1 - X0, yrow - ytop);
	sb_puts(sb, "</g>\n");
	return yrow + 24;
}

/* ------------------------------------------------------------- whole */

char *
report_svg(const struct report *r)
{
	struct strbuf sb, body;
	struct axis a;
	struct lanes ls;
	struct row *rows;
	size_t nrows = 0, i, first_zoom;
	double y, ygantt, ylag, h;
	char lab[200], d[32];
	int p;

	sb_init(&body);
	memset(&ls, 0, sizeof ls);
	memset(&a, 0, sizeof a);
	if (!r->have_run) {
		sb_init(&sb);
		sb_printf(&sb, "<svg xmlns=\"http://www.w3.org/2000/svg\" "
		    "width=\"%.0f\" height=\"80\" viewBox=\"0 0 %.0f 80\" "
		    "font-family=\"sans-serif\"><rect width=\"%.0f\" height=\"80\" "
		    "fill=\"white\"/><text class=\"none\" x=\"20\" y=\"45\" "
		    "font-size=\"14\">The event log holds no run yet.</text></svg>\n",
		    W, W, W);
		return sb_detach(&sb);
	}
	ax_build(&a, r, X0, X1);

	/* The labels above the chart: the pauses, the switch timeouts and
	 * what the axis leaves out. */
	for (i = 0; i < r->npauses; i++) {
		const struct report_pause *pp = &r->pauses[i];
		double x0 = ax_x(&a, pp->start);
		double x1 = ax_x(&a, pp->end != 0 ? pp->end : r->end);
		char attrs[96];

		fmt_pause(pp->seconds, d, sizeof d);
		if (pp->kind == PAUSE_CUT)
			snprintf(lab, sizeof lab, "a%d write pause %s", pp->attempt,
			    pp->end != 0 ? d : "still paused at the log's end");
		else
			snprintf(lab, sizeof lab, "rollback %d pause %s", pp->rollback,
			    pp->end != 0 ? d : "still paused at the log's end");
		snprintf(attrs, sizeof attrs, "data-pause=\"%zu\" "
		    "data-seconds=\"%.3f\"", i + 1, pp->seconds);
		lane_add(&ls, (x0 + x1) / 2, "pause-label", C_PAUSE, attrs, lab);
	}
	for (i = 0; i < r->nattempts; i++) {
		snprintf(lab, sizeof lab, "attempt %d", r->attempts[i].number);
		lane_add(&ls, ax_x(&a, r->attempts[i].start), "attempt-label",
		    "#495057", "", lab);
	}
	for (i = 0; i < r->ntimeouts; i++) {
		snprintf(lab, sizeof lab, "a%d switch timeout",
		    r->timeouts[i].attempt);
		lane_add(&ls, ax_x(&a, r->timeouts[i].at), "timeout-label", C_FAIL,
		    "", lab);
	}
	for (i = 1; i < (size_t)a.n; i++) {
		double s = (double)(a.s[i].t0 - a.s[i - 1].t1) / 1000.0;

		report_fmt_duration(s, d, sizeof d);
		snprintf(lab, sizeof lab, "axis cut: %s without activity", d);
		lane_add(&ls, (a.s[i - 1].x1 + a.s[i].x0) / 2, "break-label",
		    "#6c757d", "", lab);
	}
	lanes_assign(&ls);

	/* Rows: every phase, then every rollback. */
	rows = xcalloc(PHASE_COUNT + r->nrollbacks, sizeof *rows);
	for (p = 0; p < PHASE_COUNT; p++) {
		snprintf(rows[nrows].label, sizeof rows[0].label, "%s",
		    phase_name(p));
		rows[nrows].phase = p;
		nrows++;
	}
	for (i = 0; i < r->nrollbacks; i++) {
		snprintf(rows[nrows].label, sizeof rows[0].label, "rollback %d",
		    r->rollbacks[i].number);
		rows[nrows].phase = -1;
		rows[nrows].rollback = (int)i;
		nrows++;
	}

	y = 44 + 22;
	text_attr(&body, 16, y, "start", FONT, "section-title",
	    "font-weight=\"bold\"", "phases and rollbacks (UTC)");
	ygantt = y + 12 + ls.nlanes * LANE_H;
	lanes_draw(&body, &ls, ygantt);
	sb_puts(&body, "<g id=\"gantt\">\n");
	for (i = 0; i < nrows; i++) {
		rows[i].y = ygantt + (double)i * ROW_H;
		if (i % 2 == 0)
			sb_printf(&body, "<rect class=\"row-band\" x=\"%.1f\" y=\"%.1f\" "
			    "width=\"%.1f\" height=\"%.1f\" fill=\"#f8f9fa\"/>\n", 8.0,
			    rows[i].y, W - 16, ROW_H);
	}
	ylag = ygantt + (double)nrows * ROW_H;
	ax_ticks(&body, &a, ygantt, ylag + 30 + LAG_H, ylag + 30 + LAG_H + 16);
	/* The pauses, shaded over the chart and the lag. */
	for (i = 0; i < r->npauses; i++) {
		const struct report_pause *pp = &r->pauses[i];
		double x0 = ax_x(&a, pp->start);
		double x1 = ax_x(&a, pp->end != 0 ? pp->end : r->end);

		sb_printf(&body, "<rect class=\"pause\" data-pause=\"%zu\" "
		    "data-kind=\"%s\" data-attempt=\"%d\" data-rollback=\"%d\" "
		    "data-seconds=\"%.3f\" data-open=\"%s\" x=\"%.1f\" y=\"%.1f\" "
		    "width=\"%.1f\" height=\"%.1f\" fill=\"" C_PAUSE "\" "
		    "fill-opacity=\"0.22\" stroke=\"" C_PAUSE "\" "
		    "stroke-opacity=\"0.7\"/>\n", i + 1,
		    report_pause_kind_name(pp->kind), pp->attempt, pp->rollback,
		    pp->seconds, pp->end != 0 ? "false" : "true", x1 - x0 < 2 ?
		    x0 - 1 : x0, ygantt, x1 - x0 < 2 ? 2 : x1 - x0,
		    ylag + 30 + LAG_H - ygantt);
	}
	for (i = 0; i < r->nattempts; i++) {
		double x = ax_x(&a, r->attempts[i].start);

		sb_printf(&body, "<line class=\"attempt-start\" data-attempt=\"%d\" "
		    "x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\" "
		    "stroke=\"#495057\" stroke-dasharray=\"2 3\"/>\n",
		    r->attempts[i].number, x, ygantt, x, ylag);
	}
	for (i = 0; i < r->ntimeouts; i++) {
		double x = ax_x(&a, r->timeouts[i].at);

		sb_printf(&body, "<line class=\"switch-timeout\" data-attempt=\"%d\" "
		    "x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\" stroke=\"" C_FAIL
		    "\" stroke-width=\"2\" stroke-dasharray=\"4 3\"/>\n",
		    r->timeouts[i].attempt, x, ygantt, x, ylag + 30 + LAG_H);
	}
	for (i = 0; i < nrows; i++) {
		struct occ o;
		size_t k;

		memset(&o, 0, sizeof o);
		sb_printf(&body, "<text class=\"row-label\" data-row=\"%zu\" "
		    "x=\"%.1f\" y=\"%.1f\" font-size=\"%.0f\" text-anchor=\"end\">",
		    i, X0 - 10, rows[i].y + ROW_H / 2 + 4.5, FONT);
		xml(&body, rows[i].label);
		sb_puts(&body, "</text>\n");
		if (rows[i].phase >= 0) {
			for (k = 0; k < r->nattempts; k++)
				if (r->attempts[k].phases[rows[i].phase].status != RP_NOT_RUN)
					phase_bar(&body, &a, r, &r->attempts[k],
					    rows[i].phase, rows[i].y, BAR_H, &o, false);
		} else {
			rollback_bar(&body, &a, r, &r->rollbacks[rows[i].rollback],
			    rows[i].y, ROW_H, BAR_H, &o, false);
		}
	}
	sb_puts(&body, "</g>\n");
	ylag += 30;

	lag_chart(&body, r, &a, ylag);
	y = legend(&body, r, ylag + LAG_H + 44);

	/* A zoomed panel for each pause: the last REPORT_MAX_ZOOMS. */
	first_zoom = r->npauses > REPORT_MAX_ZOOMS ?
	    r->npauses - REPORT_MAX_ZOOMS : 0;
	if (first_zoom > 0) {
		snprintf(lab, sizeof lab, "The zooms show the last %d pauses; the "
		    "first %zu are in the table of report.md.", REPORT_MAX_ZOOMS,
		    first_zoom);
		text(&body, 16, y + 8, "start", SMALL, "zoom-note", lab);
		y += 18;
	}
	for (i = first_zoom; i < r->npauses; i++)
		y = zoom(&body, r, &r->pauses[i], (int)(i + 1), y + 8);

	/* What ties the picture to its log. */
	if (r->log.state == 1)
		snprintf(lab, sizeof lab, "event log intact (cutover log --verify): "
		    "%lld events, last seq %lld, last hash %s",
		    (long long)r->log.events, (long long)r->log.last_seq,
		    r->log.last_hash);
	else
		snprintf(lab, sizeof lab, "event log %s: %.80s; last seq %lld, last "
		    "hash %s", r->log.state == 0 ? "BROKEN" : "not verified",
		    r->log.why, (long long)r->log.last_seq, r->log.last_hash);
	y += 8;
	text_attr(&body, 16, y, "start", SMALL, "log-verify", r->log.state == 1 ?
	    "fill=\"#495057\"" : "fill=\"" C_FAIL "\" font-weight=\"bold\"", lab);
	h = y + 16;

	sb_init(&sb);
	sb_printf(&sb, "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"%.0f\" "
	    "height=\"%.0f\" viewBox=\"0 0 %.0f %.0f\" font-family=\"DejaVu Sans, "
	    "Verdana, sans-serif\" data-look=\"%s\" data-run=\"", W, h, W, h,
	    report_look_name(r->look));
	xml(&sb, r->run_id);
	sb_puts(&sb, "\">\n");
	defs(&sb);
	sb_printf(&sb, "<rect class=\"background\" width=\"%.0f\" height=\"%.0f\" "
	    "fill=\"white\"/>\n", W, h);
	banner(&sb, r, h);
	sb_add(&sb, body.buf, body.len);
	sb_puts(&sb, "</svg>\n");
	sb_free(&body);
	free(ls.l);
	free(rows);
	return sb_detach(&sb);
}
