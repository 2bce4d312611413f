/*
 * proc.c: the process's current configuration: applying a loaded config
 * (listeners, pools and members matched by id in the registries, sockets
 * kept or bound, TLS contexts rebuilt, one health checker per pool),
 * publishing it to workers, reload and stop.
 */
#include "config.h"

#include <errno.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include <event2/event.h>

#include "lbproxy/config.h"
#include "lbproxy/diag.h"
#include "lbproxy/frontend.h"
#include "lbproxy/health.h"
#include "lbproxy/l7.h"
#include "lbproxy/listener.h"
#include "lbproxy/log.h"
#include "lbproxy/proc.h"
#include "lbproxy/snapshot.h"
#include "lbproxy/tls.h"
#include "lbproxy/tls_client.h"
#include "lbproxy/worker.h"

struct lb_proc lb_proc;

/* Listeners a reload replaced; closed once every worker has moved on. */
struct retired {
	struct lb_listener	*l;
	uint64_t		 gen;
};
static struct retired retired[64];
static size_t n_retired;
static struct event *retire_ev;

static void
retire_cb(evutil_socket_t fd, short what, void *arg)
{
	size_t i = 0;
	int w;

	while (i < n_retired) {
		for (w = 0; w < lb_proc.limits.n_workers; w++)
			if (lb_worker_generation(lb_proc.workers[w]) < retired[i].gen)
				break;
		if (w < lb_proc.limits.n_workers) {
			i++;
			continue;
		}
		/* sessions may still reference it; only the listening socket goes */
		lb_listener_close(retired[i].l);
		lb_listener_unref(retired[i].l);
		retired[i] = retired[--n_retired];
	}
	if (n_retired > 0)
		event_add(retire_ev, &(struct timeval){ 0, 20 * 1000 });
}

void
lb_proc_fini(void)
{
	size_t i;

	for (i = 0; i < n_retired; i++)
		lb_listener_unref(retired[i].l);
	n_retired = 0;
	if (retire_ev != NULL)
		event_free(retire_ev);
	retire_ev = NULL;
	for (i = 0; i < lb_proc.n_health; i++) {
		lb_health_free(lb_proc.health[i].h);
		free(lb_proc.health[i].pool_id);
	}
	free(lb_proc.health);
	lb_proc.health = NULL;
	lb_proc.n_health = 0;
}

void
lb_proc_registry_free(void)
{
	size_t i;

	for (i = 0; i < lb_proc.n_members; i++)
		lb_member_unref(lb_proc.members[i]);
	free(lb_proc.members);
	for (i = 0; i < lb_proc.n_frontends; i++)
		lb_frontend_unref(lb_proc.frontends[i]);
	free(lb_proc.frontends);
	for (i = 0; i < lb_proc.n_backends; i++)
		lb_backend_unref(lb_proc.backends[i]);
	free(lb_proc.backends);
	lb_proc.members = NULL;
	lb_proc.frontends = NULL;
	lb_proc.backends = NULL;
	lb_proc.n_members = lb_proc.n_frontends = lb_proc.n_backends = 0;
}

/* Stop listening on l once no worker watches it (gen = first generation without it). */
static void
retire_listener(struct lb_listener *l, uint64_t gen)
{
	if (l == NULL)
		return;
	if (n_retired == LB_ARRAY_SIZE(retired) || lb_proc.base == NULL) {
		lb_warn("listener %s: too many retired listeners, kept open", l->name);
		return;
	}
	lb_listener_ref(l);
	retired[n_retired].l = l;
	retired[n_retired++].gen = gen;
	if (retire_ev == NULL)
		retire_ev = evtimer_new(lb_proc.base, retire_cb, NULL);
	event_add(retire_ev, &(struct timeval){ 0, 20 * 1000 });
}

/*
 * The registry's members by (pool id, member id) for one apply: open
 * addressing over indexes into lb_proc.members (0 = empty, else index + 1),
 * so matching a file of N members costs O(N), not O(N^2). New members are
 * not entered: ids are unique within a pool, so none is looked up twice.
 */
static size_t	*member_slots;
static size_t	 member_mask;

static uint64_t
member_key(const char *pool_id, const char *id)
{
	return lb_hash64(id, strlen(id), lb_hash64(pool_id, strlen(pool_id), 0));
}

/* Index the registry and make room for n_new more members. */
static void
member_index_build(size_t n_new)
{
	size_t i, j, cap = 16;

	while (cap < 2 * lb_proc.n_members)
		cap <<= 1;
	member_slots = lb_xcalloc(cap, sizeof(*member_slots));
	member_mask = cap - 1;
	for (i = 0; i < lb_proc.n_members; i++) {
		j = member_key(lb_proc.members[i]->pool_id, lb_proc.members[i]->id) & member_mask;
		while (member_slots[j] != 0)
			j = (j + 1) & member_mask;
		member_slots[j] = i + 1;
	}
	lb_proc.members = lb_xrealloc(lb_proc.members, (lb_proc.n_members + n_new + 1) *
	    sizeof(*lb_proc.members));
}

static void
member_index_free(void)
{
	free(member_slots);
	member_slots = NULL;
}

/* Registry entry for mc of pool pool_id: existing (updated) or new. Borrowed. */
static struct lb_member *
member_for(const char *pool_id, const struct lb_member_conf *mc)
{
	struct lb_member *m;
	size_t j;

	for (j = member_key(pool_id, mc->id) & member_mask; member_slots[j] != 0;
	    j = (j + 1) & member_mask) {
		m = lb_proc.members[member_slots[j] - 1];
		if (strcmp(m->id, mc->id) == 0 && strcmp(m->pool_id, pool_id) == 0) {
			lb_member_update(m, mc);
			return m;
		}
	}
	/* member_index_build made the room */
	m = lb_member_new(mc, pool_id, ++lb_proc.next_sid);
	lb_proc.members[lb_proc.n_members++] = m;
	return m;
}

/* The backend registry entry of pool id (new if unknown); a reference for the caller. */
static struct lb_backend *
backend_for(const char *id)
{
	struct lb_backend *b;
	size_t i;

	for (i = 0; i < lb_proc.n_backends; i++)
		if (strcmp(lb_proc.backends[i]->id, id) == 0) {
			b = lb_proc.backends[i];
			goto out;
		}
	b = lb_backend_new(id, ++lb_proc.next_bid);
	lb_proc.backends = lb_xrealloc(lb_proc.backends, (lb_proc.n_backends + 1) *
	    sizeof(*lb_proc.backends));
	lb_proc.backends[lb_proc.n_backends++] = b;
out:
	lb_backend_ref(b);
	return b;
}

/* The frontend registry entry of listener id (new if unknown); a reference for the caller. */
static struct lb_frontend *
frontend_for(const char *id)
{
	struct lb_frontend *f;
	size_t i;

	for (i = 0; i < lb_proc.n_frontends; i++)
		if (strcmp(lb_proc.frontends[i]->id, id) == 0) {
			f = lb_proc.frontends[i];
			goto out;
		}
	f = lb_frontend_new(id, ++lb_proc.next_fid);
	lb_proc.frontends = lb_xrealloc(lb_proc.frontends, (lb_proc.n_frontends + 1) *
	    sizeof(*lb_proc.frontends));
	lb_proc.frontends[lb_proc.n_frontends++] = f;
out:
	lb_frontend_ref(f);
	return f;
}

/*
 * Forget members, frontends and backends snap does not list and nothing uses
 * (quiet: after a refused config, whose new objects were never in force).
 */
static void
retire_objects(const struct lb_snapshot *snap, bool quiet)
{
	size_t i, j, k, n;

	for (i = 0; i < lb_proc.n_members; i++)
		lb_proc.members[i]->mark = false;
	for (j = 0; snap != NULL && j < snap->n_pools; j++)
		for (k = 0; k < snap->pools[j].n; k++)
			snap->pools[j].members[k]->mark = true;
	for (i = n = 0; i < lb_proc.n_members; i++) {
		struct lb_member *m = lb_proc.members[i];

		if (!m->mark) {
			if (atomic_exchange(&m->in_config, false) && !quiet)
				lb_notice("member %s (%s) of pool %s removed: draining", m->id,
				    m->name, m->pool_id);
			if (atomic_load(&m->refcnt) == 1) {
				/* its totals stay in its pool's, so they never go backwards */
				for (j = 0; j < lb_proc.n_backends; j++)
					if (strcmp(lb_proc.backends[j]->id, m->pool_id) == 0)
						lb_counters_fold(&lb_proc.backends[j]->c, &m->c);
				lb_member_unref(m);
				continue;
			}
		}
		lb_proc.members[n++] = m;
	}
	lb_proc.n_members = n;

	for (i = 0; i < lb_proc.n_backends; i++)
		lb_proc.backends[i]->in_config = false;
	for (j = 0; snap != NULL && j < snap->n_pools; j++)
		snap->pools[j].be->in_config = true;
	for (i = n = 0; i < lb_proc.n_backends; i++) {
		struct lb_backend *b = lb_proc.backends[i];

		if (!b->in_config && atomic_load(&b->refcnt) == 1) {
			lb_backend_unref(b);
			continue;
		}
		lb_proc.backends[n++] = b;
	}
	lb_proc.n_backends = n;

	for (i = 0; i < lb_proc.n_frontends; i++)
		lb_proc.frontends[i]->in_config = false;
	for (j = 0; snap != NULL && j < snap->n_listeners; j++)
		snap->listeners[j].fe->in_config = true;
	for (i = n = 0; i < lb_proc.n_frontends; i++) {
		struct lb_frontend *f = lb_proc.frontends[i];

		if (!f->in_config && atomic_load(&f->refcnt) == 1) {
			/* show info's totals stay process-wide */
			lb_counters_fold(&lb_proc.fe_gone, &f->c);
			lb_frontend_unref(f);
			continue;
		}
		lb_proc.frontends[n++] = f;
	}
	lb_proc.n_frontends = n;
}

/* A listening socket of the current snapshot bound to a, or NULL (borrowed). */
static struct lb_listener *
socket_kept(const struct lb_addr *a)
{
	const struct lb_snapshot *cur = lb_proc.snap;
	size_t i, j;

	for (i = 0; cur != NULL && i < cur->n_listeners; i++)
		for (j = 0; j < cur->listeners[i].n_socks; j++) {
			struct lb_listener *l = cur->listeners[i].socks[j];

			if (l->addrlen == a->len && memcmp(&l->addr, &a->ss, a->len) == 0)
				return l;
		}
	return NULL;
}

/* The sockets of listener sl: kept from the current snapshot when bound alike, else new. */
static int
listener_sockets(struct lb_snap_listener *sl, bool lb_up, struct lb_diag *diag)
{
	const struct lb_listener_conf *lc = sl->conf;
	struct lb_listener *l;
	char buf[LB_ADDRSTRLEN];
	size_t i;

	if (!lc->admin_state_up || !lb_up || lc->protocol == LB_PROTO_PROMETHEUS)
		return 0;
	sl->socks = lb_xcalloc(lc->n_addrs, sizeof(*sl->socks));
	for (i = 0; i < lc->n_addrs; i++) {
		if ((l = socket_kept(&lc->addrs[i])) != NULL)
			lb_listener_ref(l);
		else if ((l = lb_listener_open((const struct sockaddr *)&lc->addrs[i].ss,
		    lc->addrs[i].len, 4096, lb_proc.takeover_fds,
		    lb_proc.n_takeover_fds)) == NULL) {
			lb_diag_err(diag, "%s%s: cannot listen on %s: %s", lc->path,
			    strcmp(lc->path, "vip") == 0 ? ".address" : "",
			    lb_addr_fmt((const struct sockaddr *)&lc->addrs[i].ss, buf,
			    sizeof(buf)), strerror(errno));
			return -1;
		}
		sl->socks[sl->n_socks++] = l;
	}
	return 0;
}

/* The TLS context of listener sl when it terminates TLS; tickets of the same listener still resume. */
static int
listener_tls(struct lb_snap_listener *sl, struct lb_diag *diag)
{
	const struct lb_snapshot *cur = lb_proc.snap;
	size_t i;

	if (sl->conf->tls_mode != LB_TLS_TERMINATE)
		return 0;
	if ((sl->tls = lb_tls_listener_new(&sl->conf->tls, sl->conf->path, diag)) == NULL)
		return -1;
	for (i = 0; cur != NULL && i < cur->n_listeners; i++)
		if (cur->listeners[i].tls != NULL &&
		    strcmp(cur->listeners[i].conf->id, sl->conf->id) == 0)
			lb_tls_keep_tickets(sl->tls, cur->listeners[i].tls);
	return 0;
}

/* The TLS context of a re-encrypting pool (SPEC 11): verification, our certificate, ALPN. */
static int
pool_tls(struct lb_snap_pool *sp, struct lb_diag *diag)
{
	const struct lb_pool_tls_conf *t = &sp->conf->tls;
	const char *alpn[LB_ALPN_MAX];
	struct lb_tls_client_params cp;
	size_t i;

	if (!sp->conf->tls_enabled)
		return 0;
	for (i = 0; i < t->n_alpn; i++)
		alpn[i] = lb_alpn_names[t->alpn[i]];
	memset(&cp, 0, sizeof(cp));
	cp.jpath = sp->conf->path;
	cp.ca_file = t->ca_file;
	cp.crl_file = t->crl_file;
	cp.certificate_file = t->certificate_file;
	cp.private_key_file = t->private_key_file;
	cp.min_version = t->min_version;
	cp.max_version = t->max_version;
	cp.ciphers = t->ciphers;
	cp.ciphersuites = t->ciphersuites;
	cp.alpn = alpn;
	cp.n_alpn = t->n_alpn;
	return (sp->tls = lb_tls_client_new(&cp, diag)) == NULL ? -1 : 0;
}

/* Whether old's socket l is still listed by snap. */
static bool
socket_in(const struct lb_snapshot *snap, const struct lb_listener *l)
{
	size_t i, j;

	for (i = 0; i < snap->n_listeners; i++)
		for (j = 0; j < snap->listeners[i].n_socks; j++)
			if (snap->listeners[i].socks[j] == l)
				return true;
	return false;
}

/* One checker per pool id, kept across reloads; pools that went stop being checked. */
static void
apply_health(const struct lb_snapshot *snap)
{
	struct lb_pool_health *v;
	size_t i, j, n = 0;

	v = lb_xcalloc(snap->n_pools > 0 ? snap->n_pools : 1, sizeof(*v));
	for (j = 0; j < snap->n_pools; j++) {
		const struct lb_snap_pool *sp = &snap->pools[j];

		for (i = 0; i < lb_proc.n_health; i++)
			if (lb_proc.health[i].h != NULL &&
			    strcmp(lb_proc.health[i].pool_id, sp->conf->id) == 0)
				break;
		if (i < lb_proc.n_health) {
			v[n] = lb_proc.health[i];
			lb_proc.health[i].h = NULL;
			lb_proc.health[i].pool_id = NULL;
		} else {
			v[n].pool_id = lb_xstrdup(sp->conf->id);
			v[n].h = lb_health_new(lb_proc.base);
		}
		lb_health_set_tls(v[n].h, sp->tls);
		lb_health_apply(v[n++].h, snap->conf, sp->conf, sp->members, sp->n);
	}
	for (i = 0; i < lb_proc.n_health; i++) {
		lb_health_free(lb_proc.health[i].h);
		free(lb_proc.health[i].pool_id);
	}
	free(lb_proc.health);
	lb_proc.health = v;
	lb_proc.n_health = n;
}

void
lb_proc_health_start(void)
{
	lb_proc.health_on = true;
	if (lb_proc.snap != NULL)
		apply_health(lb_proc.snap);
}

enum lb_apply
lb_proc_apply(struct lb_config *conf, struct lb_diag *diag)
{
	struct lb_snapshot *snap, *old;
	struct lb_snap_listener *sl;
	struct lb_snap_pool *sp;
	char err[160];
	size_t i, k;
	int wi;

	snap = lb_snapshot_new(conf, lb_proc.generation + 1);
	/* what can fail first: a refused config must not touch the running members */
	for (i = 0; i < snap->n_listeners; i++) {
		sl = &snap->listeners[i];
		sl->fe = frontend_for(sl->conf->id);
		if (listener_tls(sl, diag) == -1)
			goto fail_config;
		if ((sl->l7 = lb_l7_compile(sl->conf, err, sizeof(err))) == NULL &&
		    sl->conf->n_policies > 0) {
			lb_diag_err(diag, "%s: %s", sl->conf->path, err);
			goto fail_config;
		}
	}
	for (i = 0; i < snap->n_pools; i++)
		if (pool_tls(&snap->pools[i], diag) == -1)
			goto fail_config;
	for (i = 0; i < snap->n_listeners; i++)
		if (listener_sockets(&snap->listeners[i], conf->admin_state_up, diag) == -1)
			goto fail_runtime;
	for (i = k = 0; i < snap->n_pools; i++)
		k += snap->pools[i].conf->n_members;
	member_index_build(k);
	for (i = 0; i < snap->n_pools; i++) {
		sp = &snap->pools[i];
		sp->be = backend_for(sp->conf->id);
		sp->members = lb_xcalloc(sp->conf->n_members > 0 ? sp->conf->n_members : 1,
		    sizeof(*sp->members));
		for (k = 0; k < sp->conf->n_members; k++) {
			sp->members[k] = member_for(sp->conf->id, &sp->conf->members[k]);
			lb_member_ref(sp->members[k]);
			sp->has_backup |= sp->conf->members[k].backup;
		}
		sp->n = sp->conf->n_members;
		snap->n_members += sp->n;
	}
	member_index_free();

	lb_proc.generation++;
	old = lb_proc.snap;
	lb_proc.snap = snap;
	for (i = 0; old != NULL && i < old->n_listeners; i++)
		for (k = 0; k < old->listeners[i].n_socks; k++)
			if (!socket_in(snap, old->listeners[i].socks[k]))
				retire_listener(old->listeners[i].socks[k], snap->gen);
	for (wi = 0; wi < lb_proc.limits.n_workers; wi++)
		lb_worker_post_snapshot(lb_proc.workers[wi], snap);
	if (lb_proc.health_on)
		apply_health(snap);
	lb_snapshot_unref(old);
	retire_objects(snap, false);
	return LB_APPLY_OK;
fail_config:
	lb_snapshot_unref(snap);
	/* what only the refused config named goes again, unannounced */
	retire_objects(lb_proc.snap, true);
	return LB_APPLY_CONFIG;
fail_runtime:
	lb_snapshot_unref(snap);
	/* what only the refused config named goes again, unannounced */
	retire_objects(lb_proc.snap, true);
	return LB_APPLY_RUNTIME;
}

void
lb_proc_reload(void)
{
	struct lb_diag diag = { 0 };
	struct lb_config *conf;
	uint64_t t0 = lb_now_ms();
	size_t i;

	lb_notice("reloading %s", lb_proc.config_path);
	conf = lb_config_load(lb_proc.config_path, &diag);
	for (i = 0; i < diag.nwarn; i++)
		lb_warn("%s: %s", lb_proc.config_path, diag.warns[i]);
	if (conf == NULL || lb_proc_apply(conf, &diag) != LB_APPLY_OK) {
		for (i = 0; i < diag.n; i++)
			lb_err("%s: %s", lb_proc.config_path, diag.msgs[i]);
		lb_err("reload failed: keeping the running configuration (generation %llu)",
		    (unsigned long long)lb_proc.generation);
	} else {
		lb_proc.reloads++;
		lb_notice("reloaded: generation %llu, %zu listeners, %zu pools, %zu members, "
		    "in %llu ms", (unsigned long long)lb_proc.generation,
		    lb_proc.snap->n_listeners, lb_proc.snap->n_pools, lb_proc.snap->n_members,
		    (unsigned long long)(lb_now_ms() - t0));
	}
	lb_diag_fini(&diag);
}

void
lb_proc_stop_graceful(void)
{
	int i;

	atomic_store(&lb_proc.limits.stopping, true);
	for (i = 0; i < lb_proc.limits.n_workers; i++)
		lb_worker_post_stop(lb_proc.workers[i], true);
}

void
lb_proc_stop_now(void)
{
	int i;

	atomic_store(&lb_proc.limits.stopping, true);
	for (i = 0; i < lb_proc.limits.n_workers; i++)
		lb_worker_post_stop(lb_proc.workers[i], false);
}

int
lb_proc_listen_fds(int *fds, int max)
{
	const struct lb_snapshot *snap = lb_proc.snap;
	size_t i, j;
	int n = 0;

	for (i = 0; snap != NULL && i < snap->n_listeners; i++)
		for (j = 0; j < snap->listeners[i].n_socks && n < max; j++)
			fds[n++] = snap->listeners[i].socks[j]->fd;
	return n;
}
