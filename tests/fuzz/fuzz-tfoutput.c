/* fuzz-tfoutput - libFuzzer target: `terraform output -json` as
 * `cutover init --from-terraform` reads it. */
#include "config.h"

#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "tfoutput.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct tf_values v;
	struct kv kv[TF_MAX_VALUES];
	struct err e;
	char *text;

	memset(&v, 0, sizeof v);
	if (tf_values_parse(&v, "fuzz.json", (const char *)data, size, &e) == 0) {
		text = config_template(kv, tf_values_kv(&v, kv));
		free(text);
	}
	tf_values_free(&v);
	return 0;
}
