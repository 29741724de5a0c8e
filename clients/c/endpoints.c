/* clients/c/endpoints.c -- the servers of one client (endpoints.h): a
 * socket and dialer per URL, connection state from nng's pipe events, the
 * round-robin choice and the per-server back-off.
 *
 * Dialing: a local URL (url.h) is dialed synchronously, at open and again
 * by each call that picks it until a dial is not refused, so "nothing is
 * listening" is known at once rather than at the deadline (like gRPC's
 * fail-fast calls). Once a dial was not refused, and from the start for
 * remote URLs, the dialer runs in the background and redials a lost
 * connection by itself: a restarted server is used again as soon as it
 * is connected. No call policy here: client.c decides what is repeated. */
#include <stdlib.h>
#include <string.h>

#include <nng/nng.h>
#include <nng/protocol/reqrep0/req.h>
#include <nng/supplemental/tls/tls.h>
#include <nng/supplemental/util/platform.h>

#include "endpoints.h"
#include "wire.h"

#define DOWN_BASE_MS 100
#define DOWN_MAX_MS  5000

static oz_code
setup_tls(client_endpoint *e, const oz_client_options *o, oz_status *st)
{
	nng_tls_config *cfg;
	int rv;

	if ((rv = nng_tls_config_alloc(&cfg, NNG_TLS_MODE_CLIENT)) != 0) {
		return client_nng_fail(rv, false, e->url, st);
	}
	rv = nng_tls_config_auth_mode(cfg, o->tls_ca_file != NULL
						   ? NNG_TLS_AUTH_MODE_REQUIRED
						   : NNG_TLS_AUTH_MODE_NONE);
	if (rv == 0 && o->tls_ca_file != NULL) {
		rv = nng_tls_config_ca_file(cfg, o->tls_ca_file);
	}
	if (rv == 0 && o->tls_server_name != NULL) {
		rv = nng_tls_config_server_name(cfg, o->tls_server_name);
	}
	if (rv == 0 && o->tls_cert_key_file != NULL) {
		rv = nng_tls_config_cert_key_file(
			cfg, o->tls_cert_key_file, NULL);
	}
	if (rv == 0) {
		rv = nng_dialer_set_ptr(e->dialer, NNG_OPT_TLS_CONFIG, cfg);
	}
	nng_tls_config_free(cfg); /* The dialer holds its own reference. */
	if (rv != 0) {
		return oz_fail(st, OZ_INVALID_ARGUMENT,
			"TLS setup for %s failed: %s", e->url,
			nng_strerror(rv));
	}
	return OZ_OK;
}

static oz_code
start_dialer(client_endpoint *e, int flags, oz_status *st)
{
	int rv = nng_dialer_start(e->dialer, flags);
	if (rv != 0) {
		return oz_fail(st, OZ_INVALID_ARGUMENT,
			"cannot dial \"%s\": %s", e->url, nng_strerror(rv));
	}
	atomic_store(&e->dialing, true);
	return OZ_OK;
}

/* nng pipe events: counts the endpoint's live connections. */
static void
pipe_cb(nng_pipe p, nng_pipe_ev ev, void *arg)
{
	client_endpoint *e = arg;
	(void) p;
	atomic_fetch_add(&e->pipes, ev == NNG_PIPE_EV_ADD_POST ? 1 : -1);
}

oz_code
client_endpoint_dial(client_endpoint *e, oz_status *st)
{
	oz_code rc = OZ_OK;
	if (atomic_load(&e->dialing)) {
		return OZ_OK;
	}
	/* nng resets a dialer whose synchronous start failed, so it can be
	 * started again. Any outcome but a refusal (a connection, a TLS
	 * failure) leaves the dialer running in the background. */
	nng_mtx_lock(e->dial_mu);
	if (!atomic_load(&e->dialing)) {
		int rv = nng_dialer_start(e->dialer, 0);
		if (rv == NNG_ECONNREFUSED || rv == NNG_ENOENT) {
			rc = oz_fail(st, OZ_UNAVAILABLE,
				"nothing is listening on %s \xe2\x80\x94 is "
				"ozd running?",
				e->url);
		} else if (rv == 0) {
			atomic_store(&e->dialing, true);
		} else {
			rc = start_dialer(e, NNG_FLAG_NONBLOCK, st);
		}
	}
	nng_mtx_unlock(e->dial_mu);
	return rc;
}

static oz_code
open_socket(client_endpoint *e, size_t max_message, const oz_client_options *o,
	oz_status *st)
{
	int rv;

	if ((rv = nng_mtx_alloc(&e->dial_mu)) != 0 ||
		(rv = nng_req0_open(&e->sock)) != 0) {
		return client_nng_fail(rv, false, e->url, st);
	}
	if ((rv = nng_socket_set_ms(e->sock, NNG_OPT_REQ_RESENDTIME,
		     NNG_DURATION_INFINITE)) != 0 ||
		(rv = nng_socket_set_size(
			 e->sock, NNG_OPT_RECVMAXSZ, max_message)) != 0 ||
		(rv = nng_socket_set_ms(e->sock, NNG_OPT_RECONNMINT, 20)) !=
			0 ||
		(rv = nng_socket_set_ms(e->sock, NNG_OPT_RECONNMAXT, 500)) !=
			0 ||
		(rv = nng_pipe_notify(
			 e->sock, NNG_PIPE_EV_ADD_POST, pipe_cb, e)) != 0 ||
		(rv = nng_pipe_notify(
			 e->sock, NNG_PIPE_EV_REM_POST, pipe_cb, e)) != 0) {
		return client_nng_fail(rv, false, e->url, st);
	}
	if ((rv = nng_dialer_create(&e->dialer, e->sock, e->url)) != 0) {
		return oz_fail(st, OZ_INVALID_ARGUMENT,
			"cannot use URL \"%s\": %s", e->url, nng_strerror(rv));
	}
	if (strncmp(e->url, "tls+", 4) == 0 ||
		strncmp(e->url, "wss", 3) == 0) {
		oz_code rc = setup_tls(e, o, st);
		if (rc != OZ_OK) {
			return rc;
		}
	}
	if (!e->local) {
		return start_dialer(e, NNG_FLAG_NONBLOCK, st);
	}
	/* A refused first dial is not an error here: each call that picks
	 * this server dials again and reports it. */
	oz_code rc = client_endpoint_dial(e, st);
	if (rc == OZ_UNAVAILABLE) {
		if (st != NULL) {
			oz_status_clear(st);
		}
		rc = OZ_OK;
	}
	return rc;
}

oz_code
client_endpoints_open(client_endpoints *set, const char *list,
	size_t max_message, const oz_client_options *o, oz_status *st)
{
	const char *urls[CLIENT_MAX_URLS];
	oz_code rc;
	int rv;

	memset(set, 0, sizeof(*set));
	if ((rc = client_url_split(list, &set->urls, urls, &set->n, st)) !=
		OZ_OK) {
		return rc;
	}
	if ((rv = nng_mtx_alloc(&set->mu)) != 0) {
		return client_nng_fail(rv, false, list, st);
	}
	/* Start at a random server, so that many short-lived clients (each
	 * ozctl run) do not all begin with the first one. */
	atomic_store(&set->next, nng_random());
	for (size_t i = 0; i < set->n; i++) {
		client_endpoint *e = &set->ep[i];
		e->url = urls[i];
		e->local = client_url_is_local(e->url);
		if ((rc = open_socket(e, max_message, o, st)) != OZ_OK) {
			return rc;
		}
	}
	return OZ_OK;
}

void
client_endpoints_close(client_endpoints *set)
{
	for (size_t i = 0; i < set->n; i++) {
		client_endpoint *e = &set->ep[i];
		if (nng_socket_id(e->sock) > 0) {
			nng_close(e->sock);
		}
		if (e->dial_mu != NULL) {
			nng_mtx_free(e->dial_mu);
		}
	}
	if (set->mu != NULL) {
		nng_mtx_free(set->mu);
	}
	free(set->urls);
	memset(set, 0, sizeof(*set));
}

bool
client_endpoint_connected(const client_endpoint *e)
{
	return atomic_load(&e->pipes) > 0;
}

/* Rank of server e for a call (lower is better; see endpoints.h). */
static int
rank(const client_endpoint *e, bool tried, int64_t now_ms)
{
	if (tried) {
		return 3;
	}
	if (e->down_until_ms > now_ms) {
		return 2;
	}
	bool ready = client_endpoint_connected(e) ||
		     (e->local && !atomic_load(&e->dialing));
	return ready ? 0 : 1;
}

size_t
client_endpoint_pick(
	client_endpoints *set, uint32_t tried, int64_t now_ms, bool *fresh)
{
	size_t best = 0;
	int best_rank = 4;
	unsigned start = atomic_fetch_add(&set->next, 1);

	nng_mtx_lock(set->mu);
	for (size_t k = 0; k < set->n && best_rank > 0; k++) {
		size_t i = (start + k) % set->n;
		int r = rank(&set->ep[i], (tried >> i) & 1u, now_ms);
		if (r < best_rank) {
			best = i;
			best_rank = r;
		}
	}
	nng_mtx_unlock(set->mu);
	*fresh = best_rank < 3;
	return best;
}

void
client_endpoint_report(
	client_endpoints *set, size_t i, bool ok, int64_t now_ms)
{
	client_endpoint *e = &set->ep[i];
	nng_mtx_lock(set->mu);
	if (ok) {
		e->fails = 0;
		e->down_until_ms = 0;
	} else {
		int64_t wait = DOWN_BASE_MS;
		for (int k = 0; k < e->fails && wait < DOWN_MAX_MS; k++) {
			wait *= 2;
		}
		e->fails++;
		e->down_until_ms =
			now_ms + (wait < DOWN_MAX_MS ? wait : DOWN_MAX_MS);
	}
	nng_mtx_unlock(set->mu);
}
