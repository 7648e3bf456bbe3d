/* tls.h - what the watch feed's server and client share of OpenSSL on a
 * non-blocking socket. */
#ifndef CUTOVER_TLS_H
#define CUTOVER_TLS_H

#include <openssl/ssl.h>

enum tls_io {
	TLS_IO_DONE,               /* the call did its work */
	TLS_IO_AGAIN,              /* wait for *events, then call it again */
	TLS_IO_CLOSED,             /* the peer went away */
	TLS_IO_FAILED              /* anything else: tls_reason() says what */
};

/* What SSL_do_handshake(), SSL_read() or SSL_write() returning rc means
 * (call right after it, with the error queue cleared before it). */
enum tls_io tls_io_result(SSL *ssl, int rc, short *events);

struct loop_io;

/* One step of the handshake: TLS_IO_DONE, TLS_IO_AGAIN (io then waits
 * for what it needs), or how it failed. */
enum tls_io tls_handshake(SSL *ssl, struct loop_io *io);

/* OpenSSL's reason for the last failure, or "connection closed"; clears
 * the error queue. The string lives until the next call. */
const char *tls_reason(void);

#endif
