/* check.h - the names validation speaks in: the seven checks of
 * INTERFACE.md and the status of each (validate.c runs them,
 * schema-diff.c judges the schema one). */
#ifndef CUTOVER_CHECK_H
#define CUTOVER_CHECK_H

enum check_status { CHECK_PASS, CHECK_WARN, CHECK_FAIL, CHECK_SKIP,
	CHECK_ERROR };

enum check_id { CHK_REPLICATION_STATUS, CHK_REPLICATION_LAG, CHK_ROW_COUNTS,
	CHK_CHECKSUMS, CHK_SEQUENCES, CHK_PRIMARY_KEYS, CHK_SCHEMA, CHK_COUNT };

const char *check_status_name(enum check_status s);
const char *check_name(enum check_id c);
/* The worse of two statuses (error > fail > warn > pass > skip). */
enum check_status check_worse(enum check_status a, enum check_status b);

#endif
