/* oz/client.h -- the C client library of oz: open a connection to ozd and
 * call its methods, typed or generically by name.
 *
 * Messages are the protobuf-c types generated from proto/ (installed under
 * oz/pb/, found with `pkg-config --cflags oz-client`). This header does not
 * expose nng: transport errors come back as oz codes in an oz_status.
 *
 * Threads: one oz_client may be used by any number of threads at once;
 * every call runs on its own nng context, so calls proceed in parallel.
 * oz_client_close must not run while calls are in flight.
 *
 * Ownership: every message a call returns through an OUT pointer is owned
 * by the caller and freed with oz_message_free() (the same as
 * protobuf_c_message_free_unpacked(msg, NULL)). On failure *out is NULL.
 * Input messages stay owned by the caller and are never modified.
 *
 * Retries: a call is retried, with exponential back-off and jitter within
 * its deadline, only when repeating it cannot change the outcome:
 *   - UNAVAILABLE before the request was sent (no connection), or answered
 *     by the server itself (draining, database busy: it ran nothing):
 *     every method;
 *   - UNAVAILABLE after the connection broke with the request sent (it may
 *     or may not have run): reads (Get*, List*, AdminService/Stats, Health,
 *     Reflection), and writes carrying a request_id, which ozd
 *     deduplicates (AIP-155: a repeat gets the first outcome), unless the
 *     options set no_retry_keyed_writes;
 *   - RESOURCE_EXHAUSTED (server overloaded): reads only.
 * Writes without a request_id get a random one automatically (a UUID,
 * also sent as "request-id" metadata) unless no_auto_request_id is set.
 * Which methods only read is rpc/services.c's list, the one ozd reports
 * as MethodInfo.idempotent. With several servers a retry goes to another
 * server when it can (oz_client_open).
 * DEADLINE_EXCEEDED and every other code are returned at once. */
#ifndef OZ_CLIENT_H
#define OZ_CLIENT_H

#include <stdbool.h>
#include <stddef.h>

#include <protobuf-c/protobuf-c.h>

#include "oz/status.h"
#include "grpc/health/v1/health.pb-c.h"
#include "oz/rpc/v1/rpc.pb-c.h"
#include "oz/v1/admin_service.pb-c.h"
#include "oz/v1/batch_service.pb-c.h"
#include "oz/v1/task_service.pb-c.h"
#include "oz/v1/user_service.pb-c.h"

#ifdef __cplusplus
extern "C" {
#endif

/* The URL ozd listens on by default. */
#define OZ_CLIENT_DEFAULT_URL "tcp://127.0.0.1:7878"
/* Default deadline of a call when the options give none. */
#define OZ_CLIENT_DEFAULT_DEADLINE_MS 5000
/* Default largest message accepted, the server's default too. */
#define OZ_CLIENT_DEFAULT_MAX_MESSAGE (4u * 1024u * 1024u)

typedef struct oz_client oz_client;

/* Options of oz_client_open. Zero-initialise, then set what you need:
 * every zero or NULL member means its default. Strings are copied by
 * oz_client_open; the struct may be discarded afterwards. */
typedef struct oz_client_options {
	/* Deadline of each call in milliseconds, retries included; 0 means
	 * OZ_CLIENT_DEFAULT_DEADLINE_MS. A call never waits longer. */
	int deadline_ms;
	/* Sent as metadata "authorization: Bearer <auth_token>"; NULL: none.
	 */
	const char *auth_token;
	/* tls+tcp:// and wss:// only (ignored for other URLs): PEM file of the
	 * CA that signed the server's certificate (NULL: the server is not
	 * verified), the name expected in it (NULL: the URL's host), and an
	 * optional PEM file holding this client's certificate followed by its
	 * key, for servers that require client certificates. */
	const char *tls_ca_file;
	const char *tls_server_name;
	const char *tls_cert_key_file;
	/* Largest request sent and reply accepted, in bytes; 0 means
	 * OZ_CLIENT_DEFAULT_MAX_MESSAGE. A bigger request fails with
	 * RESOURCE_EXHAUSTED before it is sent; a bigger reply makes nng drop
	 * the connection, seen as UNAVAILABLE. */
	size_t max_message_bytes;
	/* Retries of a retryable call after the first attempt (default 10
	 * when 0; -1 for none). The deadline bounds them in any case; the
	 * back-off starts at 12-25 ms and doubles up to 0.5-1 s. */
	int max_retries;
	/* When true, writes without a request_id are sent as they are. */
	bool no_auto_request_id;
	/* When true, a write is never sent again once it may have reached
	 * the server, even with a request_id. Default false: keyed writes
	 * are retried after a broken connection, which is safe against ozd
	 * (it deduplicates request_id); set this for a server that does not.
	 */
	bool no_retry_keyed_writes;
} oz_client_options;

/* Creates a client for url (tcp://HOST:PORT, tls+tcp://HOST:PORT,
 * ipc:///PATH, ws://HOST:PORT/PATH, wss://..., inproc://NAME; NULL means
 * OZ_CLIENT_DEFAULT_URL) and connects. url may also be a comma-separated
 * list of up to 16 such URLs, one per server ("tcp://a:7878,tcp://b:7878"):
 * see "Several servers" below. A server that is not up yet is not an
 * error here. A local URL (ipc://, inproc://, tcp:// to localhost,
 * 127.x.x.x or [::1]) is dialed at once: while nothing listens there (on
 * any of the URLs), each call fails at once with UNAVAILABLE "nothing is
 * listening on URL — is ozd running?" (not retried; the next call dials
 * again). A remote URL is dialed in the background from the start. Once
 * connected, a lost connection is redialed in the background and calls
 * wait for it until their deadline (with one URL) or use another server.
 * options may be NULL.
 * OUT: *out, owned by the caller, freed with oz_client_close.
 * Returns OK; INVALID_ARGUMENT for a malformed or unsupported URL (the
 * message shows the accepted forms), an empty element of a list, more
 * than 16 URLs or bad TLS files; INTERNAL when nng fails otherwise.
 *
 * Several servers: each URL gets its own connection. Calls go round-robin
 * (from a random first server) over the servers that are connected and
 * answer; a server whose connection broke, that answered UNAVAILABLE or
 * RESOURCE_EXHAUSTED, or that let a call reach its deadline is skipped
 * for 100 ms, doubling up to 5 s after each new failure, while another
 * server can take calls (it is tried again after that time, and at once
 * when no other server is left). A retry (the policy at the top of this
 * header) goes to a server the call has not tried yet, without waiting;
 * only when every server was tried does it back off first. So a read, or
 * a keyed write, cut off by a dying server is finished by another one; an
 * unkeyed write cut off that way is never sent again (UNAVAILABLE).
 * A request waits at most 1 s for its server to take it (to be connected)
 * when another server could, then goes there (nothing was sent). A call
 * already sent to a server that hangs (stopped, not dead) waits for its
 * deadline; later calls skip that server. The servers of one client
 * must share one database (ozd on PostgreSQL): with separate databases a
 * read may not see an earlier write. */
oz_code oz_client_open(oz_client **out, const char *url,
	const oz_client_options *options, oz_status *st);

/* oz_client_open with the URLs of several servers as an array (n_urls
 * from 1 to 16, none holding a comma). Same outcomes. */
oz_code oz_client_open_urls(oz_client **out, const char *const *urls,
	size_t n_urls, const oz_client_options *options, oz_status *st);

/* Closes the connection and frees the client. NULL is a no-op. No call
 * may be in flight on it. */
void oz_client_close(oz_client *client);

/* Per-call settings of oz_client_call_with; zero means the client's
 * default. */
typedef struct oz_call_options {
	int deadline_ms;
} oz_call_options;

/* Calls method (full name, e.g. "/oz.v1.UserService/CreateUser") with
 * request in, decoding the reply as out_desc.
 * OUT: *out, a message of type out_desc owned by the caller (free it with
 * oz_message_free); NULL on failure. in stays the caller's.
 * Returns st->code: OK; the server's status (code, message, violations);
 * INVALID_ARGUMENT when in is not the method's input type (for a method
 * this library knows); RESOURCE_EXHAUSTED for a request over the size
 * limit; UNAVAILABLE when the server could not be reached or the
 * connection dropped; DEADLINE_EXCEEDED when the deadline passed while
 * waiting for the reply; INTERNAL for an undecodable reply. */
oz_code oz_client_call(oz_client *client, const char *method,
	const ProtobufCMessage *in, const ProtobufCMessageDescriptor *out_desc,
	ProtobufCMessage **out, oz_status *st);

/* oz_client_call with per-call options (opts may be NULL). */
oz_code oz_client_call_with(oz_client *client, const char *method,
	const ProtobufCMessage *in, const ProtobufCMessageDescriptor *out_desc,
	ProtobufCMessage **out, const oz_call_options *opts, oz_status *st);

/* Frees a message returned by this library (any protobuf-c message
 * unpacked with the default allocator). NULL is a no-op. */
void oz_message_free(void *msg);

/* One known method: its full name, message types, and whether it only
 * reads (and so is safe to retry). */
typedef struct oz_method_info {
	const char *full_name;
	const ProtobufCMessageDescriptor *input;
	const ProtobufCMessageDescriptor *output;
	bool idempotent;
} oz_method_info;

/* Returns the method compiled into this library named full_name ("/pkg.
 * Service/Method"), or NULL. The result is static. */
const oz_method_info *oz_method_find(const char *full_name);

/* Returns the i-th known method (0-based), or NULL past the end. */
const oz_method_info *oz_method_at(size_t i);

/* --- Typed calls. Each is oz_client_call on the named method. ---------- */

/* oz.v1.UserService */
oz_code oz_user_create(oz_client *client, const Oz__V1__CreateUserRequest *req,
	Oz__V1__User **out, oz_status *st);
oz_code oz_user_get(oz_client *client, const Oz__V1__GetUserRequest *req,
	Oz__V1__User **out, oz_status *st);
oz_code oz_user_get_by_email(oz_client *client,
	const Oz__V1__GetUserByEmailRequest *req, Oz__V1__User **out,
	oz_status *st);
oz_code oz_user_list(oz_client *client, const Oz__V1__ListUsersRequest *req,
	Oz__V1__ListUsersResponse **out, oz_status *st);
oz_code oz_user_update(oz_client *client, const Oz__V1__UpdateUserRequest *req,
	Oz__V1__User **out, oz_status *st);
/* The reply (google.protobuf.Empty) carries nothing and is not returned. */
oz_code oz_user_delete(oz_client *client, const Oz__V1__DeleteUserRequest *req,
	oz_status *st);

/* oz.v1.TaskService */
oz_code oz_task_create(oz_client *client, const Oz__V1__CreateTaskRequest *req,
	Oz__V1__Task **out, oz_status *st);
oz_code oz_task_get(oz_client *client, const Oz__V1__GetTaskRequest *req,
	Oz__V1__Task **out, oz_status *st);
oz_code oz_task_list(oz_client *client, const Oz__V1__ListTasksRequest *req,
	Oz__V1__ListTasksResponse **out, oz_status *st);
oz_code oz_task_update(oz_client *client, const Oz__V1__UpdateTaskRequest *req,
	Oz__V1__Task **out, oz_status *st);
oz_code oz_task_delete(oz_client *client, const Oz__V1__DeleteTaskRequest *req,
	oz_status *st);

/* oz.v1.BatchService/Execute: up to 1000 writes in one transaction, all
 * applied or none (the status then names the failing operation in its
 * violations, e.g. "operations[7].create_user.email"). Without a
 * request_id one is generated, so a retry after a broken connection
 * cannot apply the batch twice. */
oz_code oz_batch_execute(oz_client *client, const Oz__V1__ExecuteRequest *req,
	Oz__V1__ExecuteResponse **out, oz_status *st);

/* oz.v1.AdminService: Stats and Query are retried like reads; Backup and
 * Optimize are never repeated once sent. */
oz_code oz_admin_backup(oz_client *client, const Oz__V1__BackupRequest *req,
	Oz__V1__BackupResponse **out, oz_status *st);
oz_code oz_admin_optimize(oz_client *client,
	const Oz__V1__OptimizeRequest *req, Oz__V1__OptimizeResponse **out,
	oz_status *st);
oz_code oz_admin_stats(oz_client *client, const Oz__V1__StatsRequest *req,
	Oz__V1__StatsResponse **out, oz_status *st);
/* One read-only SQL statement (needs the admin token as auth_token);
 * retried like a read. */
oz_code oz_admin_query(oz_client *client, const Oz__V1__QueryRequest *req,
	Oz__V1__QueryResponse **out, oz_status *st);

/* grpc.health.v1.Health/Check */
oz_code oz_health_check(oz_client *client,
	const Grpc__Health__V1__HealthCheckRequest *req,
	Grpc__Health__V1__HealthCheckResponse **out, oz_status *st);

/* oz.rpc.v1.Reflection/ListServices */
oz_code oz_reflection_list_services(oz_client *client,
	const Oz__Rpc__V1__ListServicesRequest *req,
	Oz__Rpc__V1__ListServicesResponse **out, oz_status *st);

/* --- JSON (proto3 JSON mapping) ------------------------------------------
 * Field names in lowerCamelCase (the .proto names are accepted on input
 * too), enums by name, 64-bit integers as strings, bytes in base64, and the
 * well-known types Timestamp (RFC 3339), FieldMask (comma-separated
 * lowerCamel paths), wrappers (the bare value) and Empty ({}). These are
 * pure functions: no I/O, no global state. */

/* Output flags of oz_json_from_message. */
#define OZ_JSON_PRETTY        1u /* Indent by two spaces. */
#define OZ_JSON_EMIT_DEFAULTS 2u /* Include scalars and lists at default. */

/* Parses len bytes of JSON text as a message of type desc.
 * OUT: *out owned by the caller (oz_message_free); NULL on failure.
 * Returns OK, or INVALID_ARGUMENT naming the offending field (also as a
 * violation) for malformed JSON, unknown fields, wrong types or values out
 * of range. */
oz_code oz_json_to_message(const char *json, size_t len,
	const ProtobufCMessageDescriptor *desc, ProtobufCMessage **out,
	oz_status *st);

/* Formats msg as JSON text with the given OZ_JSON_* flags.
 * OUT: *out, a NUL-terminated string owned by the caller (free()).
 * Returns OK, or INTERNAL when out of memory or msg is malformed. */
oz_code oz_json_from_message(const ProtobufCMessage *msg, unsigned flags,
	char **out, oz_status *st);

#ifdef __cplusplus
}
#endif

#endif /* OZ_CLIENT_H */
