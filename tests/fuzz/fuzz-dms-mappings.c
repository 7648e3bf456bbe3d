/* fuzz-dms-mappings - libFuzzer target: a TableMappings text (the first
 * line) judged for a schema and a table (the second and third), and the
 * first line as a wildcard pattern on the second, must never crash, leak
 * or read out of bounds. */
#include "config.h"

#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "dms-mappings.h"
#include "util.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *text = xstrndup((const char *)data, size), *schema, *name, *why;
	struct dms_mappings m;
	struct err e;

	schema = strchr(text, '\n');
	if (schema != NULL)
		*schema++ = '\0';
	name = schema != NULL ? strchr(schema, '\n') : NULL;
	if (name != NULL)
		*name++ = '\0';
	(void)dms_like(text, schema != NULL ? schema : "");
	if (dms_mappings_parse(&m, text, &e) == 0) {
		(void)dms_mappings_judge(&m, schema != NULL ? schema : "",
		    name != NULL ? name : "", &why);
		free(why);
		dms_mappings_free(&m);
	}
	free(text);
	return 0;
}
