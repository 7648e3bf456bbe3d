/* report-lab.c - in a rehearsal lab, what the application's clients saw:
 * the pgbench loads that ran during the run (lab.h: D/load/N/) give,
 * for each write pause, the longest transaction that overlapped it and
 * the longest time between two commits across it, and for the run the
 * committed and failed transactions; `cutover lab status` leaves its
 * judgement against the primary (lost, duplicated) in judgement.json.
 *
 * The state directory of a lab is D/state, so D is its parent. */
#include "config.h"

#include <dirent.h>
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cjson/cJSON.h>

#include "fileio.h"
#include "jsonin.h"
#include "lab.h"
#include "report-int.h"

/* Failures right after a pause still come from it (a client that
 * reconnects to a switched pool). */
#define FAILED_AFTER_US 1000000

struct commits {
	int64_t *us;
	size_t n, cap;
};

static cJSON *
read_json(const char *dir, const char *name)
{
	char *path = xasprintf("%s/%s", dir, name), *text;
	size_t len;
	cJSON *o = NULL;

	if (file_read_all(path, 1 << 20, &text, &len) == 0) {
		o = cJSON_ParseWithLength(text, len);
		free(text);
	}
	free(path);
	return o;
}

static int
cmp_i64(const void *a, const void *b)
{
	int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;

	return x < y ? -1 : x > y;
}

/* The end of a pause for the clients: still open means the log's end. */
static int64_t
pause_end_us(const struct report *r, const struct report_pause *p)
{
	return (p->end != 0 ? p->end : r->end) * 1000;
}

static void
take_line(struct report *r, struct report_load *ld, const struct lab_logline *x,
    struct commits *c, bool *touched)
{
	int64_t run0 = r->start * 1000, run1 = r->end * 1000;
	int64_t start = x->end_us - (x->committed ? x->latency_us : 0);
	size_t i;

	if (x->end_us >= run0 && x->end_us <= run1) {
		if (x->committed) {
			ld->committed++;
			if ((double)x->latency_us / 1000.0 > ld->max_latency_ms)
				ld->max_latency_ms = (double)x->latency_us / 1000.0;
		} else {
			ld->failed++;
		}
	}
	/* Commits a minute either side, for the gaps across the run's edges. */
	if (x->committed && x->end_us >= run0 - 60000000 &&
	    x->end_us <= run1 + 60000000) {
		if (c->n == c->cap) {
			c->cap = c->cap == 0 ? 4096 : c->cap * 2;
			c->us = xreallocarray(c->us, c->cap, sizeof *c->us);
		}
		c->us[c->n++] = x->end_us;
	}
	for (i = 0; i < r->npauses; i++) {
		struct report_pause *p = &r->pauses[i];
		struct report_clients *cl = &p->clients;
		int64_t p0 = p->start * 1000, p1 = pause_end_us(r, p);

		if (!touched[i])
			continue;
		if (x->committed && start < p1 && x->end_us > p0) {
			cl->in_window++;
			if ((double)x->latency_us / 1000.0 > cl->max_latency_ms) {
				cl->max_latency_ms = (double)x->latency_us / 1000.0;
				cl->max_latency_end = x->end_us / 1000;
			}
		}
		if (!x->committed && x->end_us >= p0 &&
		    x->end_us <= p1 + FAILED_AFTER_US)
			cl->failed++;
	}
}

static void
read_logs(struct report *r, struct report_load *ld, const char *dir,
    bool *touched)
{
	struct commits c = { NULL, 0, 0 };
	struct dirent *de;
	DIR *d = opendir(dir);
	size_t i, k;

	if (d == NULL) {
		ld->error = xasprintf("%s: %s", dir, strerror(errno));
		return;
	}
	while ((de = readdir(d)) != NULL) {
		struct lab_logline x;
		char *path, *line = NULL;
		size_t cap = 0;
		FILE *f;

		if (strncmp(de->d_name, "txn", 3) != 0)
			continue;
		path = xasprintf("%s/%s", dir, de->d_name);
		f = fopen(path, "re");
		if (f == NULL) {
			free(ld->error);
			ld->error = xasprintf("%s: %s", path, strerror(errno));
			free(path);
			continue;
		}
		while (getline(&line, &cap, f) > 0)
			if (lab_parse_logline(line, &x) == 0)
				take_line(r, ld, &x, &c, touched);
		free(line);
		fclose(f);
		free(path);
	}
	closedir(d);
	if (c.n > 1)
		qsort(c.us, c.n, sizeof *c.us, cmp_i64);
	for (k = 1; k < c.n; k++) {
		int64_t a = c.us[k - 1], b = c.us[k];
		double gap = (double)(b - a) / 1000.0;

		if (b >= r->start * 1000 && a <= r->end * 1000 &&
		    gap > ld->max_gap_ms)
			ld->max_gap_ms = gap;
		for (i = 0; i < r->npauses; i++) {
			struct report_clients *cl = &r->pauses[i].clients;

			if (touched[i] && a < pause_end_us(r, &r->pauses[i]) &&
			    b > r->pauses[i].start * 1000 && gap > cl->max_gap_ms) {
				cl->max_gap_ms = gap;
				cl->max_gap_end = b / 1000;
			}
		}
	}
	free(c.us);
}

static void
judgement(struct report_load *ld, const char *dir)
{
	cJSON *j = read_json(dir, "judgement.json");

	if (cJSON_IsObject(j) && cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(j,
	    "compared"))) {
		ld->judged = true;
		ld->lost = json_int(j, "lost", -1);
		ld->duplicated = json_int(j, "duplicated", -1);
		ld->judged_on = json_strdup(j, "judged_on");
		ld->verdict = json_strdup(j, "verdict");
	}
	cJSON_Delete(j);
}

static char *
parent_dir(const char *path)
{
	char *p = xstrdup(path), *slash;
	size_t n = strlen(p);

	while (n > 1 && p[n - 1] == '/')
		p[--n] = '\0';
	slash = strrchr(p, '/');
	if (slash == NULL) {
		free(p);
		return xstrdup(".");
	}
	if (slash == p)
		slash[1] = '\0';
	else
		*slash = '\0';
	return p;
}

static void
one_load(struct report *r, const char *loads, const char *name)
{
	char *dir = xasprintf("%s/%s", loads, name);
	cJSON *lj = read_json(dir, "load.json"), *ex = read_json(dir, "exit.json");
	struct report_load ld;
	int64_t planned_end;
	bool *touched;
	size_t i;

	memset(&ld, 0, sizeof ld);
	ld.id = (int)json_int(lj, "id", atoi(name));
	ld.rate = (int)json_int(lj, "rate", 0);
	ld.clients = (int)json_int(lj, "clients", 0);
	ld.duration = (int)json_int(lj, "duration", 0);
	ld.started = json_int(lj, "started_ms", 0);
	ld.ended = json_int(ex, "ended_ms", 0);
	cJSON_Delete(lj);
	cJSON_Delete(ex);
	planned_end = ld.ended != 0 ? ld.ended : ld.started +
	    (int64_t)ld.duration * 1000;
	if (ld.started == 0 || ld.started > r->end || planned_end < r->start) {
		free(dir);
		return;
	}
	/* The pauses this load saw. */
	touched = xcalloc(r->npauses + 1, sizeof *touched);
	for (i = 0; i < r->npauses; i++) {
		struct report_pause *p = &r->pauses[i];

		if (ld.started < (p->end != 0 ? p->end : r->end) &&
		    planned_end > p->start && !p->have_clients) {
			touched[i] = true;
			p->have_clients = true;
			memset(&p->clients, 0, sizeof p->clients);
			p->clients.load = ld.id;
		}
	}
	read_logs(r, &ld, dir, touched);
	judgement(&ld, dir);
	free(touched);
	free(dir);
	r->loads = xreallocarray(r->loads, r->nloads + 1, sizeof *r->loads);
	r->loads[r->nloads++] = ld;
}

static int
cmp_int(const void *a, const void *b)
{
	return *(const int *)a - *(const int *)b;
}

void
report_lab_loads(struct report *r, const char *state_dir)
{
	char *lab = parent_dir(state_dir);
	char *marker = xasprintf("%s/%s", lab, LAB_FILE);
	char *loads = xasprintf("%s/load", lab), name[16];
	struct dirent *de;
	DIR *d = NULL;
	int *ids = NULL;
	size_t n = 0, i;

	if (r->have_run && access(marker, F_OK) == 0)
		d = opendir(loads);
	while (d != NULL && (de = readdir(d)) != NULL) {
		if (de->d_name[0] < '1' || de->d_name[0] > '9' ||
		    strspn(de->d_name, "0123456789") != strlen(de->d_name) ||
		    strlen(de->d_name) > 9)
			continue;
		ids = xreallocarray(ids, n + 1, sizeof *ids);
		ids[n++] = atoi(de->d_name);
	}
	if (d != NULL)
		closedir(d);
	/* In order: a pause goes to the first load that ran across it. */
	if (n > 1)
		qsort(ids, n, sizeof *ids, cmp_int);
	for (i = 0; i < n; i++) {
		snprintf(name, sizeof name, "%d", ids[i]);
		one_load(r, loads, name);
	}
	free(ids);
	free(lab);
	free(marker);
	free(loads);
}
