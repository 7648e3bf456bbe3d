/* conf.c - cutover.conf: one table of keys gives the parser, the
 * defaults and the `cutover init` template, so they cannot drift. */
#include "config.h"

#include <errno.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include <libpq-fe.h>

#include "conf.h"
#include "fileio.h"
#include "hooks.h"
#include "ini.h"
#include "tablepat.h"

enum key_type {
	T_STRING,     /* any text; empty means unset (NULL) */
	T_CONNINFO,   /* a libpq connection string or URI */
	T_NAME,       /* [A-Za-z0-9_-]+ */
	T_BOOL,
	T_DOUBLE,
	T_INT,
	T_INT64,
	T_PROVIDER,
	T_DRAIN,
	T_SWITCH,
	T_OTHER,      /* wait | terminate */
	T_LIST,       /* comma-separated */
	T_TOLERANCE,  /* rows, or N% */
	T_CHECKSUM,   /* full | sample:PERCENT */
	T_HOSTPORT,   /* HOST:PORT, empty means off */
	T_IDENT,      /* a PostgreSQL identifier (<= 63 bytes) */
	T_LISTEN,     /* [HOST]:PORT, empty means off, no host = loopback */
	T_PATTERNS,   /* comma-separated SCHEMA.TABLE patterns (tablepat.h) */
};

struct key_def {
	const char *section;
	const char *key;
	enum key_type type;
	size_t offset;
	const char *def;      /* default, as written in the template */
	const char *comment;  /* one line for the template */
	bool required;
	double min, max;      /* T_DOUBLE, T_INT, T_INT64 */
};

#define F(field) offsetof(struct config, field)
#define REQ true
#define OPT false

static const struct key_def keys[] = {
	{ "cutover", "environment", T_NAME, F(environment), "staging",
	  "dev, staging, prod, ...; prod asks the operator to type the name to confirm", OPT, 0, 0 },
	{ "cutover", "state_dir", T_STRING, F(state_dir), "./cutover-state",
	  "state.json, events.jsonl, lock, validation results, report", OPT, 0, 0 },
	{ "cutover", "rehearsal", T_BOOL, F(rehearsal), "false",
	  "marks the run as a rehearsal in logs and report", OPT, 0, 0 },

	{ "source", "conninfo", T_CONNINFO, F(source_conninfo), "",
	  "required: libpq URI or key=value string; passwords from ~/.pgpass, PGPASSWORD or a service file", REQ, 0, 0 },

	{ "target", "conninfo", T_CONNINFO, F(target_conninfo), "",
	  "required: the Aurora writer (cluster) endpoint", REQ, 0, 0 },
	{ "target", "reader_conninfo", T_CONNINFO, F(target_reader_conninfo), "",
	  "optional: run target-side validation reads here", OPT, 0, 0 },

	{ "replication", "provider", T_PROVIDER, F(provider), "dms",
	  "dms | postgres", OPT, 0, 0 },
	{ "replication", "region", T_STRING, F(region), "",
	  "dms: else AWS_REGION / AWS_DEFAULT_REGION / the profile's region", OPT, 0, 0 },
	{ "replication", "task_arn", T_STRING, F(task_arn), "",
	  "dms: required, the full-load-and-cdc task", OPT, 0, 0 },
	{ "replication", "reverse_task_arn", T_STRING, F(reverse_task_arn), "",
	  "dms: optional, the target-to-source CDC task for rollback after the switch", OPT, 0, 0 },
	{ "replication", "publication", T_IDENT, F(publication), "cutover_pub",
	  "postgres: the publication on the source", OPT, 0, 0 },
	{ "replication", "subscription", T_IDENT, F(subscription), "cutover_sub",
	  "postgres: the subscription on the target", OPT, 0, 0 },

	{ "validation", "max_lag_seconds", T_DOUBLE, F(max_lag_seconds), "5",
	  "the lag gate: lag must stay below this", OPT, 0.001, 86400 },
	{ "validation", "lag_hold_seconds", T_DOUBLE, F(lag_hold_seconds), "30",
	  "... continuously for this long", OPT, 0, 86400 },
	{ "validation", "lag_wait_seconds", T_DOUBLE, F(lag_wait_seconds), "1800",
	  "how long sync_wait waits for the lag gate before it fails", OPT, 1, 604800 },
	{ "validation", "row_count_tolerance", T_TOLERANCE, F(row_count_tolerance), "0",
	  "rows, or a percentage such as 0.1%", OPT, 0, 0 },
	{ "validation", "checksum", T_CHECKSUM, F(checksum_sample_percent), "full",
	  "full | sample:PERCENT", OPT, 0, 0 },
	{ "validation", "jobs", T_INT, F(jobs), "4",
	  "connections per side for validation", OPT, 1, 64 },
	{ "validation", "exclude_tables", T_PATTERNS, F(exclude_tables), "",
	  "comma-separated SCHEMA.TABLE patterns: * and ? match, unquoted names fold to lower case, \"Quoted\".\"Names\" as written", OPT, 0, 0 },

	{ "drain", "method", T_DRAIN, F(drain_method), "terminate",
	  "pgbouncer | terminate | readonly", OPT, 0, 0 },
	{ "drain", "roles", T_LIST, F(roles), "app_rw",
	  "application roles to fence and drain", OPT, 0, 0 },
	{ "drain", "pgbouncer_admin", T_CONNINFO, F(pgbouncer_admin), "",
	  "conninfo of pgbouncer's admin console (method pgbouncer)", OPT, 0, 0 },
	{ "drain", "pgbouncer_database", T_STRING, F(pgbouncer_database), "app",
	  "the pgbouncer database entry the application uses", OPT, 0, 0 },
	{ "drain", "wait_seconds", T_DOUBLE, F(drain_wait_seconds), "10",
	  "how long to wait for in-flight transactions before terminating them", OPT, 0, 3600 },
	{ "drain", "other_writers", T_OTHER, F(other_writers), "wait",
	  "sessions of other roles holding writes at the fence: wait (then stop) | terminate", OPT, 0, 0 },

	{ "switch", "method", T_SWITCH, F(switch_method), "command",
	  "pgbouncer | command", OPT, 0, 0 },
	{ "switch", "command", T_STRING, F(switch_command), "",
	  "run with CUTOVER_* variables in its environment (method command)", OPT, 0, 0 },
	{ "switch", "timeout_seconds", T_DOUBLE, F(switch_timeout_seconds), "300",
	  "from the fence until the switch is done; past it the run undoes itself", OPT, 1, 86400 },
	{ "switch", "confirm", T_BOOL, F(switch_confirm), "false",
	  "hold after sequence_sync and ask \"switch now?\" (the wait counts inside the write pause)", OPT, 0, 0 },
	{ "switch", "pgbouncer_databases_file", T_STRING, F(pgbouncer_databases_file), "",
	  "method pgbouncer: file %include'd by pgbouncer.ini holding the database entry", OPT, 0, 0 },
	{ "switch", "pgbouncer_target", T_STRING, F(pgbouncer_target), "",
	  "method pgbouncer: the entry's new value; empty = host, port, dbname of [target] conninfo", OPT, 0, 0 },

	{ "sequences", "margin", T_INT64, F(sequence_margin), "1000",
	  "target sequences are set to at least the source's value plus this", OPT, 0, 1e15 },

	{ "rollback", "reverse_replication", T_BOOL, F(reverse_replication), "true",
	  "replicate target to source after the switch, so rollback loses nothing", OPT, 0, 0 },
	{ "rollback", "reverse_conninfo", T_CONNINFO, F(reverse_conninfo), "",
	  "postgres: how the source server reaches the target; empty = [target] conninfo", OPT, 0, 0 },
	{ "rollback", "reverse_publication", T_IDENT, F(reverse_publication), "cutover_rev_pub",
	  "postgres: the reverse publication on the target", OPT, 0, 0 },
	{ "rollback", "reverse_subscription", T_IDENT, F(reverse_subscription), "cutover_rev_sub",
	  "postgres: the reverse subscription on the source", OPT, 0, 0 },
	{ "rollback", "reverse_slot", T_IDENT, F(reverse_slot), "cutover_reverse",
	  "dms: logical slot created on the target before it takes writes (the reverse source endpoint's slot_name)", OPT, 0, 0 },
	{ "rollback", "reverse_slot_plugin", T_NAME, F(reverse_slot_plugin), "test_decoding",
	  "dms: its output plugin, as the endpoint's PluginName: test_decoding | pglogical", OPT, 0, 0 },

	{ "metrics", "cloudwatch", T_BOOL, F(cloudwatch), "true",
	  "dms provider: task, instance and Aurora metrics", OPT, 0, 0 },
	{ "metrics", "period_seconds", T_INT, F(period_seconds), "60",
	  "CloudWatch period, a multiple of 60: one GetMetricData per period", OPT, 60, 86400 },
	{ "metrics", "aurora_cluster", T_STRING, F(aurora_cluster), "",
	  "DBClusterIdentifier for AWS/RDS metrics; empty = from the target host name", OPT, 0, 0 },
	{ "metrics", "task_poll_seconds", T_INT, F(task_poll_seconds), "6",
	  "dms: DescribeReplicationTasks at most this often while watching", OPT, 5, 300 },
	{ "metrics", "table_poll_seconds", T_INT, F(table_poll_seconds), "30",
	  "dms: DescribeTableStatistics at most this often while watching", OPT, 30, 3600 },
	{ "metrics", "listen", T_LISTEN, F(metrics_listen), "",
	  "HOST:PORT: serve /metrics (OpenMetrics); :PORT = 127.0.0.1:PORT; empty = off", OPT, 0, 0 },

	{ "hooks", "timeout_seconds", T_DOUBLE, F(hooks_timeout_seconds), "10",
	  "a hook still running after this is killed (its process group)", OPT, 0.1, 3600 },

	{ "watch", "listen", T_HOSTPORT, F(watch_listen), "",
	  "HOST:PORT for the read-only TLS feed; empty = off", OPT, 0, 0 },
	{ "watch", "cert_file", T_STRING, F(watch_cert_file), "",
	  "PEM certificate of the feed (required with listen)", OPT, 0, 0 },
	{ "watch", "key_file", T_STRING, F(watch_key_file), "",
	  "PEM private key of the feed (required with listen)", OPT, 0, 0 },
	{ "watch", "token_file", T_STRING, F(watch_token_file), "",
	  "file holding the watchers' shared token (required with listen)", OPT, 0, 0 },
};

static const char *const provider_names[] = { "dms", "postgres" };
static const char *const drain_names[] = { "pgbouncer", "terminate", "readonly" };
static const char *const switch_names[] = { "pgbouncer", "command" };
static const char *const other_names[] = { "wait", "terminate" };

const char *
provider_name(enum provider_kind p)
{
	return provider_names[p];
}

static void
strlist_free(struct strlist *l)
{
	size_t i;

	for (i = 0; i < l->n; i++)
		free(l->v[i]);
	free(l->v);
	l->v = NULL;
	l->n = 0;
}

static int
lookup_enum(const char *v, const char *const *names, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (strcmp(v, names[i]) == 0)
			return (int)i;
	return -1;
}

static void
join_names(char *buf, size_t len, const char *const *names, size_t n)
{
	size_t i, used = 0;

	buf[0] = '\0';
	for (i = 0; i < n && used < len; i++)
		used += (size_t)snprintf(buf + used, len - used, "%s%s",
		    i ? " | " : "", names[i]);
}

static int
set_string(char **field, const char *v)
{
	free(*field);
	*field = *v != '\0' ? xstrdup(v) : NULL;
	return 0;
}

/* Parses value for k into c. Returns NULL or a message saying what is
 * wrong with the value (written to why). */
static const char *
set_value(struct config *c, const struct key_def *k, const char *v,
    char *why, size_t whylen)
{
	void *field = (char *)c + k->offset;
	char names[128];
	double d;
	int64_t i;
	int idx;

	switch (k->type) {
	case T_STRING:
		set_string(field, v);
		return NULL;
	case T_CONNINFO: {
		char *msg = NULL;
		PQconninfoOption *opts;

		if (*v != '\0') {
			opts = PQconninfoParse(v, &msg);
			if (opts == NULL) {
				snprintf(why, whylen, "invalid connection string: %s",
				    msg != NULL ? str_trim(msg) : "out of memory");
				PQfreemem(msg);
				return why;
			}
			PQconninfoFree(opts);
		}
		set_string(field, v);
		return NULL;
	}
	case T_NAME: {
		const char *p;

		if (*v == '\0')
			return "must not be empty";
		for (p = v; *p != '\0'; p++)
			if (!((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') ||
			    (*p >= '0' && *p <= '9') || *p == '_' || *p == '-'))
				return "may only hold letters, digits, '_' and '-'";
		set_string(field, v);
		return NULL;
	}
	case T_IDENT:
		if (*v == '\0')
			return "must not be empty";
		if (strlen(v) > 63)
			return "is longer than PostgreSQL's 63-byte identifiers";
		set_string(field, v);
		return NULL;
	case T_BOOL: {
		static const char *const yes[] = { "true", "yes", "on", "1" };
		static const char *const no[] = { "false", "no", "off", "0" };

		if (lookup_enum(v, yes, ARRAY_SIZE(yes)) >= 0)
			*(bool *)field = true;
		else if (lookup_enum(v, no, ARRAY_SIZE(no)) >= 0)
			*(bool *)field = false;
		else
			return "must be true or false";
		return NULL;
	}
	case T_DOUBLE:
		if (parse_double(v, &d) != 0)
			return "must be a number";
		if (d < k->min || d > k->max) {
			snprintf(why, whylen, "must be between %g and %g", k->min,
			    k->max);
			return why;
		}
		*(double *)field = d;
		return NULL;
	case T_INT:
	case T_INT64:
		if (parse_int64(v, &i) != 0)
			return "must be a whole number";
		if ((double)i < k->min || (double)i > k->max) {
			snprintf(why, whylen, "must be between %.0f and %.0f",
			    k->min, k->max);
			return why;
		}
		if (k->type == T_INT)
			*(int *)field = (int)i;
		else
			*(int64_t *)field = i;
		return NULL;
	case T_PROVIDER:
	case T_DRAIN:
	case T_SWITCH:
	case T_OTHER: {
		const char *const *set = k->type == T_PROVIDER ? provider_names :
		    k->type == T_DRAIN ? drain_names : k->type == T_SWITCH ?
		    switch_names : other_names;
		size_t n = k->type == T_PROVIDER ? ARRAY_SIZE(provider_names) :
		    k->type == T_DRAIN ? ARRAY_SIZE(drain_names) :
		    k->type == T_SWITCH ? ARRAY_SIZE(switch_names) :
		    ARRAY_SIZE(other_names);

		if ((idx = lookup_enum(v, set, n)) < 0) {
			join_names(names, sizeof names, set, n);
			snprintf(why, whylen, "must be one of: %s", names);
			return why;
		}
		*(int *)field = idx;
		return NULL;
	}
	case T_LIST: {
		struct strlist *l = field;
		char *copy = xstrdup(v), *tok, *save = NULL;

		strlist_free(l);
		for (tok = strtok_r(copy, ",", &save); tok != NULL;
		    tok = strtok_r(NULL, ",", &save)) {
			tok = str_trim(tok);
			if (*tok == '\0')
				continue;
			l->v = xreallocarray(l->v, l->n + 1, sizeof *l->v);
			l->v[l->n++] = xstrdup(tok);
		}
		free(copy);
		return NULL;
	}
	case T_PATTERNS: {
		struct strlist *l = field;
		struct table_pattern pat;
		char **items;
		int n, j;

		if ((n = table_pattern_split(v, &items, why, whylen)) < 0)
			return why;
		for (j = 0; j < n; j++) {
			char pwhy[256];

			if (table_pattern_parse(&pat, items[j], pwhy,
			    sizeof pwhy) != 0) {
				snprintf(why, whylen, "pattern %s: %s", items[j], pwhy);
				for (j = 0; j < n; j++)
					free(items[j]);
				free(items);
				return why;
			}
			table_pattern_free(&pat);
		}
		strlist_free(l);
		l->v = items;
		l->n = (size_t)n;
		return NULL;
	}
	case T_TOLERANCE: {
		struct tolerance *t = field;
		char *copy = xstrdup(v);
		size_t n = strlen(copy);
		bool pct = n > 0 && copy[n - 1] == '%';

		if (pct)
			copy[n - 1] = '\0';
		if (parse_double(str_trim(copy), &d) != 0 || d < 0 ||
		    (pct && d > 100)) {
			free(copy);
			return "must be a number of rows or a percentage such as 0.1%";
		}
		free(copy);
		t->percent = pct;
		t->value = d;
		return NULL;
	}
	case T_CHECKSUM:
		if (strcmp(v, "full") == 0) {
			*(double *)field = 100;
			return NULL;
		}
		if (str_startswith(v, "sample:")) {
			char *copy = xstrdup(v + 7);
			size_t n = strlen(copy);

			if (n > 0 && copy[n - 1] == '%')
				copy[n - 1] = '\0';
			if (parse_double(copy, &d) == 0 && d > 0 && d <= 100) {
				free(copy);
				*(double *)field = d;
				return NULL;
			}
			free(copy);
		}
		return "must be full or sample:PERCENT (0 < PERCENT <= 100)";
	case T_LISTEN:
	case T_HOSTPORT: {
		const char *colon = strrchr(v, ':');

		if (*v == '\0') {
			set_string(field, v);
			return NULL;
		}
		if (colon == NULL || (colon == v && k->type == T_HOSTPORT) ||
		    parse_int64(colon + 1, &i) != 0 || i < 1 || i > 65535)
			return k->type == T_LISTEN ? "must be HOST:PORT or :PORT" :
			    "must be HOST:PORT";
		set_string(field, v);
		return NULL;
	}
	}
	return "unknown type";
}

static const struct key_def *
find_key(const char *section, const char *key)
{
	size_t i;

	for (i = 0; i < ARRAY_SIZE(keys); i++)
		if (strcmp(keys[i].section, section) == 0 &&
		    strcmp(keys[i].key, key) == 0)
			return &keys[i];
	return NULL;
}

static bool
known_section(const char *section)
{
	size_t i;

	for (i = 0; i < ARRAY_SIZE(keys); i++)
		if (strcmp(keys[i].section, section) == 0)
			return true;
	return false;
}

void
config_defaults(struct config *c)
{
	char why[256];
	size_t i;

	memset(c, 0, sizeof *c);
	for (i = 0; i < ARRAY_SIZE(keys); i++)
		if (set_value(c, &keys[i], keys[i].def, why, sizeof why) != NULL)
			abort();	/* a bad default is a programming error */
}

void
config_free(struct config *c)
{
	size_t i;

	for (i = 0; i < ARRAY_SIZE(keys); i++) {
		void *field = (char *)c + keys[i].offset;

		switch (keys[i].type) {
		case T_STRING:
		case T_CONNINFO:
		case T_NAME:
		case T_IDENT:
		case T_HOSTPORT:
		case T_LISTEN:
			free(*(char **)field);
			*(char **)field = NULL;
			break;
		case T_LIST:
		case T_PATTERNS:
			strlist_free(field);
			break;
		default:
			break;
		}
	}
	for (i = 0; i < c->nhooks; i++) {
		free(c->hooks[i].kind);
		free(c->hooks[i].command);
	}
	free(c->hooks);
	c->hooks = NULL;
	c->nhooks = 0;
	free(c->path);
	c->path = NULL;
}

/* Parse-time bookkeeping: where each key and section was seen. */
struct parse_ctx {
	struct config *c;
	const char *name;
	bool partial;              /* a watcher's: required keys may be missing */
	int key_line[ARRAY_SIZE(keys)];
	bool empty[ARRAY_SIZE(keys)];  /* a required key given empty */
	char sections[16][32];
	int section_line[16];
	size_t nsections;
};

static int
on_section(void *arg, int line, const char *section, struct err *e)
{
	struct parse_ctx *p = arg;
	size_t i;

	if (!known_section(section))
		return err_set(e, EXIT_USAGE, "%s:%d: unknown section [%s]",
		    p->name, line, section);
	for (i = 0; i < p->nsections; i++)
		if (strcmp(p->sections[i], section) == 0)
			return err_set(e, EXIT_USAGE,
			    "%s:%d: duplicate section [%s] (first at line %d)",
			    p->name, line, section, p->section_line[i]);
	if (p->nsections < ARRAY_SIZE(p->sections)) {
		snprintf(p->sections[p->nsections], sizeof p->sections[0], "%s",
		    section);
		p->section_line[p->nsections++] = line;
	}
	return 0;
}

/* [hooks] EVENT.KIND = COMMAND: the kinds are checked, so that a typo
 * does not leave a hook that never runs. */
static int
add_hook(struct parse_ctx *p, int line, const char *key, const char *value,
    struct err *e)
{
	struct config *c = p->c;
	const char *why;
	size_t i;

	if ((why = hook_key_check(key)) != NULL)
		return err_set(e, EXIT_USAGE, "%s:%d: [hooks] %s: %s", p->name, line,
		    key, why);
	for (i = 0; i < c->nhooks; i++)
		if (strcmp(c->hooks[i].kind, key) == 0)
			return err_set(e, EXIT_USAGE,
			    "%s:%d: duplicate key '%s' in [hooks] (first at line %d)",
			    p->name, line, key, c->hooks[i].line);
	if (*value == '\0')
		return err_set(e, EXIT_USAGE, "%s:%d: [hooks] %s: the command is "
		    "empty", p->name, line, key);
	c->hooks = xreallocarray(c->hooks, c->nhooks + 1, sizeof *c->hooks);
	c->hooks[c->nhooks].kind = xstrdup(key);
	c->hooks[c->nhooks].command = xstrdup(value);
	c->hooks[c->nhooks].line = line;
	c->nhooks++;
	return 0;
}

static int
on_key(void *arg, int line, const char *section, const char *key,
    const char *value, struct err *e)
{
	struct parse_ctx *p = arg;
	const struct key_def *k;
	const char *why;
	char buf[512];
	size_t idx;

	if (*section == '\0')
		return err_set(e, EXIT_USAGE, "%s:%d: key '%s' outside of any section",
		    p->name, line, key);
	if (strcmp(section, "hooks") == 0 && find_key(section, key) == NULL)
		return add_hook(p, line, key, value, e);
	if ((k = find_key(section, key)) == NULL)
		return err_set(e, EXIT_USAGE, "%s:%d: unknown key '%s' in [%s]",
		    p->name, line, key, section);
	idx = (size_t)(k - keys);
	if (p->key_line[idx] != 0)
		return err_set(e, EXIT_USAGE,
		    "%s:%d: duplicate key '%s' in [%s] (first at line %d)",
		    p->name, line, key, section, p->key_line[idx]);
	p->key_line[idx] = line;
	if (k->required && *value == '\0') {
		/* Reported with every other missing key at the end. */
		p->empty[idx] = true;
		return 0;
	}
	if ((why = set_value(p->c, k, value, buf, sizeof buf)) != NULL)
		return err_set(e, EXIT_USAGE, "%s:%d: [%s] %s: %s", p->name, line,
		    section, key, why);
	return 0;
}

/* The line to name for a missing key: its section's header, else the end. */
static int
line_for(const struct parse_ctx *p, const char *section, int last)
{
	size_t i;

	for (i = 0; i < p->nsections; i++)
		if (strcmp(p->sections[i], section) == 0)
			return p->section_line[i];
	return last;
}

static int
key_line(const struct parse_ctx *p, const char *section, const char *key)
{
	const struct key_def *k = find_key(section, key);

	return k != NULL ? p->key_line[k - keys] : 0;
}

static int
check_whole(struct parse_ctx *p, int last, struct err *e)
{
	struct config *c = p->c;
	size_t i;
	int line;

	struct strbuf miss;

	/* Every required key that is missing or empty, at once: a new
	 * config is filled in one pass, not one error at a time. */
	sb_init(&miss);
	for (i = 0; i < ARRAY_SIZE(keys); i++)
		if (keys[i].required && !p->partial &&
		    (p->key_line[i] == 0 || p->empty[i]))
			sb_printf(&miss, "%s%s:%d: [%s] %s is required",
			    miss.len ? "\n" : "", p->name, p->key_line[i] != 0 ?
			    p->key_line[i] : line_for(p, keys[i].section, last),
			    keys[i].section, keys[i].key);
	if (c->provider == PROVIDER_DMS && c->task_arn == NULL && !p->partial) {
		line = key_line(p, "replication", "task_arn");
		if (line == 0)
			line = key_line(p, "replication", "provider");
		sb_printf(&miss, "%s%s:%d: [replication] task_arn is required "
		    "with provider = dms", miss.len ? "\n" : "", p->name,
		    line != 0 ? line : line_for(p, "replication", last));
	}
	if (miss.len > 0) {
		err_set(e, EXIT_USAGE, "%s", miss.buf);
		sb_free(&miss);
		return -1;
	}
	if (c->watch_listen != NULL && (c->watch_cert_file == NULL ||
	    c->watch_key_file == NULL || c->watch_token_file == NULL))
		return err_set(e, EXIT_USAGE,
		    "%s:%d: [watch] listen needs cert_file, key_file and token_file",
		    p->name, key_line(p, "watch", "listen"));
	/* DMS and Aurora publish standard-resolution metrics: one point a
	 * minute, so a shorter period only costs more. */
	if (c->period_seconds % 60 != 0)
		return err_set(e, EXIT_USAGE,
		    "%s:%d: [metrics] period_seconds must be a multiple of 60 (DMS "
		    "and Aurora metrics have one point a minute)",
		    p->name, key_line(p, "metrics", "period_seconds"));
	if (strcmp(c->reverse_slot_plugin, "test_decoding") != 0 &&
	    strcmp(c->reverse_slot_plugin, "pglogical") != 0 &&
	    strcmp(c->reverse_slot_plugin, "pgoutput") != 0)
		return err_set(e, EXIT_USAGE,
		    "%s:%d: [rollback] reverse_slot_plugin must be test_decoding or "
		    "pglogical (pgoutput: the lab's DMS emulator)", p->name,
		    key_line(p, "rollback", "reverse_slot_plugin"));
	return 0;
}

static int
parse(struct config *c, const char *name, const char *buf, size_t len,
    bool partial, struct err *e)
{
	struct parse_ctx p;
	int lines = 0;

	memset(&p, 0, sizeof p);
	p.c = c;
	p.name = name;
	p.partial = partial;
	if (ini_parse(name, buf, len, on_section, on_key, &p, &lines, e) != 0)
		return -1;
	return check_whole(&p, lines, e);
}

int
config_parse(struct config *c, const char *name, const char *buf,
    size_t len, struct err *e)
{
	return parse(c, name, buf, len, false, e);
}

static int
load(struct config *c, const char *path, bool partial, struct err *e)
{
	char *buf;
	size_t len;
	int rc;

	if (file_read_all(path, 1 << 20, &buf, &len) != 0)
		return err_set(e, EXIT_USAGE, "%s: cannot read config: %s", path,
		    errno == EFBIG ? "larger than 1 MiB" : strerror(errno));
	rc = parse(c, path, buf, len, partial, e);
	free(buf);
	if (rc == 0) {
		free(c->path);
		c->path = xstrdup(path);
	}
	return rc;
}

int
config_load(struct config *c, const char *path, struct err *e)
{
	return load(c, path, false, e);
}

int
config_load_partial(struct config *c, const char *path, struct err *e)
{
	return load(c, path, true, e);
}

const char *
config_default_path(const char *option, bool *explicit_path)
{
	const char *env = getenv("CUTOVER_CONFIG");

	*explicit_path = true;
	if (option != NULL)
		return option;
	if (env != NULL && *env != '\0')
		return env;
	*explicit_path = false;
	return "./cutover.conf";
}

static const char *
lookup_kv(const struct kv *values, size_t n, const char *section,
    const char *key)
{
	char full[128];
	size_t i;

	snprintf(full, sizeof full, "%s.%s", section, key);
	for (i = 0; i < n; i++)
		if (strcmp(values[i].key, full) == 0)
			return values[i].value;
	return NULL;
}

/* A value that would not survive the INI syntax unquoted gets quoted. */
static void
put_value(struct strbuf *sb, const char *v)
{
	const char *p;
	bool quote = false;

	for (p = v; *p != '\0'; p++)
		if ((*p == ';' || *p == '#') && (p == v || p[-1] == ' ' ||
		    p[-1] == '\t'))
			quote = true;
	if (*v == '"' || (*v != '\0' && (v[0] == ' ' || v[strlen(v) - 1] == ' ')))
		quote = true;
	if (!quote) {
		sb_puts(sb, v);
		return;
	}
	sb_putc(sb, '"');
	for (p = v; *p != '\0'; p++) {
		if (*p == '"' || *p == '\\')
			sb_putc(sb, '\\');
		sb_putc(sb, *p);
	}
	sb_putc(sb, '"');
}

char *
config_template(const struct kv *values, size_t nvalues)
{
	struct strbuf sb;
	const char *section = "", *v;
	size_t i;

	sb_init(&sb);
	sb_puts(&sb,
	    "# cutover.conf - see cutover.conf(5).\n"
	    "# Every key is shown with its default. Secrets never go in this file:\n"
	    "# passwords come from ~/.pgpass, PGPASSWORD, a libpq service file or\n"
	    "# AWS Secrets Manager; AWS credentials from the usual AWS chain.\n");
	for (i = 0; i < ARRAY_SIZE(keys); i++) {
		const struct key_def *k = &keys[i];

		if (strcmp(section, k->section) != 0) {
			section = k->section;
			sb_printf(&sb, "\n[%s]\n", section);
		}
		v = lookup_kv(values, nvalues, k->section, k->key);
		sb_printf(&sb, "# %s\n%s = ", k->comment, k->key);
		put_value(&sb, v != NULL ? v : k->def);
		sb_putc(&sb, '\n');
		if (strcmp(k->section, "hooks") == 0)
			sb_puts(&sb,
			    "# EVENT.KIND = COMMAND, run by /bin/sh with CUTOVER_EVENT_KIND,\n"
			    "# CUTOVER_PHASE, CUTOVER_RUN_ID, CUTOVER_ENVIRONMENT, CUTOVER_MSG,\n"
			    "# CUTOVER_EVENT_JSON set and the event's JSON line on stdin;\n"
			    "# `any` = every event. For example:\n"
			    "# phase.started = /usr/local/bin/notify-slack\n"
			    "# any = logger -t cutover \"$CUTOVER_EVENT_KIND $CUTOVER_MSG\"\n");
	}
	return sb_detach(&sb);
}

static bool
conninfo_secret(const char *keyword)
{
	return strcmp(keyword, "password") == 0 ||
	    strcmp(keyword, "sslpassword") == 0;
}

char *
conninfo_safe(const char *conninfo, int flags)
{
	PQconninfoOption *opts, *o;
	struct strbuf sb;
	char *msg = NULL;
	const char *p;

	if (conninfo == NULL)
		return xstrdup("");
	opts = PQconninfoParse(conninfo, &msg);
	PQfreemem(msg);
	if (opts == NULL)
		return NULL;
	sb_init(&sb);
	for (o = opts; o->keyword != NULL; o++) {
		if (o->val == NULL || *o->val == '\0')
			continue;
		if (conninfo_secret(o->keyword) &&
		    (flags & CONNINFO_DROP_SECRETS))
			continue;
		if (sb.len > 0)
			sb_putc(&sb, ' ');
		sb_printf(&sb, "%s=", o->keyword);
		if (conninfo_secret(o->keyword)) {
			sb_puts(&sb, "********");
			continue;
		}
		if (!(flags & CONNINFO_QUOTE_ALL) &&
		    strpbrk(o->val, " '\\") == NULL) {
			sb_puts(&sb, o->val);
			continue;
		}
		/* libpq's quoting: '...' with \' and \\ inside. */
		sb_putc(&sb, '\'');
		for (p = o->val; *p != '\0'; p++) {
			if (*p == '\'' || *p == '\\')
				sb_putc(&sb, '\\');
			sb_putc(&sb, *p);
		}
		sb_putc(&sb, '\'');
	}
	PQconninfoFree(opts);
	return sb_detach(&sb);
}

char *
conninfo_redact(const char *conninfo)
{
	char *s = conninfo_safe(conninfo, 0);

	return s != NULL ? s : xstrdup("(unparsable connection string)");
}
