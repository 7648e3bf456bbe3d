/* fuzz-dms-tables - libFuzzer target: a DescribeTableStatistics answer must never crash, leak or read out
 * of bounds, whatever the bytes. */
#include "config.h"

#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>

#include <cjson/cJSON.h>

#include "aws/dms.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	cJSON *j = cJSON_ParseWithLength((const char *)data, size);
	struct dms_table *v;
	struct err e;
	char *marker;
	size_t n;

	if (dms_parse_tables(j, &v, &n, &marker, &e) == 0) {
		dms_tables_free(v, n);
		free(marker);
	}
	cJSON_Delete(j);
	return 0;
}
