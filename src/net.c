/* net.c - see net.h. */
#include "config.h"

#include <sys/types.h>
#include <sys/socket.h>

#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
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

int
tcp_listen(const char *what, const char *hostport, const char *default_host,
    int backlog, struct err *e)
{
	struct addrinfo hints, *res = NULL, *ai;
	char *host = NULL, *port = NULL;
	int fd = -1, one = 1, rc, saved = 0;

	if (hostport_split(hostport, default_host, &host, &port) != 0) {
		err_set(e, EXIT_USAGE, "%s: '%s' is not HOST:PORT", what,
		    hostport);
		return -1;
	}
	memset(&hints, 0, sizeof hints);
	hints.ai_family = AF_UNSPEC;
	hints.ai_socktype = SOCK_STREAM;
	hints.ai_flags = AI_PASSIVE;
	if ((rc = getaddrinfo(strcmp(host, "*") != 0 ? host : NULL, port, &hints,
	    &res)) != 0) {
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
