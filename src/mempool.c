/*
 * mempool.c: per-thread block caches behind libevent's allocator (see
 * mempool.h). Every block carries a 16-byte header with its size class, so
 * that free and realloc know where it came from; sizes that are not a class
 * (events, evbuffers, arrays) are plain malloc with the same header.
 */
#include "config.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <event2/event.h>

#include "lbproxy/mempool.h"

#define MP_MIN_SHIFT	10			/* 1 KiB: libevent's smallest chain */
#define MP_CLASSES	8			/* 1 KiB .. 128 KiB */
#define MP_KEEP_BYTES	(128u * 1024)		/* cached per class and thread */
#define MP_NONE		0xffffu

#if defined(__SANITIZE_ADDRESS__)
#define MP_SANITIZER	1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define MP_SANITIZER	1
#endif
#endif

struct mp_hdr {
	size_t		size;		/* bytes asked for (the class size for pooled blocks) */
	uint32_t	cls;		/* size class, or MP_NONE */
	uint32_t	pad;
};

struct mp_free {
	struct mp_free	*next;
};

static __thread struct mp_free	*mp_cache[MP_CLASSES];
static __thread unsigned	 mp_count[MP_CLASSES];

/* The class of exactly n bytes, or MP_NONE: only libevent's chain sizes are pooled. */
static unsigned
size_class(size_t n)
{
	unsigned c;

	if (n < ((size_t)1 << MP_MIN_SHIFT) || (n & (n - 1)) != 0)
		return MP_NONE;
	c = (unsigned)__builtin_ctzl(n) - MP_MIN_SHIFT;
	return c < MP_CLASSES ? c : MP_NONE;
}

void *
lb_mempool_malloc(size_t n)
{
	unsigned c = size_class(n);
	struct mp_hdr *h;

	if (c != MP_NONE && mp_cache[c] != NULL) {
		h = (struct mp_hdr *)mp_cache[c];
		mp_cache[c] = mp_cache[c]->next;
		mp_count[c]--;
	} else if ((h = malloc(sizeof(*h) + n)) == NULL)
		return NULL;
	h->size = n;
	h->cls = c;
	return h + 1;
}

void
lb_mempool_free(void *p)
{
	struct mp_hdr *h;
	unsigned c;

	if (p == NULL)
		return;
	h = (struct mp_hdr *)p - 1;
	c = h->cls;
	if (c != MP_NONE && mp_count[c] < (MP_KEEP_BYTES >> (MP_MIN_SHIFT + c)) + 2) {
		((struct mp_free *)h)->next = mp_cache[c];
		mp_cache[c] = (struct mp_free *)h;
		mp_count[c]++;
		return;
	}
	free(h);
}

void *
lb_mempool_realloc(void *p, size_t n)
{
	struct mp_hdr *h;
	void *q;

	if (p == NULL)
		return lb_mempool_malloc(n);
	h = (struct mp_hdr *)p - 1;
	if (h->cls == MP_NONE && size_class(n) == MP_NONE) {
		if ((h = realloc(h, sizeof(*h) + n)) == NULL)
			return NULL;
		h->size = n;
		return h + 1;
	}
	if ((q = lb_mempool_malloc(n)) == NULL)
		return NULL;
	memcpy(q, p, h->size < n ? h->size : n);
	lb_mempool_free(p);
	return q;
}

void
lb_mempool_install(void)
{
#ifndef MP_SANITIZER
	event_set_mem_functions(lb_mempool_malloc, lb_mempool_realloc, lb_mempool_free);
#endif
}

unsigned
lb_mempool_cached(size_t n)
{
	unsigned c = size_class(n);

	return c != MP_NONE ? mp_count[c] : 0;
}

void
lb_mempool_thread_free(void)
{
	struct mp_free *f;
	unsigned c;

	for (c = 0; c < MP_CLASSES; c++) {
		while ((f = mp_cache[c]) != NULL) {
			mp_cache[c] = f->next;
			free(f);
		}
		mp_count[c] = 0;
	}
}
