/* fuzz-state - libFuzzer target: state.json parsing must never crash,
 * leak or read out of bounds; what it accepts serializes and reads back. */
#include "config.h"

#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "state.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct state s, t;
	struct err e;
	char *text;

	if (state_from_json(&s, "fuzz.json", (const char *)data, size, &e) != 0)
		return 0;
	text = state_to_json(&s);
	if (state_from_json(&t, "again.json", text, strlen(text), &e) != 0)
		abort();	/* what we write, we must read */
	state_free(&t);
	free(text);
	state_free(&s);
	return 0;
}
