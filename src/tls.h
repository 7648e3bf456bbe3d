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

#include <stddef.h>

struct loop_io;

/* One step of the handshake: TLS_IO_DONE, TLS_IO_AGAIN (io then waits
 * for what it needs), or how it failed, with why (size len) saying so:
 * the certificate's verification error when there was one, else prefix
 * and OpenSSL's reason. */
enum tls_io tls_handshake(SSL *ssl, struct loop_io *io, const char *prefix,
    char *why, size_t len);

/* SSL_read() / SSL_write() of up to len bytes: TLS_IO_DONE with *n the
 * bytes moved; TLS_IO_AGAIN with io set to wait for what it needs; or
 * how the connection ended (tls_why() says it). */
enum tls_io tls_read(SSL *ssl, struct loop_io *io, void *buf, size_t len,
    size_t *n);
enum tls_io tls_write(SSL *ssl, struct loop_io *io, const void *buf,
    size_t len, size_t *n);

/* Why a read or write ended: closed (the caller's words for a peer that
 * went away) or OpenSSL's reason. */
const char *tls_why(enum tls_io r, const char *closed);

/* OpenSSL's reason for the last failure, or "connection closed"; clears
 * the error queue. The string lives until the next call. */
const char *tls_reason(void);

#endif
