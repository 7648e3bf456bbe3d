/* fuzz-dms-tasks - libFuzzer target: a DescribeReplicationTasks answer must never crash, leak or read out
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
	cJSON *j = cJSON_ParseWithLength((const char *)data, size), *o;
	struct dms_task *v;
	struct err e;
	char *marker;
	size_t n, i;

	if (dms_parse_tasks(j, &v, &n, &marker, &e) == 0) {
		for (i = 0; i < n; i++) {
			o = dms_task_to_json(&v[i]);
			cJSON_Delete(o);
			(void)dms_arn_resource_id(v[i].arn);
			(void)dms_status_transitional(v[i].status);
		}
		dms_tasks_free(v, n);
		free(marker);
	}
	cJSON_Delete(j);
	return 0;
}
