/* lab-status.h - what `cutover lab status` finds: each server's
 * subscriptions and logical slots, pgbouncer's entry and pools, the
 * processes that run, and the verdict on the latest load. cmd-lab.c
 * prints it. */
#ifndef CUTOVER_LAB_STATUS_H
#define CUTOVER_LAB_STATUS_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "lab.h"
#include "util.h"

struct lab_sub_status {
	char *name;
	bool enabled;
	bool worker;
	int64_t tables;
	int64_t ready;
};

struct lab_slot_status {
	char *name;
	bool active;
	int64_t retained;     /* WAL kept for it, bytes */
	int64_t behind;       /* not yet confirmed, bytes */
};

struct lab_side_status {
	int port;
	pid_t pid;
	char *error;          /* could not be asked */
	struct lab_sub_status subs[8];
	size_t nsubs;
	struct lab_slot_status slots[8];
	size_t nslots;
};

struct lab_bouncer_status {
	int port;
	pid_t pid;
	char *error;
	bool live;            /* the entry below is pgbouncer's own */
	char *host;
	int entry_port;
	char *dbname;
	char *file_entry;     /* databases.ini's, when it differs */
	bool paused;
	int64_t cl_active, cl_waiting, sv_active;
};

struct lab_status {
	struct lab_side_status side[2];
	struct lab_bouncer_status bouncer;
	const char *points_to;   /* "source", "target", or NULL */
	struct lab_load load;
	bool have_load;
	bool load_running;
	struct lab_judgement judge;
	char *judge_error;
	bool all_running;
	pid_t dms_pid;             /* the DMS emulator (--provider dms) */
};

/* Asks every part of the lab (flows run with flow_run: for a command's
 * top level only). Only a load that cannot be read fails; what cannot be
 * asked is in the parts' error. Free st with lab_status_free(). */
int lab_status_gather(const struct lab *lab, struct lab_status *st,
    struct err *e);
void lab_status_free(struct lab_status *st);
/* Whether the lab is up, everything runs and the latest load passed. */
bool lab_status_ok(const struct lab *lab, const struct lab_status *st);
/* The target's subscription of the lab, or NULL. */
const struct lab_sub_status *lab_status_forward_sub(
    const struct lab_status *st);
/* The side's slot named name, or NULL. */
const struct lab_slot_status *lab_status_slot(const struct lab_side_status *s,
    const char *name);

#endif
