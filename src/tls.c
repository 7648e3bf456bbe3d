/* tls.c - see tls.h. */
#include "config.h"

#include <poll.h>

#include <openssl/err.h>

#include "loop.h"
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

enum tls_io
tls_handshake(SSL *ssl, struct loop_io *io)
{
	enum tls_io r;
	short ev;

	ERR_clear_error();
	if ((r = tls_io_result(ssl, SSL_do_handshake(ssl), &ev)) == TLS_IO_AGAIN)
		loop_io_set_events(io, ev);
	return r;
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
