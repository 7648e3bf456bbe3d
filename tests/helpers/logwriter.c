/* logwriter - appends events to a state directory's log, as a driver does.
 * Used by the crash tests: killed with -9 at random instants.
 *
 *   logwriter DIR COUNT      append COUNT events, then exit
 *   logwriter DIR forever    append until killed */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "eventlog.h"
#include "util.h"

int
main(int argc, char **argv)
{
	struct eventlog *log;
	struct err e = { 0, "" };
	int64_t i, count;
	int forever;

	if (argc != 3) {
		fprintf(stderr, "usage: logwriter DIR COUNT|forever\n");
		return 2;
	}
	forever = strcmp(argv[2], "forever") == 0;
	if (!forever && parse_int64(argv[2], &count) != 0) {
		fprintf(stderr, "logwriter: bad count\n");
		return 2;
	}
	if (eventlog_open(&log, argv[1], "test", &e) != 0) {
		fprintf(stderr, "logwriter: %s\n", e.msg);
		return e.code;
	}
	for (i = 0; forever || i < count; i++) {
		cJSON *data = cJSON_CreateObject();

		/* A fat payload makes a kill during write() more likely. */
		cJSON_AddStringToObject(data, "pad",
		    "................................................................"
		    "................................................................");
		cJSON_AddNumberToObject(data, "i", (double)i);
		if (eventlog_append(log, "action", NULL, data, &e, "event %lld",
		    (long long)i) < 0) {
			fprintf(stderr, "logwriter: %s\n", e.msg);
			eventlog_close(log);
			return e.code;
		}
		if (i == 0) {
			printf("ready\n");
			fflush(stdout);
		}
	}
	eventlog_close(log);
	return 0;
}
