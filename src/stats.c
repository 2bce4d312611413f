/*
 * stats.c: the stats rows and their renderers. Orchestrator agents (Neutron
 * LBaaS, Contrail, Octavia) parse HAProxy's answers, so "show stat" keeps
 * HAProxy's CSV column order and names: one FRONTEND row (proxy iid 1, the
 * VIP), a row per member and a BACKEND row (proxy iid 2, the pool), as CSV or
 * JSON; "show servers state" is HAProxy 2.6's server-state dump; "show info"
 * and "show health" complete the read-only views. Everything runs on the
 * main thread; counters written by workers are read with relaxed atomic loads.
 */
#include "config.h"

#include <sys/types.h>
#include <sys/resource.h>
#include <sys/socket.h>

#include <errno.h>
#include <inttypes.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <event2/buffer.h>
#include <jansson.h>

#include "lbproxy/config.h"
#include "lbproxy/conn.h"
#include "lbproxy/frontend.h"
#include "lbproxy/listener.h"
#include "lbproxy/member.h"
#include "lbproxy/proc.h"
#include "lbproxy/snapshot.h"
#include "lbproxy/stats.h"

/* Stable proxy ids: the VIP is proxy 1 (frontend), the pool proxy 2 (backend). */

#define LB_STATS_NAME_MAX	128	/* longest id shown in a proxy name */
#define LD(x) atomic_load_explicit(&(x), memory_order_relaxed)

/* The HAProxy 1.8 CSV columns (numbers 0..82 in management.txt 9.1). */
enum stat_field {
	ST_PXNAME, ST_SVNAME, ST_QCUR, ST_QMAX, ST_SCUR, ST_SMAX, ST_SLIM, ST_STOT,
	ST_BIN, ST_BOUT, ST_DREQ, ST_DRESP, ST_EREQ, ST_ECON, ST_ERESP, ST_WRETR,
	ST_WREDIS, ST_STATUS, ST_WEIGHT, ST_ACT, ST_BCK, ST_CHKFAIL, ST_CHKDOWN,
	ST_LASTCHG, ST_DOWNTIME, ST_QLIMIT, ST_PID, ST_IID, ST_SID, ST_THROTTLE,
	ST_LBTOT, ST_TRACKED, ST_TYPE, ST_RATE, ST_RATE_LIM, ST_RATE_MAX,
	ST_CHECK_STATUS, ST_CHECK_CODE, ST_CHECK_DURATION, ST_HRSP_1XX, ST_HRSP_2XX,
	ST_HRSP_3XX, ST_HRSP_4XX, ST_HRSP_5XX, ST_HRSP_OTHER, ST_HANAFAIL,
	ST_REQ_RATE, ST_REQ_RATE_MAX, ST_REQ_TOT, ST_CLI_ABRT, ST_SRV_ABRT,
	ST_COMP_IN, ST_COMP_OUT, ST_COMP_BYP, ST_COMP_RSP, ST_LASTSESS, ST_LAST_CHK,
	ST_LAST_AGT, ST_QTIME, ST_CTIME, ST_RTIME, ST_TTIME, ST_AGENT_STATUS,
	ST_AGENT_CODE, ST_AGENT_DURATION, ST_CHECK_DESC, ST_AGENT_DESC,
	ST_CHECK_RISE, ST_CHECK_FALL, ST_CHECK_HEALTH, ST_AGENT_RISE, ST_AGENT_FALL,
	ST_AGENT_HEALTH, ST_ADDR, ST_COOKIE, ST_MODE, ST_ALGO, ST_CONN_RATE,
	ST_CONN_RATE_MAX, ST_CONN_TOT, ST_INTERCEPTED, ST_DCON, ST_DSES,
	ST_NFIELDS
};

static const char *const stat_names[ST_NFIELDS] = {
	[ST_PXNAME] = "pxname", [ST_SVNAME] = "svname", [ST_QCUR] = "qcur",
	[ST_QMAX] = "qmax", [ST_SCUR] = "scur", [ST_SMAX] = "smax",
	[ST_SLIM] = "slim", [ST_STOT] = "stot", [ST_BIN] = "bin",
	[ST_BOUT] = "bout", [ST_DREQ] = "dreq", [ST_DRESP] = "dresp",
	[ST_EREQ] = "ereq", [ST_ECON] = "econ", [ST_ERESP] = "eresp",
	[ST_WRETR] = "wretr", [ST_WREDIS] = "wredis", [ST_STATUS] = "status",
	[ST_WEIGHT] = "weight", [ST_ACT] = "act", [ST_BCK] = "bck",
	[ST_CHKFAIL] = "chkfail", [ST_CHKDOWN] = "chkdown",
	[ST_LASTCHG] = "lastchg", [ST_DOWNTIME] = "downtime",
	[ST_QLIMIT] = "qlimit", [ST_PID] = "pid", [ST_IID] = "iid",
	[ST_SID] = "sid", [ST_THROTTLE] = "throttle", [ST_LBTOT] = "lbtot",
	[ST_TRACKED] = "tracked", [ST_TYPE] = "type", [ST_RATE] = "rate",
	[ST_RATE_LIM] = "rate_lim", [ST_RATE_MAX] = "rate_max",
	[ST_CHECK_STATUS] = "check_status", [ST_CHECK_CODE] = "check_code",
	[ST_CHECK_DURATION] = "check_duration", [ST_HRSP_1XX] = "hrsp_1xx",
	[ST_HRSP_2XX] = "hrsp_2xx", [ST_HRSP_3XX] = "hrsp_3xx",
	[ST_HRSP_4XX] = "hrsp_4xx", [ST_HRSP_5XX] = "hrsp_5xx",
	[ST_HRSP_OTHER] = "hrsp_other", [ST_HANAFAIL] = "hanafail",
	[ST_REQ_RATE] = "req_rate", [ST_REQ_RATE_MAX] = "req_rate_max",
	[ST_REQ_TOT] = "req_tot", [ST_CLI_ABRT] = "cli_abrt",
	[ST_SRV_ABRT] = "srv_abrt", [ST_COMP_IN] = "comp_in",
	[ST_COMP_OUT] = "comp_out", [ST_COMP_BYP] = "comp_byp",
	[ST_COMP_RSP] = "comp_rsp", [ST_LASTSESS] = "lastsess",
	[ST_LAST_CHK] = "last_chk", [ST_LAST_AGT] = "last_agt",
	[ST_QTIME] = "qtime", [ST_CTIME] = "ctime", [ST_RTIME] = "rtime",
	[ST_TTIME] = "ttime", [ST_AGENT_STATUS] = "agent_status",
	[ST_AGENT_CODE] = "agent_code", [ST_AGENT_DURATION] = "agent_duration",
	[ST_CHECK_DESC] = "check_desc", [ST_AGENT_DESC] = "agent_desc",
	[ST_CHECK_RISE] = "check_rise", [ST_CHECK_FALL] = "check_fall",
	[ST_CHECK_HEALTH] = "check_health", [ST_AGENT_RISE] = "agent_rise",
	[ST_AGENT_FALL] = "agent_fall", [ST_AGENT_HEALTH] = "agent_health",
	[ST_ADDR] = "addr", [ST_COOKIE] = "cookie", [ST_MODE] = "mode",
	[ST_ALGO] = "algo", [ST_CONN_RATE] = "conn_rate",
	[ST_CONN_RATE_MAX] = "conn_rate_max", [ST_CONN_TOT] = "conn_tot",
	[ST_INTERCEPTED] = "intercepted", [ST_DCON] = "dcon", [ST_DSES] = "dses",
};

/* HAProxy's long descriptions of check results (stats "check_desc"). */
static const char *const check_descs[] = {
	[LB_CHK_UNKNOWN] = "Initializing",
	[LB_CHK_L4OK] = "Layer4 check passed",
	[LB_CHK_L4TOUT] = "Layer4 timeout",
	[LB_CHK_L4CON] = "Layer4 connection problem",
	[LB_CHK_L6OK] = "Layer6 check passed",
	[LB_CHK_L6TOUT] = "Layer6 timeout",
	[LB_CHK_L6RSP] = "Layer6 invalid response",
	[LB_CHK_L7OK] = "Layer7 check passed",
	[LB_CHK_L7TOUT] = "Layer7 timeout",
	[LB_CHK_L7RSP] = "Layer7 invalid response",
	[LB_CHK_L7STS] = "Layer7 wrong status",
	[LB_CHK_SOCKERR] = "Socket error",
};

/* HAProxy's names of the balancing algorithms (stats "algo"). */
static const char *const algo_names[] = {
	[LB_METHOD_ROUND_ROBIN] = "roundrobin",
	[LB_METHOD_LEAST_CONNECTIONS] = "leastconn",
	[LB_METHOD_SOURCE_IP] = "source",
};

enum fv_type {
	FV_EMPTY,	/* not applicable or not tracked: empty CSV cell, no JSON key */
	FV_STR,
	FV_U64,
	FV_S64,
};

struct fv {
	enum fv_type	 type;
	const char	*s;
	uint64_t	 u;
	int64_t		 i;
};

struct stat_row {
	struct fv	 f[ST_NFIELDS];
};

/* Sums over the pool's members, for the BACKEND row. */
struct be_sums {
	uint64_t	 scur, smax, stot, bin, bout, econ, eresp, wretr, wredis;
	uint64_t	 lbtot, req_tot, hrsp[6];
	uint64_t	 weight, act, bck;
};

/* --- row building ------------------------------------------------------- */

static void
set_str(struct stat_row *r, enum stat_field f, const char *s)
{
	r->f[f].type = FV_STR;
	r->f[f].s = s;
}

static void
set_u64(struct stat_row *r, enum stat_field f, uint64_t v)
{
	r->f[f].type = FV_U64;
	r->f[f].u = v;
}

static void
set_s64(struct stat_row *r, enum stat_field f, int64_t v)
{
	r->f[f].type = FV_S64;
	r->f[f].i = v;
}

static uint64_t
max_u64(uint64_t a, uint64_t b)
{
	return a > b ? a : b;
}

/*
 * The proxies the stats show, HAProxy style: one frontend per listener, one
 * backend per pool and listener that uses it (SPEC 9: "<pool-id>:<listener-id>",
 * as Octavia's amphora names them); a v1 file shows its vip and its pool
 * under their own ids. iids are positions in this list.
 */
struct px {
	char				 name[2 * LB_STATS_NAME_MAX + 2];
	int				 iid;
	const struct lb_snap_listener	*sl;	/* the frontend, or the listener using the pool */
	const struct lb_snap_pool	*sp;	/* NULL for a frontend */
};

/* Whether listener sl sends requests to pool sp (default pool or an L7 policy's). */
static bool
uses_pool(const struct lb_snap_listener *sl, const struct lb_snap_pool *sp)
{
	size_t i;

	if (sl->pool == sp)
		return true;
	for (i = 0; i < sl->conf->n_policies; i++)
		if (sl->conf->policies[i].action == LB_L7_REDIRECT_TO_POOL &&
		    sl->conf->policies[i].redirect_pool == (int)sp->idx)
			return true;
	return false;
}

/* Every proxy of snap, frontends first; a new array (count in *n). */
static struct px *
px_list(const struct lb_snapshot *snap, size_t *n)
{
	bool v2 = snap->conf->dialect == LB_DIALECT_V2;
	struct px *v;
	size_t i, j, cap;

	cap = snap->n_listeners + snap->n_pools * (v2 ? snap->n_listeners : 1) + 1;
	v = lb_xcalloc(cap, sizeof(*v));
	*n = 0;
	for (i = 0; i < snap->n_listeners; i++) {
		if (snap->listeners[i].conf->protocol == LB_PROTO_PROMETHEUS)
			continue;
		snprintf(v[*n].name, sizeof(v[*n].name), "%s", snap->listeners[i].conf->id);
		v[*n].sl = &snap->listeners[i];
		v[*n].iid = (int)*n + 1;
		(*n)++;
	}
	for (j = 0; j < snap->n_pools; j++) {
		const struct lb_snap_pool *sp = &snap->pools[j];

		for (i = 0; i < snap->n_listeners; i++) {
			const struct lb_snap_listener *sl = &snap->listeners[i];

			if (v2 && !uses_pool(sl, sp))
				continue;
			if (v2)
				snprintf(v[*n].name, sizeof(v[*n].name), "%.*s:%.*s",
				    LB_STATS_NAME_MAX, sp->conf->id, LB_STATS_NAME_MAX,
				    sl->conf->id);
			else
				snprintf(v[*n].name, sizeof(v[*n].name), "%s", sp->conf->id);
			v[*n].sl = sl;
			v[*n].sp = sp;
			v[*n].iid = (int)*n + 1;
			(*n)++;
			if (!v2)
				break;
		}
	}
	return v;
}

/* Effective session limit of a listener: connection_limit, else maxconn. */
static uint64_t
listener_limit(const struct lb_snapshot *snap, const struct lb_snap_listener *sl)
{
	if (sl != NULL && sl->conf->connection_limit > 0)
		return (uint64_t)sl->conf->connection_limit;
	if (lb_proc.limits.maxconn > 0)
		return (uint64_t)lb_proc.limits.maxconn;
	return snap->conf->maxconn > 0 ? (uint64_t)snap->conf->maxconn : 0;
}

/* m's status word in pool sp. */
static enum lb_member_status
member_status(const struct lb_snap_pool *sp, const struct lb_member *m)
{
	return lb_member_status(m, sp->conf->admin_state_up);
}

static int
has_check(const struct lb_snap_pool *sp, const struct lb_member *m)
{
	return sp->conf->hm != NULL && LD(m->health) != LB_HEALTH_NOCHECK;
}

/* HAProxy's check_health: 0..rise-1 while DOWN, rise..rise+fall-1 while UP. */
static int
check_health(const struct lb_member *m, int rise, int fall)
{
	int h;

	if (LD(m->health) == LB_HEALTH_DOWN) {
		h = m->rise_cnt;
		if (h > rise - 1)
			h = rise - 1;
	} else {
		h = rise + fall - 1 - m->fall_cnt;
		if (h < rise)
			h = rise;
	}
	return h < 0 ? 0 : h;
}

static void
counters_common(struct stat_row *r, const struct lb_counters *c, int http)
{
	size_t i;

	set_u64(r, ST_STOT, LD(c->stot));
	set_u64(r, ST_BIN, LD(c->bin));
	set_u64(r, ST_BOUT, LD(c->bout));
	if (http) {
		for (i = 1; i <= 5; i++)
			set_u64(r, (enum stat_field)(ST_HRSP_1XX + i - 1), LD(c->hrsp[i]));
		set_u64(r, ST_HRSP_OTHER, LD(c->hrsp[0]));
	}
}

static void
frontend_row(struct stat_row *r, const struct lb_snapshot *snap, const struct px *px)
{
	const struct lb_snap_listener *sl = px->sl;
	const struct lb_frontend *fe = sl->fe;
	uint64_t scur = LD(fe->conns), limit = listener_limit(snap, sl);
	int http = sl->conf->http;
	const char *status = "OPEN";

	if (sl->n_socks == 0 || LD(lb_proc.limits.stopping))
		status = "STOP";
	else if (sl->conf->connection_limit > 0 && scur >= limit)
		status = "FULL";
	memset(r, 0, sizeof(*r));
	set_str(r, ST_PXNAME, px->name);
	set_str(r, ST_SVNAME, "FRONTEND");
	set_u64(r, ST_SCUR, scur);
	set_u64(r, ST_SMAX, max_u64(LD(fe->c.smax), scur));
	if (limit > 0)
		set_u64(r, ST_SLIM, limit);
	counters_common(r, &fe->c, http);
	set_u64(r, ST_DREQ, LD(fe->c.dreq));
	set_u64(r, ST_DRESP, 0);
	set_u64(r, ST_EREQ, LD(fe->c.ereq));
	set_str(r, ST_STATUS, status);
	set_u64(r, ST_PID, 1);
	set_u64(r, ST_IID, (uint64_t)px->iid);
	set_u64(r, ST_SID, 0);
	set_u64(r, ST_TYPE, LB_STATS_TYPE_FRONTEND);
	if (http) {
		set_u64(r, ST_REQ_TOT, LD(fe->c.req_tot));
		set_u64(r, ST_INTERCEPTED, 0);
	}
	set_u64(r, ST_COMP_IN, 0);
	set_u64(r, ST_COMP_OUT, 0);
	set_u64(r, ST_COMP_BYP, 0);
	set_u64(r, ST_COMP_RSP, 0);
	set_str(r, ST_MODE, http ? "http" : "tcp");
	set_u64(r, ST_CONN_TOT, LD(fe->c.stot));
	set_u64(r, ST_DCON, LD(fe->c.dcon));
	set_u64(r, ST_DSES, 0);
}

/*
 * Copy a free-text check description with ',' turned into ';': the Neutron
 * and Contrail drivers split rows on ',' without honouring CSV quotes.
 */
static const char *
desc_nocomma(const char *s, char *buf, size_t size)
{
	size_t i;

	for (i = 0; s[i] != '\0' && i + 1 < size; i++)
		buf[i] = s[i] == ',' ? ';' : s[i];
	buf[i] = '\0';
	return buf;
}

/* r's strings point into m, px and desc (which must outlive r's output). */
static void
server_row(struct stat_row *r, const struct px *px, const struct lb_member *m,
    int64_t now, char *desc, size_t descsize)
{
	const struct lb_snap_pool *sp = px->sp;
	enum lb_member_status status = member_status(sp, m);
	uint64_t scur = LD(m->active);
	int64_t downtime = m->downtime;
	int http = sp->conf->http;

	memset(r, 0, sizeof(*r));
	set_str(r, ST_PXNAME, px->name);
	set_str(r, ST_SVNAME, m->id);
	set_u64(r, ST_QCUR, 0);
	set_u64(r, ST_QMAX, 0);
	set_u64(r, ST_SCUR, scur);
	set_u64(r, ST_SMAX, max_u64(LD(m->c.smax), scur));
	counters_common(r, &m->c, http);
	set_u64(r, ST_DRESP, 0);
	set_u64(r, ST_ECON, LD(m->c.econ));
	set_u64(r, ST_ERESP, LD(m->c.eresp));
	set_u64(r, ST_WRETR, LD(m->c.wretr));
	set_u64(r, ST_WREDIS, LD(m->c.wredis));
	set_str(r, ST_STATUS, lb_member_status_names[status]);
	set_s64(r, ST_WEIGHT, LD(m->weight));
	set_u64(r, ST_ACT, m->backup ? 0 : 1);
	set_u64(r, ST_BCK, m->backup ? 1 : 0);
	if (m->down_since != 0 && now > m->down_since)
		downtime += now - m->down_since;
	if (has_check(sp, m)) {
		set_u64(r, ST_CHKFAIL, m->chkfail);
		set_u64(r, ST_CHKDOWN, m->chkdown);
		set_u64(r, ST_HANAFAIL, 0);
	}
	/* HAProxy pauses a server's check in maintenance: no check columns then */
	if (has_check(sp, m) && status != LB_MEMBER_MAINT) {
		int rise = sp->conf->hm->rise, fall = sp->conf->hm->fall;

		set_str(r, ST_CHECK_STATUS, m->check_status == LB_CHK_UNKNOWN ? "INI" :
		    lb_check_status_names[m->check_status]);
		if (m->check_status != LB_CHK_UNKNOWN) {
			if (m->check_code > 0)
				set_s64(r, ST_CHECK_CODE, m->check_code);
			set_s64(r, ST_CHECK_DURATION, m->check_duration_ms);
			set_str(r, ST_LAST_CHK, desc_nocomma(m->check_desc, desc, descsize));
		}
		set_str(r, ST_CHECK_DESC, check_descs[m->check_status]);
		set_s64(r, ST_CHECK_RISE, rise);
		set_s64(r, ST_CHECK_FALL, fall);
		set_s64(r, ST_CHECK_HEALTH, check_health(m, rise, fall));
	}
	set_s64(r, ST_LASTCHG, now > m->last_change ? now - m->last_change : 0);
	set_s64(r, ST_DOWNTIME, downtime);
	set_u64(r, ST_PID, 1);
	set_u64(r, ST_IID, (uint64_t)px->iid);
	set_s64(r, ST_SID, m->sid);
	set_u64(r, ST_LBTOT, LD(m->c.lbtot));
	set_u64(r, ST_TYPE, LB_STATS_TYPE_SERVER);
	if (http)
		set_u64(r, ST_REQ_TOT, LD(m->c.req_tot));
	set_str(r, ST_ADDR, m->name);
	if (sp->conf->persist.type == LB_PERSIST_HTTP_COOKIE)
		set_str(r, ST_COOKIE, m->id);
	set_str(r, ST_MODE, http ? "http" : "tcp");
}

/* Add one member's counters to the backend sums. */
static void
sum_member(struct be_sums *b, const struct lb_member *m)
{
	size_t i;

	b->scur += LD(m->active);
	b->smax = max_u64(b->smax, LD(m->c.smax));
	b->stot += LD(m->c.stot);
	b->bin += LD(m->c.bin);
	b->bout += LD(m->c.bout);
	b->econ += LD(m->c.econ);
	b->eresp += LD(m->c.eresp);
	b->wretr += LD(m->c.wretr);
	b->wredis += LD(m->c.wredis);
	b->lbtot += LD(m->c.lbtot);
	b->req_tot += LD(m->c.req_tot);
	for (i = 0; i < LB_ARRAY_SIZE(b->hrsp); i++)
		b->hrsp[i] += LD(m->c.hrsp[i]);
}

/*
 * Backend counters: the pool's own (its lb_backend: traffic no member got,
 * and the totals of members a reload forgot) plus every member of the pool
 * still referenced, removed ones draining included, so totals never drop.
 */
static void
backend_sums(struct be_sums *b, const struct lb_snap_pool *sp)
{
	size_t i;

	memset(b, 0, sizeof(*b));
	for (i = 0; i < lb_proc.n_members; i++)
		if (strcmp(lb_proc.members[i]->pool_id, sp->conf->id) == 0)
			sum_member(b, lb_proc.members[i]);
	for (i = 0; i < sp->n; i++) {
		const struct lb_member *m = sp->members[i];

		if (lb_member_serving(m, sp->conf->admin_state_up)) {
			if (m->backup)
				b->bck++;
			else
				b->act++;
			b->weight += (uint64_t)LD(m->weight);
		}
	}
}

static void
backend_row(struct stat_row *r, const struct lb_snapshot *snap, const struct px *px)
{
	const struct lb_snap_pool *sp = px->sp;
	const struct lb_pool_conf *pc = sp->conf;
	const struct lb_counters *be = &sp->be->c;
	uint64_t limit = listener_limit(snap, px->sl);
	int http = pc->http;
	struct be_sums b;
	size_t i;

	backend_sums(&b, sp);
	memset(r, 0, sizeof(*r));
	set_str(r, ST_PXNAME, px->name);
	set_str(r, ST_SVNAME, "BACKEND");
	set_u64(r, ST_QCUR, 0);
	set_u64(r, ST_QMAX, 0);
	set_u64(r, ST_SCUR, b.scur);
	set_u64(r, ST_SMAX, max_u64(max_u64(b.smax, LD(be->smax)), b.scur));
	if (limit > 0)
		set_u64(r, ST_SLIM, limit);
	set_u64(r, ST_STOT, b.stot + LD(be->stot));
	set_u64(r, ST_BIN, b.bin + LD(be->bin));
	set_u64(r, ST_BOUT, b.bout + LD(be->bout));
	set_u64(r, ST_DREQ, LD(be->dreq));
	set_u64(r, ST_DRESP, 0);
	set_u64(r, ST_ECON, b.econ + LD(be->econ));
	set_u64(r, ST_ERESP, b.eresp + LD(be->eresp));
	set_u64(r, ST_WRETR, b.wretr + LD(be->wretr));
	set_u64(r, ST_WREDIS, b.wredis + LD(be->wredis));
	set_str(r, ST_STATUS, b.act + b.bck > 0 ? "UP" : "DOWN");
	set_u64(r, ST_WEIGHT, b.weight);
	set_u64(r, ST_ACT, b.act);
	set_u64(r, ST_BCK, b.bck);
	set_u64(r, ST_PID, 1);
	set_u64(r, ST_IID, (uint64_t)px->iid);
	set_u64(r, ST_SID, 0);
	set_u64(r, ST_LBTOT, b.lbtot + LD(be->lbtot));
	set_u64(r, ST_TYPE, LB_STATS_TYPE_BACKEND);
	if (http) {
		for (i = 1; i <= 5; i++)
			set_u64(r, (enum stat_field)(ST_HRSP_1XX + i - 1),
			    b.hrsp[i] + LD(be->hrsp[i]));
		set_u64(r, ST_HRSP_OTHER, b.hrsp[0] + LD(be->hrsp[0]));
		set_u64(r, ST_REQ_TOT, b.req_tot + LD(be->req_tot));
	}
	set_u64(r, ST_COMP_IN, 0);
	set_u64(r, ST_COMP_OUT, 0);
	set_u64(r, ST_COMP_BYP, 0);
	set_u64(r, ST_COMP_RSP, 0);
	if (pc->persist.type == LB_PERSIST_HTTP_COOKIE)
		set_str(r, ST_COOKIE, pc->persist.cookie_name);
	set_str(r, ST_MODE, http ? "http" : "tcp");
	if ((size_t)pc->method < LB_ARRAY_SIZE(algo_names))
		set_str(r, ST_ALGO, algo_names[pc->method]);
}

/* --- row output ----------------------------------------------------------- */

/* Append s as a CSV cell, quoted when it holds a separator, quote or newline. */
static void
csv_str(struct evbuffer *out, const char *s)
{
	const char *p;

	if (strpbrk(s, ",\"\r\n") == NULL) {
		evbuffer_add(out, s, strlen(s));
		return;
	}
	evbuffer_add(out, "\"", 1);
	for (p = s; *p != '\0'; p++) {
		if (*p == '"')
			evbuffer_add(out, "\"", 1);
		evbuffer_add(out, p, 1);
	}
	evbuffer_add(out, "\"", 1);
}

static void
csv_header(struct evbuffer *out)
{
	size_t i;

	evbuffer_add(out, "# ", 2);
	for (i = 0; i < ST_NFIELDS; i++)
		evbuffer_add_printf(out, "%s,", stat_names[i]);
	evbuffer_add(out, "\n", 1);
}

/* One CSV line; like HAProxy every cell, the last one too, ends in a comma. */
static void
csv_row(struct evbuffer *out, const struct stat_row *r)
{
	size_t i;

	for (i = 0; i < ST_NFIELDS; i++) {
		const struct fv *v = &r->f[i];

		switch (v->type) {
		case FV_EMPTY:
			break;
		case FV_STR:
			csv_str(out, v->s);
			break;
		case FV_U64:
			evbuffer_add_printf(out, "%" PRIu64, v->u);
			break;
		case FV_S64:
			evbuffer_add_printf(out, "%" PRId64, v->i);
			break;
		}
		evbuffer_add(out, ",", 1);
	}
	evbuffer_add(out, "\n", 1);
}

/* One new JSON object per row: field name -> value; empty cells are left out. */
static json_t *
json_row(const struct stat_row *r)
{
	json_t *o = json_object();
	size_t i;

	for (i = 0; i < ST_NFIELDS; i++) {
		const struct fv *v = &r->f[i];
		json_t *j = NULL;

		switch (v->type) {
		case FV_EMPTY:
			break;
		case FV_STR:
			j = json_string(v->s);
			break;
		case FV_U64:
			j = json_integer(v->u > (uint64_t)INT64_MAX ?
			    (json_int_t)INT64_MAX : (json_int_t)v->u);
			break;
		case FV_S64:
			j = json_integer((json_int_t)v->i);
			break;
		}
		if (j != NULL)
			json_object_set_new(o, stat_names[i], j);
	}
	return o;
}

static void
emit_row(struct evbuffer *out, json_t *arr, const struct stat_row *r)
{
	if (arr != NULL)
		json_array_append_new(arr, json_row(r));
	else
		csv_row(out, r);
}

void
lb_stats_filter_init(struct lb_stats_filter *f)
{
	memset(f, 0, sizeof(*f));
	f->iid = -1;
	f->types = -1;
	f->sid = -1;
}

static bool
want(const struct lb_stats_filter *f, int iid, int type)
{
	return (f->iid == -1 || f->iid == iid) && (f->types & (1 << type)) != 0;
}

/* HAProxy's "up" hides servers in maintenance or stopped; "no-maint" only the former. */
static bool
server_shown(const struct lb_stats_filter *f, const struct lb_snap_pool *sp,
    const struct lb_member *m)
{
	enum lb_member_status st = member_status(sp, m);

	if (f->sid != -1 && m->sid != f->sid)
		return false;
	if (f->up_only && (st == LB_MEMBER_MAINT || st == LB_MEMBER_DOWN))
		return false;
	return !(f->no_maint && st == LB_MEMBER_MAINT);
}

void
lb_stats_dump(const struct lb_snapshot *snap, const struct lb_stats_filter *f,
    enum lb_stats_format fmt, struct evbuffer *out)
{
	char desc[sizeof(((struct lb_member *)0)->check_desc)];
	struct stat_row r;
	json_t *arr = NULL;
	int64_t now = lb_wall_s();
	struct px *px = NULL;
	size_t i, k, npx = 0;

	if (fmt == LB_STATS_JSON)
		arr = json_array();
	else
		csv_header(out);
	if (snap != NULL)
		px = px_list(snap, &npx);
	for (k = 0; k < npx; k++) {
		if (px[k].sp == NULL) {
			if (want(f, px[k].iid, LB_STATS_TYPE_FRONTEND)) {
				frontend_row(&r, snap, &px[k]);
				emit_row(out, arr, &r);
			}
			continue;
		}
		if (want(f, px[k].iid, LB_STATS_TYPE_SERVER))
			for (i = 0; i < px[k].sp->n; i++) {
				if (!server_shown(f, px[k].sp, px[k].sp->members[i]))
					continue;
				server_row(&r, &px[k], px[k].sp->members[i], now, desc,
				    sizeof(desc));
				emit_row(out, arr, &r);
			}
		if (want(f, px[k].iid, LB_STATS_TYPE_BACKEND)) {
			backend_row(&r, snap, &px[k]);
			emit_row(out, arr, &r);
		}
	}
	free(px);
	if (arr != NULL) {
		char *js = json_dumps(arr, JSON_COMPACT);

		if (js != NULL) {
			evbuffer_add_printf(out, "%s\n", js);
			free(js);
		}
		json_decref(arr);
	}
}

/* --- commands ------------------------------------------------------------- */

static const char stat_usage[] =
    "Usage: show stat [{<iid>|<proxy>} <type> <sid>] [json] [up|no-maint]\n";

/* The iid of the proxy named name in snap, or -1. */
static int
px_find(const struct lb_snapshot *snap, const char *name)
{
	struct px *px;
	size_t i, n;
	int iid = -1;

	if (snap == NULL)
		return -1;
	px = px_list(snap, &n);
	for (i = 0; i < n && iid == -1; i++)
		if (strcmp(px[i].name, name) == 0)
			iid = px[i].iid;
	free(px);
	return iid;
}

/* Parse the words after "show stat"; writes the error to out and returns -1. */
static int
parse_stat_args(char **argv, int argc, struct lb_stats_filter *f, enum lb_stats_format *fmt,
    struct evbuffer *out)
{
	const struct lb_snapshot *snap = lb_proc.snap;
	char *pos[3];
	int npos = 0, i;
	long v;

	lb_stats_filter_init(f);
	*fmt = LB_STATS_CSV;
	for (i = 0; i < argc; i++) {
		if (strcmp(argv[i], "json") == 0)
			*fmt = LB_STATS_JSON;
		else if (strcmp(argv[i], "up") == 0)
			f->up_only = true;
		else if (strcmp(argv[i], "no-maint") == 0)
			f->no_maint = true;
		else if (strcmp(argv[i], "typed") == 0 || strcmp(argv[i], "desc") == 0) {
			evbuffer_add_printf(out, "'%s' output is not supported.\n", argv[i]);
			return -1;
		} else if (npos < 3)
			pos[npos++] = argv[i];
		else {
			evbuffer_add(out, stat_usage, sizeof(stat_usage) - 1);
			return -1;
		}
	}
	if (npos == 0)
		return 0;
	if (npos != 3) {
		evbuffer_add(out, stat_usage, sizeof(stat_usage) - 1);
		return -1;
	}
	if (lb_parse_long(pos[0], -1, INT_MAX, &v) == 0)
		f->iid = (int)v;
	else if ((f->iid = px_find(snap, pos[0])) == -1) {
		evbuffer_add_printf(out, "No such proxy.\n");
		return -1;
	}
	if (lb_parse_long(pos[1], INT_MIN, INT_MAX, &v) == -1) {
		evbuffer_add(out, stat_usage, sizeof(stat_usage) - 1);
		return -1;
	}
	f->types = (int)v;
	if (lb_parse_long(pos[2], -1, INT_MAX, &v) == -1) {
		evbuffer_add(out, stat_usage, sizeof(stat_usage) - 1);
		return -1;
	}
	f->sid = (int)v;
	return 0;
}

void
lb_stats_show_stat(char **args, int nargs, struct evbuffer *out)
{
	struct lb_stats_filter f;
	enum lb_stats_format fmt;

	if (parse_stat_args(args, nargs, &f, &fmt, out) == 0)
		lb_stats_dump(lb_proc.snap, &f, fmt, out);
}

void
lb_stats_show_info(char **args LB_UNUSED, int nargs LB_UNUSED, struct evbuffer *out)
{
	const struct lb_snapshot *snap = lb_proc.snap;
	uint64_t up_ms = lb_proc.start_ms != 0 ? lb_now_ms() - lb_proc.start_ms : 0;
	uint64_t up = up_ms / 1000;
	struct rlimit rl;
	struct lb_conn_splice_stats sp;
	uint64_t conns = LD(lb_proc.fe_gone.stot), reqs = LD(lb_proc.fe_gone.req_tot);
	char host[256] = "";
	size_t i;

	if (getrlimit(RLIMIT_NOFILE, &rl) == -1)
		rl.rlim_cur = 0;
	if (gethostname(host, sizeof(host) - 1) == -1)
		host[0] = '\0';
	evbuffer_add_printf(out, "Name: %s\n", PACKAGE_NAME);
	evbuffer_add_printf(out, "Version: %s\n", PACKAGE_VERSION);
#ifdef LB_RELEASE_DATE
	evbuffer_add_printf(out, "Release_date: %s\n", LB_RELEASE_DATE);
#else
	evbuffer_add_printf(out, "Release_date: \n");
#endif
	evbuffer_add_printf(out, "Nbthread: %d\n", lb_proc.limits.n_workers);
	evbuffer_add_printf(out, "Nbproc: 1\n");
	evbuffer_add_printf(out, "Process_num: 1\n");
	evbuffer_add_printf(out, "Pid: %ld\n", (long)(lb_proc.pid != 0 ? lb_proc.pid : getpid()));
	evbuffer_add_printf(out, "Uptime: %" PRIu64 "d %" PRIu64 "h%02" PRIu64 "m%02" PRIu64 "s\n",
	    up / 86400, (up / 3600) % 24, (up / 60) % 60, up % 60);
	evbuffer_add_printf(out, "Uptime_sec: %" PRIu64 "\n", up);
	evbuffer_add_printf(out, "Start_time_sec: %" PRId64 "\n", lb_proc.start_wall);
	evbuffer_add_printf(out, "Ulimit-n: %llu\n", (unsigned long long)rl.rlim_cur);
	evbuffer_add_printf(out, "Maxconn: %d\n", lb_proc.limits.maxconn);
	evbuffer_add_printf(out, "Hard_maxconn: %d\n", lb_proc.limits.maxconn);
	lb_conn_splice_stats(&sp);
	evbuffer_add_printf(out, "Maxpipes: %u\n", sp.max_pipes);
	evbuffer_add_printf(out, "PipesUsed: %u\n", sp.pipes_used);
	evbuffer_add_printf(out, "PipesFree: %u\n", sp.pipes_free);
	evbuffer_add_printf(out, "SplicedBytes: %" PRIu64 "\n", sp.bytes);
	evbuffer_add_printf(out, "CurrConns: %u\n", LD(lb_proc.limits.conns));
	for (i = 0; i < lb_proc.n_frontends; i++) {
		conns += LD(lb_proc.frontends[i]->c.stot);
		reqs += LD(lb_proc.frontends[i]->c.req_tot);
	}
	evbuffer_add_printf(out, "CumConns: %" PRIu64 "\n", conns);
	evbuffer_add_printf(out, "CumReq: %" PRIu64 "\n", reqs);
	evbuffer_add_printf(out, "Stopping: %d\n", LD(lb_proc.limits.stopping) ? 1 : 0);
	evbuffer_add_printf(out, "Reloads: %" PRIu64 "\n", lb_proc.reloads);
	evbuffer_add_printf(out, "Generation: %" PRIu64 "\n", lb_proc.generation);
	if (snap != NULL && snap->conf->dialect != LB_DIALECT_V2 && snap->n_listeners > 0 &&
	    snap->n_pools > 0) {
		const struct lb_snap_listener *sl = &snap->listeners[0];
		char a[LB_ADDRSTRLEN] = "";

		if (sl->n_socks > 0)
			lb_addr_fmt((const struct sockaddr *)&sl->socks[0]->addr, a, sizeof(a));
		evbuffer_add_printf(out, "Vip: %s\n", sl->conf->id);
		evbuffer_add_printf(out, "Vip_listener: %s\n", a);
		evbuffer_add_printf(out, "Pool: %s\n", snap->pools[0].conf->id);
	} else if (snap != NULL) {
		evbuffer_add_printf(out, "Loadbalancer: %s\n", snap->conf->lb_id != NULL ?
		    snap->conf->lb_id : "");
		evbuffer_add_printf(out, "Listeners: %zu\n", snap->n_listeners);
		evbuffer_add_printf(out, "Pools: %zu\n", snap->n_pools);
	}
	if (snap != NULL)
		evbuffer_add_printf(out, "Members: %zu\n", snap->n_members);
	evbuffer_add_printf(out, "node: %s\n", host);
	evbuffer_add_printf(out, "description: \n");
}

void
lb_stats_show_health(char **args LB_UNUSED, int nargs LB_UNUSED, struct evbuffer *out)
{
	const struct lb_snapshot *snap = lb_proc.snap;
	int64_t now = lb_wall_s();
	size_t i, j;

	evbuffer_add_printf(out, "# pool/member address status health check code duration_ms "
	    "rise fall chkfail chkdown lastchg desc\n");
	for (j = 0; snap != NULL && j < snap->n_pools; j++) {
		const struct lb_snap_pool *sp = &snap->pools[j];
		int rise = sp->conf->hm != NULL ? sp->conf->hm->rise : snap->conf->health_rise;
		int fall = sp->conf->hm != NULL ? sp->conf->hm->fall : 0;

		for (i = 0; i < sp->n; i++) {
			const struct lb_member *m = sp->members[i];
			int h = LD(m->health);
			const char *chk = m->check_status == LB_CHK_UNKNOWN ?
			    (has_check(sp, m) ? "INI" : "-") :
			    lb_check_status_names[m->check_status];

			evbuffer_add_printf(out, "%s/%s %s %s %s %s %d %d %d/%d %d/%d %" PRIu64
			    " %" PRIu64 " %" PRId64 " \"%s\"\n",
			    sp->conf->id, m->id, m->name,
			    lb_member_status_names[member_status(sp, m)],
			    h >= 0 && h <= LB_HEALTH_DOWN ? lb_health_names[h] : "?",
			    chk, m->check_code, m->check_duration_ms,
			    m->rise_cnt, rise, m->fall_cnt, fall, m->chkfail, m->chkdown,
			    now > m->last_change ? now - m->last_change : 0,
			    m->check_desc);
		}
	}
}

/* --- show servers state ------------------------------------------------------ */

/* HAProxy 2.6's server-state dump: file format version and field names. */
#define SRV_STATE_VERSION	1
static const char srv_state_fields[] =
    "be_id be_name srv_id srv_name srv_addr srv_op_state srv_admin_state srv_uweight "
    "srv_iweight srv_time_since_last_change srv_check_status srv_check_result "
    "srv_check_health srv_check_state srv_agent_state bk_f_forced_id srv_f_forced_id "
    "srv_fqdn srv_port srvrecord srv_use_ssl srv_check_port srv_check_addr srv_agent_addr "
    "srv_agent_port";

/* HAProxy's numbers: server state, admin flags, check status, result and state bits. */
enum {
	SRV_ST_STOPPED = 0,
	SRV_ST_RUNNING = 2,
};
enum {
	SRV_ADMF_FMAINT = 0x01,		/* forced into maintenance (CLI) */
	SRV_ADMF_CMAINT = 0x04,		/* in maintenance by the configuration */
	SRV_ADMF_FDRAIN = 0x08,		/* forced into drain (CLI) */
};
enum {
	CHK_RES_UNKNOWN = 0,
	CHK_RES_FAILED = 2,
	CHK_RES_PASSED = 3,
};
enum {
	CHK_ST_CONFIGURED = 0x02,
	CHK_ST_ENABLED = 0x04,
	CHK_ST_PAUSED = 0x08,
};
/* enum healthcheck_status of HAProxy 2.6 (include/haproxy/check-t.h) */
static const int hchk_status[] = {
	[LB_CHK_UNKNOWN] = 1,	/* HCHK_STATUS_INI */
	[LB_CHK_SOCKERR] = 5,
	[LB_CHK_L4OK] = 6,
	[LB_CHK_L4TOUT] = 7,
	[LB_CHK_L4CON] = 8,
	[LB_CHK_L6OK] = 9,
	[LB_CHK_L6TOUT] = 10,
	[LB_CHK_L6RSP] = 11,
	[LB_CHK_L7TOUT] = 12,
	[LB_CHK_L7RSP] = 13,
	[LB_CHK_L7OK] = 15,	/* HCHK_STATUS_L7OKD */
	[LB_CHK_L7STS] = 17,
};

static int
admin_flags(const struct lb_snap_pool *sp, const struct lb_member *m)
{
	if (!sp->conf->admin_state_up || !LD(m->admin_up))
		return SRV_ADMF_FMAINT | SRV_ADMF_CMAINT;	/* HAProxy's "disabled" */
	if (LD(m->cli_disabled))
		return SRV_ADMF_FMAINT;
	return LD(m->cli_drain) ? SRV_ADMF_FDRAIN : 0;
}

/* One "show servers state" line for m of proxy px. */
static void
server_state_line(struct evbuffer *out, const struct px *px, const struct lb_member *m,
    int64_t now)
{
	const struct lb_snap_pool *sp = px->sp;
	enum lb_member_status st = member_status(sp, m);
	bool maint = st == LB_MEMBER_MAINT, checked = has_check(sp, m);
	int rise = checked ? sp->conf->hm->rise : 2, chk_state = 0, status = 1;
	int result = CHK_RES_UNKNOWN, health = rise;
	char host[LB_ADDRSTRLEN];

	if (checked) {
		chk_state = CHK_ST_CONFIGURED | CHK_ST_ENABLED | (maint ? CHK_ST_PAUSED : 0);
		if ((size_t)m->check_status < LB_ARRAY_SIZE(hchk_status))
			status = hchk_status[m->check_status];
		if (m->check_status != LB_CHK_UNKNOWN)
			result = m->check_status == LB_CHK_L4OK || m->check_status == LB_CHK_L6OK ||
			    m->check_status == LB_CHK_L7OK ? CHK_RES_PASSED : CHK_RES_FAILED;
		health = maint ? 0 : check_health(m, rise, sp->conf->hm->fall);
	}
	evbuffer_add_printf(out, "%d %s %d %s %s %d %d %d %d %" PRId64 " %d %d %d %d 0 0 0 - %d - 0 0 - - 0\n",
	    px->iid, px->name, m->sid, m->id,
	    lb_addr_host((const struct sockaddr *)&m->addr, host, sizeof(host)),
	    st == LB_MEMBER_MAINT || st == LB_MEMBER_DOWN ? SRV_ST_STOPPED : SRV_ST_RUNNING,
	    admin_flags(sp, m), LD(m->weight), m->conf_weight,
	    now > m->last_change ? now - m->last_change : 0,
	    status, result, health, chk_state, m->port);
}

void
lb_stats_show_servers_state(char **args, int nargs, struct evbuffer *out)
{
	const struct lb_snapshot *snap = lb_proc.snap;
	int64_t now = lb_wall_s();
	struct px *px = NULL;
	size_t i, k, n = 0;
	bool found = nargs == 0;

	if (snap != NULL)
		px = px_list(snap, &n);
	/* like HAProxy, the backend is looked up by name only */
	for (k = 0; k < n && !found; k++)
		found = px[k].sp != NULL && strcmp(args[0], px[k].name) == 0;
	if (!found) {
		evbuffer_add_printf(out, "Can't find backend.\n");
		free(px);
		return;
	}
	evbuffer_add_printf(out, "%d\n# %s\n", SRV_STATE_VERSION, srv_state_fields);
	for (k = 0; k < n; k++) {
		if (px[k].sp == NULL || (nargs > 0 && strcmp(args[0], px[k].name) != 0))
			continue;
		for (i = 0; i < px[k].sp->n; i++)
			server_state_line(out, &px[k], px[k].sp->members[i], now);
	}
	free(px);
}
