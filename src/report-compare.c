/* report-compare.c - `report --compare DIR|FILE`: the runs of another
 * state directory (its own report model) or of an earlier `report
 * --json` file join the trend. */
#include "config.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "fileio.h"
#include "report-int.h"

int
report_compare(struct report *r, const char *path, struct err *e)
{
	struct stat st;
	struct report other;
	char *text;
	size_t len, i;
	int rc;

	if (stat(path, &st) != 0)
		return err_set(e, EXIT_USAGE, "usage: report: --compare %s: %s",
		    path, strerror(errno));
	if (!S_ISDIR(st.st_mode)) {
		if (file_read_all(path, 64 << 20, &text, &len) != 0)
			return err_set(e, EXIT_USAGE, "usage: report: --compare %s: "
			    "%s", path, strerror(errno));
		rc = report_json_runs(r, path, text, len, e);
		free(text);
		return rc;
	}
	if (report_build(&other, path, NULL, e) != 0)
		return err_prefix(e, "--compare %s", path);
	for (i = 0; i < other.nruns; i++) {
		struct report_run_summary s = other.runs[i];

		memset(&other.runs[i], 0, sizeof other.runs[i]);
		free(s.source);
		s.source = xstrdup(path);
		s.current = false;
		report_add_run(r, &s);
	}
	report_free(&other);
	return 0;
}
