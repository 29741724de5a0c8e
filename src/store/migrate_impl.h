/* store/migrate_impl.h -- what migrate.c, migrate_file.c and
 * migrate_check.c share: a parsed migration set and the engine's steps.
 *
 * Only those three files include this; everything else uses migrate.h. */
#ifndef OZ_STORE_MIGRATE_IMPL_H
#define OZ_STORE_MIGRATE_IMPL_H

#include <stdbool.h>
#include <stddef.h>

#include "store/migrate.h"

#define UP_MARKER   "-- +oz Up"
#define DOWN_MARKER "-- +oz Down"

/* One parsed migration file; the pointers point into its embed_file text,
 * which must outlive it. */
struct mig {
	char rev[STORE_REV_MAX]; /* "0001". */
	const char *file;        /* "0001_initial.sql". */
	const char *message;     /* First comment line, not NUL-terminated. */
	size_t message_len;
	const char *up; /* The Up script, not NUL-terminated. */
	size_t up_len;
	const char *down; /* The Down script, not NUL-terminated. */
	size_t down_len;
};

/* A parsed set, in revision order. */
struct migset {
	struct mig *m; /* Heap array of n, owned by the set. */
	size_t n;
};

/* Parses and validates every file of set (see migrate.h for the rules).
 * OUT: *ms, freed with migrate_set_free. Returns OK, FAILED_PRECONDITION
 * naming the bad file, or RESOURCE_EXHAUSTED; on failure *ms owns
 * nothing. */
oz_code migrate_set_parse(const struct embed_file *set, size_t n,
	struct migset *ms, oz_status *st) OZ_MUST_USE;

/* Frees what migrate_set_parse allocated. */
void migrate_set_free(struct migset *ms);

/* The revision id after the first k migrations: "base" or "0001". */
const char *migrate_rev_at(const struct migset *ms, size_t k);

/* The migration with revision id rev, or NULL. */
const struct mig *migrate_set_find(const struct migset *ms, const char *rev);

/* FAILED_PRECONDITION when c has a transaction open, else OK. */
oz_code migrate_not_in_tx(store_conn *c, oz_status *st) OZ_MUST_USE;

/* OUT: *cur, how many migrations of ms the database has applied. Fails
 * (FAILED_PRECONDITION) when the recorded revisions are newer than ms,
 * unknown to it, or not a prefix of it. */
oz_code migrate_load_state(store_conn *c, const struct migset *ms, size_t *cur,
	oz_status *st) OZ_MUST_USE;

/* Applies or undoes migrations, one transaction each, until exactly the
 * first target of ms are applied. */
oz_code migrate_to(store_conn *c, const struct migset *ms, size_t target,
	oz_status *st) OZ_MUST_USE;

/* What a target is resolved for. */
enum migrate_dir { MIGRATE_UP, MIGRATE_DOWN, MIGRATE_STAMP };

/* Resolves target ("head", "base", "+N", "-N" or a revision id, as dir
 * allows) against ms with cur migrations applied. OUT: *out, the number
 * of migrations applied at target. INVALID_ARGUMENT naming what is
 * wrong. */
oz_code migrate_resolve(const struct migset *ms, const char *target,
	size_t cur, enum migrate_dir dir, size_t *out,
	oz_status *st) OZ_MUST_USE;

/* One row of oz_migrations. */
struct recorded {
	const char *rev;
	int64_t applied_at;
};

/* Fills h (room for ms->n + nr) with every revision of ms, then the nr
 * recorded ones ms does not know, marking the recorded as applied (the
 * contract of store_migrate_history). OUT: *n_out. */
oz_code migrate_history_fill(const struct migset *ms, const struct recorded *r,
	size_t nr, arena *a, store_migrate_rev *h, size_t *n_out,
	oz_status *st) OZ_MUST_USE;

#endif /* OZ_STORE_MIGRATE_IMPL_H */
