/* provider.c - the provider the config names. */
#include "config.h"

#include <stdlib.h>

#include "provider.h"

struct provider *
provider_new(struct loop *loop, const struct config *cfg, struct err *e)
{
	switch (cfg->provider) {
	case PROVIDER_POSTGRES:
		return provider_postgres_new(loop, cfg, e);
	case PROVIDER_DMS:
		return provider_dms_new(loop, cfg, e);
	}
	err_set(e, EXIT_USAGE, "unknown provider");
	return NULL;
}

void
provider_free(struct provider *p)
{
	if (p == NULL)
		return;
	p->ops->destroy(p);
	repl_status_clear(&p->status);
	table_list_clear(&p->tables);
	free(p->resume_from.lsn);
	free(p);
}
