/*
 * proc.c: the process's current configuration: applying a loaded config
 * (members matched by id, listener kept or rebound, TLS context rebuilt),
 * publishing it to workers and health checks, reload and stop.
 */
#include "config.h"

#include <errno.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include <event2/event.h>

#include "lbproxy/config.h"
#include "lbproxy/diag.h"
#include "lbproxy/health.h"
#include "lbproxy/listener.h"
#include "lbproxy/log.h"
#include "lbproxy/proc.h"
#include "lbproxy/snapshot.h"
#include "lbproxy/tls.h"
#include "lbproxy/worker.h"

struct lb_proc lb_proc;

/* Listeners a reload replaced; closed once every worker has moved on. */
struct retired {
	struct lb_listener	*l;
	uint64_t		 gen;
};
static struct retired retired[16];
static size_t n_retired;
static struct event *retire_ev;

static void
retire_cb(evutil_socket_t fd, short what, void *arg)
{
	size_t i = 0;
	int w;

	while (i < n_retired) {
		for (w = 0; w < lb_proc.n_workers; w++)
			if (lb_worker_generation(lb_proc.workers[w]) < retired[i].gen)
				break;
		if (w < lb_proc.n_workers) {
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

/* Registry entry for mc's id: existing (updated) or new. Borrowed. */
static struct lb_member *
member_for(const struct lb_member_conf *mc)
{
	struct lb_member *m;
	size_t i;

	for (i = 0; i < lb_proc.n_members; i++) {
		m = lb_proc.members[i];
		if (strcmp(m->id, mc->id) == 0) {
			lb_member_update(m, mc);
			return m;
		}
	}
	m = lb_member_new(mc, ++lb_proc.next_sid);
	lb_proc.members = lb_xrealloc(lb_proc.members, (lb_proc.n_members + 1) * sizeof(*lb_proc.members));
	lb_proc.members[lb_proc.n_members++] = m;
	return m;
}

/* Keep a forgotten member's totals in the backend's so they never go backwards. */
static void
fold_counters(struct lb_counters *to, struct lb_counters *from)
{
	_Atomic uint64_t *d = &to->stot, *f = &from->stot;
	size_t i, n = (offsetof(struct lb_counters, smax) - offsetof(struct lb_counters, stot)) /
	    sizeof(uint64_t);

	for (i = 0; i < n; i++)
		atomic_fetch_add(&d[i], atomic_load(&f[i]));
}

/* Mark members the new config dropped; forget those nothing refers to any more. */
static void
retire_members(struct lb_member **keep, size_t nkeep)
{
	size_t i, j, n = 0;

	for (i = 0; i < lb_proc.n_members; i++) {
		struct lb_member *m = lb_proc.members[i];
		bool kept = false;

		for (j = 0; j < nkeep && !kept; j++)
			kept = keep[j] == m;
		if (!kept) {
			if (atomic_exchange(&m->in_config, false))
				lb_notice("member %s (%s) removed: draining", m->id, m->name);
			if (atomic_load(&m->refcnt) == 1) {
				fold_counters(&lb_proc.be, &m->c);
				lb_member_unref(m);
				continue;
			}
		}
		lb_proc.members[n++] = m;
	}
	lb_proc.n_members = n;
}

/* The listener for conf: the current one if the address is unchanged, else a new one. */
static int
listener_for(const struct lb_config *conf, struct lb_listener **out, struct lb_diag *diag)
{
	const struct lb_vip_conf *v = &conf->vip;
	struct lb_listener *cur = lb_proc.snap != NULL ? lb_proc.snap->listener : NULL;
	char buf[LB_ADDRSTRLEN];

	*out = NULL;
	if (!v->admin_state_up)
		return 0;
	if (cur != NULL && cur->addrlen == v->addrlen && memcmp(&cur->addr, &v->addr, v->addrlen) == 0) {
		lb_listener_ref(cur);
		*out = cur;
		return 0;
	}
	*out = lb_listener_open((const struct sockaddr *)&v->addr, v->addrlen, 4096,
	    lb_proc.takeover_fds, lb_proc.n_takeover_fds);
	if (*out == NULL) {
		lb_diag_err(diag, "vip.address: cannot listen on %s: %s",
		    lb_addr_fmt((const struct sockaddr *)&v->addr, buf, sizeof(buf)), strerror(errno));
		return -1;
	}
	return 0;
}

int
lb_proc_apply(struct lb_config *conf, struct lb_diag *diag)
{
	struct lb_listener *lst = NULL;
	struct lb_member **members;
	struct lb_snapshot *snap, *old;
	SSL_CTX *tls = NULL;
	size_t i;
	int wi;

	if (conf->vip.tls_mode == LB_TLS_TERMINATE) {
		tls = lb_tls_server_new(&conf->vip.tls, diag);
		if (tls == NULL)
			goto fail;
		/* tickets issued before the reload still resume */
		if (lb_proc.snap != NULL && lb_proc.snap->tls != NULL)
			lb_tls_keep_tickets(tls, lb_proc.snap->tls);
	}
	if (listener_for(conf, &lst, diag) == -1)
		goto fail;

	members = lb_xcalloc(conf->n_members, sizeof(*members));
	for (i = 0; i < conf->n_members; i++)
		members[i] = member_for(&conf->members[i]);
	snap = lb_snapshot_new(conf, members, conf->n_members, lst, tls, ++lb_proc.generation);
	lb_listener_unref(lst);

	old = lb_proc.snap;
	lb_proc.snap = snap;
	if (old != NULL && old->listener != snap->listener)
		retire_listener(old->listener, snap->gen);
	for (wi = 0; wi < lb_proc.n_workers; wi++)
		lb_worker_post_snapshot(lb_proc.workers[wi], snap);
	if (lb_proc.health != NULL)
		lb_health_apply(lb_proc.health, conf, members, conf->n_members);
	retire_members(members, conf->n_members);
	free(members);
	lb_snapshot_unref(old);
	return 0;
fail:
	if (tls != NULL)
		SSL_CTX_free(tls);
	lb_config_free(conf);
	return -1;
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
	if (conf == NULL || lb_proc_apply(conf, &diag) == -1) {
		for (i = 0; i < diag.n; i++)
			lb_err("%s: %s", lb_proc.config_path, diag.msgs[i]);
		lb_err("reload failed: keeping the running configuration (generation %llu)",
		    (unsigned long long)lb_proc.generation);
	} else {
		lb_proc.reloads++;
		lb_notice("reloaded: generation %llu, %zu members, in %llu ms",
		    (unsigned long long)lb_proc.generation, lb_proc.snap->n,
		    (unsigned long long)(lb_now_ms() - t0));
	}
	lb_diag_fini(&diag);
}

void
lb_proc_stop_graceful(void)
{
	int i;

	atomic_store(&lb_proc.stopping, true);
	for (i = 0; i < lb_proc.n_workers; i++)
		lb_worker_post_stop(lb_proc.workers[i], true);
}

void
lb_proc_stop_now(void)
{
	int i;

	atomic_store(&lb_proc.stopping, true);
	for (i = 0; i < lb_proc.n_workers; i++)
		lb_worker_post_stop(lb_proc.workers[i], false);
}

int
lb_proc_listen_fds(int *fds, int max)
{
	if (max < 1 || lb_proc.snap == NULL || lb_proc.snap->listener == NULL)
		return 0;
	fds[0] = lb_proc.snap->listener->fd;
	return 1;
}

