/* provider.c - the provider the config names; see provider.h. */
#include "config.h"

#include <stdlib.h>

#include "provider.h"

struct provider *
provider_new(struct loop *loop, const struct config *cfg, struct err *e)
{
	switch (cfg->provider) {
	case PROVIDER_DMS:
		return provider_dms_new(loop, cfg, e);
	case PROVIDER_POSTGRES:
		return provider_postgres_new(loop, cfg, e);
	}
	err_set(e, EXIT_USAGE, "unknown replication provider");
	return NULL;
}

/* destroy() frees the implementation's state and cancels what it has in
 * flight (no callback runs after); the model data is freed here. */
void
provider_free(struct provider *p)
{
	if (p == NULL)
		return;
	if (p->ops != NULL && p->ops->destroy != NULL)
		p->ops->destroy(p);
	repl_status_clear(&p->status);
	repl_status_clear(&p->reverse);
	table_list_clear(&p->tables);
	free(p->resume_from.lsn);
	free(p);
}
