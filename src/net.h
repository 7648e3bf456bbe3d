/* net.h - the socket plumbing the listeners (/metrics, the watch feed),
 * the watch client and child processes share. */
#ifndef CUTOVER_NET_H
#define CUTOVER_NET_H

#include "util.h"

/* O_NONBLOCK and FD_CLOEXEC: nothing of ours leaks into a hook or a
 * switch command. */
void fd_nonblock_cloexec(int fd);

/* Splits HOST:PORT or [V6]:PORT into new strings. A missing host
 * (":PORT") becomes default_host, or is an error when it is NULL.
 * Returns -1 when hp is not of that form. */
int hostport_split(const char *hp, const char *default_host, char **host,
    char **port);

/* Listens on HOST:PORT (":PORT" is default_host; "*" every interface):
 * the first address that binds. Returns the descriptor, non-blocking and
 * close-on-exec, or -1 with e naming `what` (the config key) and why. */
int tcp_listen(const char *what, const char *hostport,
    const char *default_host, int backlog, struct err *e);

#endif
