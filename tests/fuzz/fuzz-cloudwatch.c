/* fuzz-cloudwatch - libFuzzer target: a GetMetricData answer must never crash, leak or read out
 * of bounds, whatever the bytes. */
#include "config.h"

#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>

#include <cjson/cJSON.h>

#include "aws/cloudwatch.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	cJSON *j = cJSON_ParseWithLength((const char *)data, size);
	struct cw_result *v;
	struct err e;
	char *tok;
	size_t n;

	if (cw_parse_results(j, &v, &n, &tok, &e) == 0) {
		cw_results_free(v, n);
		free(tok);
	}
	cJSON_Delete(j);
	return 0;
}
