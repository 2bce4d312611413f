/* test_mempool.c: the per-thread block caches behind libevent's allocator. */
#include "config.h"

#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>
#include <event2/buffer.h>
#include <event2/event.h>

#include "lbproxy/mempool.h"

/* A freed chain-sized block is the next one handed out: no malloc per request. */
static void
test_class_reuse(void **state)
{
	static const size_t sizes[] = { 1024, 2048, 4096, 8192, 16384, 32768, 65536, 131072 };
	size_t i;
	void *a, *b;

	for (i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++) {
		a = lb_mempool_malloc(sizes[i]);
		assert_non_null(a);
		memset(a, 0xab, sizes[i]);	/* the whole size is usable */
		lb_mempool_free(a);
		b = lb_mempool_malloc(sizes[i]);
		assert_ptr_equal(a, b);
		lb_mempool_free(b);
	}
	/* other sizes are not pooled, and stay usable */
	a = lb_mempool_malloc(100);
	assert_non_null(a);
	memset(a, 1, 100);
	lb_mempool_free(a);
	lb_mempool_free(NULL);
	lb_mempool_thread_free();
}

/* Realloc keeps the contents whichever way it crosses the classes. */
static void
test_realloc_contents(void **state)
{
	unsigned char *p = lb_mempool_realloc(NULL, 300);
	size_t i;

	assert_non_null(p);
	for (i = 0; i < 300; i++)
		p[i] = (unsigned char)i;
	p = lb_mempool_realloc(p, 4096);	/* plain -> pooled */
	assert_non_null(p);
	for (i = 0; i < 300; i++)
		assert_int_equal(p[i], (unsigned char)i);
	p = lb_mempool_realloc(p, 200);		/* pooled -> plain, shorter */
	assert_non_null(p);
	for (i = 0; i < 200; i++)
		assert_int_equal(p[i], (unsigned char)i);
	p = lb_mempool_realloc(p, 5000);	/* plain -> plain */
	assert_non_null(p);
	for (i = 0; i < 200; i++)
		assert_int_equal(p[i], (unsigned char)i);
	lb_mempool_free(p);
	lb_mempool_thread_free();
}

/* The cache is bounded: many frees of one class do not keep every block. */
static void
test_bounded(void **state)
{
	void *v[600];
	size_t i;

	for (i = 0; i < 600; i++)
		assert_non_null(v[i] = lb_mempool_malloc(1024));
	for (i = 0; i < 600; i++)
		lb_mempool_free(v[i]);
	/* 128 KiB worth (and two) are kept, the rest went back to malloc */
	assert_int_equal(lb_mempool_cached(1024), 130);
	assert_int_equal(lb_mempool_cached(1000), 0);
	lb_mempool_thread_free();
	assert_int_equal(lb_mempool_cached(1024), 0);
}

struct handover {
	void		*block;		/* taken by the main thread */
	unsigned	 cached;	/* 8 KiB blocks the other thread then kept */
};

static void *
thread_main(void *arg)
{
	struct handover *ho = arg;
	void *p = lb_mempool_malloc(8192);

	lb_mempool_free(ho->block);	/* a block from another thread joins this cache */
	lb_mempool_free(p);
	ho->cached = lb_mempool_cached(8192);
	lb_mempool_thread_free();
	return NULL;
}

/* Blocks may be freed by another thread than the one that took them. */
static void
test_threads(void **state)
{
	struct handover ho = { lb_mempool_malloc(8192), 0 };
	pthread_t t;

	assert_non_null(ho.block);
	assert_int_equal(pthread_create(&t, NULL, thread_main, &ho), 0);
	assert_int_equal(pthread_join(t, NULL), 0);
	assert_int_equal(ho.cached, 2);
	/* this thread's cache was not touched */
	assert_int_equal(lb_mempool_cached(8192), 0);
}

/* libevent through the pools: buffers fill, move and drain intact. */
static void
test_libevent(void **state)
{
	struct evbuffer *a = evbuffer_new(), *b = evbuffer_new();
	static unsigned char data[200000], out[200000];
	size_t i;

	for (i = 0; i < sizeof(data); i++)
		data[i] = (unsigned char)(i * 7);
	for (i = 0; i < 20; i++) {
		assert_int_equal(evbuffer_add(a, data, sizeof(data)), 0);
		assert_int_equal(evbuffer_add_buffer(b, a), 0);
		assert_int_equal(evbuffer_remove(b, out, sizeof(out)), (int)sizeof(out));
		assert_memory_equal(out, data, sizeof(data));
		assert_int_equal(evbuffer_get_length(b), 0);
	}
	evbuffer_free(a);
	evbuffer_free(b);
	lb_mempool_thread_free();
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_class_reuse),
		cmocka_unit_test(test_realloc_contents),
		cmocka_unit_test(test_bounded),
		cmocka_unit_test(test_threads),
		cmocka_unit_test(test_libevent),
	};

	/* as lbproxy does, before any other libevent call */
	lb_mempool_install();
	return cmocka_run_group_tests(tests, NULL, NULL);
}
