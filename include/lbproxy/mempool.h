/*
 * mempool.h: per-thread caches of memory blocks behind libevent's allocator.
 *
 * libevent allocates an evbuffer chain (a power of two from 1 KiB) for
 * every read into an empty buffer and every head written, and frees it as
 * soon as it is drained: several malloc/free pairs per proxied request.
 * With lb_mempool_install() those sizes come from a small per-thread
 * freelist instead (no lock, no search), like HAProxy's pools; everything
 * else goes to malloc unchanged.
 */
#ifndef LB_MEMPOOL_H
#define LB_MEMPOOL_H

#include <stddef.h>

/*
 * Route libevent's allocations through the pools. Must be called before
 * any other libevent function; not done under AddressSanitizer, which
 * should see every allocation.
 */
void lb_mempool_install(void);
/* Give the calling thread's cached blocks back to malloc (at thread exit). */
void lb_mempool_thread_free(void);
/* The allocator itself (what libevent calls; exposed for the unit test). */
void *lb_mempool_malloc(size_t n);
void *lb_mempool_realloc(void *p, size_t n);
void lb_mempool_free(void *p);
/* Blocks of n bytes this thread keeps for reuse (0 for sizes not pooled). */
unsigned lb_mempool_cached(size_t n);

#endif
