/* sparkline.c - one-line sparklines and small charts with a threshold,
 * in Unicode blocks (eighths) or ASCII. */
#include "config.h"

#include <math.h>
#include <stdlib.h>

#include "ui-int.h"

void
sparkline(WINDOW *win, int y, int x, int w, const struct series *s,
    double max, attr_t attr)
{
	size_t n = s->n, first, i;
	double v, min = 0;
	int col, level;

	if (w <= 0)
		return;
	first = n > (size_t)w ? n - (size_t)w : 0;
	if (isnan(max)) {
		/* Scaled between the window's own extremes: a flat line sits in
		 * the middle, a changing one uses the height. */
		max = -INFINITY;
		min = INFINITY;
		for (i = first; i < n; i++) {
			v = series_at(s, i, NULL);
			if (!isnan(v) && v > max)
				max = v;
			if (!isnan(v) && v < min)
				min = v;
		}
		if (min > 0 && min > max / 4)
			min = min - (max - min);
		if (min < 0 || isinf(min))
			min = 0;
	}
	col = w - (int)(n - first);
	fill(win, y, x, col, theme(TH_DIM), " ");
	for (i = first; i < n; i++, col++) {
		v = series_at(s, i, NULL);
		if (isnan(v) || v < 0) {
			put(win, y, x + col, 1, attr, " ");
			continue;
		}
		level = max > min ? 1 + (int)lround((v - min) / (max - min) * 7) :
		    max > 0 ? 4 : 1;
		if (level > 8)
			level = 8;
		put(win, y, x + col, 1, attr, G.blocks[level]);
	}
}

void
spark_chart(WINDOW *win, int y, int x, int h, int w, const struct series *s,
    double threshold, int64_t now, int window_s)
{
	double *col, max = 0, v, lo, hi, cell;
	int64_t t, start = now - (int64_t)window_s * 1000;
	int c, r, k, thr_row = -1;
	size_t i;

	if (w <= 0 || h <= 0)
		return;
	col = xcalloc((size_t)w, sizeof *col);
	for (c = 0; c < w; c++)
		col[c] = NAN;
	for (i = 0; i < s->n; i++) {
		v = series_at(s, i, &t);
		if (t < start || t > now || isnan(v))
			continue;
		c = (int)((t - start) * w / ((int64_t)window_s * 1000 + 1));
		if (c >= w)
			c = w - 1;
		if (isnan(col[c]) || v > col[c])
			col[c] = v;
		if (v > max)
			max = v;
	}
	if (!isnan(threshold) && threshold * 1.25 > max)
		max = threshold * 1.25;
	if (max <= 0)
		max = 1;
	if (!isnan(threshold))
		thr_row = h - 1 - (int)(threshold / max * h);
	if (thr_row >= h)
		thr_row = h - 1;
	for (r = 0; r < h; r++) {
		lo = max * (h - 1 - r) / h;
		hi = max * (h - r) / h;
		for (c = 0; c < w; c++) {
			attr_t a;

			v = col[c];
			if (isnan(v) || v <= lo) {
				if (r == thr_row)
					put(win, y + r, x + c, 1, theme(TH_THRESHOLD),
					    G.threshold);
				else
					put(win, y + r, x + c, 1, A_NORMAL, " ");
				continue;
			}
			a = !isnan(threshold) && v > threshold ? theme(TH_BAD) :
			    theme(TH_SPARK);
			cell = v >= hi ? 1 : (v - lo) / (hi - lo);
			k = (int)lround(cell * 8);
			if (k < 1)
				k = 1;
			put(win, y + r, x + c, 1, a, G.blocks[k]);
		}
	}
	free(col);
}
