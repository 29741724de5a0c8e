/* rpc/reflection.c -- /oz.rpc.v1.Reflection/ListServices: every service
 * and method of the dispatch table's services, and the embedded
 * FileDescriptorSet of proto/. Reads only static data. */
#include <stdio.h>
#include <string.h>

#include "core/embed.h"
#include "rpc/dispatch.h"

static Oz__Rpc__V1__MethodInfo *
method_info(arena *a, const ProtobufCServiceDescriptor *svc,
	const ProtobufCMethodDescriptor *md)
{
	Oz__Rpc__V1__MethodInfo *mi = arena_alloc(a, sizeof(*mi));
	size_t n = strlen(svc->name) + strlen(md->name) + 3;
	char *full = arena_alloc(a, n);
	if (mi == NULL || full == NULL) {
		return NULL;
	}
	oz__rpc__v1__method_info__init(mi);
	snprintf(full, n, "/%s/%s", svc->name, md->name);
	const rpc_method *row = dispatch_find(full);
	mi->name = (char *) md->name;
	mi->full_name = full;
	mi->input_type = (char *) md->input->name;
	mi->output_type = (char *) md->output->name;
	mi->idempotent = row != NULL && dispatch_is_idempotent(row);
	return mi;
}

static Oz__Rpc__V1__ServiceInfo *
service_info(arena *a, const ProtobufCServiceDescriptor *svc)
{
	Oz__Rpc__V1__ServiceInfo *si = arena_alloc(a, sizeof(*si));
	if (si == NULL) {
		return NULL;
	}
	oz__rpc__v1__service_info__init(si);
	si->name = (char *) svc->name;
	si->methods = arena_alloc(a, sizeof(*si->methods) * svc->n_methods);
	if (si->methods == NULL) {
		return NULL;
	}
	for (unsigned i = 0; i < svc->n_methods; i++) {
		si->methods[i] = method_info(a, svc, &svc->methods[i]);
		if (si->methods[i] == NULL) {
			return NULL;
		}
	}
	si->n_methods = svc->n_methods;
	return si;
}

oz_code
rpc_reflection_list(service_ctx *cx, const ProtobufCMessage *in,
	ProtobufCMessage *out, oz_status *st)
{
	Oz__Rpc__V1__ListServicesResponse *resp = (void *) out;
	const ProtobufCServiceDescriptor *const *svcs = dispatch_services();
	size_t n = 0;
	while (svcs[n] != NULL) {
		n++;
	}
	resp->services = arena_alloc(cx->arena, sizeof(*resp->services) * n);
	if (resp->services == NULL) {
		return oz_fail(st, OZ_RESOURCE_EXHAUSTED, "out of memory");
	}
	for (size_t i = 0; i < n; i++) {
		resp->services[i] = service_info(cx->arena, svcs[i]);
		if (resp->services[i] == NULL) {
			return oz_fail(
				st, OZ_RESOURCE_EXHAUSTED, "out of memory");
		}
	}
	resp->n_services = n;
	resp->file_descriptor_set.data = (uint8_t *) embed_descriptor_set;
	resp->file_descriptor_set.len = embed_descriptor_set_len;
	return OZ_OK;
}
