/* rpc/listener.c -- listeners: creation with their options, and the ipc
 * guard. nng errors become oz codes here and in server.c, nowhere else. */
#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <nng/nng.h>
#include <nng/supplemental/tls/tls.h>

#include "core/log.h"
#include "oz/rpc/v1/rpc.pb-c.h"
#include "rpc/call.h"
#include "rpc/listener.h"

#define PROBE_TIMEOUT_MS 1000
#define PROBE_FAILURES   2
#define PROBE_ID         "\x80\x00\x00\x01" /* req0 request id. */

/* Reads a whole small file (a PEM) into a NUL-terminated heap string. */
static char *
read_file(const char *path)
{
	FILE *f = fopen(path, "rb");
	if (f == NULL) {
		return NULL;
	}
	char *buf = NULL;
	size_t len = 0;
	char chunk[4096];
	size_t n;
	while ((n = fread(chunk, 1, sizeof(chunk), f)) > 0) {
		char *nb = realloc(buf, len + n + 1);
		if (nb == NULL || len + n > (1u << 20)) {
			free(nb != NULL ? nb : buf);
			fclose(f);
			return NULL;
		}
		buf = nb;
		memcpy(buf + len, chunk, n);
		len += n;
	}
	fclose(f);
	if (buf != NULL) {
		buf[len] = '\0';
	}
	return buf;
}

static oz_code
set_tls(nng_listener l, const rpc_server_config *cfg, oz_status *st)
{
	oz_code rc = OZ_OK;
	nng_tls_config *tls = NULL;
	char *cert = NULL, *key = NULL;
	if (cfg->tls_cert == NULL || cfg->tls_key == NULL) {
		return oz_fail(st, OZ_INVALID_ARGUMENT,
			"tls+tcp:// needs --tls-cert and --tls-key");
	}
	cert = read_file(cfg->tls_cert);
	key = read_file(cfg->tls_key);
	if (cert == NULL || key == NULL) {
		rc = oz_fail(st, OZ_INVALID_ARGUMENT,
			"cannot read TLS certificate %s or key %s",
			cfg->tls_cert, cfg->tls_key);
		goto out;
	}
	int rv = nng_tls_config_alloc(&tls, NNG_TLS_MODE_SERVER);
	if (rv == 0) {
		rv = nng_tls_config_own_cert(tls, cert, key, NULL);
	}
	if (rv == 0 && cfg->tls_ca != NULL) {
		rv = nng_tls_config_ca_file(tls, cfg->tls_ca);
		if (rv == 0) {
			rv = nng_tls_config_auth_mode(
				tls, NNG_TLS_AUTH_MODE_REQUIRED);
		}
	}
	if (rv == 0) {
		rv = nng_listener_set_ptr(l, NNG_OPT_TLS_CONFIG, tls);
	}
	if (rv != 0) {
		rc = oz_fail(st, OZ_INVALID_ARGUMENT, "TLS setup failed: %s",
			nng_strerror(rv));
	}
out:
	if (tls != NULL) {
		nng_tls_config_free(tls); /* The listener holds a reference. */
	}
	free(cert);
	free(key);
	return rc;
}

oz_code
rpc_listener_open(rpc_listener *ln, nng_socket sock, const char *url,
	const rpc_server_config *cfg, oz_status *st)
{
	ln->url = url;
	ln->open = false;
	ln->failed_probes = 0;
	ln->ipc_path[0] = '\0';
	int rv = nng_listener_create(&ln->l, sock, url);
	if (rv != 0) {
		return oz_fail(st, OZ_INVALID_ARGUMENT,
			"cannot listen on %s: %s (supported: tcp://, ipc://, "
			"tls+tcp://, ws://, inproc://)",
			url, nng_strerror(rv));
	}
	/* nng 1.5.2 defaults to no limit: set it on every listener, or do
	 * not listen. */
	rv = nng_listener_set_size(
		ln->l, NNG_OPT_RECVMAXSZ, cfg->max_message_bytes);
	oz_code rc = OZ_OK;
	if (rv != 0) {
		rc = oz_fail(st, OZ_INTERNAL,
			"cannot set the message limit on %s: %s", url,
			nng_strerror(rv));
	} else if (strncmp(url, "tls+tcp://", 10) == 0) {
		rc = set_tls(ln->l, cfg, st);
	} else if (strncmp(url, "ipc://", 6) == 0) {
		snprintf(ln->ipc_path, sizeof(ln->ipc_path), "%s", url + 6);
		rv = nng_listener_set_int(
			ln->l, NNG_OPT_IPC_PERMISSIONS, cfg->ipc_mode);
		if (rv != 0) {
			rc = oz_fail(st, OZ_INVALID_ARGUMENT,
				"cannot set ipc permissions on %s: %s", url,
				nng_strerror(rv));
		}
	}
	if (rc == OZ_OK && (rv = nng_listener_start(ln->l, 0)) != 0) {
		rc = oz_fail(st, OZ_UNAVAILABLE, "cannot listen on %s: %s",
			url, nng_strerror(rv));
	}
	if (rc != OZ_OK) {
		nng_listener_close(ln->l);
		return rc;
	}
	ln->open = true;
	return OZ_OK;
}

void
rpc_listener_close(rpc_listener *ln)
{
	if (ln->open) {
		nng_listener_close(ln->l);
		ln->open = false;
	}
}

/* Reads exactly n bytes within the probe timeout. */
static bool
read_full(int fd, unsigned char *buf, size_t n)
{
	size_t got = 0;
	while (got < n) {
		struct pollfd p = {.fd = fd, .events = POLLIN};
		if (poll(&p, 1, PROBE_TIMEOUT_MS) <= 0) {
			return false;
		}
		ssize_t r = read(fd, buf + got, n - got);
		if (r <= 0) {
			return false;
		}
		got += (size_t) r;
	}
	return true;
}

/* Writes all n bytes or fails. */
static bool
write_full(int fd, const unsigned char *buf, size_t n)
{
	while (n > 0) {
		ssize_t w = write(fd, buf, n);
		if (w <= 0) {
			return false;
		}
		buf += w;
		n -= (size_t) w;
	}
	return true;
}

/* Builds the probe: an ipc frame (type 1, 64-bit big-endian length) holding
 * a req0 request id and an oz.rpc.v1.Request for Health/Check marked with
 * RPC_PROBE_REQUEST_ID. Returns its length. */
static size_t
probe_frame(unsigned char *buf, size_t cap)
{
	Oz__Rpc__V1__Metadata md = OZ__RPC__V1__METADATA__INIT;
	Oz__Rpc__V1__Metadata *mdp = &md;
	Oz__Rpc__V1__Request req = OZ__RPC__V1__REQUEST__INIT;
	md.key = "request-id";
	md.value = RPC_PROBE_REQUEST_ID;
	req.method = "/grpc.health.v1.Health/Check";
	req.metadata = &mdp;
	req.n_metadata = 1;
	req.timeout_ms = PROBE_TIMEOUT_MS;
	size_t n = oz__rpc__v1__request__get_packed_size(&req);
	if (13 + n > cap) {
		return 0;
	}
	uint64_t len = 4 + n;
	buf[0] = 1;
	for (int i = 0; i < 8; i++) {
		buf[1 + i] = (unsigned char) (len >> (56 - 8 * i));
	}
	/* Four bytes of a binary frame, not a string. */
	// NOLINTNEXTLINE(bugprone-not-null-terminated-result)
	memcpy(buf + 9, PROBE_ID, 4);
	oz__rpc__v1__request__pack(&req, buf + 13);
	return 13 + n;
}

/* Talks to the ipc listener as a req0 client would: the 8-byte SP
 * handshake, then one Health/Check. True if a reply to it came back. The
 * handshake alone is not enough: after nng 1.5.2's defect the listener
 * still completes handshakes, but its connections never reach the socket. */
static bool
probe_ipc(const char *path)
{
	static const unsigned char hello[8] = {0, 'S', 'P', 0, 0, 0x30, 0, 0};
	unsigned char frame[256];
	size_t flen = probe_frame(frame, sizeof(frame));
	struct sockaddr_un sa = {.sun_family = AF_UNIX};
	snprintf(sa.sun_path, sizeof(sa.sun_path), "%s", path);
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0 || flen == 0) {
		if (fd >= 0) {
			close(fd);
		}
		return true; /* Cannot judge; do not disturb the listener. */
	}
	bool ok = false;
	unsigned char reply[13];
	if (connect(fd, (struct sockaddr *) &sa, sizeof(sa)) == 0 &&
		write_full(fd, hello, sizeof(hello)) &&
		read_full(fd, reply, 8) && reply[1] == 'S' &&
		reply[2] == 'P' && reply[5] == 0x31 &&
		write_full(fd, frame, flen) && read_full(fd, reply, 13)) {
		ok = reply[0] == 1 && memcmp(reply + 9, PROBE_ID, 4) == 0;
	}
	close(fd);
	return ok;
}

bool
rpc_listener_guard(
	rpc_listener *ln, nng_socket sock, const rpc_server_config *cfg)
{
	if (!ln->open || ln->ipc_path[0] == '\0') {
		return false;
	}
	if (probe_ipc(ln->ipc_path)) {
		ln->failed_probes = 0;
		return false;
	}
	if (++ln->failed_probes < PROBE_FAILURES) {
		return false;
	}
	log_warn("listener %s stopped accepting (nng 1.5.2 defect #1518); "
		 "re-opening it",
		ln->url);
	rpc_listener_close(ln);
	oz_status st;
	if (rpc_listener_open(ln, sock, ln->url, cfg, &st) != OZ_OK) {
		log_error("re-opening %s failed: %s", ln->url, st.message);
		return false;
	}
	return true;
}
