/* fuzz-tablepat - libFuzzer target: a --table / exclude_tables pattern
 * list (the first line) matched against a schema and a name (the second
 * and third) must never crash, leak or read out of bounds. */
#include "config.h"

#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "tablepat.h"
#include "util.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *text = xstrndup((const char *)data, size), *schema, *name, why[256];
	struct table_patterns ps;
	char **items, *q;
	int n, i;

	schema = strchr(text, '\n');
	if (schema != NULL)
		*schema++ = '\0';
	name = schema != NULL ? strchr(schema, '\n') : NULL;
	if (name != NULL)
		*name++ = '\0';
	if ((n = table_pattern_split(text, &items, why, sizeof why)) >= 0) {
		table_patterns_compile(&ps, items, (size_t)n);
		(void)table_patterns_match(&ps, schema != NULL ? schema : "",
		    name != NULL ? name : "");
		table_patterns_free(&ps);
		for (i = 0; i < n; i++)
			free(items[i]);
		free(items);
	}
	q = table_pattern_quote(schema != NULL ? schema : "", name != NULL ?
	    name : "");
	free(q);
	free(text);
	return 0;
}
