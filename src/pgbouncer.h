/* pgbouncer.h - see pgbouncer.c. */
#ifndef CUTOVER_PGBOUNCER_H
#define CUTOVER_PGBOUNCER_H

#include <stdbool.h>
#include <stddef.h>

#include <libpq-fe.h>

#include "conf.h"

/* The entry ("host=... port=... dbname=...") that points at the target:
 * [switch] pgbouncer_target, else from the target's conninfo. */
char *pgbouncer_target_entry(const struct config *cfg);
/* Whether two entries name the same server and database. */
bool pgbouncer_entry_equal(const char *a, const char *b);
/* The row of SHOW DATABASES for db, or -1; that row as an entry. */
int pgbouncer_show_row(const PGresult *res, const char *db);
char *pgbouncer_show_entry(const PGresult *res, int row);
/* The value of "db = value" in a databases file's text (trimmed), and
 * the line's byte range; NULL when there is none. */
char *pgbouncer_file_entry(const char *text, const char *db, size_t *start,
    size_t *end);

#endif
