/* check.c - see check.h. */
#include "config.h"

#include "check.h"

static const char *const status_names[] = { "pass", "warn", "fail", "skip",
	"error" };
static const char *const check_names[CHK_COUNT] = { "replication_status",
	"replication_lag", "row_counts", "checksums", "sequences",
	"primary_keys", "schema" };

const char *
check_status_name(enum check_status s)
{
	return status_names[s];
}

const char *
check_name(enum check_id c)
{
	return check_names[c];
}

enum check_status
check_worse(enum check_status a, enum check_status b)
{
	static const int rank[] = { 1, 2, 3, 0, 4 };	/* pass warn fail skip error */

	return rank[a] >= rank[b] ? a : b;
}
