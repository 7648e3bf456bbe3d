/* net.c - see net.h. */
#include "config.h"

#include <sys/types.h>
#include <sys/socket.h>
#include <netinet/in.h>
#include <arpa/inet.h>

#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "net.h"

void
fd_nonblock_cloexec(int fd)
{
	fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK);
	fcntl(fd, F_SETFD, FD_CLOEXEC);
}

int
hostport_split(const char *hp, const char *default_host, char **host,
    char **port)
{
	const char *colon;

	if (hp[0] == '[') {
		const char *end = strchr(hp, ']');

		if (end == NULL || end[1] != ':' || end[2] == '\0')
			return -1;
		*host = xstrndup(hp + 1, (size_t)(end - hp - 1));
		*port = xstrdup(end + 2);
		return 0;
	}
	if ((colon = strrchr(hp, ':')) == NULL || colon[1] == '\0')
		return -1;
	if (colon == hp) {
		if (default_host == NULL)
			return -1;
		*host = xstrdup(default_host);
	} else {
		*host = xstrndup(hp, (size_t)(colon - hp));
	}
	*port = xstrdup(colon + 1);
	return 0;
}

/* getaddrinfo for TCP; passive: addresses to listen on. */
static int
tcp_getaddrinfo(const char *host, const char *port, bool passive,
    struct addrinfo **res)
{
	struct addrinfo hints;

	memset(&hints, 0, sizeof hints);
	hints.ai_family = AF_UNSPEC;
	hints.ai_socktype = SOCK_STREAM;
	hints.ai_flags = passive ? AI_PASSIVE : 0;
	return getaddrinfo(host, port, &hints, res);
}

int
tcp_listen(const char *what, const char *hostport, const char *default_host,
    int backlog, struct err *e)
{
	struct addrinfo *res = NULL, *ai;
	char *host = NULL, *port = NULL;
	int fd = -1, one = 1, rc, saved = 0;

	if (hostport_split(hostport, default_host, &host, &port) != 0) {
		err_set(e, EXIT_USAGE, "%s: '%s' is not HOST:PORT", what,
		    hostport);
		return -1;
	}
	if ((rc = tcp_getaddrinfo(strcmp(host, "*") != 0 ? host : NULL, port,
	    true, &res)) != 0) {
		err_set(e, EXIT_USAGE, "%s %s: %s", what, hostport,
		    gai_strerror(rc));
		goto out;
	}
	for (ai = res; ai != NULL; ai = ai->ai_next) {
		if ((fd = socket(ai->ai_family, ai->ai_socktype,
		    ai->ai_protocol)) < 0) {
			saved = errno;
			continue;
		}
		setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
		if (bind(fd, ai->ai_addr, ai->ai_addrlen) == 0 &&
		    listen(fd, backlog) == 0)
			break;
		saved = errno;		/* close() may change it */
		close(fd);
		fd = -1;
	}
	freeaddrinfo(res);
	if (fd < 0)
		err_set(e, EXIT_RUNTIME, "%s %s: %s", what, hostport,
		    strerror(saved != 0 ? saved : EADDRNOTAVAIL));
	else
		fd_nonblock_cloexec(fd);
out:
	free(host);
	free(port);
	return fd;
}

/* Appends sa unless the list has it already. */
static void
addr_list_add(struct addr_list *l, const struct sockaddr *sa, socklen_t len)
{
	size_t i;

	if (len > sizeof *l->addr)
		return;
	for (i = 0; i < l->n; i++)
		if (l->len[i] == len && memcmp(&l->addr[i], sa, len) == 0)
			return;
	l->addr = xreallocarray(l->addr, l->n + 1, sizeof *l->addr);
	l->len = xreallocarray(l->len, l->n + 1, sizeof *l->len);
	memset(&l->addr[l->n], 0, sizeof *l->addr);
	memcpy(&l->addr[l->n], sa, len);
	l->len[l->n++] = len;
}

/* Puts the new list in l's place. */
static void
addr_list_replace(struct addr_list *l, struct addr_list *fresh)
{
	addr_list_free(l);
	*l = *fresh;
	l->next = 0;
}

int
addr_list_resolve(struct addr_list *l, const char *host, const char *port,
    struct err *e)
{
	struct addrinfo *res = NULL, *ai;
	struct addr_list fresh = { NULL, NULL, 0, 0 };
	int rc;

	if ((rc = tcp_getaddrinfo(host, port, false, &res)) != 0)
		return err_set(e, EXIT_USAGE, "cannot resolve %s (port %s): %s",
		    host, port, rc == EAI_SYSTEM ? strerror(errno) :
		    gai_strerror(rc));
	for (ai = res; ai != NULL; ai = ai->ai_next)
		addr_list_add(&fresh, ai->ai_addr, ai->ai_addrlen);
	freeaddrinfo(res);
	if (fresh.n == 0)
		return err_set(e, EXIT_USAGE, "cannot resolve %s (port %s): no "
		    "address", host, port);
	addr_list_replace(l, &fresh);
	return 0;
}

size_t
addr_list_parse_getent(struct addr_list *l, const char *text, size_t len,
    unsigned short port)
{
	struct addr_list fresh = { NULL, NULL, 0, 0 };
	char line[256], a[INET6_ADDRSTRLEN + 1], kind[16];
	const char *p = text, *end = text + len, *nl;
	struct sockaddr_in sin;
	struct sockaddr_in6 sin6;
	size_t n;

	for (; p < end; p = nl + 1) {
		if ((nl = memchr(p, '\n', (size_t)(end - p))) == NULL)
			nl = end;
		n = (size_t)(nl - p);
		if (n >= sizeof line)
			continue;
		memcpy(line, p, n);
		line[n] = '\0';
		/* "ADDRESS STREAM [NAME...]": one line a socket type. */
		if (sscanf(line, "%46s %15s", a, kind) != 2 ||
		    strcmp(kind, "STREAM") != 0)
			continue;
		memset(&sin, 0, sizeof sin);
		memset(&sin6, 0, sizeof sin6);
		if (inet_pton(AF_INET, a, &sin.sin_addr) == 1) {
			sin.sin_family = AF_INET;
			sin.sin_port = htons(port);
			addr_list_add(&fresh, (struct sockaddr *)&sin, sizeof sin);
		} else if (inet_pton(AF_INET6, a, &sin6.sin6_addr) == 1) {
			sin6.sin6_family = AF_INET6;
			sin6.sin6_port = htons(port);
			addr_list_add(&fresh, (struct sockaddr *)&sin6,
			    sizeof sin6);
		}
	}
	if ((n = fresh.n) > 0)
		addr_list_replace(l, &fresh);
	return n;
}

const struct sockaddr *
addr_list_take(struct addr_list *l, socklen_t *len)
{
	size_t i;

	if (l->n == 0)
		return NULL;
	i = l->next % l->n;
	l->next = (i + 1) % l->n;
	*len = l->len[i];
	return (const struct sockaddr *)&l->addr[i];
}

void
addr_list_again(struct addr_list *l)
{
	if (l->n > 0)
		l->next = (l->next + l->n - 1) % l->n;
}

unsigned short
addr_list_port(const struct addr_list *l)
{
	if (l->n == 0)
		return 0;
	if (l->addr[0].ss_family == AF_INET6)
		return ntohs(((const struct sockaddr_in6 *)&l->addr[0])->sin6_port);
	return ntohs(((const struct sockaddr_in *)&l->addr[0])->sin_port);
}

void
addr_list_free(struct addr_list *l)
{
	free(l->addr);
	free(l->len);
	memset(l, 0, sizeof *l);
}

void
addr_format(const struct sockaddr *sa, socklen_t len, char *buf, size_t size)
{
	char host[INET6_ADDRSTRLEN + 8], port[16];

	if (getnameinfo(sa, len, host, sizeof host, port, sizeof port,
	    NI_NUMERICHOST | NI_NUMERICSERV) != 0)
		snprintf(buf, size, "?");
	else
		snprintf(buf, size, sa->sa_family == AF_INET6 ? "[%s]:%s" :
		    "%s:%s", host, port);
}

bool
host_is_numeric(const char *host)
{
	struct in6_addr a6;
	struct in_addr a4;

	return inet_pton(AF_INET, host, &a4) == 1 ||
	    inet_pton(AF_INET6, host, &a6) == 1;
}

int
tcp_connect_start(const struct sockaddr *sa, socklen_t len)
{
	int fd, saved;

	if ((fd = socket(sa->sa_family, SOCK_STREAM, 0)) < 0)
		return -1;
	fd_nonblock_cloexec(fd);
	if (connect(fd, sa, len) == 0 || errno == EINPROGRESS)
		return fd;
	saved = errno;
	close(fd);
	errno = saved;
	return -1;
}
