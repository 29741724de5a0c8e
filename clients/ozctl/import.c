/* clients/ozctl/import.c -- `ozctl import FILE`: users or tasks from JSON
 * Lines or CSV, created through /oz.v1.BatchService/Execute in batches of
 * up to 1000 rows, several batches in flight.
 *
 * Resuming: batch i of a file is always the same rows (records i*B to
 * i*B+B-1), and its request_id is derived from those rows' bytes, the
 * resource and i. A rerun after an interruption sends the same keys, so
 * ozd replays the batches it already committed (for 24 hours) instead of
 * creating their rows again, and runs the others. A bad row found here
 * (unparsable) or by the server (invalid, duplicate) is reported with its
 * line; it stops the import, or with --skip-bad is left out (the batch is
 * sent again without it, under a key of its own).
 *
 * Talks to ozd only through the C client library; no SQL here. */
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "batch.h"
#include "bulk.h"
#include "import.h"

#define N(a) (sizeof(a) / sizeof((a)[0]))

#define MAX_FIELDS 16

struct batch_ops {
	Oz__V1__ExecuteRequest req;
	Oz__V1__Operation *ptrs[SERVICE_BATCH_LIMIT];
	Oz__V1__Operation ops[SERVICE_BATCH_LIMIT];
	Oz__V1__CreateUserRequest cu[SERVICE_BATCH_LIMIT];
	Oz__V1__CreateTaskRequest ct[SERVICE_BATCH_LIMIT];
	ProtobufCMessage *parsed[SERVICE_BATCH_LIMIT]; /* JSON rows. */
	size_t rec[SERVICE_BATCH_LIMIT]; /* Operation -> record index. */
	char key[160];
};

/* FNV-1a, 64 bits. */
static uint64_t
fnv(uint64_t h, const void *data, size_t n)
{
	const unsigned char *p = data;
	for (size_t i = 0; i < n; i++) {
		h = (h ^ p[i]) * 1099511628211ULL;
	}
	return h;
}

/* Reports a bad row: "FILE:LINE: message". */
static void
bad_row(import_job *job, size_t rec, const char *fmt, const char *detail)
{
	pthread_mutex_lock(&job->mu);
	/* Over the progress bar's line, when there is one. */
	fprintf(stderr, "%sozctl: %s:%ld: ", job->bar_on ? "\r\033[K" : "",
		job->path, job->recs[rec].line);
	fprintf(stderr, fmt, detail);
	fputc('\n', stderr);
	job->bad++;
	if (!job->skip_bad) {
		job->stop = true;
		if (job->fail.code == OZ_OK) {
			oz_fail(&job->fail, OZ_INVALID_ARGUMENT, "bad row");
		}
	}
	pthread_mutex_unlock(&job->mu);
}

/* Column index of each wanted name in the header, or -1. */
static void
map_columns(import_job *job, char **names, int n)
{
	const char *const *cols =
		job->resource == BULK_USERS ? bulk_user_cols : bulk_task_cols;
	for (int c = 0; c < 4; c++) {
		job->col[c] = -1;
		for (int i = 0; i < n; i++) {
			if (strcmp(names[i], cols[c]) == 0) {
				job->col[c] = i;
			}
		}
	}
}

static const char *
cell(const import_job *job, char **f, int n, int c)
{
	int i = job->col[c];
	return i >= 0 && i < n ? f[i] : "";
}

/* A status written as pending, in_progress, done, TASK_STATUS_DONE, 3 or
 * "" (UNSPECIFIED: the server's default). False for anything else. */
static bool
parse_status(const char *s, Oz__V1__TaskStatus *out)
{
	const ProtobufCEnumValue *v =
		protobuf_c_enum_descriptor_get_value_by_name(
			&oz__v1__task_status__descriptor, s);
	int32_t num;
	if (s[0] == '\0') {
		*out = OZ__V1__TASK_STATUS__TASK_STATUS_UNSPECIFIED;
	} else if (v != NULL) {
		*out = (Oz__V1__TaskStatus) v->value;
	} else if (ozctl_int32(s, &num)) {
		*out = (Oz__V1__TaskStatus) num;
	} else {
		return ozctl_task_status_parse(s, out);
	}
	return true;
}

/* Fills operation k from the CSV record rec. False for a bad row. */
static bool
csv_op(import_job *job, struct batch_ops *b, size_t k, size_t rec)
{
	char *f[MAX_FIELDS];
	int n;
	if (!bulk_csv_parse(job->text, &job->recs[rec], f, MAX_FIELDS, &n)) {
		bad_row(job, rec, "%s", "malformed CSV record");
		return false;
	}
	if (job->resource == BULK_USERS) {
		b->cu[k].username = (char *) cell(job, f, n, 0);
		b->cu[k].email = (char *) cell(job, f, n, 1);
		return true;
	}
	Oz__V1__CreateTaskRequest *t = &b->ct[k];
	const char *uid = cell(job, f, n, 0), *status = cell(job, f, n, 3);
	if (!ozctl_int64(uid, &t->user_id)) {
		bad_row(job, rec, "user_id \"%.40s\" is not an integer", uid);
		return false;
	}
	if (!parse_status(status, &t->status)) {
		bad_row(job, rec, "unknown status \"%.40s\"", status);
		return false;
	}
	t->title = (char *) cell(job, f, n, 1);
	t->description = (char *) cell(job, f, n, 2);
	return true;
}

/* Fills operation k from the JSON Lines record rec (a User or Task object,
 * as `ozctl export` writes them; ids and times are not imported). */
static bool
json_op(import_job *job, struct batch_ops *b, size_t k, size_t rec)
{
	const bulk_record *r = &job->recs[rec];
	bool users = job->resource == BULK_USERS;
	oz_status st;
	ProtobufCMessage *m = NULL;
	if (oz_json_to_message(job->text + r->start, r->end - r->start,
		    users ? &oz__v1__user__descriptor
			  : &oz__v1__task__descriptor,
		    &m, &st) != OZ_OK) {
		bad_row(job, rec, "%s", st.message);
		return false;
	}
	b->parsed[k] = m;
	if (users) {
		b->cu[k].username = ((Oz__V1__User *) m)->username;
		b->cu[k].email = ((Oz__V1__User *) m)->email;
		return true;
	}
	const Oz__V1__Task *t = (const Oz__V1__Task *) m;
	b->ct[k].user_id = t->user_id;
	b->ct[k].title = t->title;
	b->ct[k].description = t->description;
	b->ct[k].status = t->status;
	return true;
}

/* Builds batch i: one create per good record. */
static void
build(import_job *job, struct batch_ops *b, size_t i)
{
	size_t first = job->first + i * job->batch_size;
	size_t last = first + job->batch_size;
	last = last < job->n_recs ? last : job->n_recs;
	const bulk_record *r0 = &job->recs[first], *r1 = &job->recs[last - 1];
	uint64_t h =
		fnv(job->key_seed, job->text + r0->start, r1->end - r0->start);
	snprintf(b->key, sizeof(b->key), "%s-%016llx-%zu", job->key_prefix,
		(unsigned long long) h, i);
	oz__v1__execute_request__init(&b->req);
	b->req.operations = b->ptrs;
	b->req.request_id = b->key;
	b->req.ids_only = true;
	for (size_t rec = first; rec < last; rec++) {
		size_t k = b->req.n_operations;
		Oz__V1__Operation *op = &b->ops[k];
		oz__v1__operation__init(op);
		oz__v1__create_user_request__init(&b->cu[k]);
		oz__v1__create_task_request__init(&b->ct[k]);
		b->parsed[k] = NULL;
		bool ok = job->format == BULK_CSV ? csv_op(job, b, k, rec)
						  : json_op(job, b, k, rec);
		if (!ok) {
			oz_message_free(b->parsed[k]);
			continue;
		}
		if (job->resource == BULK_USERS) {
			op->op_case = OZ__V1__OPERATION__OP_CREATE_USER;
			op->create_user = &b->cu[k];
		} else {
			op->op_case = OZ__V1__OPERATION__OP_CREATE_TASK;
			op->create_task = &b->ct[k];
		}
		b->rec[k] = rec;
		b->ptrs[k] = op;
		b->req.n_operations++;
	}
}

/* The operation index a batch failure names ("operations[K]..."), or -1.
 */
static long
failed_op(const oz_status *st)
{
	if (st->n_violations == 0 ||
		strncmp(st->violations[0].field, "operations[", 11) != 0) {
		return -1;
	}
	return strtol(st->violations[0].field + 11, NULL, 10);
}

/* Drops operation k from b (a row the server refused). */
static void
drop_op(struct batch_ops *b, size_t k)
{
	size_t n = b->req.n_operations - k - 1;
	memmove(&b->ptrs[k], &b->ptrs[k + 1], n * sizeof(b->ptrs[0]));
	memmove(&b->rec[k], &b->rec[k + 1], n * sizeof(b->rec[0]));
	b->req.n_operations--;
}

/* Reports the row a server failure names; true when the batch may go
 * again without it (--skip-bad), false to stop. */
static bool
server_refused(import_job *job, struct batch_ops *b, const oz_status *st)
{
	long k = failed_op(st);
	if (k < 0 || (size_t) k >= b->req.n_operations ||
		st->code == OZ_UNAVAILABLE ||
		st->code == OZ_DEADLINE_EXCEEDED ||
		st->code == OZ_RESOURCE_EXHAUSTED) {
		pthread_mutex_lock(&job->mu);
		job->stop = true;
		if (job->fail.code == OZ_OK) {
			job->fail = *st;
		}
		pthread_mutex_unlock(&job->mu);
		return false;
	}
	/* "operations[K].create_user.email" -> "email". */
	const char *sub = strchr(st->violations[0].field, '.');
	sub = sub != NULL ? strchr(sub + 1, '.') : NULL;
	char detail[OZ_STATUS_MESSAGE_MAX + OZ_VIOLATION_DESC_MAX + 80];
	int len = snprintf(detail, sizeof(detail), "%s: %s",
		oz_code_name(st->code), st->message);
	if (sub != NULL && len > 0 && (size_t) len < sizeof(detail)) {
		snprintf(detail + len, sizeof(detail) - (size_t) len,
			" (%s: %s)", sub + 1, st->violations[0].description);
	}
	bad_row(job, b->rec[k], "%s", detail);
	if (!job->skip_bad) {
		pthread_mutex_lock(&job->mu);
		job->fail = *st;
		pthread_mutex_unlock(&job->mu);
		return false;
	}
	drop_op(b, (size_t) k);
	/* The retry is another request: it needs a key of its own, the same
	 * on every rerun. */
	size_t kl = strlen(b->key);
	snprintf(b->key + kl, sizeof(b->key) - kl, "-%ld", k);
	return true;
}

/* Sends batch b until it is applied, refused for good or stopped. */
static void
send_batch(import_job *job, oz_client *c, struct batch_ops *b)
{
	while (b->req.n_operations > 0) {
		Oz__V1__ExecuteResponse *res = NULL;
		oz_status st;
		if (oz_batch_execute(c, &b->req, &res, &st) == OZ_OK) {
			oz_message_free(res);
			pthread_mutex_lock(&job->mu);
			job->rows += (int64_t) b->req.n_operations;
			job->batches++;
			pthread_mutex_unlock(&job->mu);
			return;
		}
		if (!server_refused(job, b, &st)) {
			return;
		}
	}
}

static void *
worker(void *arg)
{
	import_job *job = arg;
	struct batch_ops *b = malloc(sizeof(*b));
	for (;;) {
		pthread_mutex_lock(&job->mu);
		size_t i = job->next++;
		bool go = b != NULL && !job->stop && i < job->n_batches;
		pthread_mutex_unlock(&job->mu);
		if (!go) {
			break;
		}
		build(job, b, i);
		send_batch(job, job->client, b);
		for (size_t k = 0; k < job->batch_size; k++) {
			if (k < SERVICE_BATCH_LIMIT && b->parsed[k] != NULL) {
				oz_message_free(b->parsed[k]);
				b->parsed[k] = NULL;
			}
		}
		pthread_mutex_lock(&job->mu);
		job->done_batches++;
		pthread_cond_signal(&job->cv);
		pthread_mutex_unlock(&job->mu);
	}
	free(b);
	return NULL;
}

/* Runs the workers and draws progress until they end. */
static void
run_workers(import_job *job, int n_threads, bool quiet)
{
	pthread_t th[IMPORT_THREADS_MAX];
	bulk_progress pr;
	int started = 0;
	bulk_progress_init(
		&pr, quiet, "rows", (int64_t) (job->n_recs - job->first));
	job->bar_on = pr.on;
	for (; started < n_threads; started++) {
		if (pthread_create(&th[started], NULL, worker, job) != 0) {
			break;
		}
	}
	if (started == 0) {
		worker(job);
	}
	pthread_mutex_lock(&job->mu);
	while (job->done_batches < job->n_batches && !job->stop &&
		started > 0) {
		struct timespec ts;
		clock_gettime(CLOCK_REALTIME, &ts);
		ts.tv_nsec += 200000000;
		ts.tv_sec += ts.tv_nsec / 1000000000;
		ts.tv_nsec %= 1000000000;
		pthread_cond_timedwait(&job->cv, &job->mu, &ts);
		int64_t done = job->rows + job->bad;
		pthread_mutex_unlock(&job->mu);
		bulk_progress_show(&pr, done, false);
		pthread_mutex_lock(&job->mu);
	}
	pthread_mutex_unlock(&job->mu);
	for (int t = 0; t < started; t++) {
		pthread_join(th[t], NULL);
	}
	bulk_progress_show(&pr, job->rows + job->bad, true);
}

int
ozctl_import_run(ozctl *ctl, import_job *job, int n_threads)
{
	double t0 = bulk_now();
	if (job->format == BULK_CSV) {
		char *names[MAX_FIELDS];
		int n;
		if (job->n_recs == 0 ||
			!bulk_csv_parse(job->text, &job->recs[0], names,
				MAX_FIELDS, &n)) {
			fprintf(stderr, "ozctl: %s: no CSV header\n",
				job->path);
			return OZCTL_EXIT_INVALID;
		}
		map_columns(job, names, n);
		if (job->col[0] < 0 || job->col[1] < 0) {
			fprintf(stderr,
				"ozctl: %s: the header needs the columns %s\n",
				job->path,
				job->resource == BULK_USERS
					? "username and email"
					: "user_id and title");
			return OZCTL_EXIT_INVALID;
		}
		job->first = 1;
	}
	size_t rows = job->n_recs - job->first;
	job->n_batches = (rows + job->batch_size - 1) / job->batch_size;
	run_workers(job, n_threads, ctl->quiet);
	double took = bulk_now() - t0;
	const char *what = job->resource == BULK_USERS ? "users" : "tasks";
	if (ctl->json) {
		printf("{\"rows\": %lld, \"bad\": %lld, \"batches\": %zu, "
		       "\"seconds\": %.3f, \"complete\": %s}\n",
			(long long) job->rows, (long long) job->bad,
			job->batches, took, job->stop ? "false" : "true");
	} else if (!ctl->quiet) {
		printf("%s %lld %s from %s in %zu batch%s: %.1f s, %.0f "
		       "rows/s; %lld bad row%s%s\n",
			job->stop ? "stopped after" : "imported",
			(long long) job->rows, what, job->path, job->batches,
			job->batches == 1 ? "" : "es", took,
			took > 0 ? (double) job->rows / took : 0.0,
			(long long) job->bad, job->bad == 1 ? "" : "s",
			job->stop ? " (fix them or use --skip-bad, then run "
				    "again: applied batches are not repeated)"
			: job->bad > 0 ? " skipped"
				       : "");
	}
	if (job->stop) {
		return job->fail.code != OZ_OK
			       ? ozctl_exit_code(job->fail.code)
			       : OZCTL_EXIT_OTHER;
	}
	return OZCTL_EXIT_OK;
}

/* Reads options into job. Returns 0 or an exit status (printed). */
static int
import_options(import_job *job, ozctl_opt *o, const char *path,
	const char *usage, int *threads)
{
	int32_t v = 0;
	job->path = path;
	if (o[0].set ? !bulk_resource_parse(o[0].value, false, &job->resource)
		     : !bulk_resource_parse(path, true, &job->resource)) {
		return ozctl_usage_error(usage,
			"say --resource users or --resource tasks (the file "
			"name does not start with either)");
	}
	if (o[1].set ? !bulk_format_parse(o[1].value, &job->format)
		     : !bulk_format_of(path, &job->format)) {
		return ozctl_usage_error(usage,
			"say --format jsonl or --format csv (the file name "
			"ends in neither .jsonl nor .csv)");
	}
	job->batch_size = SERVICE_BATCH_LIMIT;
	if (o[2].set) {
		if (!ozctl_int32(o[2].value, &v) || v < 1 ||
			v > SERVICE_BATCH_LIMIT) {
			return ozctl_usage_error(
				usage, "--batch-size is 1 to 1000");
		}
		job->batch_size = (size_t) v;
	}
	*threads = IMPORT_THREADS_DFLT;
	if (o[3].set && (!ozctl_int32(o[3].value, threads) || *threads < 1 ||
				*threads > IMPORT_THREADS_MAX)) {
		return ozctl_usage_error(usage, "--parallel is 1 to 16");
	}
	job->skip_bad = o[4].set;
	job->key_prefix = o[5].set ? o[5].value : "import";
	if (strlen(job->key_prefix) > 64) {
		return ozctl_usage_error(usage, "--key is at most 64 bytes");
	}
	char seed[64];
	snprintf(seed, sizeof(seed), "%d/%zu", (int) job->resource,
		job->batch_size);
	job->key_seed = fnv(14695981039346656037ULL, seed, strlen(seed));
	return 0;
}

int
ozctl_import(ozctl *ctl, int argc, char **argv)
{
	static const char usage[] =
		"ozctl import FILE [--resource users|tasks] "
		"[--format jsonl|csv] [--skip-bad] [--batch-size N] "
		"[--parallel N] [--key PREFIX]";
	static const char help[] =
		"Creates the users or tasks of FILE (- for stdin) through "
		"BatchService/Execute,\n"
		"--batch-size rows (default 1000) per transaction, "
		"--parallel batches (default 8)\n"
		"in flight. The resource comes from the file name "
		"(users*, tasks*) or\n"
		"--resource; the format from the extension (.jsonl, .csv) or "
		"--format.\n"
		"JSON Lines: one User or Task object per line, as ozctl "
		"export writes them.\n"
		"CSV: a header row naming the columns: username,email for "
		"users;\n"
		"user_id,title[,description][,status] for tasks (other "
		"columns are ignored).\n"
		"Ids, etags and times are not imported: rows get new ids.\n"
		"A bad row is reported as FILE:LINE and stops the import; "
		"--skip-bad leaves it\n"
		"out and goes on. Resumable: each batch's request_id comes "
		"from its rows, the\n"
		"resource and its place, so a rerun within 24 hours replays "
		"the batches already\n"
		"applied instead of creating them twice (--key PREFIX starts "
		"a separate import\n"
		"of the same rows). A progress bar is drawn on a terminal; a "
		"summary is printed\n"
		"at the end (--json: as an object).\n";
	ozctl_opt opts[] = {OZCTL_OPT("resource", true),
		OZCTL_OPT("format", true), OZCTL_OPT("batch-size", true),
		OZCTL_OPT("parallel", true), OZCTL_OPT("skip-bad", false),
		OZCTL_OPT("key", true)};
	import_job job;
	const char *pos[1];
	size_t len;
	int n_pos, rc, threads = IMPORT_THREADS_DFLT;

	if (!ozctl_begin(ctl, argc, argv, opts, N(opts), pos, 1, &n_pos, usage,
		    help, &rc)) {
		return rc;
	}
	if (n_pos != 1) {
		return ozctl_usage_error(usage, "FILE is required");
	}
	memset(&job, 0, sizeof(job));
	if ((rc = import_options(&job, opts, pos[0], usage, &threads)) != 0) {
		return rc;
	}
	if ((job.text = ozctl_read_path(pos[0], &len)) == NULL) {
		fprintf(stderr, "ozctl: cannot read %s\n", pos[0]);
		return OZCTL_EXIT_OTHER;
	}
	if (!bulk_split(job.text, len, job.format, &job.recs, &job.n_recs)) {
		free(job.text);
		fprintf(stderr, "ozctl: out of memory\n");
		return OZCTL_EXIT_OTHER;
	}
	if ((job.client = ozctl_client(ctl, &rc)) != NULL) {
		pthread_mutex_init(&job.mu, NULL);
		pthread_cond_init(&job.cv, NULL);
		rc = ozctl_import_run(ctl, &job, threads);
		pthread_cond_destroy(&job.cv);
		pthread_mutex_destroy(&job.mu);
	}
	free(job.recs);
	free(job.text);
	return rc;
}
