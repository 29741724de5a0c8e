/* clients/c/url.h -- the server URLs the client accepts, checked before
 * nng sees them, so a typo is reported with the accepted forms instead of
 * nng's "Invalid argument" (or a silent wait for a dial that cannot work).
 *
 * Parsing only: no I/O. */
#ifndef OZ_CLIENTS_C_URL_H
#define OZ_CLIENTS_C_URL_H

#include <stdbool.h>
#include <stddef.h>

#include "oz/status.h"

/* The accepted forms, as shown in messages and in ozctl's usage errors. */
#define CLIENT_URL_FORMS                                                      \
	"tcp://HOST:PORT, tls+tcp://HOST:PORT, ipc:///PATH, "                 \
	"ws://HOST:PORT/PATH, wss://HOST:PORT/PATH or inproc://NAME"

/* Checks url against the accepted forms: a known scheme, a host and a port
 * of 1 to 65535 for tcp and tls+tcp (the port may be left out for ws and
 * wss), a path or name for ipc and inproc. Returns OK, or
 * INVALID_ARGUMENT with a message naming url, what is wrong and
 * CLIENT_URL_FORMS. */
oz_code client_url_check(const char *url, oz_status *st);

/* Most servers one client spreads its calls over. */
#define CLIENT_MAX_URLS 16

/* Splits a comma-separated list of URLs ("tcp://a:7878,tcp://b:7878";
 * blanks around each are dropped) and checks each with client_url_check.
 * OUT: *copy, a malloc'ed copy of list holding the URLs (free it when done
 * with urls); urls[0..*n-1], pointers into it.
 * Returns OK; INVALID_ARGUMENT for an empty element, a malformed URL or
 * more than CLIENT_MAX_URLS; RESOURCE_EXHAUSTED when memory runs out.
 * On failure *copy is NULL. */
oz_code client_url_split(const char *list, char **copy,
	const char *urls[CLIENT_MAX_URLS], size_t *n, oz_status *st);

/* True for a URL whose refusal is known at once: ipc://, inproc:// and
 * tcp:// or tls+tcp:// to a loopback host (localhost, 127.x.x.x, ::1).
 * The client dials these synchronously (see client.c). */
bool client_url_is_local(const char *url);

#endif /* OZ_CLIENTS_C_URL_H */
