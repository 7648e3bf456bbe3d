/* tls.c - see tls.h. */
#include "config.h"

#include <poll.h>
#include <stdio.h>

#include <openssl/err.h>
#include <openssl/x509.h>

#include "loop.h"
#include "tls.h"

/* What SSL_do_handshake(), SSL_read() or SSL_write() returning rc means
 * (call right after it, with the error queue cleared before it). */
static enum tls_io
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
tls_handshake(SSL *ssl, struct loop_io *io, const char *prefix, char *why,
    size_t len)
{
	enum tls_io r;
	short ev;
	long vr;

	ERR_clear_error();
	r = tls_io_result(ssl, SSL_do_handshake(ssl), &ev);
	if (r == TLS_IO_AGAIN)
		loop_io_set_events(io, ev);
	if (r == TLS_IO_DONE || r == TLS_IO_AGAIN)
		return r;
	if ((vr = SSL_get_verify_result(ssl)) != X509_V_OK)
		snprintf(why, len, "certificate not trusted: %s",
		    X509_verify_cert_error_string(vr));
	else
		snprintf(why, len, "%s%s", prefix, tls_reason());
	return r;
}

/* What rc from SSL_read/SSL_write means; on TLS_IO_AGAIN io waits. */
static enum tls_io
tls_io_step(SSL *ssl, struct loop_io *io, int rc, size_t *n)
{
	enum tls_io r;
	short ev;

	if ((r = tls_io_result(ssl, rc, &ev)) == TLS_IO_DONE)
		*n = (size_t)rc;
	else if (r == TLS_IO_AGAIN)
		loop_io_set_events(io, ev);
	return r;
}

enum tls_io
tls_read(SSL *ssl, struct loop_io *io, void *buf, size_t len, size_t *n)
{
	ERR_clear_error();
	return tls_io_step(ssl, io, SSL_read(ssl, buf, (int)len), n);
}

enum tls_io
tls_write(SSL *ssl, struct loop_io *io, const void *buf, size_t len,
    size_t *n)
{
	ERR_clear_error();
	return tls_io_step(ssl, io, SSL_write(ssl, buf, (int)len), n);
}

const char *
tls_why(enum tls_io r, const char *closed)
{
	return r == TLS_IO_CLOSED ? closed : tls_reason();
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
