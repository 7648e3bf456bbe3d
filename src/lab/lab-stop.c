/* lab-stop.c - stopping everything a lab runs, in the order their
 * dependencies need: the load, the DMS emulator, pgbouncer, then the
 * target (its subscription connects to the source) and the source. */
#include "config.h"

#include <string.h>

#include "lab.h"

int
lab_stop_all(const struct lab *lab, struct err *e)
{
	struct err one = { 0, "" };
	struct lab_load ld;
	int rc = 0;

	memset(&ld, 0, sizeof ld);
	if (lab_load_latest(lab, &ld, &one) > 0 && lab_load_running(&ld) &&
	    lab_load_stop(lab, &ld, &one) != 0)
		rc = -1;
	/* The emulator before the servers it drives. */
	if (lab_dms_stop(lab, rc == 0 ? e : &one) != 0)
		rc = -1;
	if (lab_bouncer_stop(lab, rc == 0 ? e : &one) != 0)
		rc = -1;
	/* The target first: its subscription connects to the source. */
	if (lab_server_stop(lab, LAB_TARGET, rc == 0 ? e : &one) != 0)
		rc = -1;
	if (lab_server_stop(lab, LAB_SOURCE, rc == 0 ? e : &one) != 0)
		rc = -1;
	if (rc != 0 && e->msg[0] == '\0')
		*e = one;
	return rc;
}
