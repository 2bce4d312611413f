/*
 * persist.c: the persistence tables, APP_COOKIE and SOURCE_IP. Each is a
 * direct-mapped table of 64-bit words (40 bits of the key's hash, 24 bits of
 * member sid): a newer key that lands on the same slot replaces the older
 * one, so memory stays fixed and no lock is shared between workers.
 */
#include "config.h"

#include <stdatomic.h>
#include <stdint.h>
#include <string.h>

#include "lbproxy/config.h"
#include "lbproxy/member.h"
#include "lbproxy/persist.h"
#include "lbproxy/snapshot.h"

#define SLOTS		(1u << 16)
#define SID_BITS	24
#define SID_MASK	((1ull << SID_BITS) - 1)

/*
 * SOURCE_IP entries not used for this long are forgotten (the hash decides
 * again), unless the pool's persistence_timeout says otherwise.
 */
#define SRC_EXPIRY_S	1800

static _Atomic uint64_t table[SLOTS];
static _Atomic uint64_t src_table[SLOTS];
static _Atomic uint32_t src_seen[SLOTS];	/* coarse seconds of the last use */

/* Member of s with stable id sid that may take persistent traffic, or NULL. */
static struct lb_member *
by_sid(const struct lb_snap_pool *s, uint64_t sid)
{
	size_t i;

	for (i = 0; i < s->n; i++)
		if ((uint64_t)s->members[i]->sid == sid)
			return lb_snapshot_persist_ok(s, s->members[i]);
	return NULL;
}

static uint32_t
now_s(void)
{
	return (uint32_t)(lb_now_ms() / 1000);
}

/* The table key of a client in pool s: two pools never share an entry. */
static uint64_t
src_key(const struct lb_snap_pool *s, uint64_t client_hash)
{
	return (client_hash ^ s->id_hash) | 1;	/* 0 marks an empty slot */
}

void
lb_src_learn(const struct lb_snap_pool *s, uint64_t client_hash, const struct lb_member *m)
{
	uint64_t h = src_key(s, client_hash);
	uint64_t e = (h & ~SID_MASK) | ((uint64_t)m->sid & SID_MASK);
	size_t i = h % SLOTS;

	if (atomic_load_explicit(&src_table[i], memory_order_relaxed) != e)
		atomic_store_explicit(&src_table[i], e, memory_order_relaxed);
	atomic_store_explicit(&src_seen[i], now_s(), memory_order_relaxed);
}

struct lb_member *
lb_src_lookup(const struct lb_snap_pool *s, uint64_t client_hash)
{
	uint64_t h = src_key(s, client_hash);
	size_t i = h % SLOTS;
	uint64_t e = atomic_load_explicit(&src_table[i], memory_order_relaxed);
	uint32_t expiry = s->conf->persist.timeout_s > 0 ?
	    (uint32_t)s->conf->persist.timeout_s : SRC_EXPIRY_S;

	if (e == 0 || (e & ~SID_MASK) != (h & ~SID_MASK) ||
	    now_s() - atomic_load_explicit(&src_seen[i], memory_order_relaxed) > expiry)
		return NULL;
	return by_sid(s, e & SID_MASK);
}

void
lb_app_cookie_learn(const struct lb_snap_pool *s, const char *val, size_t len, struct lb_member *m)
{
	uint64_t h = lb_hash64(val, len, 0x61707063ULL);

	if (m == NULL || len == 0)
		return;
	atomic_store_explicit(&table[h % SLOTS], (h & ~SID_MASK) | ((uint64_t)m->sid & SID_MASK),
	    memory_order_relaxed);
}

struct lb_member *
lb_app_cookie_lookup(const struct lb_snap_pool *s, const char *val, size_t len)
{
	uint64_t h = lb_hash64(val, len, 0x61707063ULL);
	uint64_t e = atomic_load_explicit(&table[h % SLOTS], memory_order_relaxed);

	if (e == 0 || (e & ~SID_MASK) != (h & ~SID_MASK))
		return NULL;
	return by_sid(s, e & SID_MASK);
}
