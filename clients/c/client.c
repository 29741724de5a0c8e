/* clients/c/client.c -- oz_client: one nng req0 socket, one context and
 * aio per call, deadlines and the retry policy.
 *
 * nng's own re-sending is switched off (NNG_OPT_REQ_RESENDTIME infinite):
 * it would repeat writes behind the caller's back. Retries happen here,
 * only when repeating cannot change the outcome (see oz/client.h and
 * may_retry). Back-off sleeps use their own aio, never one used for I/O
 * (nng 1.5.2 defect).
 *
 * Dialing: a local URL (url.h) is dialed synchronously, at open and again
 * by each call until a dial is not refused, so "nothing is listening" is
 * known at once rather than at the deadline (like gRPC's fail-fast calls).
 * Once a dial was not refused, and from the start for remote URLs, the
 * dialer runs in the background: it redials a lost connection by itself
 * and a call made while no connection is up waits for one until its
 * deadline. */
#include <stdatomic.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <nng/nng.h>
#include <nng/protocol/reqrep0/req.h>
#include <nng/supplemental/tls/tls.h>
#include <nng/supplemental/util/platform.h>

#include "core/clock.h"
#include "oz/client.h"
#include "url.h"
#include "wire.h"

#define BACKOFF_BASE_MS     25
#define BACKOFF_MAX_MS      1000
#define DEFAULT_MAX_RETRIES 10

struct oz_client {
	nng_socket sock;
	nng_dialer dialer;
	nng_mtx *dial_mu;
	/* The dialer runs in the background: set once, under dial_mu; read
	 * without it on each call's fast path. */
	atomic_bool dialing;
	char *url;
	char *token;
	int deadline_ms;
	size_t max_message;
	int max_retries;
	bool auto_id;
	bool retry_keyed_writes;
};

static int64_t
now_ms(void)
{
	return oz_now_us() / 1000;
}

static char *
dup_or_null(const char *s)
{
	return s != NULL ? strdup(s) : NULL;
}

static oz_code
setup_tls(oz_client *c, const oz_client_options *o, oz_status *st)
{
	nng_tls_config *cfg;
	int rv;

	if ((rv = nng_tls_config_alloc(&cfg, NNG_TLS_MODE_CLIENT)) != 0) {
		return client_nng_fail(rv, false, c->url, st);
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
		rv = nng_dialer_set_ptr(c->dialer, NNG_OPT_TLS_CONFIG, cfg);
	}
	nng_tls_config_free(cfg); /* The dialer holds its own reference. */
	if (rv != 0) {
		return oz_fail(st, OZ_INVALID_ARGUMENT,
			"TLS setup for %s failed: %s", c->url,
			nng_strerror(rv));
	}
	return OZ_OK;
}

static oz_code
start_dialer(oz_client *c, int flags, oz_status *st)
{
	int rv = nng_dialer_start(c->dialer, flags);
	if (rv != 0) {
		return oz_fail(st, OZ_INVALID_ARGUMENT,
			"cannot dial \"%s\": %s", c->url, nng_strerror(rv));
	}
	atomic_store(&c->dialing, true);
	return OZ_OK;
}

/* Makes sure the dialer runs: unless it does already, dials synchronously
 * (nng resets a dialer whose synchronous start failed, so it can be started
 * again). Refused (or, for ipc, no socket file): UNAVAILABLE at once, and
 * the next call dials again. Any other outcome, a connection or another
 * failure (a TLS handshake), leaves the dialer running in the background. */
static oz_code
dial(oz_client *c, oz_status *st)
{
	oz_code rc = OZ_OK;
	if (atomic_load(&c->dialing)) {
		return OZ_OK;
	}
	nng_mtx_lock(c->dial_mu);
	if (!atomic_load(&c->dialing)) {
		int rv = nng_dialer_start(c->dialer, 0);
		if (rv == NNG_ECONNREFUSED || rv == NNG_ENOENT) {
			rc = oz_fail(st, OZ_UNAVAILABLE,
				"nothing is listening on %s \xe2\x80\x94 is "
				"ozd running?",
				c->url);
		} else if (rv == 0) {
			atomic_store(&c->dialing, true);
		} else {
			rc = start_dialer(c, NNG_FLAG_NONBLOCK, st);
		}
	}
	nng_mtx_unlock(c->dial_mu);
	return rc;
}

static oz_code
open_socket(oz_client *c, const oz_client_options *o, oz_status *st)
{
	int rv;

	if ((rv = nng_req0_open(&c->sock)) != 0) {
		return client_nng_fail(rv, false, c->url, st);
	}
	if ((rv = nng_socket_set_ms(c->sock, NNG_OPT_REQ_RESENDTIME,
		     NNG_DURATION_INFINITE)) != 0 ||
		(rv = nng_socket_set_size(
			 c->sock, NNG_OPT_RECVMAXSZ, c->max_message)) != 0 ||
		(rv = nng_socket_set_ms(c->sock, NNG_OPT_RECONNMINT, 20)) !=
			0 ||
		(rv = nng_socket_set_ms(c->sock, NNG_OPT_RECONNMAXT, 500)) !=
			0) {
		return client_nng_fail(rv, false, c->url, st);
	}
	if ((rv = nng_dialer_create(&c->dialer, c->sock, c->url)) != 0) {
		return oz_fail(st, OZ_INVALID_ARGUMENT,
			"cannot use URL \"%s\": %s", c->url, nng_strerror(rv));
	}
	if (strncmp(c->url, "tls+", 4) == 0 ||
		strncmp(c->url, "wss", 3) == 0) {
		oz_code rc = setup_tls(c, o, st);
		if (rc != OZ_OK) {
			return rc;
		}
	}
	if ((rv = nng_mtx_alloc(&c->dial_mu)) != 0) {
		return client_nng_fail(rv, false, c->url, st);
	}
	if (!client_url_is_local(c->url)) {
		return start_dialer(c, NNG_FLAG_NONBLOCK, st);
	}
	/* A refused first dial is not an error here: each call dials again
	 * and reports it. */
	oz_code rc = dial(c, st);
	if (rc == OZ_UNAVAILABLE) {
		if (st != NULL) {
			oz_status_clear(st);
		}
		rc = OZ_OK;
	}
	return rc;
}

oz_code
oz_client_open(oz_client **out, const char *url,
	const oz_client_options *options, oz_status *st)
{
	static const oz_client_options defaults;
	const oz_client_options *o = options != NULL ? options : &defaults;
	oz_client *c;
	oz_code rc;

	if (st != NULL) {
		oz_status_clear(st);
	}
	*out = NULL;
	if ((c = calloc(1, sizeof(*c))) == NULL) {
		return oz_fail(st, OZ_RESOURCE_EXHAUSTED, "out of memory");
	}
	c->url = strdup(url != NULL ? url : OZ_CLIENT_DEFAULT_URL);
	c->token = dup_or_null(o->auth_token);
	c->deadline_ms = o->deadline_ms > 0 ? o->deadline_ms
					    : OZ_CLIENT_DEFAULT_DEADLINE_MS;
	c->max_message = o->max_message_bytes > 0
				 ? o->max_message_bytes
				 : OZ_CLIENT_DEFAULT_MAX_MESSAGE;
	c->max_retries = o->max_retries == 0  ? DEFAULT_MAX_RETRIES
			 : o->max_retries < 0 ? 0
					      : o->max_retries;
	c->auto_id = !o->no_auto_request_id;
	c->retry_keyed_writes = !o->no_retry_keyed_writes;
	if (c->url == NULL || (o->auth_token != NULL && c->token == NULL)) {
		oz_client_close(c);
		return oz_fail(st, OZ_RESOURCE_EXHAUSTED, "out of memory");
	}
	if ((rc = client_url_check(c->url, st)) != OZ_OK) {
		oz_client_close(c);
		return rc;
	}
	if ((rc = open_socket(c, o, st)) != OZ_OK) {
		oz_client_close(c);
		return rc;
	}
	*out = c;
	return OZ_OK;
}

void
oz_client_close(oz_client *c)
{
	if (c == NULL) {
		return;
	}
	if (nng_socket_id(c->sock) > 0) {
		nng_close(c->sock);
	}
	if (c->dial_mu != NULL) {
		nng_mtx_free(c->dial_mu);
	}
	free(c->url);
	free(c->token);
	free(c);
}

void
oz_message_free(void *msg)
{
	if (msg != NULL) {
		protobuf_c_message_free_unpacked(msg, NULL);
	}
}

/* One exchange on a fresh context. *maybe_ran tells whether the request
 * left and no Response came back: then the server may or may not have run
 * it. A Response (even UNAVAILABLE) means the server decided. */
static oz_code
attempt(oz_client *c, const uint8_t *buf, size_t len, int64_t deadline,
	const ProtobufCMessageDescriptor *out_desc, ProtobufCMessage **out,
	bool *maybe_ran, oz_status *st)
{
	nng_ctx ctx;
	nng_aio *aio = NULL;
	nng_msg *msg = NULL;
	int64_t left;
	oz_code rc;
	int rv;

	*maybe_ran = false;
	if ((rv = nng_ctx_open(&ctx, c->sock)) != 0) {
		return client_nng_fail(rv, false, c->url, st);
	}
	if ((rv = nng_ctx_set_ms(ctx, NNG_OPT_REQ_RESENDTIME,
		     NNG_DURATION_INFINITE)) != 0 ||
		(rv = nng_aio_alloc(&aio, NULL, NULL)) != 0 ||
		(rv = nng_msg_alloc(&msg, 0)) != 0 ||
		(rv = nng_msg_append(msg, buf, len)) != 0) {
		rc = client_nng_fail(rv, false, c->url, st);
		goto out;
	}
	left = deadline - now_ms();
	nng_aio_set_msg(aio, msg);
	nng_aio_set_timeout(aio, (nng_duration) (left > 0 ? left : 1));
	nng_ctx_send(ctx, aio);
	nng_aio_wait(aio);
	if ((rv = nng_aio_result(aio)) != 0) {
		/* On failure the message is still ours. */
		nng_msg_free(nng_aio_get_msg(aio));
		rc = client_nng_fail(rv, false, c->url, st);
		goto out;
	}
	*maybe_ran = true;
	left = deadline - now_ms();
	nng_aio_set_timeout(aio, (nng_duration) (left > 0 ? left : 1));
	nng_ctx_recv(ctx, aio);
	nng_aio_wait(aio);
	if ((rv = nng_aio_result(aio)) != 0) {
		rc = client_nng_fail(rv, true, c->url, st);
		goto out;
	}
	*maybe_ran = false;
	msg = nng_aio_get_msg(aio);
	rc = client_decode_response(
		nng_msg_body(msg), nng_msg_len(msg), out_desc, out, st);
	nng_msg_free(msg);
out:
	nng_aio_free(aio);
	nng_ctx_close(ctx);
	return rc;
}

/* Sleeps ms on an aio of its own; returns false if it was interrupted
 * (the socket closed). */
static bool
backoff_sleep(nng_aio **sleeper, int64_t ms)
{
	if (*sleeper == NULL && nng_aio_alloc(sleeper, NULL, NULL) != 0) {
		return false;
	}
	nng_sleep_aio((nng_duration) ms, *sleeper);
	nng_aio_wait(*sleeper);
	return nng_aio_result(*sleeper) == 0;
}

/* Full-jitter exponential back-off: a random wait in [cap/2, cap]. */
static int64_t
backoff_ms(int attempt_no)
{
	int64_t cap = BACKOFF_BASE_MS;
	for (int i = 0; i < attempt_no && cap < BACKOFF_MAX_MS; i++) {
		cap *= 2;
	}
	if (cap > BACKOFF_MAX_MS) {
		cap = BACKOFF_MAX_MS;
	}
	return cap / 2 + (int64_t) (nng_random() % (uint32_t) (cap / 2 + 1));
}

/* Whether a failed attempt may be repeated (the policy of oz/client.h):
 * UNAVAILABLE when the server cannot have run the call (nothing was sent,
 * or it answered UNAVAILABLE: draining, busy), for reads always, for
 * keyed writes unless the options say the server does not deduplicate; and
 * RESOURCE_EXHAUSTED answered by an overloaded server, for reads. */
static bool
may_retry(const oz_client *c, oz_code rc, bool maybe_ran, bool read,
	bool has_key)
{
	if (rc == OZ_UNAVAILABLE) {
		return !maybe_ran || read ||
		       (has_key && c->retry_keyed_writes);
	}
	return rc == OZ_RESOURCE_EXHAUSTED && read;
}

static oz_code
check_call(const oz_client *c, const char *method, const ProtobufCMessage *in,
	const ProtobufCMessageDescriptor *out_desc, ProtobufCMessage **out,
	const oz_method_info **info, oz_status *st)
{
	if (c == NULL || method == NULL || in == NULL || out_desc == NULL ||
		out == NULL) {
		return oz_fail(st, OZ_INVALID_ARGUMENT,
			"client, method, request, output type and output "
			"pointer are required");
	}
	*info = oz_method_find(method);
	if (*info != NULL && in->descriptor != (*info)->input) {
		return oz_fail(st, OZ_INVALID_ARGUMENT, "%s takes %s, not %s",
			method, (*info)->input->name, in->descriptor->name);
	}
	if (*info != NULL && out_desc != (*info)->output) {
		return oz_fail(st, OZ_INVALID_ARGUMENT,
			"%s returns %s, not %s", method, (*info)->output->name,
			out_desc->name);
	}
	return OZ_OK;
}

oz_code
oz_client_call_with(oz_client *c, const char *method,
	const ProtobufCMessage *in, const ProtobufCMessageDescriptor *out_desc,
	ProtobufCMessage **out, const oz_call_options *opts, oz_status *st)
{
	oz_status local;
	const oz_method_info *info = NULL;
	uint8_t *payload = NULL, *buf = NULL;
	size_t payload_len, len;
	nng_aio *sleeper = NULL;
	char id[CLIENT_ID_LEN];
	bool has_key, maybe_ran;
	int64_t deadline, left;
	oz_code rc;

	st = st != NULL ? st : &local;
	oz_status_clear(st);
	if (out != NULL) {
		*out = NULL;
	}
	if ((rc = check_call(c, method, in, out_desc, out, &info, st)) !=
			OZ_OK ||
		(rc = dial(c, st)) != OZ_OK) {
		return rc;
	}
	deadline = now_ms() + (opts != NULL && opts->deadline_ms > 0
					      ? opts->deadline_ms
					      : c->deadline_ms);
	client_new_id(id);
	if ((rc = client_pack_input(in, c->auto_id, id, &payload, &payload_len,
		     &has_key, st)) != OZ_OK) {
		return rc;
	}
	for (int n = 0;; n++) {
		left = deadline - now_ms();
		if (left <= 0) {
			if (n == 0) {
				rc = oz_fail(st, OZ_DEADLINE_EXCEEDED,
					"deadline exceeded");
			}
			break;
		}
		oz_status_clear(st);
		rc = client_encode_request(method, payload, payload_len,
			c->token, id, (uint32_t) left, c->max_message, &buf,
			&len, st);
		if (rc != OZ_OK) {
			break;
		}
		rc = attempt(
			c, buf, len, deadline, out_desc, out, &maybe_ran, st);
		free(buf);
		buf = NULL;
		if (n >= c->max_retries ||
			!may_retry(c, rc, maybe_ran,
				info != NULL && info->idempotent, has_key)) {
			break;
		}
		int64_t wait = backoff_ms(n);
		if (now_ms() + wait >= deadline ||
			!backoff_sleep(&sleeper, wait)) {
			break;
		}
	}
	if (sleeper != NULL) {
		nng_aio_free(sleeper);
	}
	free(payload);
	return rc;
}

oz_code
oz_client_call(oz_client *c, const char *method, const ProtobufCMessage *in,
	const ProtobufCMessageDescriptor *out_desc, ProtobufCMessage **out,
	oz_status *st)
{
	return oz_client_call_with(c, method, in, out_desc, out, NULL, st);
}
