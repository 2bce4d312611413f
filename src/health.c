/*
 * health.c: the health-check engine (relayd's hce.c). It keeps one timer per
 * member on the main thread's event_base, starts the monitor's check when it
 * fires, feeds the result into the rise/fall state machine and logs the
 * transitions. The probes live in check_*.c and end in one done call each;
 * the plumbing they share (deadline, deferred done, cancel) is check.c.
 *
 * Timing: the first check of a member runs at a random offset in [0, delay),
 * later ones delay seconds +- jitter_pct% after the previous one started (or
 * right after it ended, if it took longer). Each check is bounded by the
 * monitor's timeout. libevent timers run on the monotonic clock.
 */
#include "config.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <event2/event.h>

#include "lbproxy/config.h"
#include "lbproxy/health.h"
#include "lbproxy/log.h"
#include "lbproxy/member.h"

#include "check.h"

/* Jitter beyond this would let checks of one member overlap or stall. */
#define JITTER_PCT_MAX	50

/* One checked member. */
struct hc_entry {
	struct lb_health	*h;
	struct lb_member	*m;		/* reference held */
	struct event		*ev_timer;
	struct lb_check		*chk;		/* in flight, or NULL */
	uint64_t		 next_ms;	/* when the next check is due */
	bool			 seen;		/* listed by the current apply */
};

struct lb_health {
	struct event_base	*base;		/* borrowed */
	struct hc_entry		**v;
	size_t			 n;
	bool			 active;	/* hm holds a monitor */
	struct lb_hm_conf	 hm;		/* own deep copy; checks borrow it */
	int			 jitter_pct;
	uint64_t		 rng;
	SSL_CTX			*tls;		/* the pool's context towards members (referenced), or NULL */
};

/* Every probe type started alike; ctx is the pool's TLS context towards members, or NULL. */
typedef struct lb_check *(*check_start_fn)(struct event_base *, const struct lb_member *,
    const struct lb_hm_conf *, SSL_CTX *, int, lb_check_done_cb, void *);

static struct lb_check *
tcp_start(struct event_base *base, const struct lb_member *m, const struct lb_hm_conf *hm,
    SSL_CTX *ctx, int timeout_ms, lb_check_done_cb done, void *arg)
{
	return lb_check_tcp_start(base, m, hm, timeout_ms, done, arg);
}

static struct lb_check *
icmp_start(struct event_base *base, const struct lb_member *m, const struct lb_hm_conf *hm,
    SSL_CTX *ctx, int timeout_ms, lb_check_done_cb done, void *arg)
{
	return lb_check_icmp_start(base, m, hm, timeout_ms, done, arg);
}

static const check_start_fn check_start[] = {
	[LB_HM_PING] = icmp_start,
	[LB_HM_TCP] = tcp_start,
	[LB_HM_HTTP] = lb_check_http_start,
	[LB_HM_HTTPS] = lb_check_http_start,
	[LB_HM_TLS_HELLO] = lb_check_tls_start,
};

static void entry_timer_cb(evutil_socket_t, short, void *);

/* --- the state machine ------------------------------------------------ */

/*
 * A member's first verdict comes from its first check either way, so a new
 * member is usable (or known broken) after one delay; afterwards fall
 * consecutive failures take an UP member DOWN and rise consecutive successes
 * bring a DOWN one back. A result resets the opposite counter. As in HAProxy
 * 2.6, chkfail counts failures only until the member is DOWN (it stays at the
 * count that took it down) and not in maintenance (HAProxy does not check
 * then); chkdown is counted by lb_member_set_health.
 */
bool
lb_health_feed(struct lb_member *m, const struct lb_check_result *r, int rise, int fall)
{
	int from = atomic_load(&m->health), to = from;
	bool first = from == LB_HEALTH_CHECKING || from == LB_HEALTH_NOCHECK;

	if (rise < 1)
		rise = 1;
	if (fall < 1)
		fall = 1;

	m->check_status = r->status;
	m->check_code = r->code;
	m->check_duration_ms = r->duration_ms;
	snprintf(m->check_desc, sizeof(m->check_desc), "%s", r->desc);

	if (r->ok) {
		m->fall_cnt = 0;
		if (m->rise_cnt < rise)
			m->rise_cnt++;
		if (first || (from == LB_HEALTH_DOWN && m->rise_cnt >= rise))
			to = LB_HEALTH_UP;
	} else {
		if (from != LB_HEALTH_DOWN && !lb_member_maint(m))
			m->chkfail++;
		m->rise_cnt = 0;
		if (m->fall_cnt < fall)
			m->fall_cnt++;
		if (first || (from == LB_HEALTH_UP && m->fall_cnt >= fall))
			to = LB_HEALTH_DOWN;
	}
	if (to == from)
		return false;
	lb_member_set_health(m, to);
	return true;
}

/* Log a transition the last result caused, with the counter that decided it. */
static void
log_transition(const struct lb_member *m, int from, const struct lb_check_result *r,
    int rise, int fall)
{
	int to = atomic_load(&m->health);
	char why[32];

	if (from == LB_HEALTH_CHECKING || from == LB_HEALTH_NOCHECK)
		snprintf(why, sizeof(why), "first check");
	else if (to == LB_HEALTH_DOWN)
		snprintf(why, sizeof(why), "%d/%d", m->fall_cnt, fall);
	else
		snprintf(why, sizeof(why), "%d/%d", m->rise_cnt, rise);
	lb_notice("member %s (%s) %s -> %s: %s (%s)", m->id, m->name, lb_health_names[from],
	    lb_health_names[to], r->desc, why);
}

/* Forget m's check history; with no monitor it is "no check" and always eligible. */
static void
member_nocheck(struct lb_member *m)
{
	int from = atomic_load(&m->health);

	m->rise_cnt = 0;
	m->fall_cnt = 0;
	m->check_status = LB_CHK_UNKNOWN;
	m->check_code = 0;
	m->check_duration_ms = 0;
	m->check_desc[0] = '\0';
	if (from == LB_HEALTH_NOCHECK)
		return;
	if (from != LB_HEALTH_CHECKING)
		lb_notice("member %s (%s) %s -> %s: no health monitor", m->id, m->name,
		    lb_health_names[from], lb_health_names[LB_HEALTH_NOCHECK]);
	lb_member_set_health(m, LB_HEALTH_NOCHECK);
}

/* --- monitor copy ----------------------------------------------------- */

static bool
str_equal(const char *a, const char *b)
{
	if (a == NULL || b == NULL)
		return a == b;
	return strcmp(a, b) == 0;
}

/* Deep-copy src into dst (dst is cleared first). */
static void
hm_copy(struct lb_hm_conf *dst, const struct lb_hm_conf *src)
{
	*dst = *src;
	dst->id = lb_xstrdup(src->id);
	dst->http_method = lb_xstrdup(src->http_method);
	dst->url_path = lb_xstrdup(src->url_path);
	dst->expected_codes = lb_xstrdup(src->expected_codes);
	dst->domain_name = src->domain_name != NULL ? lb_xstrdup(src->domain_name) : NULL;
	dst->codes = NULL;
	if (src->n_codes > 0) {
		dst->codes = lb_xcalloc(src->n_codes, sizeof(*dst->codes));
		memcpy(dst->codes, src->codes, src->n_codes * sizeof(*dst->codes));
	}
}

static void
hm_clear(struct lb_hm_conf *hm)
{
	free(hm->id);
	free(hm->http_method);
	free(hm->url_path);
	free(hm->expected_codes);
	free(hm->codes);
	free(hm->domain_name);
	memset(hm, 0, sizeof(*hm));
}

/* Whether b probes differently from a (max_retries only changes the verdict). */
static bool
hm_probe_changed(const struct lb_hm_conf *a, const struct lb_hm_conf *b)
{
	if (a->type != b->type || a->delay != b->delay || a->timeout != b->timeout ||
	    a->http_version != b->http_version || !str_equal(a->domain_name, b->domain_name) ||
	    a->send_proxy != b->send_proxy)
		return true;
	if (!str_equal(a->http_method, b->http_method) || !str_equal(a->url_path, b->url_path) ||
	    !str_equal(a->expected_codes, b->expected_codes))
		return true;
	if (a->n_codes != b->n_codes)
		return true;
	return a->n_codes > 0 && memcmp(a->codes, b->codes, a->n_codes * sizeof(*a->codes)) != 0;
}

/* --- scheduling ------------------------------------------------------- */

/* xorshift64*: spreading timers needs no cryptographic randomness. */
static uint64_t
rng_next(struct lb_health *h)
{
	h->rng ^= h->rng >> 12;
	h->rng ^= h->rng << 25;
	h->rng ^= h->rng >> 27;
	return h->rng * 0x2545f4914f6cdd1dULL;
}

static uint64_t
delay_ms(const struct lb_health *h)
{
	return (uint64_t)(h->hm.delay > 0 ? h->hm.delay : 1) * 1000;
}

/* The interval to the next check: delay +- jitter_pct%. */
static uint64_t
interval_ms(struct lb_health *h)
{
	uint64_t base = delay_ms(h), j = base * (uint64_t)h->jitter_pct / 100;

	if (j == 0)
		return base;
	return base - j + rng_next(h) % (2 * j + 1);
}

static void
entry_arm(struct hc_entry *e, uint64_t after_ms)
{
	struct timeval tv;

	tv.tv_sec = (time_t)(after_ms / 1000);
	tv.tv_usec = (suseconds_t)(after_ms % 1000) * 1000;
	evtimer_add(e->ev_timer, &tv);
}

/* Stop e's current check and timer (the member keeps its state). */
static void
entry_stop(struct hc_entry *e)
{
	lb_check_cancel(e->chk);
	e->chk = NULL;
	evtimer_del(e->ev_timer);
}

/* First check at a random point of the interval, so members are not probed in lock-step. */
static void
entry_start(struct hc_entry *e)
{
	entry_stop(e);
	entry_arm(e, rng_next(e->h) % delay_ms(e->h));
}

static void
entry_free(struct hc_entry *e)
{
	entry_stop(e);
	event_free(e->ev_timer);
	lb_member_unref(e->m);
	free(e);
}

/* A check ended: feed the verdict, log a transition, schedule the next one. */
static void
check_done(const struct lb_check_result *r, void *arg)
{
	struct hc_entry *e = arg;
	struct lb_health *h = e->h;
	int from = atomic_load(&e->m->health);
	uint64_t now = lb_now_ms();

	e->chk = NULL;
	if (lb_health_feed(e->m, r, h->hm.rise, h->hm.fall))
		log_transition(e->m, from, r, h->hm.rise, h->hm.fall);
	else
		lb_debug("member %s (%s) check %s: %s (%d ms)", e->m->id, e->m->name,
		    lb_check_status_names[r->status], r->desc, r->duration_ms);
	entry_arm(e, e->next_ms > now ? e->next_ms - now : 0);
}

/* Time for e's next check. */
static void
entry_timer_cb(evutil_socket_t fd LB_UNUSED, short what LB_UNUSED, void *arg)
{
	struct hc_entry *e = arg;
	struct lb_health *h = e->h;
	int timeout_ms = (h->hm.timeout > 0 ? h->hm.timeout : h->hm.delay) * 1000;

	e->next_ms = lb_now_ms() + interval_ms(h);
	if ((size_t)h->hm.type >= LB_ARRAY_SIZE(check_start))
		lb_err("health monitor %s: unknown type %d", h->hm.id, (int)h->hm.type);
	else
		e->chk = check_start[h->hm.type](h->base, e->m, &h->hm, h->tls, timeout_ms,
		    check_done, e);
	if (e->chk == NULL) {
		lb_warn("member %s (%s): cannot start health check", e->m->id, e->m->name);
		entry_arm(e, e->next_ms - lb_now_ms());
	}
}

struct lb_health *
lb_health_new(struct event_base *base)
{
	struct lb_health *h = lb_xcalloc(1, sizeof(*h));
	uint64_t seed[3] = { lb_now_ms(), (uint64_t)getpid(), (uint64_t)(uintptr_t)h };

	h->base = base;
	h->jitter_pct = 10;
	h->rng = lb_hash64(seed, sizeof(seed), 0) | 1;
	return h;
}

void
lb_health_free(struct lb_health *h)
{
	size_t i;

	if (h == NULL)
		return;
	for (i = 0; i < h->n; i++)
		entry_free(h->v[i]);
	free(h->v);
	hm_clear(&h->hm);
	if (h->tls != NULL)
		SSL_CTX_free(h->tls);
	free(h);
	lb_check_http_cleanup();
}

static int
entry_cmp(const void *a, const void *b)
{
	uintptr_t x = (uintptr_t)(*(struct hc_entry *const *)a)->m;
	uintptr_t y = (uintptr_t)(*(struct hc_entry *const *)b)->m;

	return x < y ? -1 : x > y;
}

/* The entry of m among the first n (sorted) entries, or NULL. */
static struct hc_entry *
entry_find(struct lb_health *h, size_t n, struct lb_member *m)
{
	struct hc_entry key = { .m = m }, *kp = &key, **found;

	if (n == 0)
		return NULL;
	found = bsearch(&kp, h->v, n, sizeof(*h->v), entry_cmp);
	return found != NULL ? *found : NULL;
}

static int
ptr_cmp(const void *a, const void *b)
{
	uintptr_t x = (uintptr_t)*(void *const *)a, y = (uintptr_t)*(void *const *)b;

	return x < y ? -1 : x > y;
}

/* Start checking m (a reference is taken): a member without a verdict is CHECKING. */
static struct hc_entry *
entry_new(struct lb_health *h, struct lb_member *m)
{
	struct hc_entry *e = lb_xcalloc(1, sizeof(*e));

	e->h = h;
	e->m = m;
	e->seen = true;
	e->ev_timer = evtimer_new(h->base, entry_timer_cb, e);
	if (e->ev_timer == NULL) {
		lb_err("member %s (%s): cannot create health check timer", m->id, m->name);
		free(e);
		return NULL;
	}
	lb_member_ref(m);
	if (atomic_load(&m->health) == LB_HEALTH_NOCHECK) {
		lb_debug("member %s (%s) %s -> %s", m->id, m->name,
		    lb_health_names[LB_HEALTH_NOCHECK], lb_health_names[LB_HEALTH_CHECKING]);
		lb_member_set_health(m, LB_HEALTH_CHECKING);
	}
	entry_start(e);
	return e;
}

/* Stop checking every member. */
static void
drop_all(struct lb_health *h)
{
	size_t i;

	for (i = 0; i < h->n; i++)
		entry_free(h->v[i]);
	h->n = 0;
	hm_clear(&h->hm);
	h->active = false;
}

void
lb_health_apply(struct lb_health *h, const struct lb_config *conf,
    const struct lb_pool_conf *pool, struct lb_member **members, size_t n)
{
	const struct lb_hm_conf *hm = pool != NULL ? pool->hm : NULL;
	struct lb_member **sorted;
	struct hc_entry *e;
	size_t i, old_n, kept;
	bool restart;

	if (conf != NULL) {
		h->jitter_pct = conf->health_jitter_pct;
		if (h->jitter_pct < 0)
			h->jitter_pct = 0;
		if (h->jitter_pct > JITTER_PCT_MAX)
			h->jitter_pct = JITTER_PCT_MAX;
	}

	if (hm == NULL) {
		drop_all(h);
		for (i = 0; i < n; i++)
			member_nocheck(members[i]);
		return;
	}

	/*
	 * A monitor that probes differently restarts every member's checks (its
	 * state stays, its counters restart); checks in flight borrow the old
	 * copy, so they are cancelled before it goes.
	 */
	restart = !h->active || hm_probe_changed(&h->hm, hm);
	if (restart) {
		for (i = 0; i < h->n; i++) {
			entry_stop(h->v[i]);
			h->v[i]->m->rise_cnt = 0;
			h->v[i]->m->fall_cnt = 0;
		}
		hm_clear(&h->hm);
		hm_copy(&h->hm, hm);
		h->active = true;
	} else {
		h->hm.max_retries = hm->max_retries;
		h->hm.rise = hm->rise;
		h->hm.fall = hm->fall;
	}

	/* sorted copies: entries by member for lookup, members to skip duplicates */
	old_n = h->n;
	if (old_n > 0)
		qsort(h->v, old_n, sizeof(*h->v), entry_cmp);
	for (i = 0; i < old_n; i++)
		h->v[i]->seen = false;
	h->v = lb_xrealloc(h->v, (old_n + n) * sizeof(*h->v));
	sorted = lb_xcalloc(n, sizeof(*sorted));
	if (n > 0)
		memcpy(sorted, members, n * sizeof(*sorted));
	qsort(sorted, n, sizeof(*sorted), ptr_cmp);

	for (i = 0; i < n; i++) {
		if (i > 0 && sorted[i] == sorted[i - 1])
			continue;
		e = entry_find(h, old_n, sorted[i]);
		if (e != NULL) {
			if (restart)
				entry_start(e);
			e->seen = true;
			continue;
		}
		e = entry_new(h, sorted[i]);
		if (e != NULL)
			h->v[h->n++] = e;
	}
	free(sorted);

	/* members no longer listed stop being checked; their state is left alone */
	for (i = 0, kept = 0; i < h->n; i++) {
		if (i < old_n && !h->v[i]->seen)
			entry_free(h->v[i]);
		else
			h->v[kept++] = h->v[i];
	}
	h->n = kept;
}

void
lb_health_set_tls(struct lb_health *h, SSL_CTX *ctx)
{
	if (ctx == h->tls)
		return;
	if (ctx != NULL)
		SSL_CTX_up_ref(ctx);
	if (h->tls != NULL)
		SSL_CTX_free(h->tls);
	h->tls = ctx;
}
