/* fuzz-aws-creds - libFuzzer target: a credential source's answer (credential_process,
 * container, IMDS) must never crash, leak or read out
 * of bounds, whatever the bytes. */
#include "config.h"

#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "aws/creds.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct aws_creds c;
	struct err e;

	if (aws_creds_parse((const char *)data, size, "fuzz", &c, &e) == 0)
		aws_creds_clear(&c);
	return 0;
}
