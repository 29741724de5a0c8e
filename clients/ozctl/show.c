/* clients/ozctl/show.c -- the shapes every resource verb shares: show one
 * message (table, id or JSON), walk a List method's pages and show them as
 * one list, and confirm a delete.
 *
 * Generic over the protobuf-c descriptors: a resource has an int64 `id`; a
 * List request has `page_token` (and maybe `skip`); its response has one
 * repeated message field, `next_page_token` and `total_size`. */
#include <stdlib.h>
#include <string.h>

#include "ozctl.h"

#define MAX_PAGES 100000

static const ProtobufCFieldDescriptor *
field(const ProtobufCMessageDescriptor *d, const char *name)
{
	return protobuf_c_message_descriptor_get_field_by_name(d, name);
}

#define MEMBER(type, msg, f) (*(type *) ((char *) (msg) + (f)->offset))
#define COUNT(msg, f)        (*(size_t *) ((char *) (msg) + (f)->quantifier_offset))

static long long
id_of(const ProtobufCMessage *m)
{
	if (m == NULL) {
		return 0;
	}
	const ProtobufCFieldDescriptor *f = field(m->descriptor, "id");
	return f != NULL ? (long long) MEMBER(int64_t, m, f) : 0;
}

int
ozctl_show(ozctl *ctl, ProtobufCMessage *msg, ozctl_table_fn table)
{
	int rc = OZCTL_EXIT_OK;
	if (ctl->json) {
		rc = ozctl_print_json(msg);
	} else if (ctl->quiet) {
		printf("%lld\n", id_of(msg));
	} else {
		table((void *const *) &msg, 1);
	}
	oz_message_free(msg);
	return rc;
}

/* The repeated message field of a List response. */
static const ProtobufCFieldDescriptor *
items_field(const ProtobufCMessageDescriptor *d)
{
	for (unsigned i = 0; i < d->n_fields; i++) {
		if (d->fields[i].label == PROTOBUF_C_LABEL_REPEATED &&
			d->fields[i].type == PROTOBUF_C_TYPE_MESSAGE) {
			return &d->fields[i];
		}
	}
	return NULL;
}

/* Shows pages[0..n) as one response: every item, and the last page's
 * next_page_token and total_size. */
static int
show_pages(
	ozctl *ctl, ProtobufCMessage **pages, size_t n, ozctl_table_fn table)
{
	const ProtobufCMessageDescriptor *d = pages[0]->descriptor;
	const ProtobufCFieldDescriptor *items = items_field(d);
	const ProtobufCFieldDescriptor *tok = field(d, "next_page_token");
	const ProtobufCFieldDescriptor *tot = field(d, "total_size");
	size_t total = 0, k = 0;
	int rc = OZCTL_EXIT_OK;
	ProtobufCMessage *all = calloc(1, d->sizeof_message);
	void **arr;

	for (size_t i = 0; i < n; i++) {
		total += COUNT(pages[i], items);
	}
	arr = calloc(total > 0 ? total : 1, sizeof(void *));
	if (all == NULL || arr == NULL) {
		free(all);
		free(arr);
		fprintf(stderr, "ozctl: out of memory\n");
		return OZCTL_EXIT_OTHER;
	}
	protobuf_c_message_init(d, all);
	for (size_t i = 0; i < n; i++) {
		size_t m = COUNT(pages[i], items);
		void **src = MEMBER(void **, pages[i], items);
		if (m > 0) { /* An empty page's array is NULL. */
			memcpy(arr + k, src, m * sizeof(void *));
		}
		k += m;
	}
	/* all borrows the pages' items and strings: freed with free(). */
	MEMBER(void **, all, items) = arr;
	COUNT(all, items) = total;
	MEMBER(char *, all, tok) = MEMBER(char *, pages[n - 1], tok);
	MEMBER(int32_t, all, tot) = MEMBER(int32_t, pages[n - 1], tot);
	if (ctl->json) {
		rc = ozctl_print_json(all);
	} else if (ctl->quiet) {
		/* Ids alone on stdout, so $(ozctl -q ... list) is a list of
		 * ids; the token of the next page on stderr, as the table
		 * prints it. */
		for (size_t i = 0; i < total; i++) {
			printf("%lld\n", id_of(arr[i]));
		}
		if (MEMBER(char *, all, tok)[0] != '\0') {
			fflush(stdout);
			fprintf(stderr, "next page: --page-token %s\n",
				MEMBER(char *, all, tok));
		}
	} else {
		table(arr, total);
		if (MEMBER(char *, all, tok)[0] != '\0') {
			printf("next page: --page-token %s\n",
				MEMBER(char *, all, tok));
		}
	}
	free(arr);
	free(all);
	return rc;
}

int
ozctl_list(ozctl *ctl, const char *method, ProtobufCMessage *req, bool all,
	ozctl_table_fn table)
{
	const oz_method_info *m = oz_method_find(method);
	const ProtobufCFieldDescriptor *ptok =
		field(req->descriptor, "page_token");
	const ProtobufCFieldDescriptor *skip = field(req->descriptor, "skip");
	const ProtobufCFieldDescriptor *ntok =
		field(m->output, "next_page_token");
	ProtobufCMessage **pages = NULL;
	size_t n = 0;
	oz_client *c;
	oz_status st;
	int rc = OZCTL_EXIT_OK;

	if ((c = ozctl_client(ctl, &rc)) == NULL) {
		return rc;
	}
	while (n < MAX_PAGES) {
		ProtobufCMessage *page, **more;
		if (oz_client_call(c, method, req, m->output, &page, &st) !=
			OZ_OK) {
			rc = ozctl_fail(&st);
			break;
		}
		if ((more = realloc(pages, (n + 1) * sizeof(*pages))) ==
			NULL) {
			oz_message_free(page);
			rc = OZCTL_EXIT_OTHER;
			break;
		}
		pages = more;
		pages[n++] = page;
		const char *next = MEMBER(char *, page, ntok);
		if (!all || next[0] == '\0') {
			break;
		}
		/* The token already accounts for any skip. */
		MEMBER(const char *, req, ptok) = next;
		if (skip != NULL) {
			MEMBER(int32_t, req, skip) = 0;
		}
	}
	if (rc == OZCTL_EXIT_OK && n > 0) {
		rc = show_pages(ctl, pages, n, table);
	}
	for (size_t i = 0; i < n; i++) {
		oz_message_free(pages[i]);
	}
	free(pages);
	return rc;
}

/* Calls method; OUT: *out, the reply (caller frees). Returns an exit
 * status (errors printed). */
static int
call(ozctl *ctl, const char *method, const ProtobufCMessage *req,
	ProtobufCMessage **out)
{
	const oz_method_info *m = oz_method_find(method);
	oz_client *c;
	oz_status st;
	int rc;

	if ((c = ozctl_client(ctl, &rc)) == NULL) {
		return rc;
	}
	if (oz_client_call(c, method, req, m->output, out, &st) != OZ_OK) {
		return ozctl_fail(&st);
	}
	return OZCTL_EXIT_OK;
}

int
ozctl_call_show(ozctl *ctl, const char *method, const ProtobufCMessage *req,
	ozctl_table_fn table)
{
	ProtobufCMessage *out = NULL;
	int rc = call(ctl, method, req, &out);
	return rc != OZCTL_EXIT_OK ? rc : ozctl_show(ctl, out, table);
}

int
ozctl_call_delete(ozctl *ctl, const char *method, const ProtobufCMessage *req,
	const char *what)
{
	ProtobufCMessage *out = NULL;
	int rc = call(ctl, method, req, &out);
	if (rc != OZCTL_EXIT_OK) {
		return rc;
	}
	oz_message_free(out); /* google.protobuf.Empty */
	if (ctl->json) {
		printf("{}\n");
	} else if (!ctl->quiet) {
		printf("deleted %s %lld\n", what, id_of(req));
	}
	return OZCTL_EXIT_OK;
}
