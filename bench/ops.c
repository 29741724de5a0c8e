/* bench/ops.c -- the operations of each workload, the checks on their
 * replies, and the small shared helpers (random numbers, clocks, /proc).
 * The names built here match what seed.c writes; nothing here does I/O
 * except reading /proc. */
#define _GNU_SOURCE /* RUSAGE_THREAD */
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <sys/resource.h>
#include <unistd.h>

#include "core/clock.h"
#include "ozbench.h"

void
bench_rng_init(bench_rng *r, uint64_t seed)
{
	r->s = seed != 0 ? seed : 0x9e3779b97f4a7c15ull;
}

uint64_t
bench_rng_next(bench_rng *r)
{
	r->s ^= r->s >> 12;
	r->s ^= r->s << 25;
	r->s ^= r->s >> 27;
	return r->s * 0x2545f4914f6cdd1dull;
}

uint64_t
bench_now_ns(void)
{
	return (uint64_t) oz_now_ns();
}

void
bench_sleep_until(uint64_t t)
{
	struct timespec ts = {
		(time_t) (t / 1000000000u), (long) (t % 1000000000u)};
	while (clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &ts, NULL) !=
		0) { }
}

int64_t
bench_tasks_per_user(const bench_config *cfg)
{
	if (cfg->users <= 0 || cfg->tasks <= 0) {
		return 0;
	}
	return (cfg->tasks + cfg->users - 1) / cfg->users;
}

/* The number of seeded tasks user owns (tasks are given out in blocks). */
static int64_t
tasks_of(const bench_config *cfg, int64_t user)
{
	int64_t per = bench_tasks_per_user(cfg);
	int64_t n = cfg->tasks - (user - 1) * per;
	return n < 0 ? 0 : n > per ? per : n;
}

static int64_t
pick(bench_rng *r, int64_t n)
{
	return n > 0 ? (int64_t) (bench_rng_next(r) % (uint64_t) n) + 1 : 1;
}

static bench_op_kind
kind_of(const bench_config *cfg, bench_rng *r)
{
	switch (cfg->workload) {
	case BENCH_GET_USER:
		return OP_GET_USER;
	case BENCH_CREATE_USER:
		return OP_CREATE_USER;
	case BENCH_LIST_TASKS:
		return OP_LIST_TASKS;
	case BENCH_UPDATE_TASK:
		return OP_UPDATE_TASK;
	case BENCH_LIST_DEEP:
		return OP_LIST_DEEP;
	case BENCH_CREATE_TASK:
		return OP_CREATE_TASK;
	case BENCH_BATCH_TASKS:
		return OP_BATCH_TASKS;
	case BENCH_UPDATE_USER:
		return OP_UPDATE_USER;
	case BENCH_DELETE_TASK:
		return OP_DELETE_TASK;
	default: {
		uint64_t d = bench_rng_next(r) % 10;
		return d < 8    ? OP_GET_USER
		       : d == 8 ? OP_LIST_TASKS
				: OP_CREATE_USER;
	}
	}
}

/* A CreateTask of op->name for user op->id into t. */
static void
create_task(bench_op *op, Oz__V1__CreateTaskRequest *t)
{
	oz__v1__create_task_request__init(t);
	t->user_id = op->id;
	t->title = op->name;
}

/* An Execute of BENCH_BATCH_OPS CreateTasks, all like create_task's. */
static void
batch_tasks(bench_op *op)
{
	oz__v1__execute_request__init(&op->in.batch);
	for (int i = 0; i < BENCH_BATCH_OPS; i++) {
		create_task(op, &op->creates[i]);
		oz__v1__operation__init(&op->ops[i]);
		op->ops[i].op_case = OZ__V1__OPERATION__OP_CREATE_TASK;
		op->ops[i].create_task = &op->creates[i];
		op->op_ptrs[i] = &op->ops[i];
	}
	op->in.batch.operations = op->op_ptrs;
	op->in.batch.n_operations = BENCH_BATCH_OPS;
}

/* op's field mask, naming path alone. */
static Google__Protobuf__FieldMask *
one_path(bench_op *op, char *path)
{
	google__protobuf__field_mask__init(&op->mask);
	op->paths[0] = path;
	op->mask.paths = op->paths;
	op->mask.n_paths = 1;
	return &op->mask;
}

/* A new email for a random user: unique to the user, so it never takes
 * another's, and new on every call, so every call changes a column. */
static void
update_user(bench_op *op, const bench_config *cfg, bench_rng *r,
	uint32_t run_tag, int slot, uint64_t seq)
{
	oz__v1__update_user_request__init(&op->in.update_user);
	oz__v1__user__init(&op->user);
	op->id = pick(r, cfg->users);
	snprintf(op->email, sizeof(op->email), "u%lld.%08x.%d.%llu@b.example",
		(long long) op->id, run_tag, slot, (unsigned long long) seq);
	op->user.id = op->id;
	op->user.email = op->email;
	op->in.update_user.user = &op->user;
	op->in.update_user.update_mask = one_path(op, "email");
}

/* The k-th task deleted (k = seq * inflight + slot): a fixed scattered
 * permutation of 1..tasks (multiplying by a prime that does not divide
 * tasks is a bijection modulo tasks), so each seeded task is deleted at
 * most once in a run and the deletes land all over the table. */
static int64_t
delete_id(const bench_config *cfg, int slot, uint64_t seq)
{
	const unsigned __int128 prime = 2654435761u;
	uint64_t n = cfg->tasks > 0 ? (uint64_t) cfg->tasks : 1;
	uint64_t k = seq * (uint64_t) cfg->inflight + (uint64_t) slot;
	return (int64_t) ((unsigned __int128) (k % n) * prime % n) + 1;
}

void
bench_op_next(bench_op *op, const bench_config *cfg, bench_rng *r,
	uint32_t run_tag, int slot, uint64_t seq)
{
	op->kind = kind_of(cfg, r);
	switch (op->kind) {
	case OP_UPDATE_USER:
		update_user(op, cfg, r, run_tag, slot, seq);
		break;
	case OP_DELETE_TASK:
		oz__v1__delete_task_request__init(&op->in.del);
		op->id = delete_id(cfg, slot, seq);
		op->in.del.id = op->id;
		break;
	case OP_GET_USER:
		oz__v1__get_user_request__init(&op->in.get);
		op->id = pick(r, cfg->users);
		op->in.get.id = op->id;
		break;
	case OP_LIST_TASKS:
		oz__v1__list_tasks_request__init(&op->in.list);
		google__protobuf__int64_value__init(&op->user_id);
		op->id = pick(r, cfg->users);
		op->user_id.value = op->id;
		op->in.list.user_id = &op->user_id;
		op->in.list.page_size = BENCH_LIST_PAGE;
		break;
	case OP_LIST_DEEP:
		oz__v1__list_tasks_request__init(&op->in.list);
		op->id = cfg->deep_first;
		op->in.list.page_size = BENCH_LIST_PAGE;
		op->in.list.page_token = (char *) cfg->deep_token;
		break;
	case OP_CREATE_USER:
		oz__v1__create_user_request__init(&op->in.create);
		op->id = 0;
		snprintf(op->name, sizeof(op->name), "b%08x_%d_%llu", run_tag,
			slot, (unsigned long long) seq);
		snprintf(op->email, sizeof(op->email),
			"b%08x.%d.%llu@bench.example", run_tag, slot,
			(unsigned long long) seq);
		op->in.create.username = op->name;
		op->in.create.email = op->email;
		break;
	case OP_CREATE_TASK:
	case OP_BATCH_TASKS:
		op->id = pick(r, cfg->users);
		snprintf(op->name, sizeof(op->name), "c%08x %d %llu", run_tag,
			slot, (unsigned long long) seq);
		if (op->kind == OP_CREATE_TASK) {
			create_task(op, &op->in.create_task);
		} else {
			batch_tasks(op);
		}
		break;
	default:
		oz__v1__update_task_request__init(&op->in.update);
		oz__v1__task__init(&op->task);
		op->id = pick(r, cfg->tasks);
		snprintf(op->name, sizeof(op->name), "t%08x %d %llu", run_tag,
			slot, (unsigned long long) seq);
		op->task.id = op->id;
		op->task.title = op->name;
		op->in.update.task = &op->task;
		op->in.update.update_mask = one_path(op, "title");
		break;
	}
}

static const char *const methods[OP_NKINDS] = {
	"/oz.v1.UserService/GetUser",
	"/oz.v1.TaskService/ListTasks",
	"/oz.v1.UserService/CreateUser",
	"/oz.v1.TaskService/UpdateTask",
	"/oz.v1.TaskService/ListTasks",
	"/oz.v1.TaskService/CreateTask",
	"/oz.v1.BatchService/Execute",
	"/oz.v1.UserService/UpdateUser",
	"/oz.v1.TaskService/DeleteTask",
};

const char *
bench_op_method(const bench_op *op)
{
	return methods[op->kind];
}

const ProtobufCMessage *
bench_op_input(const bench_op *op)
{
	return &op->in.get.base; /* Every member starts with its base. */
}

const ProtobufCMessageDescriptor *
bench_op_output(const bench_op *op)
{
	switch (op->kind) {
	case OP_LIST_TASKS:
	case OP_LIST_DEEP:
		return &oz__v1__list_tasks_response__descriptor;
	case OP_UPDATE_TASK:
	case OP_CREATE_TASK:
		return &oz__v1__task__descriptor;
	case OP_BATCH_TASKS:
		return &oz__v1__execute_response__descriptor;
	case OP_DELETE_TASK:
		return &google__protobuf__empty__descriptor;
	default:
		return &oz__v1__user__descriptor;
	}
}

static bool
check_list(const bench_op *op, const bench_config *cfg,
	const Oz__V1__ListTasksResponse *res)
{
	int64_t want = tasks_of(cfg, op->id);
	if (res->total_size != want ||
		res->n_tasks != (size_t) (want < BENCH_LIST_PAGE
						  ? want
						  : BENCH_LIST_PAGE)) {
		return false;
	}
	for (size_t i = 0; i < res->n_tasks; i++) {
		if (res->tasks[i]->user_id != op->id ||
			(i > 0 &&
				res->tasks[i]->id <= res->tasks[i - 1]->id)) {
			return false;
		}
	}
	return true;
}

/* A created task: new, of the user and title asked for. */
static bool
check_created(
	const bench_op *op, const bench_config *cfg, const Oz__V1__Task *t)
{
	return t != NULL && t->id > cfg->tasks && t->user_id == op->id &&
	       strcmp(t->title, op->name) == 0;
}

/* Every result of the batch is such a task, with ids one after another. */
static bool
check_batch(const bench_op *op, const bench_config *cfg,
	const Oz__V1__ExecuteResponse *res)
{
	if (res->n_results != BENCH_BATCH_OPS) {
		return false;
	}
	for (size_t i = 0; i < res->n_results; i++) {
		if (!check_created(op, cfg, res->results[i]->task) ||
			(i > 0 && res->results[i]->task->id !=
					  res->results[i - 1]->task->id + 1)) {
			return false;
		}
	}
	return true;
}

/* A deep page: the 20 tasks from op->id on, of all cfg->tasks. */
static bool
check_deep(const bench_op *op, const bench_config *cfg,
	const Oz__V1__ListTasksResponse *res)
{
	if (res->total_size != cfg->tasks || res->n_tasks != BENCH_LIST_PAGE) {
		return false;
	}
	for (size_t i = 0; i < res->n_tasks; i++) {
		if (res->tasks[i]->id != op->id + (int64_t) i) {
			return false;
		}
	}
	return true;
}

bool
bench_op_check(const bench_op *op, const bench_config *cfg,
	const ProtobufCMessage *out)
{
	char want[BENCH_NAME_MAX];
	if (out == NULL || out->descriptor != bench_op_output(op)) {
		return false;
	}
	switch (op->kind) {
	case OP_GET_USER: {
		const Oz__V1__User *u = (const void *) out;
		snprintf(want, sizeof(want), "user%09lld", (long long) op->id);
		return u->id == op->id && strcmp(u->username, want) == 0;
	}
	case OP_LIST_TASKS:
		return check_list(op, cfg, (const void *) out);
	case OP_LIST_DEEP:
		return check_deep(op, cfg, (const void *) out);
	case OP_CREATE_TASK:
		return check_created(op, cfg, (const void *) out);
	case OP_BATCH_TASKS:
		return check_batch(op, cfg, (const void *) out);
	case OP_DELETE_TASK:
		return true; /* An Empty, and the status was OK. */
	case OP_UPDATE_USER: {
		const Oz__V1__User *u = (const void *) out;
		return u->id == op->id && strcmp(u->email, op->email) == 0;
	}
	case OP_CREATE_USER: {
		const Oz__V1__User *u = (const void *) out;
		return u->id > cfg->users &&
		       strcmp(u->username, op->name) == 0 &&
		       strcmp(u->email, op->email) == 0;
	}
	default: {
		const Oz__V1__Task *t = (const void *) out;
		return t->id == op->id && strcmp(t->title, op->name) == 0;
	}
	}
}

void
bench_counts_init(bench_counts *c)
{
	memset(c, 0, sizeof(*c));
	hist_init(&c->lat);
}

void
bench_counts_merge(bench_counts *dst, const bench_counts *src)
{
	dst->ok += src->ok;
	dst->transport += src->transport;
	dst->wrong += src->wrong;
	for (int i = 0; i < OZ_CODE_COUNT; i++) {
		dst->by_code[i] += src->by_code[i];
	}
	for (int i = 0; i < OP_NKINDS; i++) {
		dst->by_kind[i] += src->by_kind[i];
	}
	hist_merge(&dst->lat, &src->lat);
}

void
bench_counts_add(bench_counts *c, bench_op_kind kind, int code, bool good,
	uint64_t t0, uint64_t t1, uint64_t m0, uint64_t m1)
{
	if (t1 < m0 || t1 >= m1) {
		return;
	}
	c->by_kind[kind]++;
	if (code < 0) {
		c->transport++;
	} else if (code != OZ_OK) {
		c->by_code[code < OZ_CODE_COUNT ? code : OZ_UNKNOWN]++;
	} else if (!good) {
		c->wrong++;
	} else {
		c->ok++;
	}
	hist_record(&c->lat, t1 - t0);
}

long long
bench_proc_cpu_us(int pid)
{
	char path[64], buf[1024];
	snprintf(path, sizeof(path), "/proc/%d/stat", pid);
	FILE *f = fopen(path, "r");
	if (f == NULL) {
		return -1;
	}
	size_t n = fread(buf, 1, sizeof(buf) - 1, f);
	fclose(f);
	buf[n] = '\0';
	/* Fields after "(comm)": state is field 3; utime 14, stime 15. */
	const char *p = strrchr(buf, ')');
	unsigned long long ut, stt;
	if (p == NULL || sscanf(p + 2,
				 "%*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u "
				 "%llu %llu",
				 &ut, &stt) != 2) {
		return -1;
	}
	long hz = sysconf(_SC_CLK_TCK);
	return (long long) ((ut + stt) * 1000000ull / (unsigned long long) hz);
}

long long
bench_proc_wchar(int pid)
{
	char path[64], line[128];
	long long n = -1;
	snprintf(path, sizeof(path), "/proc/%d/io", pid);
	FILE *f = fopen(path, "r");
	if (f == NULL) {
		return -1;
	}
	while (fgets(line, sizeof(line), f) != NULL) {
		if (sscanf(line, "wchar: %lld", &n) == 1) {
			break;
		}
	}
	fclose(f);
	return n;
}

long long
bench_self_cpu_us(bool thread)
{
	struct rusage ru;
	if (getrusage(thread ? RUSAGE_THREAD : RUSAGE_SELF, &ru) != 0) {
		return -1;
	}
	return (long long) (ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) *
		       1000000 +
	       ru.ru_utime.tv_usec + ru.ru_stime.tv_usec;
}

static double
per_call(long long v[2], uint64_t calls)
{
	return v[0] >= 0 && v[1] >= 0 && calls > 0
		       ? (double) (v[1] - v[0]) / (double) calls
		       : -1;
}

void
bench_result_rates(bench_result *res, long long server_cpu[2],
	long long client_cpu[2], long long wchar[2])
{
	uint64_t calls = 0;
	for (int k = 0; k < OP_NKINDS; k++) {
		calls += res->all.by_kind[k];
	}
	res->server_cpu_us_per_call = per_call(server_cpu, calls);
	res->client_cpu_us_per_call = per_call(client_cpu, calls);
	res->server_wchar_per_call = per_call(wchar, calls);
}

int
bench_write_cdf(const char *path, const hist *h)
{
	static const double qs[] = {0, .01, .05, .1, .2, .3, .4, .5, .6, .7,
		.8, .9, .95, .98, .99, .995, .999, .9995, .9999, 1};
	FILE *f = fopen(path, "w");
	if (f == NULL) {
		perror(path);
		return -1;
	}
	for (size_t i = 0; i < sizeof(qs) / sizeof(qs[0]); i++) {
		uint64_t v = i == 0 ? h->min : hist_quantile(h, qs[i]);
		fprintf(f, "%.1f %g\n", (double) v / 1000.0, qs[i]);
	}
	return fclose(f) == 0 ? 0 : -1;
}

/* The value of field (e.g. "VmHWM:") in /proc/PID/status, in KiB. */
static long
status_kib(int pid, const char *field)
{
	char path[64], line[256];
	long kib = -1;
	size_t n = strlen(field);
	snprintf(path, sizeof(path), "/proc/%d/status", pid);
	FILE *f = fopen(path, "r");
	if (f == NULL) {
		return -1;
	}
	while (fgets(line, sizeof(line), f) != NULL) {
		if (strncmp(line, field, n) == 0 &&
			sscanf(line + n, "%ld", &kib) == 1) {
			break;
		}
	}
	fclose(f);
	return kib;
}

long
bench_proc_hwm_kib(int pid)
{
	return status_kib(pid, "VmHWM:");
}

void
bench_result_memory(bench_result *res, int pid)
{
	res->server_rss_kib = pid > 0 ? status_kib(pid, "VmHWM:") : -1;
	res->server_anon_kib = pid > 0 ? status_kib(pid, "RssAnon:") : -1;
	res->server_file_kib = pid > 0 ? status_kib(pid, "RssFile:") : -1;
}
