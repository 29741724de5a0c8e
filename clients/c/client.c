/* clients/c/client.c -- oz_client: the servers it spreads calls over
 * (endpoints.h), one context and aio per attempt, deadlines and the retry
 * policy.
 *
 * nng's own re-sending is switched off (NNG_OPT_REQ_RESENDTIME infinite):
 * it would repeat writes behind the caller's back, on the same server or
 * on another one. Retries happen here, only when repeating cannot change
 * the outcome (see oz/client.h and may_retry), and go to a server this
 * call has not tried yet when there is one; only a retry on a server
 * already tried backs off first. Back-off sleeps use their own aio, never
 * one used for I/O (nng 1.5.2 defect). */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <nng/nng.h>
#include <nng/protocol/reqrep0/req.h>
#include <nng/supplemental/util/platform.h>

#include "core/clock.h"
#include "endpoints.h"
#include "oz/client.h"
#include "wire.h"

#define BACKOFF_BASE_MS     25
#define BACKOFF_MAX_MS      1000
#define DEFAULT_MAX_RETRIES 10
/* How long an attempt waits for its server to take the request (to have
 * a connection) when other servers could take the call. */
#define CONNECT_WAIT_MS 1000

struct oz_client {
	client_endpoints set;
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
	if (o->auth_token != NULL && c->token == NULL) {
		oz_client_close(c);
		return oz_fail(st, OZ_RESOURCE_EXHAUSTED, "out of memory");
	}
	if ((rc = client_endpoints_open(&c->set,
		     url != NULL ? url : OZ_CLIENT_DEFAULT_URL, c->max_message,
		     o, st)) != OZ_OK) {
		oz_client_close(c);
		return rc;
	}
	*out = c;
	return OZ_OK;
}

oz_code
oz_client_open_urls(oz_client **out, const char *const *urls, size_t n_urls,
	const oz_client_options *options, oz_status *st)
{
	char list[CLIENT_MAX_URLS * 512];
	size_t len = 0;

	*out = NULL;
	if (urls == NULL || n_urls == 0 || n_urls > CLIENT_MAX_URLS) {
		return oz_fail(st, OZ_INVALID_ARGUMENT,
			"from 1 to %d URLs are needed, not %zu",
			CLIENT_MAX_URLS, urls != NULL ? n_urls : 0);
	}
	for (size_t i = 0; i < n_urls; i++) {
		if (urls[i] == NULL || strchr(urls[i], ',') != NULL ||
			strlen(urls[i]) >= sizeof(list) / CLIENT_MAX_URLS) {
			return oz_fail(st, OZ_INVALID_ARGUMENT,
				"URL %zu is missing, too long or holds a "
				"comma",
				i);
		}
		len += (size_t) snprintf(list + len, sizeof(list) - len,
			"%s%s", i > 0 ? "," : "", urls[i]);
	}
	return oz_client_open(out, list, options, st);
}

void
oz_client_close(oz_client *c)
{
	if (c == NULL) {
		return;
	}
	client_endpoints_close(&c->set);
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

/* One exchange on a fresh context of server e. The request must leave by
 * send_by (at most deadline: a server that is not connected is given less
 * time when another could take the call). *maybe_ran tells whether the
 * request left and no Response came back: then the server may or may not
 * have run it. A Response (even UNAVAILABLE) means the server decided. */
static oz_code
attempt(client_endpoint *e, const uint8_t *buf, size_t len, int64_t send_by,
	int64_t deadline, const ProtobufCMessageDescriptor *out_desc,
	ProtobufCMessage **out, bool *maybe_ran, oz_status *st)
{
	nng_ctx ctx;
	nng_aio *aio = NULL;
	nng_msg *msg = NULL;
	int64_t left;
	oz_code rc;
	int rv;

	*maybe_ran = false;
	if ((rv = nng_ctx_open(&ctx, e->sock)) != 0) {
		return client_nng_fail(rv, false, e->url, st);
	}
	if ((rv = nng_ctx_set_ms(ctx, NNG_OPT_REQ_RESENDTIME,
		     NNG_DURATION_INFINITE)) != 0 ||
		(rv = nng_aio_alloc(&aio, NULL, NULL)) != 0 ||
		(rv = nng_msg_alloc(&msg, 0)) != 0 ||
		(rv = nng_msg_append(msg, buf, len)) != 0) {
		rc = client_nng_fail(rv, false, e->url, st);
		goto out;
	}
	left = send_by - now_ms();
	nng_aio_set_msg(aio, msg);
	nng_aio_set_timeout(aio, (nng_duration) (left > 0 ? left : 1));
	nng_ctx_send(ctx, aio);
	nng_aio_wait(aio);
	if ((rv = nng_aio_result(aio)) != 0) {
		/* On failure the message is still ours. */
		nng_msg_free(nng_aio_get_msg(aio));
		rc = client_nng_fail(rv, false, e->url, st);
		goto out;
	}
	*maybe_ran = true;
	left = deadline - now_ms();
	nng_aio_set_timeout(aio, (nng_duration) (left > 0 ? left : 1));
	nng_ctx_recv(ctx, aio);
	nng_aio_wait(aio);
	if ((rv = nng_aio_result(aio)) != 0) {
		rc = client_nng_fail(rv, true, e->url, st);
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

/* Whether server i answered as a healthy server does: anything but
 * UNAVAILABLE (unreachable, broken, draining), RESOURCE_EXHAUSTED
 * (overloaded) and no reply before the deadline. */
static bool
server_ok(oz_code rc)
{
	return rc != OZ_UNAVAILABLE && rc != OZ_RESOURCE_EXHAUSTED &&
	       rc != OZ_DEADLINE_EXCEEDED;
}

/* UNAVAILABLE "nothing is listening on URL1, URL2 -- is ozd running?":
 * every server of the call refused its dial. */
static oz_code
none_listening(const client_endpoints *set, oz_status *st)
{
	char urls[OZ_STATUS_MESSAGE_MAX];
	size_t len = 0;
	urls[0] = '\0';
	for (size_t i = 0; i < set->n && len < sizeof(urls); i++) {
		len += (size_t) snprintf(urls + len, sizeof(urls) - len,
			"%s%s", i > 0 ? ", " : "", set->ep[i].url);
	}
	return oz_fail(st, OZ_UNAVAILABLE,
		"nothing is listening on %s \xe2\x80\x94 is ozd running?",
		urls);
}

/* One call in progress: what oz_client_call_with's loop carries. */
typedef struct call_state {
	const uint8_t *payload;
	size_t payload_len;
	const char *method;
	const char *id;
	int64_t deadline;
	uint32_t tried;   /* Servers used by this call (bit per index). */
	uint32_t refused; /* Servers whose dial was refused. */
	bool maybe_ran;
} call_state;

/* One attempt on server i: dials it if needed, sends, and records the
 * server's health. */
static oz_code
call_on(oz_client *c, size_t i, call_state *cs,
	const ProtobufCMessageDescriptor *out_desc, ProtobufCMessage **out,
	oz_status *st)
{
	client_endpoint *e = &c->set.ep[i];
	int64_t now = now_ms(), left = cs->deadline - now;
	uint8_t *buf = NULL;
	size_t len;
	oz_code rc;

	cs->maybe_ran = false;
	cs->tried |= 1u << i;
	if ((rc = client_endpoint_dial(e, st)) != OZ_OK) {
		cs->refused |= 1u << i;
		client_endpoint_report(&c->set, i, false, now);
		return rc;
	}
	rc = client_encode_request(cs->method, cs->payload, cs->payload_len,
		c->token, cs->id, (uint32_t) left, c->max_message, &buf, &len,
		st);
	if (rc != OZ_OK) {
		return rc;
	}
	/* With other servers to turn to, a server gets CONNECT_WAIT_MS to
	 * take the request: it may have lost its connection since it was
	 * picked. A request that never left is safe to send elsewhere. */
	int64_t send_by = cs->deadline;
	if (c->set.n > 1 && left > CONNECT_WAIT_MS) {
		send_by = now + CONNECT_WAIT_MS;
	}
	rc = attempt(e, buf, len, send_by, cs->deadline, out_desc, out,
		&cs->maybe_ran, st);
	free(buf);
	client_endpoint_report(&c->set, i, server_ok(rc), now_ms());
	return rc;
}

oz_code
oz_client_call_with(oz_client *c, const char *method,
	const ProtobufCMessage *in, const ProtobufCMessageDescriptor *out_desc,
	ProtobufCMessage **out, const oz_call_options *opts, oz_status *st)
{
	oz_status local;
	const oz_method_info *info = NULL;
	uint8_t *payload = NULL;
	nng_aio *sleeper = NULL;
	char id[CLIENT_ID_LEN];
	call_state cs = {0};
	bool has_key, fresh;
	oz_code rc;

	st = st != NULL ? st : &local;
	oz_status_clear(st);
	if (out != NULL) {
		*out = NULL;
	}
	if ((rc = check_call(c, method, in, out_desc, out, &info, st)) !=
		OZ_OK) {
		return rc;
	}
	cs.deadline = now_ms() + (opts != NULL && opts->deadline_ms > 0
						 ? opts->deadline_ms
						 : c->deadline_ms);
	client_new_id(id);
	if ((rc = client_pack_input(in, c->auto_id, id, &payload,
		     &cs.payload_len, &has_key, st)) != OZ_OK) {
		return rc;
	}
	cs.payload = payload;
	cs.method = method;
	cs.id = id;
	const uint32_t all = (uint32_t) ((1ull << c->set.n) - 1);
	for (int n = 0;; n++) {
		if (cs.deadline - now_ms() <= 0) {
			if (n == 0) {
				rc = oz_fail(st, OZ_DEADLINE_EXCEEDED,
					"deadline exceeded");
			}
			break;
		}
		size_t i = client_endpoint_pick(
			&c->set, cs.tried, now_ms(), &fresh);
		if (!fresh) {
			int64_t wait = backoff_ms(n - 1);
			if (now_ms() + wait >= cs.deadline ||
				!backoff_sleep(&sleeper, wait)) {
				break;
			}
		}
		oz_status_clear(st);
		rc = call_on(c, i, &cs, out_desc, out, st);
		if (cs.refused == all) {
			/* Nothing listens anywhere: say so at once. */
			if (c->set.n > 1) {
				none_listening(&c->set, st);
			}
			break;
		}
		if (n >= c->max_retries ||
			!may_retry(c, rc, cs.maybe_ran,
				info != NULL && info->idempotent, has_key)) {
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
