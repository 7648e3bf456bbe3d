/* cmd.h - the command table and what every command shares. */
#ifndef CUTOVER_CMD_H
#define CUTOVER_CMD_H

#include <getopt.h>
#include <stdbool.h>

#include "conf.h"
#include "util.h"

/* Global options; they may also follow the command. */
struct globals {
	const char *config;        /* -c */
	const char *state_dir;     /* -s */
	const char *environment;   /* -e */
	bool no_color;
};

enum config_need {
	CONFIG_NONE,       /* never reads cutover.conf */
	CONFIG_OPTIONAL,   /* reads it when it exists, else defaults */
	CONFIG_REQUIRED,
	CONFIG_WATCHER,    /* must exist; required keys may be missing */
};

struct ctx {
	struct globals g;
	struct config cfg;
	bool have_config;
	const char *state_dir;     /* resolved: -s, [cutover] state_dir */
	const char *environment;   /* resolved: -e, [cutover] environment */
	bool color;                /* --no-color and NO_COLOR turn it off */
};

/* One option of a command: its parser and its help are made from this
 * (cmd.c), so they cannot disagree. */
struct cmd_opt {
	int key;                   /* what args_parse keeps it as */
	char letter;               /* its short form, 0 for none */
	const char *name;          /* its long form, without "--" */
	const char *arg;           /* its argument's name, NULL for a flag */
	const char *help;          /* lines after the first follow a \n */
};

/* A command's options as given, in order (tmux's args): what the
 * command's handler reads, after the dispatcher (main.c) has parsed them
 * with the command's table, answered --help and refused what is not in
 * it. */
struct args {
	struct arg {
		int key;           /* the cmd_opt's key */
		const char *value; /* its argument (in argv), NULL for a flag */
	} *v;
	size_t n;
};

struct command;
typedef int (*cmd_exec_fn)(struct ctx *ctx, const struct command *cmd,
    const struct args *a);

struct command {
	const char *name;
	const char *synopsis;      /* the arguments, after the name */
	const char *summary;       /* one line for `cutover --help` */
	const struct cmd_opt *opts;   /* ends with a NULL name */
	const char *notes;         /* before the options in its help, or NULL */
	/* Takes its options parsed (a command with subcommands finds
	 * the subcommand, then parses its options with args_parse: run). */
	cmd_exec_fn exec;
	int (*run)(struct ctx *ctx, const struct command *cmd, int argc,
	    char **argv);
};

extern const struct command commands[];
extern const size_t ncommands;

const struct command *command_find(const char *name);

/* Parses the global options at the front of argv. Returns the index of the
 * command name (argc when there is none), or -1 on a usage error (e set),
 * or -2 when --help or --version was handled (print_* done). */
int cli_parse_globals(struct globals *g, int argc, char **argv,
    bool *want_help, bool *want_version, struct err *e);

/* All of argv's options into a, with getopt_long over the command's
 * options (only: the keys of those a subcommand takes, NULL for all); the
 * global options are also accepted (stored in ctx->g). Returns 0, 1 when
 * -h/--help was asked (nothing kept), or -1 with e set (nothing kept). */
int args_parse(struct ctx *ctx, const struct command *cmd, const char *only,
    int argc, char **argv, struct args *a, struct err *e);
void args_free(struct args *a);
/* Runs exec with argv's options parsed by args_parse (only as there):
 * --help answered and a usage error reported instead. Returns the exit
 * code. */
int args_exec(struct ctx *ctx, const struct command *cmd, const char *only,
    int argc, char **argv, cmd_exec_fn exec);
bool args_has(const struct args *a, int key);
/* The option's argument (the last one given), or NULL. */
const char *args_get(const struct args *a, int key);
/* A repeatable option's arguments in order: *i starts at 0; NULL at the
 * end. */
const char *args_next(const struct args *a, int key, size_t *i);

/* Loads the config as the command needs it and resolves state_dir and
 * environment. */
int ctx_setup(struct ctx *ctx, enum config_need need, struct err *e);
void ctx_free(struct ctx *ctx);

/* Everything a driver (console, run, rollback, setup) starts with: the
 * state directory (0700), the driver lock (EXIT_LOCKED naming the holder)
 * and the event log; a lock left by a driver that died is taken over and
 * the takeover logged (lock.taken_over). */
struct driver_lock;
struct eventlog;
int driver_take(const struct ctx *ctx, struct driver_lock **lock,
    struct eventlog **log, struct err *e);

void print_command_help(FILE *f, const struct command *cmd);
void print_usage(FILE *f);
/* Prints "cutover: msg" (and a hint for usage errors); returns e->code. */
int report_error(const struct err *e, const struct command *cmd);

/* The commands. */
int cmd_console(struct ctx *, const struct command *, const struct args *);
int cmd_watch(struct ctx *, const struct command *, const struct args *);
int cmd_log(struct ctx *, const struct command *, const struct args *);
int cmd_init(struct ctx *, const struct command *, const struct args *);
int cmd_lab(struct ctx *, const struct command *, int, char **);
int cmd_report(struct ctx *, const struct command *, const struct args *);
int cmd_rollback(struct ctx *, const struct command *, const struct args *);
int cmd_run(struct ctx *, const struct command *, const struct args *);
int cmd_setup(struct ctx *, const struct command *, const struct args *);
int cmd_status(struct ctx *, const struct command *, const struct args *);
int cmd_validate(struct ctx *, const struct command *, const struct args *);

#endif
