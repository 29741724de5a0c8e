/* bench/ozbench.h -- what ozbench's files share: the run configuration,
 * the operations a workload issues, and the result of one run.
 *
 * ozbench measures; it never changes how the server behaves. nng.h stays
 * out of this header (only load.c and ceiling.c use nng). */
#ifndef OZ_BENCH_OZBENCH_H
#define OZ_BENCH_OZBENCH_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <protobuf-c/protobuf-c.h>

#include "hist.h"
#include "oz/status.h"
#include "oz/v1/batch_service.pb-c.h"
#include "oz/v1/task_service.pb-c.h"
#include "oz/v1/user_service.pb-c.h"

typedef enum bench_workload {
	BENCH_GET_USER = 0,
	BENCH_CREATE_USER,
	BENCH_LIST_TASKS,
	BENCH_UPDATE_TASK,
	BENCH_MIXED,     /* 80% GetUser, 10% ListTasks, 10% CreateUser. */
	BENCH_LIST_DEEP, /* The next page of all tasks, 90 % of the way in. */
	BENCH_CREATE_TASK, /* One CreateTask per call. */
	BENCH_BATCH_TASKS, /* One Execute of BENCH_BATCH_OPS CreateTasks. */
	BENCH_UPDATE_USER, /* A random user's email (GetUser checks names). */
	BENCH_DELETE_TASK, /* Each seeded task once, in a scattered order. */
	BENCH_NWORKLOADS,
} bench_workload;

typedef enum bench_mode {
	BENCH_RPC = 0,           /* Against a running ozd at --url. */
	BENCH_CEILING_TRANSPORT, /* In-process nng echo server at --url. */
	BENCH_CEILING_STORE,     /* Service layer in-process, no RPC. */
} bench_mode;

/* Which client drives the load: raw speaks nng's SP wire protocol
 * itself on one connection from one thread (several calls per wake-up,
 * requests pre-encoded); nng is the original client on nng contexts. */
typedef enum bench_client {
	BENCH_CLIENT_RAW = 0,
	BENCH_CLIENT_NNG,
} bench_client;

typedef struct bench_config {
	const char *url;
	const char *database_url; /* For seeding and --ceiling-store. */
	int inflight;
	double duration_s;
	double warmup_s;
	bench_workload workload;
	bench_mode mode;
	bench_client client;
	const char *cdf_path; /* When set, the latency CDF is written here. */
	int64_t users;        /* The database holds users 1..users. */
	int64_t tasks;        /* ... and tasks 1..tasks, in blocks per user. */
	int server_pid;
	bool json;
	const char *sync;  /* "FULL"/"NORMAL": recorded; used by store mode. */
	const char *label; /* Free text copied into the result. */
	int run;           /* Run number, copied into the result. */
	uint64_t seed;
	const char *deep_token; /* list_tasks_deep: the page token asked */
	int64_t deep_first;     /* with, and the first id it must give. */
} bench_config;

/* Tasks per ListTasks page, in every workload that lists. */
#define BENCH_LIST_PAGE 20

/* Which call an operation makes. */
typedef enum bench_op_kind {
	OP_GET_USER = 0,
	OP_LIST_TASKS,
	OP_CREATE_USER,
	OP_UPDATE_TASK,
	OP_LIST_DEEP,
	OP_CREATE_TASK,
	OP_BATCH_TASKS,
	OP_UPDATE_USER,
	OP_DELETE_TASK,
	OP_NKINDS,
} bench_op_kind;

#define BENCH_NAME_MAX 96
/* Creates per Execute in the batch_create_tasks workload. */
#define BENCH_BATCH_OPS 100

/* One operation with its input message. Lives in a load slot and is
 * refilled for every call; the input points into it, so it must not move
 * while a call is out. */
typedef struct bench_op {
	bench_op_kind kind;
	int64_t id; /* The user or task asked for. */
	char name[BENCH_NAME_MAX];
	char email[BENCH_NAME_MAX];
	union {
		Oz__V1__GetUserRequest get;
		Oz__V1__ListTasksRequest list;
		Oz__V1__CreateUserRequest create;
		Oz__V1__UpdateTaskRequest update;
		Oz__V1__CreateTaskRequest create_task;
		Oz__V1__ExecuteRequest batch;
		Oz__V1__UpdateUserRequest update_user;
		Oz__V1__DeleteTaskRequest del;
	} in;
	/* batch_create_tasks: the operations of the Execute. */
	Oz__V1__Operation ops[BENCH_BATCH_OPS];
	Oz__V1__Operation *op_ptrs[BENCH_BATCH_OPS];
	Oz__V1__CreateTaskRequest creates[BENCH_BATCH_OPS];
	Google__Protobuf__Int64Value user_id;
	Oz__V1__Task task;
	Oz__V1__User user;
	Google__Protobuf__FieldMask mask;
	char *paths[1];
} bench_op;

/* A per-slot random generator (xorshift64*). */
typedef struct bench_rng {
	uint64_t s;
} bench_rng;

void bench_rng_init(bench_rng *r, uint64_t seed);
uint64_t bench_rng_next(bench_rng *r);

/* The tasks a seeded user owns, for users 1..cfg->users. */
int64_t bench_tasks_per_user(const bench_config *cfg);

/* Fills op with the next operation of cfg->workload. slot and seq make
 * created names unique within the run; run_tag across runs. */
void bench_op_next(bench_op *op, const bench_config *cfg, bench_rng *r,
	uint32_t run_tag, int slot, uint64_t seq);

/* The full method name, input message and output type of op. */
const char *bench_op_method(const bench_op *op);
const ProtobufCMessage *bench_op_input(const bench_op *op);
const ProtobufCMessageDescriptor *bench_op_output(const bench_op *op);

/* True when out is a correct answer to op: the id asked for, the user
 * whose tasks were listed, the name that was created, the title that was
 * set. A fast server that answers wrongly does not score. */
bool bench_op_check(const bench_op *op, const bench_config *cfg,
	const ProtobufCMessage *out);

/* What one slot (or thread) counted; merged into the result. */
typedef struct bench_counts {
	uint64_t ok;
	uint64_t by_code[OZ_CODE_COUNT]; /* Server statuses other than OK. */
	uint64_t transport;              /* nng errors, timeouts. */
	uint64_t wrong;                  /* OK replies that failed checks. */
	uint64_t by_kind[OP_NKINDS];     /* Completed calls per kind. */
	hist lat;                        /* Latency in ns, measured only. */
} bench_counts;

void bench_counts_init(bench_counts *c);
void bench_counts_merge(bench_counts *dst, const bench_counts *src);

/* Records the outcome of one call that completed at t1 (ns, monotonic):
 * counted only inside the measured window [m0, m1). code < 0 means a
 * transport failure, OZ_OK with !good a wrong reply. */
void bench_counts_add(bench_counts *c, bench_op_kind kind, int code, bool good,
	uint64_t t0, uint64_t t1, uint64_t m0, uint64_t m1);

typedef struct bench_result {
	bench_counts all;
	double seconds;                /* Length of the measured window. */
	double server_cpu_us_per_call; /* < 0 when not measured. */
	double client_cpu_us_per_call; /* ozbench's own; < 0 if unknown. */
	double server_wchar_per_call;  /* Bytes written; < 0 if unknown. */
	long server_rss_kib;           /* VmHWM; < 0 when not measured. */
	long server_anon_kib, server_file_kib; /* RssAnon, RssFile at end. */
	size_t request_bytes, reply_bytes;     /* Sizes seen (last call). */
} bench_result;

/* Monotonic nanoseconds. */
uint64_t bench_now_ns(void);

/* Sleeps until monotonic time t (ns). */
void bench_sleep_until(uint64_t t);

/* Server process figures from /proc: utime+stime in microseconds and
 * VmHWM in KiB. Return -1 when pid's files cannot be read. */
long long bench_proc_cpu_us(int pid);
long bench_proc_hwm_kib(int pid);

/* The server's figures at the end of a run: VmHWM, RssAnon and RssFile
 * (-1 each when pid is 0 or its status cannot be read). */
void bench_result_memory(bench_result *res, int pid);

/* Bytes pid has written (wchar of /proc/PID/io: files and sockets), or -1
 * when it cannot be read. */
long long bench_proc_wchar(int pid);

/* This thread's (thread) or this process's CPU time in microseconds. */
long long bench_self_cpu_us(bool thread);

/* The latency CDF of h as "latency_us fraction" lines into path. */
int bench_write_cdf(const char *path, const hist *h);

/* The closed loop of load.c against url: decodes every reply and, when
 * check is true, checks it with bench_op_check. Used by bench_run_rpc and
 * by the transport ceiling. 0, or non-zero when url cannot be reached. */
int bench_load(const bench_config *cfg, const char *url, bool check,
	bench_result *res);

/* Decodes the Response envelope in data (allocating from a) and, when
 * check is true, checks its payload with bench_op_check. Returns the
 * status code; *good tells whether the payload is a correct answer. */
struct arena;
int bench_reply_decode(const bench_config *cfg, const bench_op *op, bool check,
	struct arena *a, const uint8_t *data, size_t len, bool *good);

/* The same closed loop in raw.c, without nng (tcp:// and ipc:// only). */
int bench_load_raw(const bench_config *cfg, const char *url, bool check,
	bench_result *res);

/* list_tasks_deep: asks url once for the page 90 % of the way in and
 * keeps its token in cfg (load.c). 0 or an nng error. */
int bench_deep_setup(const char *url, bench_config *cfg);

/* bench_load_raw for the urls it speaks (when cfg->client is raw), else
 * bench_load. */
int bench_load_any(const bench_config *cfg, const char *url, bool check,
	bench_result *res);

/* Fills res's per-call CPU and write figures from the counters taken at
 * the two ends of the measured window (-1 where not taken). */
void bench_result_rates(bench_result *res, long long server_cpu[2],
	long long client_cpu[2], long long wchar[2]);

/* The two ceilings: each fills res and returns 0, or prints why it
 * cannot run and returns non-zero. */
int bench_run_ceiling_transport(const bench_config *cfg, bench_result *res);
int bench_run_ceiling_store(const bench_config *cfg, bench_result *res);

/* Fills the database at cfg->database_url with users 1..cfg->users and
 * tasks 1..cfg->tasks (migrating it first), in one transaction, unless it
 * already holds that many. Prints progress to stderr. 0 or non-zero. */
int bench_seed(const bench_config *cfg);

/* Prints one run as a human summary or one JSON line on stdout. */
void bench_report_run(const bench_config *cfg, const bench_result *res);

/* Reads JSON lines written by --json (any number of runs) from path and
 * prints the Markdown table (medians over runs) and the target ratios.
 * 0 or non-zero. */
int bench_report_file(const char *path);

/* Names for flags and reports. */
const char *bench_workload_name(bench_workload w);
int bench_workload_parse(const char *s, bench_workload *out);
const char *bench_mode_name(bench_mode m);

#endif /* OZ_BENCH_OZBENCH_H */
