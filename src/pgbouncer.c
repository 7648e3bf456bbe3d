/* pgbouncer.c - pgbouncer's databases as the switch, the fence and the
 * world look read them: the entry for the target, an entry in the
 * databases file, a row of SHOW DATABASES, and whether two entries name
 * the same server. */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "pgbouncer.h"

char *
pgbouncer_target_entry(const struct config *cfg)
{
	PQconninfoOption *opts, *o;
	struct strbuf sb;
	char *msg = NULL;

	if (cfg->pgbouncer_target != NULL)
		return xstrdup(cfg->pgbouncer_target);
	sb_init(&sb);
	opts = PQconninfoParse(cfg->target_conninfo, &msg);
	for (o = opts; o != NULL && o->keyword != NULL; o++) {
		if (o->val == NULL || *o->val == '\0')
			continue;
		if (strcmp(o->keyword, "host") == 0 ||
		    strcmp(o->keyword, "port") == 0 ||
		    strcmp(o->keyword, "dbname") == 0)
			sb_printf(&sb, "%s%s=%s", sb.len ? " " : "", o->keyword, o->val);
	}
	PQconninfoFree(opts);
	PQfreemem(msg);
	return sb_detach(&sb);
}

char *
pgbouncer_file_entry(const char *text, const char *db, size_t *start,
    size_t *end)
{
	const char *p = text, *nl, *eq;
	size_t dblen = strlen(db);

	while (*p != '\0') {
		const char *q = p;

		nl = strchr(p, '\n');
		if (nl == NULL)
			nl = p + strlen(p);
		while (q < nl && (*q == ' ' || *q == '\t'))
			q++;
		if ((size_t)(nl - q) > dblen && strncmp(q, db, dblen) == 0) {
			eq = q + dblen;
			while (eq < nl && (*eq == ' ' || *eq == '\t'))
				eq++;
			if (eq < nl && *eq == '=') {
				char *v = xstrndup(eq + 1, (size_t)(nl - eq - 1));
				char *t = xstrdup(str_trim(v));

				free(v);
				*start = (size_t)(p - text);
				*end = (size_t)(nl - text);
				return t;
			}
		}
		p = *nl == '\n' ? nl + 1 : nl;
	}
	return NULL;
}

/* Two entries name the same thing when their host, port and dbname
 * agree (the text may differ in order or spacing). */
bool
pgbouncer_entry_equal(const char *a, const char *b)
{
	static const char *const keys[] = { "host", "port", "dbname" };
	PQconninfoOption *oa, *ob, *x, *y;
	char *ma = NULL, *mb = NULL;
	bool same = true;
	size_t i;

	if (a == NULL || b == NULL)
		return false;
	if (strcmp(a, b) == 0)
		return true;
	oa = PQconninfoParse(a, &ma);
	ob = PQconninfoParse(b, &mb);
	if (oa == NULL || ob == NULL)
		same = false;
	for (i = 0; same && i < ARRAY_SIZE(keys); i++) {
		const char *va = NULL, *vb = NULL;

		for (x = oa; x->keyword != NULL; x++)
			if (strcmp(x->keyword, keys[i]) == 0)
				va = x->val;
		for (y = ob; y->keyword != NULL; y++)
			if (strcmp(y->keyword, keys[i]) == 0)
				vb = y->val;
		if (!streq(va != NULL ? va : "", vb != NULL ? vb : ""))
			same = false;
	}
	PQconninfoFree(oa);
	PQconninfoFree(ob);
	PQfreemem(ma);
	PQfreemem(mb);
	return same;
}

char *
pgbouncer_show_entry(const PGresult *res, int r)
{
	int hc = PQfnumber(res, "host"), pc = PQfnumber(res, "port");
	int dc = PQfnumber(res, "database");
	struct strbuf sb;

	sb_init(&sb);
	if (hc >= 0 && !PQgetisnull(res, r, hc) && *PQgetvalue(res, r, hc))
		sb_printf(&sb, "host=%s", PQgetvalue(res, r, hc));
	if (pc >= 0 && !PQgetisnull(res, r, pc) && *PQgetvalue(res, r, pc))
		sb_printf(&sb, "%sport=%s", sb.len ? " " : "", PQgetvalue(res, r, pc));
	if (dc >= 0 && !PQgetisnull(res, r, dc) && *PQgetvalue(res, r, dc))
		sb_printf(&sb, "%sdbname=%s", sb.len ? " " : "",
		    PQgetvalue(res, r, dc));
	return sb.buf != NULL ? sb_detach(&sb) : xstrdup("");
}

int
pgbouncer_show_row(const PGresult *res, const char *db)
{
	int r, c = PQfnumber(res, "name");

	for (r = 0; c >= 0 && r < PQntuples(res); r++)
		if (strcmp(PQgetvalue(res, r, c), db) == 0)
			return r;
	return -1;
}
