/* fuzz-event - libFuzzer target: one events.jsonl line, as `log`, the
 * watchers and the appender's tail check read it. */
#include "config.h"

#include <stddef.h>
#include <stdint.h>

#include "eventlog.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct event ev;
	const char *why;
	char computed[65];

	(void)event_line_hash_ok((const char *)data, size, computed);
	if (event_parse((const char *)data, size, &ev, &why) == 0)
		event_free(&ev);
	return 0;
}
