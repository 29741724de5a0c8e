/* clients/ozctl/batch.c -- `ozctl batch FILE`: a file of operations (a
 * JSON array, or JSON Lines: one Operation per line) sent as ONE
 * /oz.v1.BatchService/Execute, so they are applied all together or not at
 * all. Also the helpers import.c shares: reading a whole file, sending one
 * Execute.
 *
 * Talks to ozd only through the C client library; no SQL here. */
#include <ctype.h>
#include <stdlib.h>
#include <string.h>

#include "batch.h"

#define N(a)     (sizeof(a) / sizeof((a)[0]))
#define READ_MAX (256u * 1024u * 1024u)

char *
ozctl_read_all(FILE *f, size_t *len)
{
	size_t cap = 4096, n = 0;
	char *buf = malloc(cap + 1);
	while (buf != NULL) {
		size_t got = fread(buf + n, 1, cap - n, f);
		n += got;
		if (got == 0) {
			break;
		}
		if (n == cap) {
			char *more = cap < READ_MAX ? realloc(buf, cap * 2 + 1)
						    : NULL;
			if (more == NULL) {
				free(buf);
				return NULL;
			}
			buf = more;
			cap *= 2;
		}
	}
	if (buf != NULL) {
		buf[n] = '\0';
		*len = n;
	}
	return buf;
}

char *
ozctl_read_path(const char *path, size_t *len)
{
	if (strcmp(path, "-") == 0) {
		return ozctl_read_all(stdin, len);
	}
	FILE *f = fopen(path, "rb");
	if (f == NULL) {
		return NULL;
	}
	char *text = ozctl_read_all(f, len);
	fclose(f);
	return text;
}

/* Parses text as a JSON array of operations. OUT: *req. */
static oz_code
parse_array(const char *text, Oz__V1__ExecuteRequest **req, oz_status *st)
{
	size_t n = strlen(text) + 32;
	char *doc = malloc(n);
	if (doc == NULL) {
		return oz_fail(st, OZ_RESOURCE_EXHAUSTED, "out of memory");
	}
	snprintf(doc, n, "{\"operations\":%s}", text);
	oz_code rc = oz_json_to_message(doc, strlen(doc),
		&oz__v1__execute_request__descriptor,
		(ProtobufCMessage **) req, st);
	free(doc);
	return rc;
}

/* Adds op to req (which takes it); false when out of memory. */
static bool
push_op(Oz__V1__ExecuteRequest *req, Oz__V1__Operation *op)
{
	Oz__V1__Operation **more = realloc(
		req->operations, sizeof(*more) * (req->n_operations + 1));
	if (more == NULL) {
		return false;
	}
	req->operations = more;
	more[req->n_operations++] = op;
	return true;
}

/* Parses text as JSON Lines, one Operation per non-blank line; a bad line
 * is reported as "FILE:LINE". OUT: *req. */
static oz_code
parse_lines(const char *file, char *text, Oz__V1__ExecuteRequest **req,
	oz_status *st)
{
	*req = malloc(sizeof(**req));
	if (*req == NULL) {
		return oz_fail(st, OZ_RESOURCE_EXHAUSTED, "out of memory");
	}
	oz__v1__execute_request__init(*req);
	int line = 0;
	for (char *p = text, *next; p != NULL && *p != '\0'; p = next) {
		line++;
		next = strchr(p, '\n');
		size_t n = next != NULL ? (size_t) (next++ - p) : strlen(p);
		size_t k = 0;
		while (k < n && isspace((unsigned char) p[k])) {
			k++;
		}
		if (k == n) {
			continue;
		}
		ProtobufCMessage *op = NULL;
		if (oz_json_to_message(p, n, &oz__v1__operation__descriptor,
			    &op, st) != OZ_OK) {
			char msg[OZ_STATUS_MESSAGE_MAX];
			snprintf(msg, sizeof(msg), "%s", st->message);
			return oz_fail(
				st, st->code, "%s:%d: %s", file, line, msg);
		}
		if (!push_op(*req, (Oz__V1__Operation *) op)) {
			oz_message_free(op);
			return oz_fail(
				st, OZ_RESOURCE_EXHAUSTED, "out of memory");
		}
	}
	return OZ_OK;
}

oz_code
ozctl_batch_parse(const char *file, char *text, Oz__V1__ExecuteRequest **req,
	oz_status *st)
{
	const char *p = text;
	*req = NULL;
	while (isspace((unsigned char) *p)) {
		p++;
	}
	oz_code rc = *p == '[' ? parse_array(text, req, st)
			       : parse_lines(file, text, req, st);
	if (rc == OZ_OK && *req == NULL) {
		rc = oz_fail(st, OZ_INTERNAL, "no request parsed");
	}
	if (rc != OZ_OK) {
		oz_message_free(*req);
		*req = NULL;
	}
	return rc;
}

/* The id of a result, or "-" for a delete. */
static const char *
result_id(const Oz__V1__OperationResult *r, char *buf, size_t n)
{
	long long id =
		r->result_case == OZ__V1__OPERATION_RESULT__RESULT_USER
			? (long long) r->user->id
		: r->result_case == OZ__V1__OPERATION_RESULT__RESULT_TASK
			? (long long) r->task->id
			: -1;
	if (id < 0) {
		return "-";
	}
	snprintf(buf, n, "%lld", id);
	return buf;
}

static int
show_results(ozctl *ctl, const Oz__V1__ExecuteResponse *r)
{
	static const char *const head[] = {"#", "RESULT", "ID"};
	if (ctl->json) {
		return ozctl_print_json(&r->base);
	}
	ozctl_table *t = ctl->quiet ? NULL : ozctl_table_new(N(head), head);
	for (size_t i = 0; i < r->n_results; i++) {
		char idx[24], id[24];
		const Oz__V1__OperationResult *res = r->results[i];
		const char *kind =
			res->result_case ==
					OZ__V1__OPERATION_RESULT__RESULT_USER
				? "user"
			: res->result_case ==
					OZ__V1__OPERATION_RESULT__RESULT_TASK
				? "task"
				: "deleted";
		snprintf(idx, sizeof(idx), "%zu", i);
		const char *row[] = {
			idx, kind, result_id(res, id, sizeof(id))};
		if (ctl->quiet) {
			printf("%s\n", row[2]);
		} else {
			ozctl_table_add(t, row);
		}
	}
	ozctl_table_print(t, stdout);
	return OZCTL_EXIT_OK;
}

int
ozctl_batch(ozctl *ctl, int argc, char **argv)
{
	static const char usage[] = "ozctl batch FILE [--request-id KEY]";
	static const char help[] =
		"Sends the operations of FILE (- for stdin) as ONE "
		"/oz.v1.BatchService/Execute:\n"
		"all are applied, in order, or none. FILE is a JSON array of "
		"Operation objects\n"
		"or JSON Lines (one per line), in the proto3 JSON mapping, "
		"e.g.\n"
		"  {\"createUser\": {\"username\": \"ann\", \"email\": "
		"\"ann@example.com\"}}\n"
		"  {\"createTask\": {\"title\": \"first\"}, \"userIdRef\": "
		"0}\n"
		"userIdRef / taskIdRef name an earlier create in the same "
		"batch. At most 1000\n"
		"operations. --request-id makes a repeat return the first "
		"outcome. Prints one\n"
		"row per result (--json: the reply; -q: the ids). On failure "
		"nothing is applied\n"
		"and the error names the operation, e.g. "
		"operations[7].create_user.email.\n";
	ozctl_opt opts[] = {OZCTL_OPT("request-id", true)};
	Oz__V1__ExecuteRequest *req = NULL;
	Oz__V1__ExecuteResponse *res = NULL;
	const char *pos[1];
	oz_client *c;
	oz_status st;
	size_t len;
	int n_pos, rc;

	if (!ozctl_begin(ctl, argc, argv, opts, N(opts), pos, 1, &n_pos, usage,
		    help, &rc)) {
		return rc;
	}
	if (n_pos != 1) {
		return ozctl_usage_error(usage, "FILE is required");
	}
	char *text = ozctl_read_path(pos[0], &len);
	if (text == NULL) {
		fprintf(stderr, "ozctl: cannot read %s\n", pos[0]);
		return OZCTL_EXIT_OTHER;
	}
	rc = ozctl_batch_parse(pos[0], text, &req, &st);
	free(text);
	if (rc != OZ_OK || req == NULL) {
		return ozctl_fail(&st);
	}
	if (opts[0].set && (req->request_id = strdup(opts[0].value)) == NULL) {
		oz_message_free(req);
		fprintf(stderr, "ozctl: out of memory\n");
		return OZCTL_EXIT_OTHER;
	}
	if ((c = ozctl_client(ctl, &rc)) == NULL) {
		oz_message_free(req);
		return rc;
	}
	rc = oz_batch_execute(c, req, &res, &st);
	oz_message_free(req);
	if (rc != OZ_OK) {
		return ozctl_fail(&st);
	}
	rc = show_results(ctl, res);
	oz_message_free(res);
	return rc;
}
