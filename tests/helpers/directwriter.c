/* directwriter - a writer connected straight to a database, not through
 * pgbouncer, as a batch job or a forgotten cron would be: it inserts one
 * probe row after another and reconnects after every error, so the fence
 * tests can see whether anything it committed is missing afterwards.
 *
 *   directwriter CONNINFO OUTFILE PREFIX [INTERVAL_MS]
 *
 * Each line of OUTFILE is "ok ID" (committed: the server said so),
 * "unknown ID" (the connection broke while it ran: it may or may not
 * have committed) or "refused ERROR" (no connection). Rows go to
 * probe(id text PRIMARY KEY); SIGTERM ends it. */
#include "config.h"

#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <libpq-fe.h>

static volatile sig_atomic_t stop;

static void
on_term(int sig)
{
	(void)sig;
	stop = 1;
}

static void
nap(long ms)
{
	struct timespec ts = { ms / 1000, (ms % 1000) * 1000000L };

	nanosleep(&ts, NULL);
}

static void
one_line(char *s)
{
	char *nl = strchr(s, '\n');

	if (nl != NULL)
		*nl = '\0';
}

int
main(int argc, char **argv)
{
	PGconn *c = NULL;
	PGresult *r;
	FILE *out;
	long interval = argc > 4 ? atol(argv[4]) : 20, n = 0;
	char id[128], err[512];
	const char *params[1] = { id };

	if (argc < 4) {
		fprintf(stderr, "usage: directwriter CONNINFO OUTFILE PREFIX "
		    "[INTERVAL_MS]\n");
		return 2;
	}
	if ((out = fopen(argv[2], "a")) == NULL) {
		perror(argv[2]);
		return 1;
	}
	signal(SIGTERM, on_term);
	signal(SIGINT, on_term);
	signal(SIGPIPE, SIG_IGN);
	while (!stop) {
		if (c == NULL || PQstatus(c) != CONNECTION_OK) {
			if (c != NULL)
				PQfinish(c);
			c = PQconnectdb(argv[1]);
			if (PQstatus(c) != CONNECTION_OK) {
				snprintf(err, sizeof err, "%s", PQerrorMessage(c));
				one_line(err);
				fprintf(out, "refused %s\n", err);
				fflush(out);
				PQfinish(c);
				c = NULL;
				nap(50);
				continue;
			}
		}
		snprintf(id, sizeof id, "%s-%ld", argv[3], ++n);
		r = PQexecParams(c, "INSERT INTO probe (id) VALUES ($1)", 1, NULL,
		    params, NULL, NULL, 0);
		if (PQresultStatus(r) == PGRES_COMMAND_OK)
			fprintf(out, "ok %s\n", id);
		else
			/* Broken mid-statement: committed or not, nobody said. A
			 * refusal before it ran is an error too: counted as
			 * unknown, never as committed. */
			fprintf(out, "unknown %s\n", id);
		fflush(out);
		PQclear(r);
		if (PQstatus(c) != CONNECTION_OK) {
			PQfinish(c);
			c = NULL;
		}
		nap(interval);
	}
	if (c != NULL)
		PQfinish(c);
	fclose(out);
	return 0;
}
