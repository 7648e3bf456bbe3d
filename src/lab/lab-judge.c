/* lab-judge.c - the verdict on a load: what pgbench says (its
 * per-transaction log and its output) against what the database the
 * application points at now holds.
 *
 * Every transaction of load N inserts one transfer whose client_ref is
 * L<N>-<client>-<n>, n being the client's transaction number, which is
 * also the transaction number pgbench writes in its log. So:
 *   lost         a transaction pgbench logged as committed whose transfer
 *                is not on the primary;
 *   duplicated   a client reference found more than once;
 *   unconfirmed  a transfer on the primary whose transaction pgbench did
 *                not log as committed: normal while the load runs (the log
 *                is buffered) and for a load cut short, never a loss;
 *   failed       transactions pgbench counts as failed, plus clients it
 *                aborted on an error;
 *   the longest stall: the longest transaction latency (with --rate,
 *                pgbench counts it from the scheduled start, so time spent
 *                waiting behind a paused pool is in it) and the longest
 *                time between two consecutive commits of the whole load. */
#include "config.h"

#include <dirent.h>
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fileio.h"
#include "flow.h"
#include "lab.h"
#include "pg.h"

struct lab_judge_acc {
	uint8_t *log;         /* per transaction number: LOG_* */
	uint32_t *db;         /* per transaction number: rows on the primary */
	size_t cap;
};

enum { LOG_NONE, LOG_COMMITTED, LOG_FAILED };

int
lab_parse_logline(const char *line, struct lab_logline *out)
{
	char word[32];
	long long client, txno, epoch, us;
	int script, n;

	memset(out, 0, sizeof *out);
	n = sscanf(line, "%lld %lld %31s %d %lld %lld", &client, &txno, word,
	    &script, &epoch, &us);
	if (n != 6 || client < 0 || client > 100000 || txno < 0 ||
	    epoch < 0 || us < 0 || us >= 1000000)
		return -1;
	out->client = (int)client;
	out->txno = txno;
	out->end_us = epoch * 1000000 + us;
	if (word[0] >= '0' && word[0] <= '9') {
		char *end;

		out->committed = true;
		out->latency_us = strtoll(word, &end, 10);
		if (*end != '\0' && *end != '.')
			return -1;
	} else if (strcmp(word, "skipped") == 0) {
		/* only with --latency-limit, which the lab never uses */
		out->committed = false;
	} else if (strcmp(word, "failed") == 0 ||
	    strcmp(word, "serialization") == 0 || strcmp(word, "deadlock") == 0) {
		out->committed = false;
	} else {
		return -1;
	}
	return 0;
}

static void
grow(struct lab_judge_acc *a, size_t need)
{
	size_t cap = a->cap == 0 ? 256 : a->cap;

	while (cap <= need)
		cap *= 2;
	if (cap == a->cap)
		return;
	a->log = xrealloc(a->log, cap);
	memset(a->log + a->cap, 0, cap - a->cap);
	if (a->db != NULL) {
		a->db = xreallocarray(a->db, cap, sizeof *a->db);
		memset(a->db + a->cap, 0, (cap - a->cap) * sizeof *a->db);
	}
	a->cap = cap;
}

static int
cmp_i64(const void *a, const void *b)
{
	int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;

	return x < y ? -1 : x > y;
}

struct ends {
	int64_t *v;
	size_t n, cap;
};

static int
read_log(const char *path, struct lab_judgement *j, struct ends *ends)
{
	struct lab_logline l;
	char *line = NULL;
	size_t cap = 0;
	ssize_t len;
	FILE *f;

	if ((f = fopen(path, "r")) == NULL)
		return -1;
	while ((len = getline(&line, &cap, f)) > 0) {
		/* pgbench buffers its log: the last line may be half written. */
		if (line[len - 1] != '\n')
			break;
		if (lab_parse_logline(line, &l) != 0 || l.client < 0 ||
		    (size_t)l.client >= j->nclients)
			continue;
		j->transactions++;
		grow(&j->acc[l.client], (size_t)l.txno);
		if (l.committed) {
			j->acc[l.client].log[l.txno] = LOG_COMMITTED;
			j->clients[l.client].committed++;
			j->committed++;
			if ((double)l.latency_us / 1000 > j->max_latency_ms)
				j->max_latency_ms = (double)l.latency_us / 1000;
			if (ends->n == ends->cap) {
				ends->cap = ends->cap == 0 ? 4096 : ends->cap * 2;
				ends->v = xreallocarray(ends->v, ends->cap,
				    sizeof *ends->v);
			}
			ends->v[ends->n++] = l.end_us;
		} else {
			j->acc[l.client].log[l.txno] = LOG_FAILED;
			j->clients[l.client].failed++;
			j->failed++;
		}
	}
	free(line);
	fclose(f);
	return 0;
}

void
lab_judge_output(const char *text, struct lab_judgement *j)
{
	const char *p = text, *nl;
	long long n;
	int aborted = 0;
	bool run_aborted = false;

	while (*p != '\0') {
		char line[1024];
		const char *msg;
		size_t len;

		nl = strchr(p, '\n');
		len = nl != NULL ? (size_t)(nl - p) : strlen(p);
		snprintf(line, sizeof line, "%.*s", (int)(len < sizeof line - 1 ?
		    len : sizeof line - 1), p);
		p += len + (nl != NULL);
		if (sscanf(line, "number of failed transactions: %lld", &n) == 1) {
			if (n > j->failed)
				j->failed = n;
			continue;
		}
		/* pgbench 15 says "pgbench: error: client 0 script 0 aborted
		 * in command 10 query 0: ERROR: ..."; older ones "client 0
		 * aborted in ...". */
		msg = line;
		if (str_startswith(msg, "pgbench: "))
			msg += strlen("pgbench: ");
		if (str_startswith(msg, "error: "))
			msg += strlen("error: ");
		if (str_startswith(msg, "Run was aborted"))
			run_aborted = true;
		if (str_startswith(msg, "client ") && strstr(msg, " aborted") != NULL)
			aborted++;
		if (j->pgbench_error == NULL && (strstr(line, "error") != NULL ||
		    strstr(line, "ERROR") != NULL || strstr(line, "FATAL") != NULL ||
		    strstr(line, "aborted") != NULL)) {
			struct strbuf sb;

			sb_init(&sb);
			utf8_sanitize(&sb, line, strlen(line));
			j->pgbench_error = sb_detach(&sb);
		}
	}
	if (aborted == 0 && run_aborted)
		aborted = 1;
	j->aborted_clients = aborted;
}

int
lab_judge_logs(const struct lab *lab, const struct lab_load *ld,
    struct lab_judgement *j, struct err *e)
{
	char *dir = xasprintf("%s/load/%d", lab->dir, ld->id), *path, *text;
	struct ends ends = { NULL, 0, 0 };
	struct dirent *de;
	size_t i, len;
	DIR *d;

	j->nclients = ld->clients > 0 ? (size_t)ld->clients : 0;
	j->clients = xcalloc(j->nclients + 1, sizeof *j->clients);
	j->acc = xcalloc(j->nclients + 1, sizeof *j->acc);
	for (i = 0; i < j->nclients; i++)
		j->clients[i].client = (int)i;
	if ((d = opendir(dir)) == NULL) {
		err_set(e, EXIT_RUNTIME, "%s: cannot read: %s", dir, strerror(errno));
		free(dir);
		return -1;
	}
	while ((de = readdir(d)) != NULL) {
		if (!str_startswith(de->d_name, "txn."))
			continue;
		path = xasprintf("%s/%s", dir, de->d_name);
		if (read_log(path, j, &ends) != 0) {
			err_set(e, EXIT_RUNTIME, "%s: cannot read: %s", path,
			    strerror(errno));
			free(path);
			closedir(d);
			free(ends.v);
			free(dir);
			return -1;
		}
		free(path);
	}
	closedir(d);
	if (ends.n > 0) {
		qsort(ends.v, ends.n, sizeof *ends.v, cmp_i64);
		j->first_commit_ms = ends.v[0] / 1000;
		j->last_commit_ms = ends.v[ends.n - 1] / 1000;
		for (i = 1; i < ends.n; i++)
			if ((double)(ends.v[i] - ends.v[i - 1]) / 1000 > j->max_gap_ms) {
				j->max_gap_ms = (double)(ends.v[i] - ends.v[i - 1]) / 1000;
				j->max_gap_at_ms = ends.v[i] / 1000;
			}
	}
	free(ends.v);
	path = xasprintf("%s/pgbench.out", dir);
	if (file_read_all(path, 64 << 20, &text, &len) == 0) {
		lab_judge_output(text, j);
		free(text);
	}
	free(path);
	free(dir);
	return 0;
}

static void
add_ref(char ***refs, size_t *n, int load, int client, int64_t txno)
{
	if (*n >= LAB_MAX_REFS)
		return;
	*refs = xreallocarray(*refs, *n + 1, sizeof **refs);
	(*refs)[(*n)++] = xasprintf("L%d-%d-%" PRId64, load, client, txno);
}

/* The primary's side of the judgement, a flow (flow.h): the load's
 * transfers by client reference, then the balances' total. */
struct judge_ask {
	struct pg *primary;
	const struct lab *lab;
	const struct lab_load *ld;
	struct lab_judgement *j;
	char lo[32], hi[32];
	bool summing;              /* the failing query is the sum */
};

static int
ask_refs(struct flow *f, PGresult *prev)
{
	static const char q_refs[] =
	    "SELECT client_ref, count(*) FROM transfers"
	    " WHERE client_ref >= $1 AND client_ref < $2 GROUP BY client_ref";
	struct judge_ask *q = f->ctx;
	const char *params[2] = { q->lo, q->hi };

	(void)prev;
	/* L<N>- up to L<N>. ('.' follows '-'; client_ref sorts as "C") */
	snprintf(q->lo, sizeof q->lo, "L%d-", q->ld->id);
	snprintf(q->hi, sizeof q->hi, "L%d.", q->ld->id);
	return flow_query(f, q->primary, q_refs, 2, params);
}

static int
count_refs(struct flow *f, PGresult *res)
{
	struct judge_ask *q = f->ctx;
	struct lab_judgement *j = q->j;
	const struct lab_load *ld = q->ld;
	const char *ref;
	char *end;
	int64_t count, txno;
	struct lab_client *c;
	struct lab_judge_acc *a;
	long client;
	size_t i, k;
	int row;

	for (i = 0; i < j->nclients; i++) {
		a = &j->acc[i];
		if (a->cap == 0)
			grow(a, 1);
		a->db = xcalloc(a->cap, sizeof *a->db);
	}
	for (row = 0; row < PQntuples(res); row++) {
		ref = pgr_value(res, row, 0) + strlen(q->lo);
		count = pgr_int64(res, row, 1, 0);
		client = strtol(ref, &end, 10);
		txno = *end == '-' ? strtoll(end + 1, NULL, 10) : -1;
		if (client < 0 || (size_t)client >= j->nclients || txno <= 0) {
			/* not one this load's script could have written */
			j->unconfirmed++;
			continue;
		}
		a = &j->acc[client];
		grow(a, (size_t)txno);
		a->db[txno] += (uint32_t)(count > UINT32_MAX ? UINT32_MAX : count);
	}
	for (i = 0; i < j->nclients; i++) {
		a = &j->acc[i];
		c = &j->clients[i];
		for (k = 1; k < a->cap; k++) {
			if (a->db[k] > 0)
				c->found++;
			if (a->db[k] > 1) {
				c->duplicated += a->db[k] - 1;
				add_ref(&j->duplicated_refs, &j->nduplicated_refs, ld->id,
				    (int)i, (int64_t)k);
			}
			if (a->log[k] == LOG_COMMITTED && a->db[k] == 0) {
				c->lost++;
				add_ref(&j->lost_refs, &j->nlost_refs, ld->id, (int)i,
				    (int64_t)k);
			} else if (a->log[k] != LOG_COMMITTED && a->db[k] > 0) {
				c->unconfirmed++;
			}
		}
		j->found += c->found;
		j->lost += c->lost;
		j->duplicated += c->duplicated;
		j->unconfirmed += c->unconfirmed;
	}
	return FLOW_NEXT;
}

/* Money moves, it is never made or lost: the balances' total stays what
 * it was when the lab was built. */
static int
ask_balance(struct flow *f, PGresult *prev)
{
	struct judge_ask *q = f->ctx;

	(void)prev;
	if (q->lab->total_balance == NULL)
		return FLOW_DONE;
	q->summing = true;
	return flow_query(f, q->primary,
	    "SELECT sum(balance)::text FROM accounts", 0, NULL);
}

static int
check_balance(struct flow *f, PGresult *res)
{
	struct judge_ask *q = f->ctx;
	struct lab_judgement *j = q->j;

	j->balance_checked = true;
	j->balance_total = xstrdup(pgr_value(res, 0, 0) != NULL ?
	    pgr_value(res, 0, 0) : "NULL");
	j->balance_expected = xstrdup(q->lab->total_balance);
	j->balance_ok = strcmp(j->balance_total, q->lab->total_balance) == 0;
	return FLOW_NEXT;
}

static const flow_step judge_steps[] = {
	ask_refs, count_refs, ask_balance, check_balance, NULL
};

int
lab_judge_primary(struct loop *loop, struct pg *primary,
    const struct lab *lab, const struct lab_load *ld, struct lab_judgement *j,
    struct err *e)
{
	struct judge_ask q;

	memset(&q, 0, sizeof q);
	q.primary = primary;
	q.lab = lab;
	q.ld = ld;
	q.j = j;
	if (flow_run(loop, judge_steps, &q, e) != 0)
		return err_prefix(e, q.summing ? "summing the balances" :
		    "reading the load's transfers");
	j->compared = true;
	return 0;
}

void
lab_judge_finish(const struct lab_load *ld, struct lab_judgement *j)
{
	struct strbuf sb;
	size_t i;

	sb_init(&sb);
	if (j->failed > 0)
		sb_printf(&sb, "; %" PRId64 " failed transaction%s", j->failed,
		    j->failed == 1 ? "" : "s");
	if (j->aborted_clients > 0)
		sb_printf(&sb, "; %d client%s aborted by an error (%s)",
		    j->aborted_clients, j->aborted_clients == 1 ? "" : "s",
		    j->pgbench_error != NULL ? j->pgbench_error : "see pgbench.out");
	if (ld->ended && ld->exit_code > 0 && j->aborted_clients == 0)
		sb_printf(&sb, "; pgbench exited with status %d (%s)", ld->exit_code,
		    j->pgbench_error != NULL ? j->pgbench_error : "see pgbench.out");
	if (!j->compared) {
		sb_puts(&sb, "; not compared with the primary");
	} else {
		if (j->lost > 0) {
			sb_printf(&sb, "; %" PRId64 " lost transaction%s (", j->lost,
			    j->lost == 1 ? "" : "s");
			for (i = 0; i < j->nlost_refs && i < 5; i++)
				sb_printf(&sb, "%s%s", i > 0 ? ", " : "", j->lost_refs[i]);
			sb_puts(&sb, j->nlost_refs > 5 || (int64_t)j->nlost_refs <
			    j->lost ? ", ...)" : ")");
		}
		if (j->duplicated > 0)
			sb_printf(&sb, "; %" PRId64 " duplicated transfer%s",
			    j->duplicated, j->duplicated == 1 ? "" : "s");
		if (j->balance_checked && !j->balance_ok)
			sb_printf(&sb, "; money was made or lost: the balances add up "
			    "to %s, not %s", j->balance_total, j->balance_expected);
	}
	j->passed = sb.len == 0;
	free(j->verdict);
	if (j->passed) {
		j->verdict = xstrdup("passed");
		sb_free(&sb);
	} else {
		j->verdict = xasprintf("failed: %s", sb.buf + 2);
		sb_free(&sb);
	}
}

void
lab_judgement_free(struct lab_judgement *j)
{
	size_t i;

	for (i = 0; j->acc != NULL && i < j->nclients; i++) {
		free(j->acc[i].log);
		free(j->acc[i].db);
	}
	free(j->acc);
	for (i = 0; i < j->nlost_refs; i++)
		free(j->lost_refs[i]);
	free(j->lost_refs);
	for (i = 0; i < j->nduplicated_refs; i++)
		free(j->duplicated_refs[i]);
	free(j->duplicated_refs);
	free(j->clients);
	free(j->pgbench_error);
	free(j->primary);
	free(j->primary_conninfo);
	free(j->balance_total);
	free(j->balance_expected);
	free(j->verdict);
	memset(j, 0, sizeof *j);
}
