/* clients/ozctl/bulk.h -- what `ozctl import` and `ozctl export` share:
 * the file formats (JSON Lines, CSV with a header), which resource a file
 * holds, and the progress bar drawn on a terminal. No calls to the server
 * here. */
#ifndef OZ_OZCTL_BULK_H
#define OZ_OZCTL_BULK_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

typedef enum bulk_format { BULK_JSONL, BULK_CSV } bulk_format;
typedef enum bulk_resource { BULK_USERS, BULK_TASKS } bulk_resource;

/* Parses "jsonl" or "csv"; false for another word. */
bool bulk_format_parse(const char *s, bulk_format *out);

/* The format a file name implies: .csv is CSV; .jsonl, .ndjson and .json
 * are JSON Lines. False when the name says neither. */
bool bulk_format_of(const char *path, bulk_format *out);

/* Parses "users" or "tasks"; with a path (use_path) its base name's start
 * ("users.jsonl", "tasks-2024.csv"). False when it is neither. */
bool bulk_resource_parse(const char *s, bool use_path, bulk_resource *out);

/* The columns of each resource, in export order; import needs the first
 * ones (users: username, email; tasks: user_id, title) and takes
 * description and status when present. */
extern const char *const bulk_user_cols[];
extern const char *const bulk_task_cols[];
#define BULK_USER_NCOLS 7
#define BULK_TASK_NCOLS 8

/* Writes s as one CSV field (RFC 4180: quoted when it holds a comma, a
 * quote, CR or LF; quotes doubled). */
void bulk_csv_field(FILE *f, const char *s);

/* One record of a file: bytes [start, end) of the text, on line `line`
 * (1-based, where it starts). */
typedef struct bulk_record {
	size_t start, end;
	long line;
} bulk_record;

/* Splits text (len bytes) into records: lines for JSON Lines (blank ones
 * skipped), RFC 4180 records for CSV (newlines inside quotes belong to the
 * field). OUT: *recs (heap, caller frees) and *n. False when out of
 * memory. */
bool bulk_split(const char *text, size_t len, bulk_format fmt,
	bulk_record **recs, size_t *n);

/* Parses the CSV record text[r] in place into at most max fields (quotes
 * removed, "" turned into "). OUT: fields (NUL-terminated, inside text),
 * *n. False when the record is malformed (stray quote). */
bool bulk_csv_parse(
	char *text, const bulk_record *r, char **fields, int max, int *n);

/* The progress bar: drawn on stderr only when stdout and stderr are both
 * terminals and quiet is false; otherwise every call does nothing. */
typedef struct bulk_progress {
	bool on;
	const char *what; /* "rows" */
	int64_t total;    /* 0: unknown. */
	double start;     /* Monotonic seconds. */
	double last_draw;
} bulk_progress;

void bulk_progress_init(
	bulk_progress *p, bool quiet, const char *what, int64_t total);
/* Redraws with done of total (at most 10 times a second unless final). */
void bulk_progress_show(bulk_progress *p, int64_t done, bool final);

/* Monotonic time in seconds. */
double bulk_now(void);

#endif /* OZ_OZCTL_BULK_H */
