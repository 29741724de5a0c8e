/* clients/ozctl/call.c -- the generic verbs: `call METHOD JSON`,
 * `methods` (from the server's reflection) and `health`.
 *
 * `call` converts through the protobuf-c descriptors compiled into the
 * client library (oz_method_find); it never parses .proto files. */
#include <stdlib.h>
#include <string.h>

#include "batch.h"

#define N(a) (sizeof(a) / sizeof((a)[0]))

/* Accepts "/pkg.Service/Method", "pkg.Service/Method" and
 * "pkg.Service.Method" (as grpcurl does). */
static const oz_method_info *
find_method(const char *name)
{
	char full[256];
	if (name[0] == '/') {
		return oz_method_find(name);
	}
	if (strchr(name, '/') != NULL) {
		snprintf(full, sizeof(full), "/%s", name);
		return oz_method_find(full);
	}
	const char *dot = strrchr(name, '.');
	if (dot == NULL ||
		(size_t) snprintf(full, sizeof(full), "/%.*s/%s",
			(int) (dot - name), name, dot + 1) >= sizeof(full)) {
		return NULL;
	}
	return oz_method_find(full);
}

int
ozctl_call(ozctl *ctl, int argc, char **argv)
{
	static const char usage[] = "ozctl call METHOD ['JSON' | -]";
	static const char help[] =
		"Calls any method with a JSON request and prints the JSON "
		"reply.\n"
		"METHOD is a full name such as /oz.v1.UserService/CreateUser "
		"(also\n"
		"oz.v1.UserService/CreateUser or "
		"oz.v1.UserService.CreateUser); see ozctl methods.\n"
		"JSON follows the proto3 JSON mapping: lowerCamelCase names, "
		"enums by name,\n"
		"64-bit integers as strings, Timestamp as RFC 3339, FieldMask "
		"as\n"
		"\"a,bC\", wrappers as plain values. Default {}; - reads "
		"stdin.\n"
		"The reply is printed with default values included.\n";
	const oz_method_info *m;
	ProtobufCMessage *in = NULL, *out = NULL;
	oz_client *c;
	oz_status st;
	const char *pos[2];
	char *text = NULL;
	size_t len;
	int n_pos, rc;

	if (!ozctl_begin(ctl, argc, argv, NULL, 0, pos, 2, &n_pos, usage, help,
		    &rc)) {
		return rc;
	}
	if (n_pos < 1) {
		return ozctl_usage_error(usage, "METHOD is required");
	}
	if ((m = find_method(pos[0])) == NULL) {
		return ozctl_usage_error(usage,
			"unknown method \"%s\" (ozctl methods lists them)",
			pos[0]);
	}
	if (n_pos == 2 && strcmp(pos[1], "-") == 0) {
		if ((text = ozctl_read_all(stdin, &len)) == NULL) {
			fprintf(stderr, "ozctl: cannot read stdin\n");
			return OZCTL_EXIT_OTHER;
		}
		rc = oz_json_to_message(text, len, m->input, &in, &st);
		free(text);
	} else {
		const char *j = n_pos == 2 ? pos[1] : "{}";
		rc = oz_json_to_message(j, strlen(j), m->input, &in, &st);
	}
	if (rc == OZ_INVALID_ARGUMENT) {
		/* The request text is part of the command line (the message
		 * names the field). */
		return ozctl_usage_error(usage, "bad JSON request for %s: %s",
			m->full_name, st.message);
	}
	if (rc != OZ_OK) {
		return ozctl_fail(&st);
	}
	if ((c = ozctl_client(ctl, &rc)) == NULL) {
		oz_message_free(in);
		return rc;
	}
	rc = oz_client_call(c, m->full_name, in, m->output, &out, &st);
	oz_message_free(in);
	if (rc != OZ_OK) {
		return ozctl_fail(&st);
	}
	rc = ozctl_print_json(out);
	oz_message_free(out);
	return rc;
}

int
ozctl_methods(ozctl *ctl, int argc, char **argv)
{
	static const char usage[] = "ozctl methods";
	static const char help[] =
		"Lists every method the server offers, from "
		"/oz.rpc.v1.Reflection/ListServices:\n"
		"full name, input and output types, and whether it is "
		"idempotent (safe to\n"
		"retry). -q prints only the names; --json the reply without "
		"the descriptor set.\n";
	static const char *const head[] = {
		"METHOD", "INPUT", "OUTPUT", "IDEMPOTENT"};
	Oz__Rpc__V1__ListServicesRequest req =
		OZ__RPC__V1__LIST_SERVICES_REQUEST__INIT;
	Oz__Rpc__V1__ListServicesResponse *r;
	oz_client *c;
	oz_status st;
	const char *pos[1];
	int n_pos, rc;

	if (!ozctl_begin(ctl, argc, argv, NULL, 0, pos, 0, &n_pos, usage, help,
		    &rc)) {
		return rc;
	}
	if ((c = ozctl_client(ctl, &rc)) == NULL) {
		return rc;
	}
	if (oz_reflection_list_services(c, &req, &r, &st) != OZ_OK) {
		return ozctl_fail(&st);
	}
	if (ctl->json) {
		/* The descriptor set is for programs; keep the output small.
		 */
		free(r->file_descriptor_set.data);
		r->file_descriptor_set.data = NULL;
		r->file_descriptor_set.len = 0;
		rc = ozctl_print_json(&r->base);
		oz_message_free(r);
		return rc;
	}
	ozctl_table *t = ctl->quiet ? NULL : ozctl_table_new(N(head), head);
	for (size_t i = 0; i < r->n_services; i++) {
		for (size_t j = 0; j < r->services[i]->n_methods; j++) {
			const Oz__Rpc__V1__MethodInfo *m =
				r->services[i]->methods[j];
			const char *row[] = {m->full_name, m->input_type,
				m->output_type, m->idempotent ? "yes" : "no"};
			if (ctl->quiet) {
				printf("%s\n", m->full_name);
			} else {
				ozctl_table_add(t, row);
			}
		}
	}
	ozctl_table_print(t, stdout);
	oz_message_free(r);
	return OZCTL_EXIT_OK;
}

int
ozctl_health(ozctl *ctl, int argc, char **argv)
{
	static const char usage[] = "ozctl health [SERVICE]";
	static const char help[] =
		"Asks grpc.health.v1.Health/Check whether the server (or one "
		"service, e.g.\n"
		"oz.v1.UserService) is serving. Prints SERVING or "
		"NOT_SERVING; "
		"exit status 0\n"
		"when serving, 6 when not serving or unreachable, 3 for an "
		"unknown service.\n";
	Grpc__Health__V1__HealthCheckRequest req =
		GRPC__HEALTH__V1__HEALTH_CHECK_REQUEST__INIT;
	Grpc__Health__V1__HealthCheckResponse *r;
	oz_client *c;
	oz_status st;
	const char *pos[1];
	int n_pos, rc;

	if (!ozctl_begin(ctl, argc, argv, NULL, 0, pos, 1, &n_pos, usage, help,
		    &rc)) {
		return rc;
	}
	if (n_pos == 1) {
		req.service = (char *) pos[0];
	}
	if ((c = ozctl_client(ctl, &rc)) == NULL) {
		return rc;
	}
	if (oz_health_check(c, &req, &r, &st) != OZ_OK) {
		return ozctl_fail(&st);
	}
	bool serving =
		r->status ==
		GRPC__HEALTH__V1__HEALTH_CHECK_RESPONSE__SERVING_STATUS__SERVING;
	if (ctl->json) {
		rc = ozctl_print_json(&r->base);
	} else {
		const ProtobufCEnumValue *v = protobuf_c_enum_descriptor_get_value(
			&grpc__health__v1__health_check_response__serving_status__descriptor,
			r->status);
		printf("%s\n", v != NULL ? v->name : "UNKNOWN");
	}
	oz_message_free(r);
	if (rc == OZCTL_EXIT_OK && !serving) {
		rc = OZCTL_EXIT_UNAVAILABLE;
	}
	return rc;
}
