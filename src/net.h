/* net.h - the socket plumbing the listeners (/metrics, the watch feed),
 * the watch client and child processes share. */
#ifndef CUTOVER_NET_H
#define CUTOVER_NET_H

#include <sys/types.h>
#include <sys/socket.h>

#include <stdbool.h>
#include <stddef.h>

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

/* The addresses a name stood for when it was resolved. The watch client
 * resolves once, before the loop runs, and reconnects through what it
 * kept: nothing in a loop callback waits for a resolver. */
struct addr_list {
	struct sockaddr_storage *addr;
	socklen_t *len;
	size_t n;
	size_t next;               /* the one addr_list_take() gives next */
};

/* Blocking getaddrinfo (TCP): for startup only. On failure the list is
 * left as it was and e says which host and why. */
int addr_list_resolve(struct addr_list *l, const char *host,
    const char *port, struct err *e);
/* Reads what `getent ahosts NAME` printed (a child resolves for the loop)
 * into a new list whose addresses all carry port, in the order given,
 * without repeats. Returns the number of addresses; with none the list
 * is left as it was. */
size_t addr_list_parse_getent(struct addr_list *l, const char *text,
    size_t len, unsigned short port);
/* The next address, round and round; NULL on an empty list. */
const struct sockaddr *addr_list_take(struct addr_list *l, socklen_t *len);
/* The next take gives the last one taken again. */
void addr_list_again(struct addr_list *l);
/* The port of the first address (host order), 0 on an empty list. */
unsigned short addr_list_port(const struct addr_list *l);
void addr_list_free(struct addr_list *l);

/* NUMERICHOST:PORT, or [V6]:PORT, of sa into buf. */
void addr_format(const struct sockaddr *sa, socklen_t len, char *buf,
    size_t size);
/* True when host is an IP address rather than a name to resolve. */
bool host_is_numeric(const char *host);

/* Starts a non-blocking connect: the descriptor (non-blocking,
 * close-on-exec) once connect() succeeded or is in progress (wait for
 * POLLOUT, then read SO_ERROR), or -1 with errno. */
int tcp_connect_start(const struct sockaddr *sa, socklen_t len);

#endif
