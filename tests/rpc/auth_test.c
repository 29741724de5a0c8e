/* tests/rpc/auth_test.c -- who may call the admin methods: the admin
 * token (--admin-token-file) when one is configured, local peers only when
 * none is, and the one decision (rpc_auth_admin_ok) reached through
 * rpc_call_begin for the rows the dispatch table marks. On an in-memory
 * database; the peer's locality is given, and the address rule is tested on
 * its own (servers in tests listen on loopback only). */
#include <arpa/inet.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "oz/v1/admin_service.pb-c.h"
#include "oz/v1/user_service.pb-c.h"
#include "rpc/auth.h"
#include "rpc/call.h"
#include "rpc/listener.h"
#include "store/migrate.h"
#include "support/db.h"
#include "support/wire.h"

struct fixture {
	store_conn *db;
	arena arena;
	rpc_call_config cfg;
	rpc_auth *auth;
	rpc_auth *admin;
	char dir[64];
};

static rpc_auth *
load(struct fixture *f, const char *name, const char *text)
{
	char path[128];
	snprintf(path, sizeof(path), "%s/%s", f->dir, name);
	FILE *fp = fopen(path, "w");
	assert_non_null(fp);
	fputs(text, fp);
	fclose(fp);
	rpc_auth *a = NULL;
	oz_status st;
	assert_int_equal(rpc_auth_load(path, &a, &st), OZ_OK);
	unlink(path);
	return a;
}

static int
setup(void **state)
{
	struct fixture *f = calloc(1, sizeof(*f));
	oz_status st;
	f->db = test_db_fresh();
	assert_int_equal(store_migrate_upgrade(f->db, "head", &st), OZ_OK);
	arena_init(&f->arena, 0, 0);
	f->cfg.default_timeout_ms = 30000;
	f->cfg.max_message_bytes = 4u << 20;
	snprintf(f->dir, sizeof(f->dir), "/tmp/oz-auth-XXXXXX");
	assert_non_null(mkdtemp(f->dir));
	f->auth = load(f, "tokens", "user-token\n");
	f->admin = load(f, "admin", "# admins\nadmin-token\n");
	*state = f;
	return 0;
}

static int
teardown(void **state)
{
	struct fixture *f = *state;
	store_close(f->db);
	arena_fini(&f->arena);
	rpc_auth_free(f->auth);
	rpc_auth_free(f->admin);
	rmdir(f->dir);
	free(f);
	return 0;
}

static bool
yes(void *arg)
{
	(void) arg;
	return true;
}

static bool
no(void *arg)
{
	(void) arg;
	return false;
}

static const rpc_peer local = {.is_local = yes};
static const rpc_peer remote = {.is_local = no};

/* Calls method with an empty payload of its type and the given
 * authorization (NULL: none) from peer; returns the reply's code. */
static oz_code
call(struct fixture *f, const char *method, const char *authorization,
	const rpc_peer *peer)
{
	Oz__Rpc__V1__Metadata md = OZ__RPC__V1__METADATA__INIT;
	Oz__Rpc__V1__Metadata *mdp = &md;
	md.key = "authorization";
	md.value = (char *) authorization;
	Oz__V1__StatsRequest empty = OZ__V1__STATS_REQUEST__INIT;
	uint8_t *buf;
	size_t len;
	wire_envelope_md(method, &empty.base, 0, &mdp,
		authorization != NULL ? 1 : 0, &buf, &len);
	rpc_call c;
	arena_reset(&f->arena);
	rpc_call_begin(&c, &f->cfg, &f->arena, buf, len, peer);
	free(buf);
	/* Only the access decision is under test: run nothing that needs a
	 * server (Stats reads the server's counters). */
	return c.st.code;
}

#define OPTIMIZE "/oz.v1.AdminService/Optimize"
#define BACKUP   "/oz.v1.AdminService/Backup"
#define STATS    "/oz.v1.AdminService/Stats"
#define GET_USER "/oz.v1.UserService/GetUser"

static void
without_admin_token_admin_methods_are_local_only(void **state)
{
	struct fixture *f = *state;
	assert_int_equal(call(f, OPTIMIZE, NULL, &local), OZ_OK);
	assert_int_equal(call(f, BACKUP, NULL, &local), OZ_OK);
	assert_int_equal(
		call(f, OPTIMIZE, NULL, &remote), OZ_PERMISSION_DENIED);
	assert_int_equal(call(f, BACKUP, NULL, &remote), OZ_PERMISSION_DENIED);
	/* An unknown peer is not a local one. */
	assert_int_equal(call(f, BACKUP, NULL, NULL), OZ_PERMISSION_DENIED);
	/* Stats stays readable by dashboards anywhere. */
	assert_int_equal(call(f, STATS, NULL, &remote), OZ_OK);
	assert_int_equal(call(f, GET_USER, NULL, &remote), OZ_OK);
}

static void
with_admin_token_admin_methods_need_it_from_everyone(void **state)
{
	struct fixture *f = *state;
	f->cfg.admin = f->admin;
	assert_int_equal(call(f, BACKUP, NULL, &local), OZ_UNAUTHENTICATED);
	assert_int_equal(
		call(f, BACKUP, "Bearer wrong", &local), OZ_PERMISSION_DENIED);
	assert_int_equal(
		call(f, OPTIMIZE, "Bearer admin-token", &remote), OZ_OK);
	assert_int_equal(
		call(f, BACKUP, "Bearer admin-token", &remote), OZ_OK);
	assert_int_equal(call(f, STATS, NULL, &remote), OZ_OK);
}

static void
admin_token_also_passes_the_ordinary_check(void **state)
{
	struct fixture *f = *state;
	f->cfg.auth = f->auth;
	f->cfg.admin = f->admin;
	assert_int_equal(call(f, GET_USER, NULL, &remote), OZ_UNAUTHENTICATED);
	assert_int_equal(
		call(f, GET_USER, "Bearer user-token", &remote), OZ_OK);
	assert_int_equal(
		call(f, GET_USER, "Bearer admin-token", &remote), OZ_OK);
	/* An ordinary token does not open an admin method, even locally. */
	assert_int_equal(call(f, BACKUP, "Bearer user-token", &local),
		OZ_PERMISSION_DENIED);
	assert_int_equal(
		call(f, BACKUP, "Bearer admin-token", &remote), OZ_OK);
}

static void
admin_token_only_methods_are_refused_without_an_admin_token(void **state)
{
	struct fixture *f = *state;
	oz_status st;
	assert_false(rpc_auth_admin_configured(NULL));
	assert_int_equal(
		rpc_auth_admin_ok(NULL, RPC_ADMIN_TOKEN, NULL, yes, NULL, &st),
		OZ_PERMISSION_DENIED);
	assert_non_null(strstr(st.message, "--admin-token-file"));
	assert_true(rpc_auth_admin_configured(f->admin));
	assert_int_equal(rpc_auth_admin_ok(f->admin, RPC_ADMIN_TOKEN,
				 "Bearer admin-token", no, NULL, &st),
		OZ_OK);
	assert_int_equal(rpc_auth_admin_ok(f->admin, RPC_ADMIN_TOKEN,
				 "Bearer admin-token2", yes, NULL, &st),
		OZ_PERMISSION_DENIED);
	assert_int_equal(
		rpc_auth_admin_ok(NULL, RPC_OPEN, NULL, no, NULL, &st), OZ_OK);
}

static void
loopback_and_ipc_peers_are_local_others_not(void **state)
{
	(void) state;
	nng_sockaddr sa;
	memset(&sa, 0, sizeof(sa));
	sa.s_ipc.sa_family = NNG_AF_IPC;
	assert_true(rpc_listener_addr_is_local(&sa));
	sa.s_inproc.sa_family = NNG_AF_INPROC;
	assert_true(rpc_listener_addr_is_local(&sa));
	const char *v4[] = {"127.0.0.1", "127.1.2.3", "10.0.0.1",
		"192.168.1.127", "0.0.0.0", "128.0.0.1"};
	const bool v4_local[] = {true, true, false, false, false, false};
	for (size_t i = 0; i < sizeof(v4) / sizeof(v4[0]); i++) {
		memset(&sa, 0, sizeof(sa));
		sa.s_in.sa_family = NNG_AF_INET;
		assert_int_equal(
			inet_pton(AF_INET, v4[i], &sa.s_in.sa_addr), 1);
		assert_int_equal(rpc_listener_addr_is_local(&sa), v4_local[i]);
	}
	const char *v6[] = {"::1", "::ffff:127.0.0.1", "::2", "fe80::1",
		"::ffff:10.0.0.1", "::"};
	const bool v6_local[] = {true, true, false, false, false, false};
	for (size_t i = 0; i < sizeof(v6) / sizeof(v6[0]); i++) {
		memset(&sa, 0, sizeof(sa));
		sa.s_in6.sa_family = NNG_AF_INET6;
		assert_int_equal(
			inet_pton(AF_INET6, v6[i], sa.s_in6.sa_addr), 1);
		assert_int_equal(rpc_listener_addr_is_local(&sa), v6_local[i]);
	}
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(
			without_admin_token_admin_methods_are_local_only,
			setup, teardown),
		cmocka_unit_test_setup_teardown(
			with_admin_token_admin_methods_need_it_from_everyone,
			setup, teardown),
		cmocka_unit_test_setup_teardown(
			admin_token_also_passes_the_ordinary_check, setup,
			teardown),
		cmocka_unit_test_setup_teardown(
			admin_token_only_methods_are_refused_without_an_admin_token,
			setup, teardown),
		cmocka_unit_test(loopback_and_ipc_peers_are_local_others_not),
	};
	return cmocka_run_group_tests_name("rpc/auth", tests, NULL, NULL);
}
