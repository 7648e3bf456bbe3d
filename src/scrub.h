/* scrub.h - takes out of free text whatever looks like a secret, before it
 * reaches the event log, a report or a screen: the output of commands the
 * operator configured (hooks, the switch command), AWS error messages.
 *
 * What is replaced by "********":
 *   - the values of key=value and key: value pairs whose key names a
 *     secret (password, passwd, pwd, secret, token, api_key, apikey,
 *     credential, private_key, authorization, session, signature, and
 *     any key ending in _KEY such as AWS_SECRET_ACCESS_KEY);
 *   - "Bearer X" and "Basic X" credentials;
 *   - the password of a URL's user:password@;
 *   - AWS access key ids (AKIA..., ASIA...);
 *   - the secret part of a Slack webhook URL (hooks.slack.com/services/...);
 *   - long tokens: 32 or more characters of [A-Za-z0-9+/=_-] mixing
 *     upper case, lower case and digits (AWS secret keys, API tokens);
 *     lower-case hex such as the log's SHA-256 hashes is left alone;
 *   - every literal registered with scrub_register() (the values of
 *     PGPASSWORD, AWS_SECRET_ACCESS_KEY, ... found in the environment).
 * Scrubbing errs on the side of hiding: a harmless word may be starred. */
#ifndef CUTOVER_SCRUB_H
#define CUTOVER_SCRUB_H

#include <stddef.h>

#include "util.h"

#define SCRUB_MASK "********"

/* Appends a scrubbed copy of in[0..n) to out. */
void scrub_text(struct strbuf *out, const char *in, size_t n);
/* A scrubbed copy of s (NUL-terminated), to free. */
char *scrub_dup(const char *s);

/* Registers a literal secret to be hidden wherever it appears (values
 * shorter than 4 bytes are ignored: they would star ordinary words). */
void scrub_register(const char *secret);
/* Registers the values of the secret environment variables that are set:
 * PGPASSWORD, AWS_SECRET_ACCESS_KEY, AWS_SESSION_TOKEN and the like. */
void scrub_register_environment(void);
/* Forgets every registered literal (and wipes them). */
void scrub_forget(void);

#endif
