/* STUB: replaced by the lead's implementation on merge */
/* provider-postgres.c - native logical replication. This branch (aws)
 * only needs the symbol for provider_new()'s dispatch. */
#include "config.h"

#include "provider.h"

struct provider *
provider_postgres_new(struct loop *loop, const struct config *cfg,
    struct err *e)
{
	(void)loop;
	(void)cfg;
	err_set(e, EXIT_USAGE, "the postgres replication provider is not built "
	    "in this branch");
	return NULL;
}
