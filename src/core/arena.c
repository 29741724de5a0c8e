/* core/arena.c -- bump allocation in a list of blocks. Not thread-safe: an
 * arena belongs to one request at a time. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "core/arena.h"

#define ARENA_ALIGN         16
#define ARENA_DEFAULT_BLOCK (16 * 1024)

struct arena_block {
	struct arena_block *next;
	size_t size; /* Usable bytes in data. */
	size_t off;  /* Bytes used. */
	_Alignas(ARENA_ALIGN) unsigned char data[];
};

static void *
pb_alloc(void *a, size_t n)
{
	return arena_alloc(a, n);
}

static void
pb_free(void *a, void *p)
{
	(void) a;
	(void) p;
}

void
arena_init(arena *a, size_t block_size, size_t limit)
{
	a->head = NULL;
	a->block_size = block_size != 0 ? block_size : ARENA_DEFAULT_BLOCK;
	a->used = 0;
	a->limit = limit;
	a->pb.alloc = pb_alloc;
	a->pb.free = pb_free;
	a->pb.allocator_data = a;
}

void
arena_fini(arena *a)
{
	struct arena_block *b = a->head;
	while (b != NULL) {
		struct arena_block *next = b->next;
		free(b);
		b = next;
	}
	a->head = NULL;
	a->used = 0;
}

static struct arena_block *
block_new(size_t size, struct arena_block *next)
{
	if (size > SIZE_MAX - sizeof(struct arena_block)) {
		return NULL;
	}
	struct arena_block *b = malloc(sizeof(*b) + size);
	if (b == NULL) {
		return NULL;
	}
	b->next = next;
	b->size = size;
	b->off = 0;
	return b;
}

void *
arena_alloc(arena *a, size_t n)
{
	size_t need = (n + ARENA_ALIGN - 1) & ~(size_t) (ARENA_ALIGN - 1);
	if (need < n || (a->limit != 0 && need > a->limit - a->used)) {
		return NULL;
	}
	struct arena_block *b = a->head;
	if (b == NULL || b->size - b->off < need) {
		size_t size = need > a->block_size ? need : a->block_size;
		if ((b = block_new(size, a->head)) == NULL) {
			return NULL;
		}
		a->head = b;
	}
	void *p = b->data + b->off;
	b->off += need;
	a->used += need;
	return p;
}

void *
arena_calloc(arena *a, size_t n)
{
	void *p = arena_alloc(a, n);
	if (p != NULL) {
		memset(p, 0, n);
	}
	return p;
}

char *
arena_strndup(arena *a, const char *s, size_t n)
{
	char *p = arena_alloc(a, n + 1);
	if (p != NULL) {
		memcpy(p, s, n);
		p[n] = '\0';
	}
	return p;
}

char *
arena_strdup(arena *a, const char *s)
{
	return arena_strndup(a, s, strlen(s));
}

void
arena_reset(arena *a)
{
	struct arena_block *b = a->head;
	if (b == NULL) {
		return;
	}
	/* Keep the oldest block (the last in the list); free the rest. */
	while (b->next != NULL) {
		struct arena_block *next = b->next;
		free(b);
		b = next;
	}
	b->off = 0;
	a->head = b;
	a->used = 0;
}

ProtobufCAllocator *
arena_pb(arena *a)
{
	return &a->pb;
}
