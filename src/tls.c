/* tls.c - see tls.h. */
#include "config.h"

#include <poll.h>

#include <openssl/err.h>

#include "tls.h"

enum tls_io
tls_io_result(SSL *ssl, int rc, short *events)
{
	if (rc > 0)
		return TLS_IO_DONE;
	switch (SSL_get_error(ssl, rc)) {
	case SSL_ERROR_WANT_READ:
		*events = POLLIN;
		return TLS_IO_AGAIN;
	case SSL_ERROR_WANT_WRITE:
		*events = POLLIN | POLLOUT;
		return TLS_IO_AGAIN;
	case SSL_ERROR_ZERO_RETURN:
	case SSL_ERROR_SYSCALL:
		return TLS_IO_CLOSED;
	default:
		return TLS_IO_FAILED;
	}
}

const char *
tls_reason(void)
{
	static char buf[256];
	unsigned long code = ERR_get_error();

	if (code == 0)
		return "connection closed";
	ERR_error_string_n(code, buf, sizeof buf);
	ERR_clear_error();
	return buf;
}
