/* rpc/http.c -- the web console over nng's HTTP server: one handler per
 * embedded file (scripts/embed.sh builds them into the binary, so nothing
 * is read from disk or the network at run time), and the Origin rule for
 * WebSocket pipes (cross-site WebSocket hijacking). The ws://ADDR/rpc
 * listener is an ordinary listener of the server's socket; nng gives it
 * this same HTTP server because host and port match. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <nng/nng.h>
#include <nng/supplemental/http/http.h>

#include "core/embed.h"
#include "core/log.h"
#include "rpc/http.h"

struct rpc_http {
	nng_http_server *server;
	bool started;
};

/* Content-Type by file name extension. */
static const char *
content_type(const char *name)
{
	static const struct {
		const char *ext, *type;
	} types[] = {
		{".html", "text/html; charset=utf-8"},
		{".css", "text/css; charset=utf-8"},
		{".js", "text/javascript; charset=utf-8"},
		{".json", "application/json"},
		{".svg", "image/svg+xml"},
	};
	const char *dot = strrchr(name, '.');
	for (size_t i = 0; dot != NULL && i < sizeof(types) / sizeof(*types);
		i++) {
		if (strcmp(dot, types[i].ext) == 0) {
			return types[i].type;
		}
	}
	return "application/octet-stream";
}

/* Answers a GET (and HEAD) with one embedded file. The page may load and
 * talk to its own origin only and is never framed by another site.
 * 'unsafe-eval': protobufjs builds its encoders with Function() from the
 * schema (oz.json, also ours); no text from the server is evaluated. */
static void
serve_file_cb(nng_aio *aio)
{
	nng_http_handler *h = nng_aio_get_input(aio, 1);
	const struct embed_file *f = nng_http_handler_get_data(h);
	nng_http_res *res = NULL;
	int rv = nng_http_res_alloc(&res);
	if (rv == 0) {
		rv = nng_http_res_set_header(
			res, "Content-Type", content_type(f->name));
	}
	if (rv == 0) {
		rv = nng_http_res_set_header(res, "Cache-Control", "no-cache");
	}
	if (rv == 0) {
		rv = nng_http_res_set_header(
			res, "X-Content-Type-Options", "nosniff");
	}
	if (rv == 0) {
		rv = nng_http_res_set_header(res, "Content-Security-Policy",
			"default-src 'self'; script-src 'self' 'unsafe-eval'; "
			"connect-src 'self'; img-src 'self' data:; "
			"frame-ancestors 'none'");
	}
	if (rv == 0) {
		rv = nng_http_res_set_data(res, f->text, f->len);
	}
	if (rv != 0) {
		nng_http_res_free(res);
		nng_aio_finish(aio, rv);
		return;
	}
	nng_aio_set_output(aio, 0, res);
	nng_aio_finish(aio, 0);
}

static int
add_file(nng_http_server *srv, const struct embed_file *f)
{
	char uri[128];
	if (strcmp(f->name, "index.html") == 0) {
		snprintf(uri, sizeof(uri), "/");
	} else {
		snprintf(uri, sizeof(uri), "/%s", f->name);
	}
	nng_http_handler *h;
	int rv = nng_http_handler_alloc(&h, uri, serve_file_cb);
	if (rv != 0) {
		return rv;
	}
	/* The embedded files are static: no destructor. */
	if ((rv = nng_http_handler_set_data(h, (void *) f, NULL)) != 0 ||
		(rv = nng_http_server_add_handler(srv, h)) != 0) {
		nng_http_handler_free(h);
	}
	return rv;
}

/* HOST:PORT with a port of 1..65535 (port 0 cannot be shared by the ws
 * listener, which looks the server up by its port). */
static bool
addr_valid(const char *addr)
{
	const char *colon = strrchr(addr, ':');
	if (colon == NULL || colon == addr || strlen(addr) > 200) {
		return false;
	}
	char *end;
	long port = strtol(colon + 1, &end, 10);
	return *end == '\0' && port > 0 && port < 65536;
}

oz_code
rpc_http_start(rpc_http **out, const char *addr, char *ws_url, oz_status *st)
{
	if (!addr_valid(addr)) {
		return oz_fail(st, OZ_INVALID_ARGUMENT,
			"bad --http address (want HOST:PORT, e.g. "
			"127.0.0.1:7880)");
	}
	char http_url[RPC_HTTP_URL_MAX];
	snprintf(http_url, sizeof(http_url), "http://%s", addr);
	snprintf(ws_url, RPC_HTTP_URL_MAX, "ws://%s/rpc", addr);
	rpc_http *h = calloc(1, sizeof(*h));
	if (h == NULL) {
		return oz_fail(st, OZ_RESOURCE_EXHAUSTED, "out of memory");
	}
	nng_url *url = NULL;
	int rv = nng_url_parse(&url, http_url);
	if (rv == 0) {
		rv = nng_http_server_hold(&h->server, url);
	}
	nng_url_free(url);
	for (size_t i = 0; rv == 0 && i < embed_n_console; i++) {
		rv = add_file(h->server, &embed_console[i]);
	}
	if (rv == 0 && (rv = nng_http_server_start(h->server)) == 0) {
		h->started = true;
	}
	if (rv != 0) {
		rpc_http_stop(h);
		return oz_fail(st,
			rv == NNG_EADDRINUSE || rv == NNG_EADDRINVAL
				? OZ_UNAVAILABLE
				: OZ_INVALID_ARGUMENT,
			"cannot serve the console on http://%s: %s", addr,
			nng_strerror(rv));
	}
	*out = h;
	return OZ_OK;
}

void
rpc_http_stop(rpc_http *h)
{
	if (h == NULL) {
		return;
	}
	if (h->started) {
		nng_http_server_stop(h->server);
	}
	if (h->server != NULL) {
		nng_http_server_release(h->server);
	}
	free(h);
}

bool
rpc_origin_allowed(const rpc_origins *o, const char *origin)
{
	for (size_t i = 0; i < o->n; i++) {
		if (strcmp(o->allowed[i], origin) == 0) {
			return true;
		}
	}
	return false;
}

/* Before a new pipe joins the socket: a browser's WebSocket (it carries
 * Origin) from a page of another site is closed here, so it never reaches
 * rep0 and no call on it runs. The origin is not logged: it is the
 * caller's text (STYLE.md 10). */
static void
origin_check_cb(nng_pipe p, nng_pipe_ev ev, void *arg)
{
	const rpc_origins *o = arg;
	char *origin = NULL;
	(void) ev;
	if (nng_pipe_get_string(
		    p, NNG_OPT_WS_REQUEST_HEADER "Origin", &origin) != 0) {
		return; /* Not WebSocket, or no Origin: not a browser. */
	}
	bool ok = rpc_origin_allowed(o, origin);
	nng_strfree(origin);
	if (!ok) {
		log_warn("refused a WebSocket connection from a page of a "
			 "foreign origin (see --ws-allowed-origin)");
		nng_pipe_close(p);
	}
}

oz_code
rpc_origins_install(nng_socket sock, rpc_origins *o, oz_status *st)
{
	int rv =
		nng_pipe_notify(sock, NNG_PIPE_EV_ADD_PRE, origin_check_cb, o);
	if (rv != 0) {
		return oz_fail(st, OZ_INTERNAL, "cannot watch new pipes: %s",
			nng_strerror(rv));
	}
	return OZ_OK;
}
