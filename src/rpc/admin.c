/* rpc/admin.c -- /oz.v1.AdminService/Stats: the server's own counters
 * (rpc/stats.c) plus the database's sizes (SQLite: its files; PostgreSQL:
 * pg_database_size as the writer last read it). It reads server state, so
 * it lives in the rpc layer, like reflection. */
#include "oz/v1/admin_service.pb-c.h"
#include "rpc/server.h"
#include "rpc/stats.h"

oz_code
rpc_admin_stats(service_ctx *cx, const ProtobufCMessage *in,
	ProtobufCMessage *out, oz_status *st)
{
	rpc_server *srv = cx->server;
	Oz__V1__StatsResponse *resp = (void *) out;
	if (srv == NULL) {
		return oz_fail(st, OZ_UNIMPLEMENTED, "no server statistics");
	}
	oz_code rc =
		rpc_stats_fill(rpc_server_stats(srv), cx->arena, resp, st);
	if (rc != OZ_OK) {
		return rc;
	}
	resp->in_flight = rpc_server_inflight(srv);
	resp->uptime_s = rpc_server_uptime_us(srv) / 1000000;
	rpc_server_db_sizes(
		srv, &resp->database_size_bytes, &resp->wal_size_bytes);
	resp->backend =
		(char *) store_traits_of(rpc_server_store_config(srv))->name;
	rpc_server_db_conns(
		srv, &resp->db_connections, &resp->db_connections_busy);
	return OZ_OK;
}
