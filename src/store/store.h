/* store/store.h -- the storage interface the service layer uses.
 *
 * Everything above the store sees only this header: no sqlite3.h, no SQL.
 * The transactions here and the functions of user_store.h, task_store.h
 * and idem_store.h run through the connection's backend table
 * (store/backend.h): SQLite (src/store/sqlite/) or PostgreSQL
 * (src/store/postgres/), chosen by store_open from the config's URL. Record
 * types and per-table functions live in user_store.h and task_store.h;
 * migrations in migrate.h. */
#ifndef OZ_STORE_STORE_H
#define OZ_STORE_STORE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "oz/status.h"

/* How hard SQLite syncs to disk (PRAGMA synchronous). In WAL mode FULL
 * makes every committed transaction survive a power cut; NORMAL survives a
 * crash of the process but may lose the last commits on power loss. */
typedef enum store_sync {
	STORE_SYNC_OFF = 0,
	STORE_SYNC_NORMAL = 1,
	STORE_SYNC_FULL = 2,
	STORE_SYNC_EXTRA = 3,
} store_sync;

#define STORE_PATH_MAX    4096
#define STORE_URL_MAX     4096
#define STORE_DEFAULT_URL "sqlite:///./app.db"

/* The engine behind a store_config, chosen by its URL's scheme. */
typedef enum store_backend {
	STORE_BACKEND_SQLITE = 0,   /* sqlite:///... */
	STORE_BACKEND_POSTGRES = 1, /* postgresql://... or postgres://... */
} store_backend;

typedef struct store_config {
	store_backend backend; /* Default STORE_BACKEND_SQLITE. */
	/* The URL store_url_parse was given (empty after store_config_init
	 * alone). PostgreSQL's goes to libpq as it is; log it only through
	 * store_url_mask or store_config_name. */
	char url[STORE_URL_MAX];
	char path[STORE_PATH_MAX]; /* SQLite: file path, or ":memory:". */
	int busy_timeout_ms;       /* Default 30000. */
	store_sync synchronous;    /* Default STORE_SYNC_FULL. */
	/* Where AdminService/Backup may write (store_backup_named); empty:
	 * "backups" beside the database file. */
	char backup_dir[STORE_PATH_MAX];
} store_config;

/* Sets the defaults: the path of STORE_DEFAULT_URL, 30 s, FULL. */
void store_config_init(store_config *cfg);

/* Parses a database URL into cfg (backend, url and, for SQLite, path).
 * Accepted: sqlite:///relative.db, sqlite:////absolute/path.db,
 * sqlite:///:memory:, and postgresql://... or postgres://... (a libpq
 * connection URI, kept as it is: libpq checks it when store_open
 * connects). Anything else is INVALID_ARGUMENT with a message naming the
 * URL (password masked) and what is accepted. */
oz_code store_url_parse(
	const char *url, store_config *cfg, oz_status *st) OZ_MUST_USE;

/* What a backend is like, for the layers above that must run it
 * differently without knowing which one runs. */
typedef struct store_traits {
	const char *name; /* "sqlite", "postgres". */
	/* A read is a round trip to another process: it must not run on a
	 * thread that may not wait (nng's callback threads). */
	bool reads_block;
	/* A WAL of our own: checkpoints, WAL pages, file sizes. */
	bool has_wal;
	/* One ozd per database (store/lock.h); several may share one
	 * PostgreSQL server. */
	bool server_lock;
	/* AdminService/Backup, restore and vacuum work on it. */
	bool backup;
} store_traits;

/* The traits of cfg's backend. Never NULL. */
const store_traits *store_traits_of(const store_config *cfg);

/* The traits of backend b. Never NULL. */
const store_traits *store_backend_traits(store_backend b);

/* True when reads on cfg's backend must run off nng's threads. */
bool store_reads_block(const store_config *cfg);

/* Writes what names cfg's database in logs and messages into out (size
 * n): the SQLite path, or the PostgreSQL URL with its password masked. */
void store_config_name(const store_config *cfg, char *out, size_t n);

/* Copies url (a URL or a libpq "key=value" string) into out (size n) with
 * every password masked as ***: the one of "scheme://user:password@" and
 * the value of every password= option (key percent-decoded, any case,
 * value 'quoted' or not). Whatever echoes or logs a URL calls this. */
void store_url_mask(const char *url, char *out, size_t n);

/* Parses "off", "normal", "full" or "extra" (any case). 0 or -1. */
int store_sync_parse(const char *s, store_sync *out);

/* Returns "OFF", "NORMAL", "FULL" or "EXTRA". */
const char *store_sync_name(store_sync s);

/* True when cfg names an in-memory database: ":memory:" (each connection
 * to it is a separate database) or one made shared by
 * store_config_share_memory. Either has no file, no WAL, no lock. */
bool store_config_is_memory(const store_config *cfg);

/* Turns a ":memory:" cfg into a shared in-memory database of this
 * process (file:/oz-memory-PID-N?vfs=memdb): every connection opened on
 * the new cfg sees the same database, which lives while one of them is
 * open, so the caller keeps one open for as long as the database must
 * live. Anything else is left as it is. */
void store_config_share_memory(store_config *cfg);

/* One database connection with its cache of prepared statements. Not
 * thread-safe: a connection belongs to one thread at a time. */
typedef struct store_conn store_conn;

/* Opens a connection of cfg's backend. SQLite: to cfg->path, creating
 * the file if needed, with journal_mode=WAL (files), foreign_keys=ON,
 * busy_timeout and synchronous. PostgreSQL: libpq connects to cfg->url
 * (INVALID_ARGUMENT when libpq cannot parse it) and logs the effective
 * options, password masked.
 * OUT: *out, owned by the caller, freed with store_close. Returns OK,
 * UNAVAILABLE (cannot open or connect), or INTERNAL. */
oz_code store_open(
	store_conn **out, const store_config *cfg, oz_status *st) OZ_MUST_USE;

/* The backend of c. */
store_backend store_conn_backend(const store_conn *c);

/* FAILED_PRECONDITION when b has no backups of ours (AdminService/Backup,
 * ozctl backup/restore/vacuum), with a message naming the engine's own
 * tools; else OK. */
oz_code store_backup_supported(store_backend b, oz_status *st) OZ_MUST_USE;

/* Finalizes every cached statement and closes. NULL is a no-op. */
void store_close(store_conn *c);

/* Kinds of transaction for store_tx_begin. */
typedef enum store_tx_kind {
	STORE_TX_READ = 0,  /* BEGIN (deferred): a consistent snapshot. */
	STORE_TX_WRITE = 1, /* BEGIN IMMEDIATE: takes the write lock first. */
} store_tx_kind;

/* Starts a transaction, or, when one is already open on c (a caller such
 * as the group-commit writer owns the outer one), a SAVEPOINT nested in it.
 * Every service operation runs between begin and end. Returns OK,
 * UNAVAILABLE when the database stays locked past busy_timeout, INTERNAL. */
oz_code store_tx_begin(
	store_conn *c, store_tx_kind kind, oz_status *st) OZ_MUST_USE;

/* Ends what the matching begin started: commits (or releases the
 * savepoint) when rc is OK, else rolls it back. Returns rc when rc is not
 * OK; otherwise the result of the commit (OK, UNAVAILABLE, INTERNAL, ...).
 * A savepoint that cannot be rolled back to or released rolls the whole
 * transaction back (store_tx_intact turns false; statements on c fail
 * UNAVAILABLE until the outermost end), so a failed call's writes never
 * commit with the others. */
oz_code store_tx_end(store_conn *c, oz_code rc, oz_status *st) OZ_MUST_USE;

/* With on, the transactions begun on c from now on (until called with
 * off) open no SAVEPOINT of their own: they only count, their end with a
 * failure rolls back nothing itself, and the enclosing transaction (the
 * one open now, which must exist) decides for all of them. For a caller
 * that undoes everything on the first failure anyway (a batch): each
 * SAVEPOINT would cost a copy of every page it first touches. */
void store_tx_flatten(store_conn *c, bool on);

/* Number of transactions/savepoints open on c (0 = autocommit). */
int store_tx_depth(const store_conn *c);

/* False when SQLite rolled back the transaction that store_tx_begin
 * opened on its own (after an I/O error or a full disk): the work done in
 * it is gone and the caller must not report success. */
bool store_tx_intact(const store_conn *c);

/* Runs PRAGMA optimize. */
oz_code store_optimize(store_conn *c, oz_status *st) OZ_MUST_USE;

/* Checkpoints the WAL into the database file (TRUNCATE). */
oz_code store_checkpoint(store_conn *c, oz_status *st) OZ_MUST_USE;

/* Takes checkpoints off c's commits: SQLite no longer checkpoints when one
 * of them leaves the WAL over 1000 pages (wal_autocheckpoint); the caller
 * watches store_wal_pages and runs store_checkpoint_passive elsewhere. */
void store_manual_checkpoints(store_conn *c);

/* Pages in the WAL after c's last commit (once store_manual_checkpoints
 * is set; 0 before). */
int store_wal_pages(const store_conn *c);

/* Copies into the database file every WAL page no reader still needs,
 * waiting for no one (SQLITE_CHECKPOINT_PASSIVE). */
oz_code store_checkpoint_passive(store_conn *c, oz_status *st) OZ_MUST_USE;

/* Test-only fault injection (in the manner of SQLite's sqlite3FaultSim):
 * while set, fn(arg) runs just before every COMMIT of a write transaction
 * on any connection of this process; a non-zero return makes that COMMIT
 * fail (SQLite rolls the transaction back and store_tx_end returns
 * FAILED_PRECONDITION). NULL removes it. Servers never set it; it lets
 * tests prove that a failed group commit acknowledges nothing. */
typedef int (*store_commit_hook_fn)(void *arg);
void store_set_commit_hook(store_commit_hook_fn fn, void *arg);

/* Test-only as well: while set, fn(arg, sql) runs before every
 * transaction-control statement (BEGIN, SAVEPOINT, RELEASE, ROLLBACK TO,
 * COMMIT, ROLLBACK) on any connection; a non-zero return makes that
 * statement fail unrun (INTERNAL), as an I/O error might. NULL removes
 * it. */
typedef int (*store_tx_hook_fn)(void *arg, const char *sql);
void store_set_tx_hook(store_tx_hook_fn fn, void *arg);

/* Bounds every statement c runs from the next store_tx_begin on (each
 * call sets its remaining deadline; 0: no bound). PostgreSQL: SET LOCAL
 * statement_timeout, so the server cancels a statement still running
 * then (lock waits included) and it fails DEADLINE_EXCEEDED. SQLite: a
 * no-op (its calls never wait on another process). */
void store_set_timeout(store_conn *c, int timeout_ms);

/* Sizes in bytes of the database behind c and of its WAL (SQLite: the
 * files, 0 in memory; PostgreSQL: pg_database_size, WAL 0). */
oz_code store_size(
	store_conn *c, int64_t *db, int64_t *wal, oz_status *st) OZ_MUST_USE;

/* Reads c's page cache hits and misses since the last call (the counters
 * are reset), for statistics. */
void store_cache_counts(store_conn *c, int64_t *hits, int64_t *misses);

/* Sizes in bytes of cfg's database file and of its -wal file (0 when
 * missing, in memory, or not SQLite: store_size asks a connection). */
void store_file_sizes(const store_config *cfg, int64_t *db, int64_t *wal);

/* Microseconds since the Unix epoch, the unit of every stored time. */
int64_t store_now_us(void);

#endif /* OZ_STORE_STORE_H */
