/* draw.c - clipped, UTF-8 aware text, title rules and bars. */
#include "config.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <wchar.h>

#include "ui-int.h"

/* Copies at most w columns of s into out (sanitized); returns columns. */
static int
clip(const char *s, int w, struct strbuf *out)
{
	mbstate_t st;
	size_t n = strlen(s), k;
	int cols = 0, cw;
	wchar_t wc;

	memset(&st, 0, sizeof st);
	while (n > 0 && cols < w) {
		unsigned char c = (unsigned char)*s;

		if (c < 0x80) {
			if (c < 0x20 || c == 0x7f)
				c = '?';
			sb_putc(out, (char)c);
			cols++;
			s++;
			n--;
			continue;
		}
		if (!G.utf8) {
			/* skip the rest of a multibyte sequence */
			sb_putc(out, '?');
			cols++;
			s++;
			n--;
			while (n > 0 && ((unsigned char)*s & 0xc0) == 0x80) {
				s++;
				n--;
			}
			continue;
		}
		k = mbrtowc(&wc, s, n, &st);
		if (k == (size_t)-1 || k == (size_t)-2 || k == 0) {
			memset(&st, 0, sizeof st);
			sb_putc(out, '?');
			cols++;
			s++;
			n--;
			continue;
		}
		cw = wcwidth(wc);
		if (cw < 0) {
			sb_putc(out, '?');
			cw = 1;
		} else {
			if (cols + cw > w)
				break;
			sb_add(out, s, k);
		}
		cols += cw;
		s += k;
		n -= k;
	}
	return cols;
}

int
text_width(const char *s)
{
	struct strbuf sb;
	int cols;

	sb_init(&sb);
	cols = clip(s, 1 << 20, &sb);
	sb_free(&sb);
	return cols;
}

int
put(WINDOW *win, int y, int x, int w, attr_t attr, const char *s)
{
	struct strbuf sb;
	int cols;

	if (w <= 0 || s == NULL)
		return 0;
	sb_init(&sb);
	cols = clip(s, w, &sb);
	if (sb.len > 0) {
		wattrset(win, attr);
		mvwaddnstr(win, y, x, sb.buf, (int)sb.len);
		wattrset(win, A_NORMAL);
	}
	sb_free(&sb);
	return cols;
}

int
putf(WINDOW *win, int y, int x, int w, attr_t attr, const char *fmt, ...)
{
	char buf[1024];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(buf, sizeof buf, fmt, ap);
	va_end(ap);
	return put(win, y, x, w, attr, buf);
}

int
put_right(WINDOW *win, int y, int x, int w, attr_t attr, const char *s)
{
	int tw = text_width(s);

	if (tw > w)
		return put(win, y, x, w, attr, s);
	return put(win, y, x + w - tw, tw, attr, s);
}

void
fill(WINDOW *win, int y, int x, int w, attr_t attr, const char *glyph)
{
	int i;

	if (w <= 0)
		return;
	wattrset(win, attr);
	wmove(win, y, x);
	for (i = 0; i < w; i++)
		waddstr(win, glyph);
	wattrset(win, A_NORMAL);
}

void
pane_title(struct pane *p, const struct model *v, const char *title,
    const char *right, int64_t stamp)
{
	attr_t a = theme(p->focused ? TH_TITLE_FOCUS : TH_TITLE);
	char age[32], stale[48];
	int x, rw = 0, sw = 0;

	fill(p->win, 0, 0, p->w, a, p->focused ? " " : G.hline);
	x = put(p->win, 0, 1, p->w - 2, a, " ");
	x += put(p->win, 0, 1 + x, p->w - 2 - x, a | A_BOLD, title);
	x += put(p->win, 0, 1 + x, p->w - 2 - x, a, " ");
	if (stamp >= 0 && model_stale(v, stamp)) {
		if (stamp == 0)
			snprintf(stale, sizeof stale, " NO DATA ");
		else {
			fmt_age(age, sizeof age, v->now - stamp);
			snprintf(stale, sizeof stale, " STALE %s ", age);
		}
		sw = text_width(stale);
		if (1 + x + sw < p->w)
			put(p->win, 0, 1 + x, sw, theme(TH_STALE), stale);
		else
			sw = 0;
	}
	if (right != NULL && *right != '\0') {
		rw = text_width(right) + 2;
		if (1 + x + sw + rw < p->w) {
			put(p->win, 0, p->w - rw - 1, 1, a, " ");
			put(p->win, 0, p->w - rw, rw - 2, a, right);
			put(p->win, 0, p->w - 2, 1, a, " ");
		}
	}
}

void
draw_bar(WINDOW *win, int y, int x, int w, double frac, attr_t attr)
{
	int full;

	if (w <= 0)
		return;
	if (!(frac >= 0))
		frac = 0;
	if (frac > 1)
		frac = 1;
	full = (int)(frac * w + 0.5);
	fill(win, y, x, full, attr, G.bar_full);
	fill(win, y, x + full, w - full, theme(TH_DIM), G.bar_empty);
}

const char *
check_mark(int status)
{
	switch (status) {
	case CHECK_PASS:
		return "pass";
	case CHECK_WARN:
		return "WARN";
	case CHECK_FAIL:
		return "FAIL";
	case CHECK_SKIP:
		return "skip";
	case CHECK_ERROR:
		return "ERROR";
	}
	return "-";
}

enum role
check_role(int status)
{
	switch (status) {
	case CHECK_PASS:
		return TH_OK;
	case CHECK_WARN:
		return TH_WARN;
	case CHECK_FAIL:
	case CHECK_ERROR:
		return TH_BAD;
	}
	return TH_DIM;
}

void
draw_box(WINDOW *win, attr_t attr)
{
	wattrset(win, attr);
	if (G.utf8)
		box_set(win, NULL, NULL);
	else
		wborder(win, '|', '|', '-', '-', '+', '+', '+', '+');
	wattrset(win, A_NORMAL);
}
