/* fuzz-ini - libFuzzer target: cutover.conf parsing must never crash,
 * leak or read out of bounds, whatever the bytes. */
#include "config.h"

#include <stddef.h>
#include <stdint.h>

#include "conf.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct config c;
	struct err e;

	config_defaults(&c);
	(void)config_parse(&c, "fuzz.conf", (const char *)data, size, &e);
	config_free(&c);
	return 0;
}
