/* service/admin.c -- AdminService operations that are the database's:
 * Optimize and Backup (a plain file name inside the backup directory,
 * store_backup_named). Statistics are the server's (rpc/admin.c). */

#include "core/clock.h"
#include "oz/v1/admin_service.pb-c.h"
#include "service/service.h"
#include "store/backup.h"

oz_code
service_admin_optimize(service_ctx *cx, const ProtobufCMessage *in,
	ProtobufCMessage *out, oz_status *st)
{
	Oz__V1__OptimizeResponse *resp = (void *) out;
	int64_t start = oz_now_us();
	oz_code rc = store_optimize(cx->db, st);
	resp->duration_us = oz_now_us() - start;
	return rc;
}

oz_code
service_admin_backup(service_ctx *cx, const ProtobufCMessage *in,
	ProtobufCMessage *out, oz_status *st)
{
	const Oz__V1__BackupRequest *req = (const void *) in;
	Oz__V1__BackupResponse *resp = (void *) out;
	store_backup_stats bs;
	char path[STORE_PATH_MAX + STORE_BACKUP_NAME_MAX + 2];
	oz_code rc = store_backup_named(cx->db, req->path, req->overwrite, &bs,
		path, sizeof(path), st);
	if (rc != OZ_OK) {
		return rc;
	}
	if ((resp->path = arena_strdup(cx->arena, path)) == NULL) {
		return oz_fail(st, OZ_RESOURCE_EXHAUSTED, "out of memory");
	}
	resp->size_bytes = bs.size_bytes;
	resp->pages = bs.pages;
	resp->duration_us = bs.duration_us;
	return OZ_OK;
}
