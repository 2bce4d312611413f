/*
 * worker.c: worker threads. Each owns an event_base, accepts on the shared
 * listener in batches, and runs its sessions. Admission control (maxconn,
 * connection_limit) pauses accept so excess clients wait in the kernel
 * backlog instead of being accepted and reset.
 */
#include "config.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <unistd.h>

#include <event2/event.h>
#include <event2/thread.h>

#include "lbproxy/config.h"
#include "lbproxy/conn.h"
#include "lbproxy/frontend.h"
#include "lbproxy/l7.h"
#include "lbproxy/tls_client.h"
#include "lbproxy/listener.h"
#include "lbproxy/mempool.h"
#include "lbproxy/log.h"
#include "lbproxy/sandbox.h"
#include "lbproxy/worker.h"
#include "session_int.h"

#define ACCEPT_BATCH		64
#define ACCEPT_BACKOFF_MS	100

static void accept_cb(evutil_socket_t fd, short what, void *arg);

/* Workers whose accepting is paused at maxconn/connection_limit. */
static _Atomic unsigned limit_paused;

/* One listening socket this worker watches (a listener has one per VIP address). */
struct lb_acceptor {
	struct lb_worker	*w;
	struct lb_listener	*lst;		/* referenced */
	struct event		*ev;
	size_t			 li;		/* its listener in w->snap */
	bool			 on;
	bool			 full;		/* at the listener's connection_limit */
};

/* Connections the process may admit in total (maxconn). */
static unsigned
proc_limit(const struct lb_worker *w)
{
	return w->lim->maxconn > 0 ? (unsigned)w->lim->maxconn : ~0u;
}

static void
acceptor_stop(struct lb_acceptor *a)
{
	if (a->on) {
		event_del(a->ev);
		a->on = false;
	}
}

static void
accept_stop(struct lb_worker *w)
{
	size_t i;

	for (i = 0; i < w->n_acc; i++)
		acceptor_stop(&w->acc[i]);
	w->accept_on = false;
}

static void
accept_start(struct lb_worker *w)
{
	size_t i;

	/* sessions waiting for a descriptor get the next free ones, not new clients */
	if (w->n_acc == 0 || w->draining || w->fdwaiters > 0)
		return;
	for (i = 0; i < w->n_acc; i++) {
		struct lb_acceptor *a = &w->acc[i];

		if (!a->on && !a->full && event_add(a->ev, NULL) == 0)
			a->on = true;
	}
	w->accept_on = true;
}

static void
acceptor_free(struct lb_acceptor *a)
{
	acceptor_stop(a);
	if (a->ev != NULL)
		event_free(a->ev);
	lb_listener_unref(a->lst);
}

/*
 * Watch every socket of every listener of the current snapshot: a socket kept
 * by a reload keeps its watcher, a new one gets one, a removed one is dropped.
 */
static void
accept_rebind(struct lb_worker *w)
{
	const struct lb_snapshot *snap = w->draining ? NULL : w->snap;
	struct lb_acceptor *v;
	size_t i, j, k, n = 0, cap = 0;

	for (i = 0; snap != NULL && i < snap->n_listeners; i++)
		cap += snap->listeners[i].n_socks;
	v = lb_xcalloc(cap > 0 ? cap : 1, sizeof(*v));
	for (i = 0; snap != NULL && i < snap->n_listeners; i++)
		for (j = 0; j < snap->listeners[i].n_socks; j++) {
			struct lb_listener *l = snap->listeners[i].socks[j];

			for (k = 0; k < w->n_acc; k++)
				if (w->acc[k].lst == l)
					break;
			if (k < w->n_acc) {
				v[n] = w->acc[k];
				w->acc[k].lst = NULL;
				w->acc[k].ev = NULL;
				w->acc[k].on = false;
			} else {
				v[n].w = w;
				v[n].lst = l;
				lb_listener_ref(l);
			}
			v[n].li = i;
			v[n].full = false;
			n++;
		}
	for (k = 0; k < w->n_acc; k++)
		acceptor_free(&w->acc[k]);
	free(w->acc);
	w->acc = v;
	w->n_acc = n;
	/* the events point at their acceptor: made once the array stops moving */
	for (k = 0; k < n; k++) {
		if (v[k].ev != NULL) {
			event_del(v[k].ev);
			event_free(v[k].ev);
			v[k].on = false;
		}
		v[k].ev = event_new(w->base, v[k].lst->fd, EV_READ | EV_PERSIST, accept_cb, &v[k]);
	}
	accept_start(w);
}

static void
limit_resume(struct lb_worker *w)
{
	size_t i;

	if (w->limit_paused) {
		w->limit_paused = false;
		atomic_fetch_sub(&limit_paused, 1);
	}
	for (i = 0; i < w->n_acc; i++)
		w->acc[i].full = false;
	accept_start(w);
}

static void
resume_cb(evutil_socket_t fd, short what, void *arg)
{
	limit_resume(arg);
}

/*
 * Every worker is woken for a new connection on the shared listener; one
 * holding clearly more than its share lets the others take it, so a burst
 * of connections spreads over the threads instead of landing on the first
 * one awake. (The listener is level-triggered: what is left is not lost.)
 */
static bool
overloaded(const struct lb_worker *w)
{
	unsigned n = (unsigned)w->lim->n_workers;
	unsigned mine = atomic_load_explicit(&w->nsessions, memory_order_relaxed);
	unsigned total = atomic_load_explicit(&w->lim->conns, memory_order_relaxed);

	/* at a connection limit some workers do not accept: no balancing then */
	if (n < 2 || atomic_load_explicit(&limit_paused, memory_order_relaxed) > 0)
		return false;
	return mine * n > total + 2 * n;
}

/* Pause accepting (all of w, or acceptor a at its listener's limit) until a session ends. */
static void
limit_pause(struct lb_worker *w, struct lb_acceptor *a)
{
	struct timeval tv = { 0, ACCEPT_BACKOFF_MS * 1000 };

	/* resumed when one of our sessions ends, or by the timer (no session here) */
	if (!w->limit_paused)
		atomic_fetch_add(&limit_paused, 1);
	w->limit_paused = true;
	if (a != NULL) {
		a->full = true;
		acceptor_stop(a);
	} else
		accept_stop(w);
	evtimer_add(w->resume_ev, &tv);
}

static void
accept_cb(evutil_socket_t fd, short what, void *arg)
{
	struct lb_acceptor *a = arg;
	struct lb_worker *w = a->w;
	const struct lb_snap_listener *sl = &w->snap->listeners[a->li];
	struct lb_frontend *fe = sl->fe;
	int cl = sl->conf->connection_limit;
	struct sockaddr_storage ss;
	socklen_t len;
	unsigned lim = proc_limit(w);
	int i, cfd;

	for (i = 0; i < ACCEPT_BATCH; i++) {
		if (overloaded(w))
			return;
		if (cl >= 0 && atomic_load_explicit(&fe->conns, memory_order_relaxed) >= (unsigned)cl) {
			limit_pause(w, a);
			return;
		}
		if (atomic_fetch_add(&w->lim->conns, 1) >= lim) {
			atomic_fetch_sub(&w->lim->conns, 1);
			limit_pause(w, NULL);
			return;
		}
		len = sizeof(ss);
		cfd = accept4(fd, (struct sockaddr *)&ss, &len, SOCK_NONBLOCK | SOCK_CLOEXEC);
		if (cfd == -1) {
			atomic_fetch_sub(&w->lim->conns, 1);
			if (errno == EINTR || errno == ECONNABORTED)
				continue;
			if (lb_errno_out_of_fds(errno))
				lb_worker_out_of_fds(w, "accept");
			return;
		}
		/* allowed_cidrs: closed before a byte is read, counted (HAProxy's dcon) */
		if (sl->conf->n_allowed > 0 && !lb_cidr_match(sl->conf->allowed,
		    sl->conf->n_allowed, (struct sockaddr *)&ss)) {
			atomic_fetch_add_explicit(&fe->c.dcon, 1, memory_order_relaxed);
			atomic_fetch_sub(&w->lim->conns, 1);
			close(cfd);
			continue;
		}
		lb_session_new(w, sl, cfd, (struct sockaddr *)&ss, len);
		if (!a->on)
			return;
	}
}

/*
 * Out of descriptors, every worker pauses every ACCEPT_BACKOFF_MS for as long
 * as it lasts: one log line per OUT_OF_FDS_LOG_MS for the whole process, with
 * the pauses counted since the previous line, instead of one per pause.
 */
#define OUT_OF_FDS_LOG_MS	5000
static _Atomic uint64_t out_of_fds_next_ms;	/* no line before then */
static _Atomic unsigned out_of_fds_pauses;	/* since the last line */

/*
 * No descriptor for accept() or for a member connection: stop accepting for
 * a while (the clients wait in the kernel backlog) instead of accepting
 * clients that could not be served, or spinning on a level-triggered listener.
 */
void
lb_worker_out_of_fds(struct lb_worker *w, const char *what)
{
	struct timeval tv = { 0, ACCEPT_BACKOFF_MS * 1000 };
	uint64_t now = lb_now_ms(), next;
	int err = errno;

	if (!w->accept_on)
		return;
	atomic_fetch_add(&out_of_fds_pauses, 1);
	next = atomic_load(&out_of_fds_next_ms);
	if (now >= next &&
	    atomic_compare_exchange_strong(&out_of_fds_next_ms, &next, now + OUT_OF_FDS_LOG_MS))
		lb_warn("%s: %s; accepting paused %d ms (pauses since the last "
		    "such line: %u, at most one line every %d s)", what,
		    strerror(err), ACCEPT_BACKOFF_MS, atomic_exchange(&out_of_fds_pauses, 0),
		    OUT_OF_FDS_LOG_MS / 1000);
	accept_stop(w);
	evtimer_add(w->resume_ev, &tv);
}

void
lb_worker_fdwait(struct lb_worker *w, bool waiting)
{
	if (waiting) {
		w->fdwaiters++;
		return;
	}
	if (--w->fdwaiters == 0)
		accept_start(w);
}

void
lb_worker_session_gone(struct lb_worker *w)
{
	atomic_fetch_sub(&w->lim->conns, 1);
	if (w->limit_paused)
		limit_resume(w);
	if (w->draining && TAILQ_EMPTY(&w->sessions))
		event_base_loopexit(w->base, NULL);
}

/* Close every session now (fast stop or drain deadline). */
static void
close_all(struct lb_worker *w)
{
	struct lb_session *s;

	while ((s = TAILQ_FIRST(&w->sessions)) != NULL)
		lb_session_close(s, LB_CLOSE_SHUTDOWN);
}

/*
 * Graceful stop: every session finishes; keep-alive clients between requests
 * get a short idle time (proxy_http.c), the others a last response with
 * Connection: close.
 */
static void
close_idle(struct lb_worker *w)
{
	struct lb_session *s;

	TAILQ_FOREACH(s, &w->sessions, link) {
		lb_proxy_http_wind_down(s);
		lb_h2_wind_down(s);
	}
}

/* Drain deadline for members a reload removed: their connections end now. */
static void
drain_removed_cb(evutil_socket_t fd, short what, void *arg)
{
	struct lb_worker *w = arg;
	struct lb_session *s, *next;

	for (s = TAILQ_FIRST(&w->sessions); s != NULL; s = next) {
		next = TAILQ_NEXT(s, link);
		if (s->member != NULL && !atomic_load(&s->member->in_config))
			lb_session_close(s, LB_CLOSE_SHUTDOWN);
	}
}

/* One balancer scratch per pool of the snapshot (reset by generation inside). */
static void
picks_resize(struct lb_worker *w, size_t n)
{
	size_t i;

	if (n <= w->n_picks)
		return;
	w->picks = lb_xrealloc(w->picks, n * sizeof(*w->picks));
	for (i = w->n_picks; i < n; i++)
		memset(&w->picks[i], 0, sizeof(w->picks[i]));
	w->n_picks = n;
}

static void
wake_cb(evutil_socket_t fd, short what, void *arg)
{
	struct lb_worker *w = arg;
	struct lb_snapshot *snap;
	uint64_t n;
	struct lb_session *s;
	int stop;

	if (read(w->wakefd, &n, sizeof(n)) == -1 && errno != EAGAIN)
		lb_warn("worker %d: wake: %s", w->id, strerror(errno));
	pthread_mutex_lock(&w->mtx);
	snap = w->pending;
	w->pending = NULL;
	stop = w->stop;
	pthread_mutex_unlock(&w->mtx);

	if (snap != NULL) {
		lb_snapshot_unref(w->snap);
		w->snap = snap;
		picks_resize(w, snap->n_pools);
		lb_debug("worker %d: config generation %llu", w->id, (unsigned long long)snap->gen);
		if (snap->conf->timeouts.drain > 0) {
			int ms = snap->conf->timeouts.drain;
			struct timeval tv = { ms / 1000, (ms % 1000) * 1000 };

			evtimer_add(w->drain_ev, &tv);
		}
		if (w->limit_paused)
			limit_resume(w);	/* the limit may have changed */
		TAILQ_FOREACH(s, &w->sessions, link)
			lb_h2_reloaded(s);
	}
	if (stop != 0) {
		w->draining = true;
		if (stop == 2)
			close_all(w);
		else
			close_idle(w);
		if (TAILQ_EMPTY(&w->sessions))
			event_base_loopexit(w->base, NULL);
	}
	accept_rebind(w);
	if (w->snap != NULL)
		atomic_store(&w->gen_seen, w->snap->gen);
	if (stop != 0)
		atomic_store(&w->accept_closed, true);
}

struct lb_worker *
lb_worker_new(int id, struct lb_limits *lim)
{
	struct lb_worker *w = lb_xcalloc(1, sizeof(*w));
	struct event_config *cfg = event_config_new();

	w->id = id;
	w->lim = lim;
	/* one thread per base: no locking inside libevent on the hot path */
	event_config_set_flag(cfg, EVENT_BASE_FLAG_NOLOCK);
	/*
	 * No EVENT_BASE_FLAG_PRECISE_TIMER: it costs a timerfd_settime per loop
	 * iteration, and millisecond timeouts need no better than epoll_wait's.
	 */
	w->base = event_base_new_with_config(cfg);
	event_config_free(cfg);
	if (w->base == NULL) {
		free(w);
		return NULL;
	}
	pthread_mutex_init(&w->mtx, NULL);
	TAILQ_INIT(&w->sessions);
	w->next_id = (uint64_t)id << 48;
	w->wakefd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
	if (w->wakefd == -1)
		abort();
	w->wake = event_new(w->base, w->wakefd, EV_READ | EV_PERSIST, wake_cb, w);
	event_add(w->wake, NULL);
	w->resume_ev = evtimer_new(w->base, resume_cb, w);
	w->l7_scratch = lb_l7_scratch_new();
	w->tls_sessions = lb_tls_sess_cache_new();
	w->drain_ev = evtimer_new(w->base, drain_removed_cb, w);
	return w;
}

static void *
worker_main(void *arg)
{
	struct lb_worker *w = arg;

	if (lb_sandbox_enter(LB_SANDBOX_WORKER) == -1)
		abort();	/* the main thread compiled the filter: a broken invariant */
	event_base_dispatch(w->base);
	close_all(w);
	for (size_t k = 0; k < w->n_acc; k++)
		acceptor_free(&w->acc[k]);
	w->n_acc = 0;
	/* member connections still idle are freed by the main thread, into its cache */
	lb_idle_pool_free(w->idle);
	w->idle = NULL;
	lb_worker_tried_free(w);
	lb_h2_cache_free();
	lb_proxy_http_cache_free();
	lb_conn_cache_free();
	lb_mempool_thread_free();
	return NULL;
}

int
lb_worker_start(struct lb_worker *w)
{
	return pthread_create(&w->thr, NULL, worker_main, w) == 0 ? 0 : -1;
}

/* Wake w from another thread; its base has no lock, so an eventfd carries the news. */
static void
wake(struct lb_worker *w)
{
	uint64_t one = 1;

	if (write(w->wakefd, &one, sizeof(one)) == -1)
		lb_warn("worker %d: wake: %s", w->id, strerror(errno));
}

void
lb_worker_post_snapshot(struct lb_worker *w, struct lb_snapshot *snap)
{
	lb_snapshot_ref(snap);
	pthread_mutex_lock(&w->mtx);
	if (w->pending != NULL)
		lb_snapshot_unref(w->pending);
	w->pending = snap;
	pthread_mutex_unlock(&w->mtx);
	wake(w);
}

void
lb_worker_post_stop(struct lb_worker *w, bool graceful)
{
	pthread_mutex_lock(&w->mtx);
	if (w->stop < (graceful ? 1 : 2))
		w->stop = graceful ? 1 : 2;
	pthread_mutex_unlock(&w->mtx);
	wake(w);
}

void
lb_worker_join(struct lb_worker *w)
{
	pthread_join(w->thr, NULL);
	lb_snapshot_unref(w->pending);
	lb_snapshot_unref(w->snap);
	for (size_t i = 0; i < w->n_picks; i++)
		lb_pick_fini(&w->picks[i]);
	free(w->picks);
	lb_l7_scratch_free(w->l7_scratch);
	lb_tls_sess_cache_free(w->tls_sessions);
	lb_idle_pool_free(w->idle);
	free(w->hdrs);
	free(w->acc);
	event_free(w->wake);
	close(w->wakefd);
	event_free(w->resume_ev);
	event_free(w->drain_ev);
	event_base_free(w->base);
	pthread_mutex_destroy(&w->mtx);
	free(w);
}

uint64_t
lb_worker_generation(const struct lb_worker *w)
{
	return atomic_load(&w->gen_seen);
}

bool
lb_worker_accept_closed(const struct lb_worker *w)
{
	return atomic_load(&w->accept_closed);
}

unsigned
lb_worker_sessions(const struct lb_worker *w)
{
	return atomic_load(&w->nsessions);
}
