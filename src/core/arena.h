/* core/arena.h -- a bump allocator for everything one request allocates.
 *
 * A request's decoded input, strings copied out of SQLite, its response and
 * any status text come from one arena; arena_reset() frees them all at once
 * once the reply is sent, so no error path can leak. The first block is
 * kept across resets: a steady load allocates nothing from the heap. */
#ifndef OZ_CORE_ARENA_H
#define OZ_CORE_ARENA_H

#include <stddef.h>

#include <protobuf-c/protobuf-c.h>

struct arena_block;

typedef struct arena {
	struct arena_block *head; /* Block being filled; the kept one last. */
	size_t block_size;        /* Size of a normal block. */
	size_t used;              /* Bytes handed out since the last reset. */
	size_t limit;             /* 0, or most bytes one request may take. */
	ProtobufCAllocator pb;    /* protobuf-c allocator backed by this. */
} arena;

/* Prepares a in the caller's memory. block_size 0 means 16 KiB. limit 0
 * means no limit; otherwise arena_alloc fails past limit bytes. */
void arena_init(arena *a, size_t block_size, size_t limit);

/* Frees every block. a may be reused after arena_init. */
void arena_fini(arena *a);

/* Returns n bytes aligned for any type, or NULL when out of memory or past
 * the limit. The memory lives until the next reset. */
void *arena_alloc(arena *a, size_t n);

/* Like arena_alloc, but zeroed. */
void *arena_calloc(arena *a, size_t n);

/* Copies n bytes of s and a NUL into the arena; NULL on failure. */
char *arena_strndup(arena *a, const char *s, size_t n);

/* Copies the NUL-terminated s into the arena; NULL on failure. */
char *arena_strdup(arena *a, const char *s);

/* Releases everything allocated since init or the last reset, keeping the
 * first block for reuse. */
void arena_reset(arena *a);

/* The protobuf-c allocator that takes memory from a (frees are no-ops). */
ProtobufCAllocator *arena_pb(arena *a);

#endif /* OZ_CORE_ARENA_H */
