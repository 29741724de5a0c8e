/* rpc/listener.c -- listeners: creation with their options, and the ipc
 * guard. nng errors become oz codes here and in server.c, nowhere else. */
#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include <nng/nng.h>
#include <nng/supplemental/tls/tls.h>

#include "core/log.h"
#include "rpc/call.h"
#include "rpc/listener.h"

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
	atomic_store(&ln->id, 0);
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
	atomic_store(&ln->id, nng_listener_id(ln->l));
	return OZ_OK;
}

void
rpc_listener_close(rpc_listener *ln)
{
	atomic_store(&ln->id, 0);
	if (ln->open) {
		nng_listener_close(ln->l);
		ln->open = false;
	}
}

/* How long a probe waits for the listener's SP header. Closing the
 * probe's connection before it came would be the very disconnect during
 * negotiation that triggers the defect, so this is generous: a stuck
 * listener still sends its header at once, and only the wait for the
 * pipe (RPC_PROBE_TIMEOUT_MS) decides. */
#define HANDSHAKE_MS 2000

/* Reads exactly n bytes, waiting at most ms for each part. */
static bool
read_full(int fd, unsigned char *buf, size_t n, int ms)
{
	size_t got = 0;
	while (got < n) {
		struct pollfd p = {.fd = fd, .events = POLLIN};
		if (poll(&p, 1, ms) <= 0) {
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

/* Waits until ln has handed more than before pipes to the socket, at most
 * RPC_PROBE_TIMEOUT_MS. */
static bool
wait_added(rpc_listener *ln, long before)
{
	struct timespec step = {0, 2 * 1000 * 1000};
	for (int i = 0; i < RPC_PROBE_TIMEOUT_MS / 2; i++) {
		if (atomic_load(&ln->added) != before) {
			return true;
		}
		nanosleep(&step, NULL);
	}
	return atomic_load(&ln->added) != before;
}

/* Talks to the ipc listener as a req0 client would: the 8-byte SP
 * handshake, then waits for the listener to hand the connection to the
 * socket. The handshake alone is not enough: after nng 1.5.2's defect the
 * listener may still complete handshakes, but its connections never reach
 * the socket. The connection is closed only after the handshake, so the
 * probe itself cannot cause the defect it looks for. */
static bool
probe_ipc(rpc_listener *ln)
{
	static const unsigned char hello[8] = {0, 'S', 'P', 0, 0, 0x30, 0, 0};
	struct sockaddr_un sa = {.sun_family = AF_UNIX};
	snprintf(sa.sun_path, sizeof(sa.sun_path), "%s", ln->ipc_path);
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0) {
		return true; /* Cannot judge; do not disturb the listener. */
	}
	long before = atomic_load(&ln->added);
	bool ok = false;
	unsigned char reply[8];
	if (connect(fd, (struct sockaddr *) &sa, sizeof(sa)) == 0 &&
		write_full(fd, hello, sizeof(hello)) &&
		read_full(fd, reply, 8, HANDSHAKE_MS) && reply[1] == 'S' &&
		reply[2] == 'P' && reply[5] == 0x31) {
		ok = wait_added(ln, before);
	}
	close(fd);
	return ok;
}

void
rpc_listener_pipe_added(rpc_listener *lns, size_t n, nng_pipe p)
{
	int id = nng_listener_id(nng_pipe_listener(p));
	for (size_t i = 0; i < n; i++) {
		if (id > 0 && atomic_load(&lns[i].id) == id) {
			atomic_fetch_add(&lns[i].added, 1);
		}
	}
}

bool
rpc_listener_guard(
	rpc_listener *ln, nng_socket sock, const rpc_server_config *cfg)
{
	if (!ln->open || ln->ipc_path[0] == '\0') {
		return false;
	}
	if (probe_ipc(ln)) {
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

bool
rpc_listener_addr_is_local(const nng_sockaddr *sa)
{
	static const uint8_t v4mapped[12] = {
		0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};
	static const uint8_t loop6[16] = {
		0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1};
	switch (sa->s_family) {
	case NNG_AF_IPC:
	case NNG_AF_INPROC:
		return true;
	case NNG_AF_INET: /* sa_addr is in network byte order. */
		return ((const uint8_t *) &sa->s_in.sa_addr)[0] == 127;
	case NNG_AF_INET6:
		return memcmp(sa->s_in6.sa_addr, loop6, 16) == 0 ||
		       (memcmp(sa->s_in6.sa_addr, v4mapped, 12) == 0 &&
			       sa->s_in6.sa_addr[12] == 127);
	default:
		return false;
	}
}

bool
rpc_listener_peer_is_local(nng_msg *msg)
{
	nng_sockaddr sa;
	nng_pipe p = nng_msg_get_pipe(msg);
	if (nng_pipe_id(p) < 0 ||
		nng_pipe_get_addr(p, NNG_OPT_REMADDR, &sa) != 0) {
		return false;
	}
	return rpc_listener_addr_is_local(&sa);
}
