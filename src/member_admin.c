/*
 * member_admin.c: the stats socket's admin commands on members, with
 * HAProxy's syntax and answers (agents and operators script them). This file
 * finds "<pool>/<member>" in the current snapshot, parses and answers; the
 * state change itself (admin state, chkdown, last change) is member.c's,
 * which stays free of libevent and of the process state.
 */
#include "config.h"

#include <limits.h>
#include <stdbool.h>
#include <string.h>

#include <event2/buffer.h>

#include "lbproxy/config.h"
#include "lbproxy/frontend.h"
#include "lbproxy/log.h"
#include "lbproxy/member.h"
#include "lbproxy/member_admin.h"
#include "lbproxy/proc.h"
#include "lbproxy/snapshot.h"

/*
 * Find "<backend>/<member>" in the current snapshot (returns it borrowed).
 * The backend is a pool id, or (v2) the "<pool-id>:<listener-id>" the stats
 * show; it is matched as a prefix, so member ids may contain '/'. Writes
 * HAProxy's error text to out and returns NULL when there is no such server.
 */
static struct lb_member *
find_server(char **args, int nargs, struct evbuffer *out)
{
	const struct lb_snapshot *snap = lb_proc.snap;
	const char *arg = nargs > 0 ? args[0] : NULL, *mid = NULL;
	const struct lb_snap_pool *sp = NULL;
	size_t plen, i, j;

	if (arg == NULL || strchr(arg, '/') == NULL) {
		evbuffer_add_printf(out, "Require 'backend/server'.\n");
		return NULL;
	}
	for (j = 0; snap != NULL && j < snap->n_pools && sp == NULL; j++) {
		const char *pool = snap->pools[j].conf->id, *slash;

		plen = strlen(pool);
		if (strncmp(arg, pool, plen) != 0)
			continue;
		if (arg[plen] == '/')
			mid = arg + plen + 1;
		else if (arg[plen] == ':' && (slash = strchr(arg + plen, '/')) != NULL)
			mid = slash + 1;
		else
			continue;
		sp = &snap->pools[j];
	}
	if (sp == NULL) {
		evbuffer_add_printf(out, "No such backend.\n");
		return NULL;
	}
	for (i = 0; i < sp->n; i++)
		if (strcmp(sp->members[i]->id, mid) == 0)
			return sp->members[i];
	evbuffer_add_printf(out, "No such server.\n");
	return NULL;
}

/* Put m in admin state st and log the change. */
static void
set_admin(struct lb_member *m, enum lb_member_admin st)
{
	static const char *const what[] = {
		[LB_ADMIN_READY] = "enabled",
		[LB_ADMIN_DRAIN] = "put in drain (DRAIN)",
		[LB_ADMIN_MAINT] = "disabled (MAINT)",
	};

	if (lb_member_set_admin(m, st))
		lb_notice("member %s (%s) %s from the stats socket", m->id, m->name, what[st]);
}

void
lb_member_admin_disable(char **args, int nargs, struct evbuffer *out)
{
	struct lb_member *m = find_server(args, nargs, out);

	if (m != NULL)
		set_admin(m, LB_ADMIN_MAINT);
}

void
lb_member_admin_enable(char **args, int nargs, struct evbuffer *out)
{
	struct lb_member *m = find_server(args, nargs, out);

	if (m != NULL)
		set_admin(m, LB_ADMIN_READY);
}

/* "<w>" absolute 0..256, or "<w>%" of the configured weight; writes HAProxy's error, -1. */
static int
parse_weight(const struct lb_member *m, const char *wstr, long *w, struct evbuffer *out)
{
	char buf[32];
	size_t len;

	if (wstr == NULL || *wstr == '\0') {
		evbuffer_add_printf(out, "Require <weight> or <weight%%>.\n");
		return -1;
	}
	len = strlen(wstr);
	if (len < sizeof(buf) && wstr[len - 1] == '%') {
		memcpy(buf, wstr, len - 1);
		buf[len - 1] = '\0';
		if (lb_parse_long(buf, 0, LONG_MAX, w) == -1) {
			evbuffer_add_printf(out, "Relative weight must be a positive integer "
			    "followed by '%%'.\n");
			return -1;
		}
		if (*w > 25600)
			*w = 25600;
		*w = m->conf_weight * *w / 100;
		if (*w > 256)
			*w = 256;
		return 0;
	}
	if (lb_parse_long(wstr, 0, 256, w) == -1) {
		evbuffer_add_printf(out, "Absolute weight can only be between 0 and 256 inclusive.\n");
		return -1;
	}
	return 0;
}

/* Set m's weight from wstr (HAProxy: a weight change is not a state change: lastchg stays). */
static void
set_weight(struct lb_member *m, const char *wstr, struct evbuffer *out)
{
	long w;
	int old;

	if (parse_weight(m, wstr, &w, out) == -1)
		return;
	old = atomic_exchange(&m->weight, (int)w);
	if (old != (int)w)
		lb_notice("member %s (%s) weight %d -> %ld from the stats socket",
		    m->id, m->name, old, w);
}

void
lb_member_admin_set_weight(char **args, int nargs, struct evbuffer *out)
{
	struct lb_member *m = find_server(args, nargs, out);

	if (m != NULL)
		set_weight(m, nargs > 1 ? args[1] : NULL, out);
}

void
lb_member_admin_get_weight(char **args, int nargs, struct evbuffer *out)
{
	struct lb_member *m = find_server(args, nargs, out);

	/* HAProxy's "<current> (initial <configured>)" */
	if (m != NULL)
		evbuffer_add_printf(out, "%d (initial %d)\n", atomic_load(&m->weight), m->conf_weight);
}

void
lb_member_admin_set_server(char **args, int nargs, struct evbuffer *out)
{
	static const char *const states[] = {
		[LB_ADMIN_READY] = "ready",
		[LB_ADMIN_DRAIN] = "drain",
		[LB_ADMIN_MAINT] = "maint",
	};
	struct lb_member *m = find_server(args, nargs, out);
	size_t i;

	if (m == NULL)
		return;
	if (nargs > 1 && strcmp(args[1], "weight") == 0) {
		set_weight(m, nargs > 2 ? args[2] : NULL, out);
		return;
	}
	if (nargs < 2 || strcmp(args[1], "state") != 0) {
		evbuffer_add_printf(out, "usage: set server <backend>/<server> state | weight\n");
		return;
	}
	for (i = 0; nargs > 2 && i < LB_ARRAY_SIZE(states); i++) {
		if (strcmp(args[2], states[i]) == 0) {
			set_admin(m, (enum lb_member_admin)i);
			return;
		}
	}
	evbuffer_add_printf(out, "'set server <srv> state' expects 'ready', 'drain' and 'maint'.\n");
}

void
lb_member_admin_clear_max(char **args LB_UNUSED, int nargs LB_UNUSED, struct evbuffer *out LB_UNUSED)
{
	size_t i;

	/* the totals stay (SPEC 6); a max shows at least the current count again */
	for (i = 0; i < lb_proc.n_frontends; i++)
		atomic_store(&lb_proc.frontends[i]->c.smax, 0);
	for (i = 0; i < lb_proc.n_backends; i++)
		atomic_store(&lb_proc.backends[i]->c.smax, 0);
	for (i = 0; i < lb_proc.n_members; i++)
		atomic_store(&lb_proc.members[i]->c.smax, 0);
	lb_notice("max counters cleared from the stats socket");
}
