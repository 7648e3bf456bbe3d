/* fuzz-feed - libFuzzer target: a message from a watch feed (or a local
 * snapshot.json), applied to a watcher's view as the watcher does: a
 * hostile driver or feed must not crash it or make it convert absurd
 * numbers. */
#include "config.h"

#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "snapshot.h"
#include "model.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct model v;
	struct err e;
	const cJSON *type, *x;
	cJSON *o;

	model_init(&v);
	/* As a local snapshot file... */
	(void)snapshot_apply(&v, (const char *)data, size, &e);
	/* ... and as a feed message. */
	o = cJSON_ParseWithLength((const char *)data, size);
	if (o != NULL) {
		type = cJSON_GetObjectItemCaseSensitive(o, "type");
		if (cJSON_IsString(type) && strcmp(type->valuestring,
		    "snapshot") == 0)
			(void)snapshot_apply_json(&v,
			    cJSON_GetObjectItemCaseSensitive(o, "snapshot"), &e);
		x = cJSON_GetObjectItemCaseSensitive(o, "line");
		if (cJSON_IsString(x))
			model_add_event_line(&v, x->valuestring,
			    strlen(x->valuestring));
		cJSON_Delete(o);
	}
	model_clear(&v);
	return 0;
}
