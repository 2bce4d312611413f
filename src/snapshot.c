/* snapshot.c: a loaded configuration with its runtime objects, and member selection over it. */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "lbproxy/balance.h"
#include "lbproxy/config.h"
#include "lbproxy/frontend.h"
#include "lbproxy/l7.h"
#include "lbproxy/listener.h"
#include "lbproxy/member.h"
#include "lbproxy/snapshot.h"

struct lb_snapshot *
lb_snapshot_new(struct lb_config *conf, uint64_t gen)
{
	struct lb_snapshot *s = lb_xcalloc(1, sizeof(*s));
	size_t i;

	atomic_init(&s->refcnt, 1);
	s->gen = gen;
	s->conf = conf;
	s->pools = lb_xcalloc(conf->n_pools > 0 ? conf->n_pools : 1, sizeof(*s->pools));
	s->n_pools = conf->n_pools;
	for (i = 0; i < conf->n_pools; i++) {
		s->pools[i].conf = &conf->pools[i];
		s->pools[i].idx = i;
		s->pools[i].id_hash = lb_hash64(conf->pools[i].id, strlen(conf->pools[i].id), 0);
		atomic_init(&s->pools[i].rr_cursor, 0);
	}
	s->listeners = lb_xcalloc(conf->n_listeners > 0 ? conf->n_listeners : 1,
	    sizeof(*s->listeners));
	s->n_listeners = conf->n_listeners;
	for (i = 0; i < conf->n_listeners; i++) {
		s->listeners[i].conf = &conf->listeners[i];
		s->listeners[i].idx = i;
		if (conf->listeners[i].default_pool >= 0)
			s->listeners[i].pool = &s->pools[conf->listeners[i].default_pool];
	}
	s->limits.max_uri_bytes = (size_t)conf->max_uri_bytes;
	s->limits.max_body_bytes = (uint64_t)conf->max_body_bytes;
	s->limits.max_header_bytes = (size_t)conf->max_header_bytes;
	s->limits.max_header_lines = (size_t)conf->max_header_lines;
	s->limits_trusted = s->limits;
	s->limits_trusted.trusted = true;
	return s;
}

void
lb_snapshot_ref(struct lb_snapshot *s)
{
	atomic_fetch_add_explicit(&s->refcnt, 1, memory_order_relaxed);
}

void
lb_snapshot_unref(struct lb_snapshot *s)
{
	struct lb_snap_listener *sl;
	size_t i, j;

	if (s == NULL || atomic_fetch_sub_explicit(&s->refcnt, 1, memory_order_acq_rel) != 1)
		return;
	for (i = 0; i < s->n_pools; i++) {
		for (j = 0; j < s->pools[i].n; j++)
			lb_member_unref(s->pools[i].members[j]);
		free(s->pools[i].members);
		if (s->pools[i].tls != NULL)
			SSL_CTX_free(s->pools[i].tls);
		lb_backend_unref(s->pools[i].be);
	}
	free(s->pools);
	for (i = 0; i < s->n_listeners; i++) {
		sl = &s->listeners[i];
		for (j = 0; j < sl->n_socks; j++)
			lb_listener_unref(sl->socks[j]);
		free(sl->socks);
		if (sl->tls != NULL)
			SSL_CTX_free(sl->tls);
		lb_l7_free(sl->l7);
		lb_frontend_unref(sl->fe);
	}
	free(s->listeners);
	lb_config_free(s->conf);
	free(s);
}

void
lb_pick_fini(struct lb_pick *p)
{
	free(p->wrr);
	free(p->weight);
	free(p->active);
	free(p->keys);
	free(p->cyc);
	free(p->cyc_w);
	memset(p, 0, sizeof(*p));
}

/* Size the per-worker scratch for s; WRR state restarts on a new snapshot. */
static void
pick_prepare(struct lb_pick *p, const struct lb_snapshot *snap, const struct lb_snap_pool *s)
{
	size_t i;

	if (p->gen == snap->gen && p->n == s->n && p->wrr != NULL)
		return;
	lb_pick_fini(p);
	p->gen = snap->gen;
	p->n = s->n;
	p->wrr = lb_xcalloc(s->n, sizeof(*p->wrr));
	p->weight = lb_xcalloc(s->n, sizeof(*p->weight));
	p->active = lb_xcalloc(s->n, sizeof(*p->active));
	p->keys = lb_xcalloc(s->n, sizeof(*p->keys));
	p->cyc_w = lb_xcalloc(s->n, sizeof(*p->cyc_w));
	for (i = 0; i < s->n; i++)
		p->keys[i] = s->members[i]->hkey;
}

static bool
was_tried(const struct lb_member *m, struct lb_member *const *tried, size_t ntried)
{
	size_t i;

	for (i = 0; i < ntried; i++)
		if (tried[i] == m)
			return true;
	return false;
}

enum tier {
	TIER_HEALTHY,	/* UP or no check, no recent connect failures */
	TIER_UNSURE,	/* also members being checked or avoided after failures */
	TIER_PANIC,	/* fail_open: also DOWN members */
};

/* Fill p->weight for one tier; returns how many members are eligible. */
static size_t
fill_tier(struct lb_snap_pool *s, struct lb_pick *p, enum tier t, bool backup,
    uint64_t now, struct lb_member *const *tried, size_t ntried)
{
	size_t i, n = 0;

	for (i = 0; i < s->n; i++) {
		struct lb_member *m = s->members[i];
		int h = atomic_load_explicit(&m->health, memory_order_relaxed);
		bool ok;

		p->weight[i] = 0;
		if (m->backup != backup || !lb_member_usable(m) || was_tried(m, tried, ntried))
			continue;
		switch (t) {
		case TIER_HEALTHY:
			ok = (h == LB_HEALTH_UP || h == LB_HEALTH_NOCHECK) &&
			    atomic_load_explicit(&m->avoid_until_ms, memory_order_relaxed) <= now;
			break;
		case TIER_UNSURE:
			ok = h != LB_HEALTH_DOWN;
			break;
		default:
			ok = true;
			break;
		}
		if (ok) {
			p->weight[i] = atomic_load_explicit(&m->weight, memory_order_relaxed);
			n++;
		}
	}
	return n;
}

/* Rebuild this worker's smooth WRR cycle (sum of weights long) for p->weight. */
static void
build_cycle(struct lb_pick *p)
{
	int *cur;
	size_t i, total = 0;

	for (i = 0; i < p->n; i++)
		total += (size_t)p->weight[i];
	memcpy(p->cyc_w, p->weight, p->n * sizeof(*p->weight));
	free(p->cyc);
	p->cyc = lb_xcalloc(total, sizeof(*p->cyc));
	cur = lb_xcalloc(p->n, sizeof(*cur));
	for (i = 0; i < total; i++)
		p->cyc[i] = lb_balance_wrr(cur, p->weight, p->n);
	p->cyc_len = total;
	free(cur);
}

/*
 * Round robin over all workers: every worker holds the same smooth WRR cycle
 * for the same eligible weights, and one shared atomic cursor walks it, so
 * the proportions are exact process-wide without a lock. A retry (members
 * excluded) uses the worker's own smooth WRR state instead.
 */
static int
round_robin(struct lb_snap_pool *s, struct lb_pick *p, bool retry)
{
	uint64_t t;

	if (retry)
		return lb_balance_wrr(p->wrr, p->weight, s->n);
	if (p->cyc == NULL || memcmp(p->cyc_w, p->weight, s->n * sizeof(*p->weight)) != 0)
		build_cycle(p);
	if (p->cyc_len == 0)
		return -1;
	t = atomic_fetch_add_explicit(&s->rr_cursor, 1, memory_order_relaxed);
	return p->cyc[t % p->cyc_len];
}

/* Fill p->weight with the first tier that has an eligible member; returns how many. */
static size_t
fill(const struct lb_snapshot *snap, struct lb_snap_pool *s, struct lb_pick *p, bool backup,
    uint64_t now, struct lb_member *const *tried, size_t ntried)
{
	size_t n;

	if ((n = fill_tier(s, p, TIER_HEALTHY, backup, now, tried, ntried)) == 0 &&
	    (n = fill_tier(s, p, TIER_UNSURE, backup, now, tried, ntried)) == 0 &&
	    snap->conf->health_fail_open)
		n = fill_tier(s, p, TIER_PANIC, backup, now, tried, ntried);
	return n;
}

struct lb_member *
lb_snapshot_pick(const struct lb_snapshot *snap, struct lb_snap_pool *s, struct lb_pick *p,
    uint64_t client_hash, const struct sockaddr *peer, struct lb_member *const *tried,
    size_t ntried)
{
	const struct lb_pool_conf *c = s->conf;
	uint64_t now = lb_now_ms();
	size_t i;
	int idx;

	if (!c->admin_state_up || s->n == 0)
		return NULL;
	pick_prepare(p, snap, s);
	/* backup members only while no other member is eligible (HAProxy's "backup") */
	if (fill(snap, s, p, false, now, tried, ntried) == 0 &&
	    (!s->has_backup || fill(snap, s, p, true, now, tried, ntried) == 0))
		return NULL;
	/* SOURCE_IP persistence keeps the address alone, whatever the method */
	if (c->method == LB_METHOD_SOURCE_IP || c->persist.type == LB_PERSIST_SOURCE_IP)
		idx = lb_balance_hash(p->keys, p->weight, s->n, client_hash);
	else if (c->method == LB_METHOD_SOURCE_IP_PORT)
		idx = lb_balance_hash(p->keys, p->weight, s->n,
		    lb_balance_flow_hash(client_hash, peer));
	else if (c->method == LB_METHOD_LEAST_CONNECTIONS) {
		for (i = 0; i < s->n; i++)
			p->active[i] = atomic_load_explicit(&s->members[i]->active, memory_order_relaxed);
		idx = lb_balance_leastconn(p->weight, p->active, s->n, &p->rr);
	} else
		idx = round_robin(s, p, ntried > 0);
	return idx < 0 ? NULL : s->members[idx];
}

struct lb_member *
lb_snapshot_persist_ok(const struct lb_snap_pool *s, struct lb_member *m)
{
	/* weight 0 (drain) still takes its persistent clients */
	if (!s->conf->admin_state_up || !atomic_load(&m->admin_up) ||
	    atomic_load(&m->cli_disabled) || atomic_load(&m->health) == LB_HEALTH_DOWN)
		return NULL;
	return m;
}

struct lb_member *
lb_snapshot_find(const struct lb_snap_pool *s, const char *id, size_t len)
{
	size_t i;

	for (i = 0; i < s->n; i++) {
		struct lb_member *m = s->members[i];

		if (strlen(m->id) == len && memcmp(m->id, id, len) == 0)
			return lb_snapshot_persist_ok(s, m);
	}
	return NULL;
}
