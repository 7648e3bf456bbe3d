/* cmd.c - the command table, option parsing shared by every command, and
 * loading the configuration the way each command needs it. */
#include "config.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cmd.h"
#include "eventlog.h"
#include "fileio.h"
#include "lock.h"

/* Each command's options, in the order its help lists them: the parser
 * (args_parse), `cutover NAME --help` and the test that holds cutover(1)
 * to them all read these tables, so they cannot drift apart. A key is
 * what args_parse keeps: the short letter, or a code of its own. */
static const struct cmd_opt console_opts[] = {
	{ 'r', 0, "refresh", "SECONDS",
	  "refresh the figures this often (default 1)" },
	{ 'm', 0, "mouse", NULL, "click to focus a pane, wheel to scroll" },
	{ 0, 0, NULL, NULL, NULL },
};
static const struct cmd_opt watch_opts[] = {
	{ 'C', 0, "connect", "HOST:PORT", "follow a driver's TLS watch feed" },
	{ 'T', 0, "token-file", "F", "the feed's shared token (with --connect)" },
	{ 'A', 0, "ca-file", "F", "trust this CA (PEM) for the driver's\n"
	  "certificate; default: the system's" },
	{ 'H', 0, "hooks", NULL, "run this machine's [hooks] (from -c FILE)\n"
	  "on the events that arrive from now on" },
	{ 'm', 0, "mouse", NULL, "click to focus a pane, wheel to scroll" },
	{ 0, 0, NULL, NULL, NULL },
};
static const struct cmd_opt status_opts[] = {
	{ 'j', 0, "json", NULL, "print the JSON snapshot (see cutover(1))" },
	{ 0, 0, NULL, NULL, NULL },
};
static const struct cmd_opt validate_opts[] = {
	{ 'q', 0, "quick", NULL, "catalog estimates for row counts, no checksums" },
	{ 'F', 0, "full", NULL, "exact counts and in-database checksums" },
	{ 'o', 'o', "output", "FILE", "also write the JSON result here (- for "
	  "stdout)" },
	{ 't', 't', "table", "S.T", "only the tables this SCHEMA.TABLE pattern "
	  "names\n(repeatable; * and ?, \"Quoted\".\"Names\": cutover(1))" },
	{ 'j', 'j', "jobs", "N", "connections per side (default [validation] "
	  "jobs)" },
	{ 0, 0, NULL, NULL, NULL },
};
static const struct cmd_opt run_opts[] = {
	{ 'u', 'u', "until", "PHASE", "stop after this phase (default "
	  "post_validation)" },
	{ 'y', 'y', "yes", NULL, "do not ask before each phase" },
	{ 'n', 'n', "dry-run", NULL, "print every SQL statement, admin command "
	  "and API\ncall it would make, and change nothing" },
	{ 0, 0, NULL, NULL, NULL },
};
static const struct cmd_opt rollback_opts[] = {
	{ 'y', 'y', "yes", NULL, "do not ask" },
	{ 'n', 'n', "dry-run", NULL, "print what it would do, and change nothing" },
	{ 0, 0, NULL, NULL, NULL },
};
static const struct cmd_opt report_opts[] = {
	{ 'o', 'o', "output", "FILE", "the Markdown (default "
	  "state_dir/report.md; - for\nstandard output); the SVG timeline goes "
	  "beside\nit as timeline.svg (in state_dir with -)" },
	{ 'j', 0, "json", NULL, "also write the same content as JSON beside "
	  "it\n(FILE with .json for .md) and print it" },
	{ 'C', 0, "compare", "DIR|FILE", "add the runs of another state "
	  "directory, or\nof an earlier report --json file, to the\ntrend "
	  "(repeatable)" },
	{ 0, 0, NULL, NULL, NULL },
};
static const struct cmd_opt setup_opts[] = {
	{ 'n', 'n', "dry-run", NULL, "print the statements and change nothing" },
	{ 0, 0, NULL, NULL, NULL },
};
static const struct cmd_opt log_opts[] = {
	{ 'f', 'f', "follow", NULL, "keep printing events as they are appended" },
	{ 'j', 0, "json", NULL, "print the raw JSON lines" },
	{ 'v', 0, "verify", NULL, "check every line's hash and the chain; exit "
	  "1\nnaming the first bad seq" },
	{ 0, 0, NULL, NULL, NULL },
};
static const struct cmd_opt init_opts[] = {
	{ 't', 0, "from-terraform", "FILE", "fill it from `terraform output "
	  "-json`\n(FILE, or - for standard input)" },
	{ 'o', 'o', "output", "FILE", "where to write (default: the config\n"
	  "path, ./cutover.conf); - for stdout" },
	{ 'f', 0, "force", NULL, "replace an existing file" },
	{ 0, 0, NULL, NULL, NULL },
};
/* Every option of every lab subcommand; each takes its own (cmd-lab.c). */
static const struct cmd_opt lab_opts[] = {
	{ 'd', 'd', "dir", "D", "the lab directory (default ./cutover-lab)" },
	{ 'r', 0, "rows", "N", "up: rows of the financial schema (default "
	  "1000000)" },
	{ 'p', 0, "provider", "P", "up: postgres (default) or dms" },
	{ 'R', 0, "rate", "TPS", "load: transactions a second (default 100)" },
	{ 'T', 0, "duration", "S", "load: seconds (default 300)" },
	{ 'C', 0, "clients", "N", "load: pgbench clients (default 8)" },
	{ 'S', 0, "stop", NULL, "load: end the running load" },
	{ 'j', 0, "json", NULL, "status: for scripts" },
	{ 0, 0, NULL, NULL, NULL },
};

/* Only commands that exist are listed: no placeholders. */
const struct command commands[] = {
	{ "console", "[--refresh SECONDS] [--mouse]",
	  "interactive driver console (takes the driver lock)",
	  console_opts, NULL, cmd_console, NULL },
	{ "watch", "[--connect HOST:PORT --token-file F [--ca-file F]] [--hooks] [--mouse]",
	  "read-only console: the local state directory, or a driver's feed",
	  watch_opts, NULL, cmd_watch, NULL },
	{ "status", "[--json]",
	  "one snapshot of replication, lag, tables and phase",
	  status_opts, NULL, cmd_status, NULL },
	{ "validate", "[--quick|--full] [--output FILE] [--table SCHEMA.TABLE]... [--jobs N]",
	  "run the validation checks headless (default --quick)",
	  validate_opts, NULL, cmd_validate, NULL },
	{ "run", "[--until PHASE] [--yes] [--dry-run]",
	  "drive the cutover headless from the current phase",
	  run_opts, NULL, cmd_run, NULL },
	{ "rollback", "[--yes] [--dry-run]",
	  "roll back from the current phase",
	  rollback_opts, NULL, cmd_rollback, NULL },
	{ "report", "[--output FILE|-] [--json] [--compare DIR|FILE]...",
	  "the run's report: timeline, phases, write pauses, validations, trend",
	  report_opts, NULL, cmd_report, NULL },
	{ "setup", "[--dry-run]",
	  "create the cutover schema (heartbeat, sentinel) on both sides",
	  setup_opts, NULL, cmd_setup, NULL },
	{ "log", "[--follow] [--json] [--verify]",
	  "print the event log; --verify checks the hash chain",
	  log_opts, NULL, cmd_log, NULL },
	{ "init", "[--from-terraform FILE|-] [--output FILE|-] [--force]",
	  "write a commented cutover.conf template",
	  init_opts, NULL, cmd_init, NULL },
	{ "lab", "up [--dir D] [--rows N] [--provider postgres|dms] | load "
	  "[--dir D] [--rate TPS] "
	  "[--duration S]\n    [--clients N] [--stop] | status [--dir D] [--json] "
	  "| down [--dir D]",
	  "the local rehearsal lab: servers, pgbouncer, replication, load",
	  lab_opts,
	  "Subcommands:\n"
	  "  up      build the lab in D (default ./cutover-lab): source and target\n"
	  "          clusters, pgbouncer, the financial schema with N rows (default\n"
	  "          1000000), logical replication, D/cutover.conf; --provider\n"
	  "          dms adds a DMS emulator the cutover drives (default postgres)\n"
	  "  load    run pgbench through pgbouncer in the background: TPS\n"
	  "          (default 100) for S seconds (default 300) with N clients\n"
	  "          (default 8); --stop ends the running load\n"
	  "  status  what runs, the replication, and the verdict on the last\n"
	  "          load: failed, lost and duplicated transactions, the longest\n"
	  "          stall; --json for scripts; exit 1 when not all is well\n"
	  "  down    stop everything the lab started and remove D\n",
	  NULL, cmd_lab },
};
const size_t ncommands = ARRAY_SIZE(commands);

static const struct option global_longopts[] = {
	{ "config", required_argument, NULL, 'c' },
	{ "state-dir", required_argument, NULL, 's' },
	{ "environment", required_argument, NULL, 'e' },
	{ "no-color", no_argument, NULL, 1000 },
	{ "help", no_argument, NULL, 'h' },
	{ "version", no_argument, NULL, 'V' },
	{ NULL, 0, NULL, 0 },
};

const struct command *
command_find(const char *name)
{
	size_t i;

	for (i = 0; i < ncommands; i++)
		if (strcmp(commands[i].name, name) == 0)
			return &commands[i];
	return NULL;
}

void
print_usage(FILE *f)
{
	size_t i;

	fprintf(f,
	    "Usage: cutover [GLOBAL OPTIONS] [COMMAND [ARGS]]\n"
	    "\n"
	    "Drive and watch a zero-downtime PostgreSQL to Aurora cutover.\n"
	    "\n"
	    "Global options:\n"
	    "  -c, --config FILE       config file (default: $CUTOVER_CONFIG, else ./cutover.conf)\n"
	    "  -s, --state-dir DIR     state directory (default: [cutover] state_dir, else ./cutover-state)\n"
	    "  -e, --environment NAME  overrides [cutover] environment\n"
	    "      --no-color          no colours (also: NO_COLOR set to anything non-empty)\n"
	    "  -h, --help              this help, or after COMMAND that command's\n"
	    "  -V, --version           print the version\n"
	    "\n"
	    "Commands:\n");
	for (i = 0; i < ncommands; i++)
		fprintf(f, "  %-8s %s\n", commands[i].name, commands[i].summary);
	fprintf(f,
	    "\n"
	    "Exit codes: 0 success, 1 a check failed, 2 usage or configuration error,\n"
	    "3 runtime failure, 4 the driver lock is held, 5 aborted or rolled back.\n"
	    "See cutover(1) and cutover.conf(5).\n");
}

/* "  -o, --output FILE" or "      --json". */
static void
opt_head(char *buf, size_t len, const struct cmd_opt *o)
{
	if (o->letter != 0)
		snprintf(buf, len, "  -%c, --%s%s%s", o->letter, o->name,
		    o->arg != NULL ? " " : "", o->arg != NULL ? o->arg : "");
	else
		snprintf(buf, len, "      --%s%s%s", o->name, o->arg != NULL ?
		    " " : "", o->arg != NULL ? o->arg : "");
}

void
print_command_help(FILE *f, const struct command *cmd)
{
	const struct cmd_opt *o;
	const char *p, *nl;
	char head[128];
	int col = 16;

	fprintf(f, "Usage: cutover [GLOBAL OPTIONS] %s %s\n\n%s.\n\n",
	    cmd->name, cmd->synopsis, cmd->summary);
	if (cmd->notes != NULL)
		fprintf(f, "%s\n", cmd->notes);
	/* The help column: two spaces past the longest head. */
	for (o = cmd->opts; o != NULL && o->name != NULL; o++) {
		opt_head(head, sizeof head, o);
		if ((int)strlen(head) + 2 > col)
			col = (int)strlen(head) + 2;
	}
	fprintf(f, "Options:\n");
	for (o = cmd->opts; o != NULL && o->name != NULL; o++) {
		opt_head(head, sizeof head, o);
		fprintf(f, "%-*s", col, head);
		for (p = o->help; (nl = strchr(p, '\n')) != NULL; p = nl + 1)
			fprintf(f, "%.*s\n%*s", (int)(nl - p), p, col, "");
		fprintf(f, "%s\n", p);
	}
	fprintf(f, "%-*sthis help\n"
	    "\nThe global options (-c, -s, -e, --no-color) may also follow the command.\n",
	    col, "  -h, --help");
}

int
report_error(const struct err *e, const struct command *cmd)
{
	fputs("cutover: ", stderr);
	print_lines(stderr, e->msg, "  ");
	fputc('\n', stderr);
	if (e->code == EXIT_USAGE && str_startswith(e->msg, "usage:"))
		fprintf(stderr, "Try 'cutover %s%s--help'.\n",
		    cmd != NULL ? cmd->name : "", cmd != NULL ? " " : "");
	return e->code;
}

static int
store_global(struct globals *g, int opt, const char *arg)
{
	switch (opt) {
	case 'c':
		g->config = arg;
		return 1;
	case 's':
		g->state_dir = arg;
		return 1;
	case 'e':
		g->environment = arg;
		return 1;
	case 1000:
		g->no_color = true;
		return 1;
	}
	return 0;
}

/* Names the offending argument of the option getopt just rejected. */
static void
bad_option(int argc, char **argv, const char *where, struct err *e)
{
	const char *arg = optind - 1 < argc ? argv[optind - 1] : "?";

	if (optopt != 0 && optopt < 256 && (arg[0] != '-' || arg[1] != '-'))
		err_set(e, EXIT_USAGE, "usage: %s: unknown option or missing "
		    "argument: -%c", where, optopt);
	else
		err_set(e, EXIT_USAGE, "usage: %s: unknown option or missing "
		    "argument: %s", where, arg);
}

int
cli_parse_globals(struct globals *g, int argc, char **argv, bool *want_help,
    bool *want_version, struct err *e)
{
	int opt;

	*want_help = *want_version = false;
	optind = 0;
	opterr = 0;
	while ((opt = getopt_long(argc, argv, "+:c:s:e:hV", global_longopts,
	    NULL)) != -1) {
		if (store_global(g, opt, optarg))
			continue;
		switch (opt) {
		case 'h':
			*want_help = true;
			break;
		case 'V':
			*want_version = true;
			break;
		case ':':
			return err_set(e, EXIT_USAGE,
			    "usage: option %s needs an argument", argv[optind - 1]);
		default:
			bad_option(argc, argv, "cutover", e);
			return -1;
		}
	}
	return optind;
}

/* getopt_long over the command's options (only: the keys it takes, NULL
 * for all) and the global options (stored in ctx->g). Returns the next
 * option's key, -1 at the end, 'h' for help, or '?' after setting e. */
static int
cmd_getopt(struct ctx *ctx, const struct command *cmd, const char *only,
    int argc, char **argv, struct err *e)
{
	static struct option merged[64];
	static const struct command *merged_for;
	static const char *merged_only;
	static char shorts[128];
	const struct cmd_opt *opts = cmd->opts;
	size_t n = 0, i, k;
	int opt;

	if (merged_for != cmd || merged_only != only) {
		/* First call for this command: build getopt's tables. */
		k = (size_t)snprintf(shorts, sizeof shorts, "+:");
		for (i = 0; opts != NULL && opts[i].name != NULL; i++) {
			if (only != NULL && (opts[i].key <= 0 || opts[i].key > 255 ||
			    strchr(only, opts[i].key) == NULL))
				continue;
			merged[n].name = opts[i].name;
			merged[n].has_arg = opts[i].arg != NULL ? required_argument :
			    no_argument;
			merged[n].flag = NULL;
			merged[n].val = opts[i].key;
			n++;
			if (opts[i].letter != 0 && k + 3 < sizeof shorts) {
				shorts[k++] = opts[i].letter;
				if (opts[i].arg != NULL)
					shorts[k++] = ':';
			}
		}
		shorts[k] = '\0';
		for (i = 0; global_longopts[i].name != NULL; i++)
			if (global_longopts[i].val != 'V')
				merged[n++] = global_longopts[i];
		memset(&merged[n], 0, sizeof merged[n]);
		strncat(shorts, "c:s:e:h", sizeof shorts - strlen(shorts) - 1);
		merged_for = cmd;
		merged_only = only;
		optind = 0;
		opterr = 0;
	}
	for (;;) {
		opt = getopt_long(argc, argv, shorts, merged, NULL);
		if (opt == -1) {
			merged_for = NULL;
			if (optind < argc) {
				err_set(e, EXIT_USAGE, "usage: %s: unexpected argument '%s'",
				    cmd->name, argv[optind]);
				return '?';
			}
			return -1;
		}
		if (store_global(&ctx->g, opt, optarg))
			continue;
		if (opt == ':') {
			merged_for = NULL;
			err_set(e, EXIT_USAGE, "usage: %s: option %s needs an argument",
			    cmd->name, argv[optind - 1]);
			return '?';
		}
		if (opt == '?') {
			merged_for = NULL;
			bad_option(argc, argv, cmd->name, e);
			return '?';
		}
		if (opt == 'h')
			merged_for = NULL;
		return opt;
	}
}

int
args_parse(struct ctx *ctx, const struct command *cmd, const char *only,
    int argc, char **argv, struct args *a, struct err *e)
{
	int opt;

	memset(a, 0, sizeof *a);
	while ((opt = cmd_getopt(ctx, cmd, only, argc, argv, e)) != -1) {
		if (opt == 'h' || opt == '?') {
			args_free(a);
			return opt == 'h' ? 1 : -1;
		}
		a->v = xreallocarray(a->v, a->n + 1, sizeof *a->v);
		a->v[a->n].key = opt;
		a->v[a->n].value = optarg;
		a->n++;
	}
	return 0;
}

int
args_exec(struct ctx *ctx, const struct command *cmd, const char *only,
    int argc, char **argv, cmd_exec_fn exec)
{
	struct err e = { 0, "" };
	struct args a;
	int rc;

	switch (args_parse(ctx, cmd, only, argc, argv, &a, &e)) {
	case 1:
		print_command_help(stdout, cmd);
		return EXIT_OK;
	case -1:
		return report_error(&e, cmd);
	}
	rc = exec(ctx, cmd, &a);
	args_free(&a);
	return rc;
}

void
args_free(struct args *a)
{
	free(a->v);
	memset(a, 0, sizeof *a);
}

const char *
args_next(const struct args *a, int key, size_t *i)
{
	for (; *i < a->n; (*i)++)
		if (a->v[*i].key == key)
			return a->v[(*i)++].value;
	return NULL;
}

bool
args_has(const struct args *a, int key)
{
	size_t i;

	for (i = 0; i < a->n; i++)
		if (a->v[i].key == key)
			return true;
	return false;
}

const char *
args_get(const struct args *a, int key)
{
	const char *v = NULL;
	size_t i;

	for (i = 0; i < a->n; i++)
		if (a->v[i].key == key)
			v = a->v[i].value;
	return v;
}

int
ctx_setup(struct ctx *ctx, enum config_need need, struct err *e)
{
	const char *nc = getenv("NO_COLOR");
	bool explicit_path;
	const char *path;

	ctx->color = !ctx->g.no_color && (nc == NULL || *nc == '\0');
	config_defaults(&ctx->cfg);
	if (need != CONFIG_NONE) {
		path = config_default_path(ctx->g.config, &explicit_path);
		if (need == CONFIG_WATCHER) {
			if (config_load_partial(&ctx->cfg, path, e) != 0)
				return -1;
			ctx->have_config = true;
		} else if (need == CONFIG_REQUIRED || explicit_path ||
		    access(path, F_OK) == 0) {
			if (config_load(&ctx->cfg, path, e) != 0)
				return -1;
			ctx->have_config = true;
		}
	}
	ctx->state_dir = ctx->g.state_dir != NULL ? ctx->g.state_dir :
	    ctx->cfg.state_dir != NULL ? ctx->cfg.state_dir : "./cutover-state";
	if (ctx->g.environment != NULL) {
		const char *p;

		for (p = ctx->g.environment; *p != '\0'; p++)
			if (!((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') ||
			    (*p >= '0' && *p <= '9') || *p == '_' || *p == '-'))
				return err_set(e, EXIT_USAGE,
				    "usage: --environment: '%s' may only hold letters, "
				    "digits, '_' and '-'", ctx->g.environment);
		if (*ctx->g.environment == '\0')
			return err_set(e, EXIT_USAGE,
			    "usage: --environment: must not be empty");
		free(ctx->cfg.environment);
		ctx->cfg.environment = xstrdup(ctx->g.environment);
	}
	ctx->environment = ctx->cfg.environment;
	return 0;
}

void
ctx_free(struct ctx *ctx)
{
	config_free(&ctx->cfg);
}

int
driver_take(const struct ctx *ctx, struct driver_lock **lock,
    struct eventlog **log, struct err *e)
{
	struct lock_holder stale;
	cJSON *data;

	*lock = NULL;
	*log = NULL;
	if (dir_ensure_private(ctx->state_dir, e) != 0 ||
	    lock_acquire(ctx->state_dir, lock, &stale, e) != 0 ||
	    eventlog_open(log, ctx->state_dir, ctx->environment, e) != 0)
		return -1;
	/* Room to record the way back when the disk fills up. */
	if (reserve_make(ctx->state_dir) != 0 && eventlog_append(*log, "check",
	    NULL, NULL, e, "warning: the 1 MiB reserve in %s cannot be made (%s): "
	    "a full disk there could stop a rollback from being recorded",
	    ctx->state_dir, strerror(errno)) < 0)
		return -1;
	if (stale.pid == 0)
		return 0;
	data = cJSON_CreateObject();
	cJSON_AddNumberToObject(data, "pid", (double)stale.pid);
	cJSON_AddStringToObject(data, "user", stale.user);
	cJSON_AddStringToObject(data, "host", stale.host);
	cJSON_AddStringToObject(data, "since", stale.since);
	return eventlog_append(*log, "lock.taken_over", NULL, data, e,
	    "took over the driver lock of pid %ld (%s@%s, since %s), which is "
	    "gone", stale.pid, stale.user, stale.host, stale.since) < 0 ? -1 : 0;
}
