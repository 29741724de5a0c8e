/* clients/ozctl/import.h -- the state of one `ozctl import` run, shared by
 * its worker threads (import.c). */
#ifndef OZ_OZCTL_IMPORT_H
#define OZ_OZCTL_IMPORT_H

#include <pthread.h>

#include "bulk.h"
#include "ozctl.h"

/* The server's limit of operations per Execute. */
#define SERVICE_BATCH_LIMIT 1000
#define IMPORT_THREADS_MAX  16
/* Batches in flight by default: enough that ozd's writer always finds the
 * next one queued while it syncs a commit (4 left it idle; bench/RESULTS.md).
 */
#define IMPORT_THREADS_DFLT 8

typedef struct import_job {
	const char *path;
	char *text; /* The whole file; CSV records are parsed in place. */
	bulk_record *recs;
	size_t n_recs;
	size_t first; /* 1 for CSV (the header), else 0. */
	bulk_format format;
	bulk_resource resource;
	size_t batch_size;
	bool skip_bad;
	bool bar_on; /* A progress bar is drawn on stderr. */
	int col[4];  /* CSV: column of each of the first 4 bulk_*_cols. */
	const char *key_prefix; /* Of every request_id. */
	uint64_t key_seed;      /* Hash of the resource and batch size. */
	oz_client *client;

	pthread_mutex_t mu; /* Guards what follows. */
	pthread_cond_t cv;  /* A batch finished. */
	size_t next;        /* Next batch to take. */
	size_t n_batches, done_batches, batches;
	int64_t rows, bad;
	bool stop;
	oz_status fail; /* Why it stopped. */
} import_job;

/* Imports job (all fields up to client set, the rest zero) with n_threads
 * batches in flight; prints bad rows and the summary. Returns an exit
 * status. */
int ozctl_import_run(ozctl *ctl, import_job *job, int n_threads);

#endif /* OZ_OZCTL_IMPORT_H */
