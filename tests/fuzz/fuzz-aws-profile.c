/* fuzz-aws-profile - libFuzzer target: the AWS CLI's config and credentials files must never crash, leak or read out
 * of bounds, whatever the bytes. */
#include "config.h"

#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "aws/profile.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct aws_profiles p;
	size_t i, j;

	for (i = 0; i < 2; i++) {
		memset(&p, 0, sizeof p);
		aws_profiles_parse(&p, (const char *)data, size, i == 0);
		for (j = 0; j < p.n; j++)
			(void)aws_profile_get(aws_profiles_find(&p, p.v[j].name),
			    "region");
		aws_profiles_free(&p);
	}
	return 0;
}
