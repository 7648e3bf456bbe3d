/* fuzz-lock - libFuzzer target: the holder written in a driver lock file,
 * as the next driver and `status` read it. */
#include "config.h"

#include <stddef.h>
#include <stdint.h>

#include "lock.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct lock_holder h;

	lock_holder_parse((const char *)data, size, &h);
	return 0;
}
