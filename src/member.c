/*
 * member.c: runtime pool members shared by all threads and config snapshots:
 * their state (health, admin), the status word derived from it, and passive
 * evidence from traffic.
 */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "lbproxy/balance.h"
#include "lbproxy/config.h"
#include "lbproxy/member.h"

/* After this many consecutive connect failures a member is picked last for a while. */
#define PASSIVE_FAIL_THRESHOLD	3
#define PASSIVE_AVOID_MS	2000

const char *const lb_health_names[] = {
	[LB_HEALTH_NOCHECK] = "no check",
	[LB_HEALTH_CHECKING] = "CHECKING",
	[LB_HEALTH_UP] = "UP",
	[LB_HEALTH_DOWN] = "DOWN",
};

const char *const lb_member_status_names[] = {
	[LB_MEMBER_UP] = "UP",
	[LB_MEMBER_DOWN] = "DOWN",
	[LB_MEMBER_MAINT] = "MAINT",
	[LB_MEMBER_DRAIN] = "DRAIN",
	[LB_MEMBER_NOCHECK] = "no check",
};

const char *const lb_check_status_names[] = {
	[LB_CHK_UNKNOWN] = "",
	[LB_CHK_L4OK] = "L4OK",
	[LB_CHK_L4TOUT] = "L4TOUT",
	[LB_CHK_L4CON] = "L4CON",
	[LB_CHK_L6OK] = "L6OK",
	[LB_CHK_L6TOUT] = "L6TOUT",
	[LB_CHK_L6RSP] = "L6RSP",
	[LB_CHK_L7OK] = "L7OK",
	[LB_CHK_L7TOUT] = "L7TOUT",
	[LB_CHK_L7RSP] = "L7RSP",
	[LB_CHK_L7STS] = "L7STS",
	[LB_CHK_SOCKERR] = "SOCKERR",
};

struct lb_member *
lb_member_new(const struct lb_member_conf *mc, const char *pool_id, int sid)
{
	struct lb_member *m = lb_xcalloc(1, sizeof(*m));

	m->id = lb_xstrdup(mc->id);
	m->pool_id = lb_xstrdup(pool_id);
	m->hkey = lb_balance_member_key(mc->id);
	m->sid = sid;
	atomic_init(&m->refcnt, 1);
	atomic_init(&m->health, LB_HEALTH_NOCHECK);
	atomic_init(&m->in_config, true);
	m->last_change = lb_wall_s();
	lb_member_update(m, mc);
	return m;
}

void
lb_member_update(struct lb_member *m, const struct lb_member_conf *mc)
{
	free(m->address);
	m->address = lb_xstrdup(mc->address);
	m->port = mc->port;
	memcpy(&m->addr, &mc->addr.ss, sizeof(m->addr));
	m->addrlen = mc->addr.len;
	memcpy(&m->check_addr, &mc->check_addr.ss, sizeof(m->check_addr));
	m->check_addrlen = mc->check_addr.len;
	m->backup = mc->backup;
	lb_addr_fmt((struct sockaddr *)&m->addr, m->name, sizeof(m->name));
	atomic_store(&m->weight, mc->weight);
	m->conf_weight = mc->weight;
	atomic_store(&m->admin_up, mc->admin_state_up);
	atomic_store(&m->in_config, true);
}

void
lb_member_ref(struct lb_member *m)
{
	atomic_fetch_add_explicit(&m->refcnt, 1, memory_order_relaxed);
}

void
lb_member_unref(struct lb_member *m)
{
	if (m == NULL || atomic_fetch_sub_explicit(&m->refcnt, 1, memory_order_acq_rel) != 1)
		return;
	free(m->id);
	free(m->pool_id);
	free(m->address);
	free(m);
}

bool
lb_member_usable(const struct lb_member *m)
{
	return atomic_load_explicit(&m->admin_up, memory_order_relaxed) &&
	    !atomic_load_explicit(&m->cli_disabled, memory_order_relaxed) &&
	    !atomic_load_explicit(&m->cli_drain, memory_order_relaxed) &&
	    atomic_load_explicit(&m->weight, memory_order_relaxed) > 0 &&
	    atomic_load_explicit(&m->in_config, memory_order_relaxed);
}

bool
lb_member_maint(const struct lb_member *m)
{
	return !atomic_load(&m->admin_up) || atomic_load(&m->cli_disabled);
}

enum lb_member_status
lb_member_status(const struct lb_member *m, bool pool_up)
{
	int h = atomic_load(&m->health);

	if (!pool_up || lb_member_maint(m))
		return LB_MEMBER_MAINT;
	if (h == LB_HEALTH_DOWN)
		return LB_MEMBER_DOWN;
	if (atomic_load(&m->cli_drain) || !atomic_load(&m->in_config))
		return LB_MEMBER_DRAIN;
	if (h == LB_HEALTH_NOCHECK)
		return LB_MEMBER_NOCHECK;
	/* UP, and CHECKING: HAProxy shows a server being checked for the first time as UP */
	return LB_MEMBER_UP;
}

bool
lb_member_serving(const struct lb_member *m, bool pool_up)
{
	enum lb_member_status st = lb_member_status(m, pool_up);

	return (st == LB_MEMBER_UP || st == LB_MEMBER_NOCHECK) && atomic_load(&m->weight) > 0;
}

bool
lb_member_set_admin(struct lb_member *m, enum lb_member_admin st)
{
	bool maint = st == LB_ADMIN_MAINT, drain = st == LB_ADMIN_DRAIN;

	if (atomic_load(&m->cli_disabled) == maint && atomic_load(&m->cli_drain) == drain)
		return false;
	if (maint && !lb_member_maint(m) && atomic_load(&m->health) != LB_HEALTH_DOWN)
		m->chkdown++;
	atomic_store(&m->cli_drain, drain);
	atomic_store(&m->cli_disabled, maint);
	m->last_change = lb_wall_s();
	return true;
}

void
lb_member_connect_failed(struct lb_member *m)
{
	unsigned n = atomic_fetch_add_explicit(&m->passive_fails, 1, memory_order_relaxed) + 1;

	atomic_fetch_add_explicit(&m->c.econ, 1, memory_order_relaxed);
	if (n >= PASSIVE_FAIL_THRESHOLD)
		atomic_store_explicit(&m->avoid_until_ms, lb_now_ms() + PASSIVE_AVOID_MS,
		    memory_order_relaxed);
}

void
lb_member_connect_ok(struct lb_member *m)
{
	if (atomic_load_explicit(&m->passive_fails, memory_order_relaxed) != 0)
		atomic_store_explicit(&m->passive_fails, 0, memory_order_relaxed);
}

void
lb_member_set_health(struct lb_member *m, enum lb_health_state st)
{
	int64_t now = lb_wall_s();
	int old = atomic_exchange(&m->health, (int)st);

	if (old == (int)st)
		return;
	if (old == LB_HEALTH_DOWN && m->down_since != 0) {
		m->downtime += now - m->down_since;
		m->down_since = 0;
	}
	if (st == LB_HEALTH_DOWN) {
		m->down_since = now;
		/* a first verdict of DOWN counts too; a member in MAINT was counted going there */
		if (!lb_member_maint(m))
			m->chkdown++;
	}
	if (st == LB_HEALTH_UP || st == LB_HEALTH_DOWN)
		atomic_store(&m->avoid_until_ms, 0);
	m->last_change = now;
}
