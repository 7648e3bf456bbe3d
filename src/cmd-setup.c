/* cmd-setup.c - `cutover setup`: create the cutover schema (heartbeat and
 * sentinel tables) on both sides, an explicit, logged, idempotent step. */
#include "config.h"

#include <stdlib.h>

#include "cmd.h"
#include "eventlog.h"
#include "fileio.h"
#include "heartbeat.h"
#include "lock.h"

int
cmd_setup(struct ctx *ctx, const struct command *cmd, const struct args *a)
{
	struct driver_lock *lock = NULL;
	struct eventlog *log = NULL;
	struct err e = { 0, "" };
	struct loop *loop;
	bool dry_run = args_has(a, 'n');
	int rc = EXIT_OK;

	if (ctx_setup(ctx, CONFIG_REQUIRED, &e) != 0)
		return report_error(&e, cmd);
	loop = loop_new();
	if (!dry_run && driver_take(ctx, &lock, &log, &e) != 0)
		goto fail;
	if (heartbeat_setup(loop, &ctx->cfg, log, dry_run, stdout, &e) != 0)
		goto fail;
	if (!dry_run)
		printf("cutover: the cutover schema is in place on the source and "
		    "the target\n");
	goto out;
fail:
	rc = report_error(&e, cmd);
out:
	eventlog_close(log);
	lock_release(lock);
	loop_free(loop);
	return rc;
}
