/*
 * idle.c: a worker's idle HTTP member connections, kept for later requests
 * (HAProxy's idle server connections, nginx's upstream keepalive). Owned by
 * the worker and used only by its thread: no lock. Indexed by member sid,
 * so taking one is no search; each connection carries the tag its caller
 * gave (the SNI a TLS connection was verified for), and only a request
 * with the same tag gets it back.
 */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "lbproxy/conn.h"
#include "lbproxy/member.h"
#include "lbproxy/util.h"
#include "session_int.h"

/* Idle member connections one worker keeps, in total and per member. */
#define IDLE_MAX_TOTAL		1024
#define IDLE_MAX_MEMBER		128
#define IDLE_TIMEOUT_MS		15000

struct idle_conn {
	struct lb_conn		*c;
	uint64_t		 tag;
};

/* Idle connections to one member, most recently used last (a stack). */
struct idle_slot {
	struct lb_member	*m;		/* referenced while the slot holds connections */
	struct idle_conn	*v;
	unsigned		 n;
	unsigned		 cap;
};

struct lb_idle_pool {
	struct idle_slot	*slots;
	size_t			 nslots;
	unsigned		 total;
};

/* Take entry i out of sl (order kept: the stack stays most recent last). */
static struct lb_conn *
slot_take(struct lb_idle_pool *p, struct idle_slot *sl, unsigned i)
{
	struct lb_conn *c = sl->v[i].c;

	memmove(&sl->v[i], &sl->v[i + 1], (sl->n - i - 1) * sizeof(*sl->v));
	sl->n--;
	p->total--;
	if (sl->n == 0) {
		lb_member_unref(sl->m);
		sl->m = NULL;
	}
	return c;
}

/* An idle member connection said something (EOF, error, stray bytes) or timed out: drop it. */
static void
idle_event_cb(struct lb_conn *c, short what, void *arg)
{
	struct lb_idle_pool *p = ((struct lb_worker *)arg)->idle;
	size_t k;
	unsigned i;

	(void)what;
	for (k = 0; k < p->nslots; k++)
		for (i = 0; i < p->slots[k].n; i++)
			if (p->slots[k].v[i].c == c) {
				lb_conn_free(slot_take(p, &p->slots[k], i));
				return;
			}
}

static void
idle_read_cb(struct lb_conn *c, void *arg)
{
	idle_event_cb(c, LB_CONN_ERROR, arg);
}

int
lb_idle_put(struct lb_worker *w, struct lb_member *m, uint64_t tag, struct lb_conn *c)
{
	struct lb_idle_pool *p;
	struct idle_slot *sl;
	size_t sid = (size_t)m->sid;

	if (w->idle == NULL)
		w->idle = lb_xcalloc(1, sizeof(*w->idle));
	p = w->idle;
	if (sid >= p->nslots) {
		p->slots = lb_xrealloc(p->slots, (sid + 1) * sizeof(*p->slots));
		memset(p->slots + p->nslots, 0, (sid + 1 - p->nslots) * sizeof(*p->slots));
		p->nslots = sid + 1;
	}
	sl = &p->slots[sid];
	if (sl->n >= IDLE_MAX_MEMBER || p->total >= IDLE_MAX_TOTAL)
		return -1;
	if (sl->n == sl->cap) {
		sl->cap = sl->cap ? sl->cap * 2 : 8;
		sl->v = lb_xrealloc(sl->v, sl->cap * sizeof(*sl->v));
	}
	if (sl->n == 0) {
		lb_member_ref(m);
		sl->m = m;
	}
	sl->v[sl->n].c = c;
	sl->v[sl->n++].tag = tag;
	p->total++;
	lb_conn_setcb(c, idle_read_cb, NULL, idle_event_cb, w);
	lb_conn_set_timeouts(c, IDLE_TIMEOUT_MS, 0);
	lb_conn_read_start(c);
	return 0;
}

struct lb_conn *
lb_idle_get(struct lb_worker *w, const struct lb_member *m, uint64_t tag)
{
	struct lb_idle_pool *p = w->idle;
	struct idle_slot *sl;
	unsigned i;

	if (p == NULL || (size_t)m->sid >= p->nslots)
		return NULL;
	sl = &p->slots[m->sid];
	if (sl->n == 0 || sl->m != m)
		return NULL;
	for (i = sl->n; i-- > 0;)
		if (sl->v[i].tag == tag)
			return slot_take(p, sl, i);
	return NULL;
}

void
lb_idle_pool_free(struct lb_idle_pool *p)
{
	size_t k;

	if (p == NULL)
		return;
	for (k = 0; k < p->nslots; k++) {
		while (p->slots[k].n > 0)
			lb_conn_free(slot_take(p, &p->slots[k], p->slots[k].n - 1));
		free(p->slots[k].v);
	}
	free(p->slots);
	free(p);
}
