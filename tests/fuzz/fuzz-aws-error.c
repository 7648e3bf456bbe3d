/* fuzz-aws-error - libFuzzer target: an AWS error answer (JSON, XML or anything) and its X-Amzn-ErrorType header must never crash, leak or read out
 * of bounds, whatever the bytes. */
#include "config.h"

#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "aws/client.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct aws_error ae;
	const uint8_t *nl = memchr(data, 0x0a, size);
	char *header = NULL;

	/* The first line plays the header, the rest the body. */
	if (nl != NULL)
		header = strndup((const char *)data, (size_t)(nl - data));
	(void)aws_error_parse(header, nl ? (const char *)nl + 1 :
	    (const char *)data, nl ? size - (size_t)(nl - data) - 1 : size, &ae);
	(void)aws_error_is_throttling(ae.code);
	free(header);
	return 0;
}
