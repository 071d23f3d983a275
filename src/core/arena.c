/*
 * core/arena.c: chunked bump allocator (one arena per lifetime, freed
 * wholesale) and the abort-on-OOM heap helpers.
 */
#include "core.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define ARENA_ALIGN 16
#define ARENA_DEFAULT_CHUNK 8192

/* The header is padded to 16 bytes so data[] starts 16-byte aligned
 * (malloc returns memory aligned for max_align_t, which is 16 on x86-64
 * and aarch64). */
typedef struct chunk {
	struct chunk *next;
	size_t cap, used;
	_Alignas(ARENA_ALIGN) unsigned char data[];
} chunk;

struct hl_arena {
	chunk *head;    /* first chunk: survives hl_arena_reset */
	chunk *cur;     /* chunk small allocations bump from */
	size_t chunk_size;
	size_t used;    /* bytes handed out, for accounting */
};

static _Noreturn void oom(size_t n)
{
	fprintf(stderr, "helenus: out of memory allocating %zu bytes\n", n);
	abort();
}

void *hl_malloc(size_t n)
{
	void *p = malloc(n ? n : 1);

	if (!p)
		oom(n);
	return p;
}

void *hl_calloc(size_t n, size_t sz)
{
	void *p = calloc(n ? n : 1, sz ? sz : 1);

	if (!p)
		oom(n * sz);
	return p;
}

void *hl_realloc(void *p, size_t n)
{
	void *q = realloc(p, n ? n : 1);

	if (!q)
		oom(n);
	return q;
}

char *hl_strdup(const char *s)
{
	size_t n = strlen(s) + 1;

	return memcpy(hl_malloc(n), s, n);
}

char *hl_strndup(const char *s, size_t n)
{
	/* unlike strndup, never looks past s[n - 1]: s may be a slice of a
	 * buffer with no terminator */
	char *d = hl_malloc(n + 1);

	memcpy(d, s, n);
	d[n] = 0;
	return d;
}

static chunk *chunk_new(size_t cap)
{
	chunk *c;

	if (cap > SIZE_MAX - sizeof(chunk))
		oom(cap);
	c = aligned_alloc(ARENA_ALIGN, (sizeof(chunk) + cap + ARENA_ALIGN - 1) & ~(size_t)(ARENA_ALIGN - 1));
	if (!c)
		oom(cap);
	c->next = NULL;
	c->cap = cap;
	c->used = 0;
	return c;
}

hl_arena *hl_arena_new(size_t chunk_size)
{
	hl_arena *a = hl_malloc(sizeof *a);

	if (chunk_size < 256)
		chunk_size = chunk_size ? 256 : ARENA_DEFAULT_CHUNK;
	a->chunk_size = chunk_size;
	a->head = a->cur = chunk_new(chunk_size);
	a->used = 0;
	return a;
}

void hl_arena_free(hl_arena *a)
{
	chunk *c, *next;

	if (!a)
		return;
	for (c = a->head; c; c = next) {
		next = c->next;
		free(c);
	}
	free(a);
}

void hl_arena_reset(hl_arena *a)
{
	chunk *c, *next;

	for (c = a->head->next; c; c = next) {
		next = c->next;
		free(c);
	}
	a->head->next = NULL;
	a->head->used = 0;
	a->cur = a->head;
	a->used = 0;
}

void *hl_arena_alloc(hl_arena *a, size_t n)
{
	size_t rounded;
	chunk *c;
	void *p;

	if (n > SIZE_MAX - ARENA_ALIGN)
		oom(n);
	rounded = (n + ARENA_ALIGN - 1) & ~(size_t)(ARENA_ALIGN - 1);
	c = a->cur;
	if (c->cap - c->used < rounded) {
		/*
		 * A large allocation gets a chunk of its own, linked behind the
		 * head without becoming current, so the space left in the
		 * current chunk is still used by the small allocations after it.
		 */
		if (rounded > a->chunk_size / 4) {
			c = chunk_new(rounded);
			c->next = a->head->next;
			a->head->next = c;
			c->used = rounded;
			a->used += rounded;
			return c->data;
		}
		c = chunk_new(a->chunk_size);
		c->next = a->head->next;
		a->head->next = c;
		a->cur = c;
	}
	p = c->data + c->used;
	c->used += rounded;
	a->used += rounded;
	return p;
}

void *hl_arena_zalloc(hl_arena *a, size_t n)
{
	return memset(hl_arena_alloc(a, n), 0, n);
}

void *hl_arena_memdup(hl_arena *a, const void *p, size_t n)
{
	void *q = hl_arena_alloc(a, n);

	if (n)
		memcpy(q, p, n);
	return q;
}

char *hl_arena_strdup(hl_arena *a, const char *s)
{
	return hl_arena_memdup(a, s, strlen(s) + 1);
}

char *hl_arena_strndup(hl_arena *a, const char *s, size_t n)
{
	size_t len = strnlen(s, n);
	char *q = hl_arena_alloc(a, len + 1);

	memcpy(q, s, len);
	q[len] = '\0';
	return q;
}

char *hl_arena_printf(hl_arena *a, const char *fmt, ...)
{
	va_list ap;
	int n;
	char *s;

	va_start(ap, fmt);
	n = vsnprintf(NULL, 0, fmt, ap);
	va_end(ap);
	if (n < 0)
		n = 0;
	s = hl_arena_alloc(a, (size_t)n + 1);
	s[0] = '\0';
	va_start(ap, fmt);
	vsnprintf(s, (size_t)n + 1, fmt, ap);
	va_end(ap);
	return s;
}

size_t hl_arena_used(const hl_arena *a)
{
	return a->used;
}
