/* provider-dms-stub.c - STUB: replaced by the DMS provider (issue 4) on
 * merge. */
#include "config.h"

#include "provider.h"

struct provider *
provider_dms_new(struct loop *loop, const struct config *cfg, struct err *e)
{
	(void)loop;
	(void)cfg;
	err_set(e, EXIT_USAGE, "provider = dms is not built yet");
	return NULL;
}
