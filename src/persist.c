/*
 * persist.c: the APP_COOKIE table. A direct-mapped table of 64-bit words
 * (40 bits of the cookie hash, 24 bits of member sid): a newer cookie that
 * lands on the same slot replaces the older one, so memory stays fixed.
 */
#include "config.h"

#include <stdatomic.h>
#include <stdint.h>
#include <string.h>

#include "lbproxy/member.h"
#include "lbproxy/persist.h"
#include "lbproxy/snapshot.h"

#define SLOTS		(1u << 16)
#define SID_BITS	24
#define SID_MASK	((1ull << SID_BITS) - 1)

static _Atomic uint64_t table[SLOTS];

void
lb_app_cookie_learn(struct lb_snapshot *s, const char *val, size_t len, struct lb_member *m)
{
	uint64_t h = lb_hash64(val, len, 0x61707063ULL);

	if (m == NULL || len == 0)
		return;
	atomic_store_explicit(&table[h % SLOTS], (h & ~SID_MASK) | ((uint64_t)m->sid & SID_MASK),
	    memory_order_relaxed);
}

struct lb_member *
lb_app_cookie_lookup(struct lb_snapshot *s, const char *val, size_t len)
{
	uint64_t h = lb_hash64(val, len, 0x61707063ULL);
	uint64_t e = atomic_load_explicit(&table[h % SLOTS], memory_order_relaxed);
	size_t i;

	if (e == 0 || (e & ~SID_MASK) != (h & ~SID_MASK))
		return NULL;
	for (i = 0; i < s->n; i++)
		if ((uint64_t)s->members[i]->sid == (e & SID_MASK))
			return lb_snapshot_find(s, s->members[i]->id, strlen(s->members[i]->id));
	return NULL;
}
