/* feed.c - what the watch feed's server (feed-server.c) and client
 * (feed-client.c) share: the token file and the line framing; their
 * TLS is tls.c's. See feed.h for the protocol. */
#include "config.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "feed.h"
#include "fileio.h"

const char *
feed_line_next(const char *buf, size_t len, size_t *off, size_t *linelen)
{
	const char *line = buf + *off, *nl;
	size_t n;

	if (*off >= len || (nl = memchr(line, '\n', len - *off)) == NULL)
		return NULL;
	n = (size_t)(nl - line);
	*off += n + 1;
	if (n > 0 && line[n - 1] == '\r')
		n--;
	*linelen = n;
	return line;
}

int
feed_read_token(const char *path, char *out, size_t len, struct err *e)
{
	char *text, *t;
	size_t n;

	if (file_read_all(path, 4096, &text, &n) != 0)
		return err_set(e, EXIT_USAGE, "%s: cannot read the watch token: %s",
		    path, strerror(errno));
	t = str_trim(text);
	if (*t == '\0' || strlen(t) > 512 || strlen(t) >= len ||
	    strpbrk(t, " \t\r\n") != NULL) {
		secure_zero(text, n);
		free(text);
		return err_set(e, EXIT_USAGE, "%s: the watch token must be one "
		    "word of 1 to 512 characters", path);
	}
	snprintf(out, len, "%s", t);
	secure_zero(text, n);
	free(text);
	return 0;
}
